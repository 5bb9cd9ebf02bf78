// test_transcript: what the protocol transcript runners (IMAP, POP3: tests/transcripts/*/)
// share: the transcript files of a directory, "{*}" wildcards in expected lines, and the
// comparison of expected against actual output line by line (CRLF-separated) with a readable
// failure. Test support only (header-only, GoogleTest; nothing in a library uses it).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace estafeta::testing {

// The *.txt files of `dir`, sorted by name.
inline std::vector<std::filesystem::path> transcript_files(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".txt") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

// "{*}" in an expected line matches any run of characters.
inline bool transcript_line_matches(std::string_view expected, std::string_view actual) {
  auto star = expected.find("{*}");
  if (star == std::string_view::npos) return expected == actual;
  if (actual.substr(0, star) != expected.substr(0, star)) return false;
  std::string_view rest = expected.substr(star + 3);
  std::string_view tail = actual.substr(star);
  for (std::size_t i = 0; i <= tail.size(); ++i)
    if (transcript_line_matches(rest, tail.substr(i))) return true;
  return false;
}

// Expected and actual output, as CRLF-separated lines, match line by line.
inline void check_transcript_output(const std::string& expected, const std::string& actual,
                                    const std::string& where) {
  std::vector<std::string> want, got;
  auto split = [](const std::string& s, std::vector<std::string>& out) {
    std::size_t pos = 0;
    while (pos < s.size()) {
      auto eol = s.find("\r\n", pos);
      if (eol == std::string::npos) eol = s.size();
      out.push_back(s.substr(pos, eol - pos));
      pos = eol + 2;
    }
  };
  split(expected, want);
  split(actual, got);
  bool ok = want.size() == got.size();
  for (std::size_t i = 0; ok && i < want.size(); ++i) ok = transcript_line_matches(want[i], got[i]);
  EXPECT_TRUE(ok) << where << "\nexpected:\n" << expected << "actual:\n" << actual;
}

}  // namespace estafeta::testing
