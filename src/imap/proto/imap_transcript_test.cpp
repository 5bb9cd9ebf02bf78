// imap_transcript_test: replays the IMAP dialogues of tests/transcripts/imap/*.txt (format in
// that folder's README.md) through the session core with the in-memory store
// (imap_session_test_harness.hpp), once write by write and once byte by byte.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "base/test_transcript.hpp"
#include "imap/proto/imap_session_test_harness.hpp"
#include "store/store_maildir.hpp"

namespace estafeta::imap {
namespace {

struct Step {
  enum class Kind { send, changed, deliver, session };
  Kind kind = Kind::send;
  std::string input;     // send: client bytes; deliver: "MAILBOX SUBJECT"; session: name
  std::string expected;  // server lines that must follow (CRLF-terminated)
  int line = 0;
};

struct Transcript {
  SessionOptions options = testing::tls_options();
  bool memory_only = false;  // relies on the in-memory store's MODSEQ numbering
  std::vector<Step> steps;
};

Transcript load(const std::filesystem::path& path) {
  Transcript t;
  std::ifstream in(path);
  std::string line;
  int number = 0;
  auto current = [&]() -> Step& { return t.steps.back(); };
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("C: ", 0) == 0 || line == "C:") {
      std::string text = line.size() > 3 ? line.substr(3) : "";
      if (t.steps.empty() || current().kind != Step::Kind::send || !current().expected.empty())
        t.steps.push_back({Step::Kind::send, "", "", number});
      current().input += text + "\r\n";
    } else if (line.rfind("S: ", 0) == 0 || line == "S:") {
      if (t.steps.empty() || current().kind != Step::Kind::send)
        t.steps.push_back({Step::Kind::send, "", "", number});
      current().expected += (line.size() > 3 ? line.substr(3) : "") + "\r\n";
    } else if (line.rfind("! ", 0) == 0) {
      std::istringstream ss(line.substr(2));
      std::string key, rest;
      ss >> key;
      std::getline(ss, rest);
      if (!rest.empty() && rest[0] == ' ') rest.erase(0, 1);
      if (key == "tls:")
        t.options.tls_active = rest == "implicit";
      else if (key == "starttls:")
        t.options.starttls_available = rest == "on";
      else if (key == "max_bad_commands:")
        t.options.max_bad_commands = static_cast<std::uint32_t>(std::stoul(rest));
      else if (key == "append_limit:")
        t.options.append_limit = std::stoull(rest);
      else if (key == "memory-only")
        t.memory_only = true;
      else if (key == "changed")
        t.steps.push_back({Step::Kind::changed, "", "", number});
      else if (key == "deliver:")
        t.steps.push_back({Step::Kind::deliver, rest, "", number});
      else if (key == "session:")
        t.steps.push_back({Step::Kind::session, rest, "", number});
      else
        ADD_FAILURE() << path << ":" << number << ": unknown directive " << line;
    }
    // anything else is prose
  }
  return t;
}

std::vector<std::filesystem::path> transcripts() {
  return estafeta::testing::transcript_files(std::filesystem::path(ESTAFETA_SOURCE_DIR) /
                                             "tests/transcripts/imap");
}

void check(const std::string& expected, const std::string& actual, const std::string& where) {
  estafeta::testing::check_transcript_output(expected, actual, where);
}

void replay(const std::filesystem::path& path, bool byte_by_byte,
            std::shared_ptr<store::Store> store = store::make_memory_store()) {
  SCOPED_TRACE(path.filename().string() + (byte_by_byte ? " (byte by byte)" : ""));
  Transcript t = load(path);
  ASSERT_FALSE(t.steps.empty());
  struct Open {
    std::unique_ptr<testing::Driver> driver;
    std::string pending;  // output not yet compared with S: lines
  };
  std::map<std::string, Open> sessions;
  auto recent = std::make_shared<RecentClaims>();  // one server: one \Recent registry
  auto open = [&](const std::string& name) {
    auto& s = sessions[name];
    if (!s.driver) {
      Limits limits;
      limits.append_limit = t.options.append_limit;  // as the server sets it
      s.driver = std::make_unique<testing::Driver>(t.options, store, limits, recent);
      s.pending += s.driver->start();
    }
    return &s;
  };
  Open* current = open("a");
  for (const auto& step : t.steps) {
    std::string where = path.filename().string() + ":" + std::to_string(step.line);
    switch (step.kind) {
      case Step::Kind::send:
        if (!byte_by_byte) {
          current->pending += current->driver->send(step.input);
        } else {
          for (char c : step.input)
            current->pending += current->driver->send(std::string_view(&c, 1));
        }
        check(step.expected, current->pending, where);
        current->pending.clear();
        break;
      case Step::Kind::changed:
        for (auto& [name, s] : sessions) s.pending += s.driver->changed();
        break;
      case Step::Kind::deliver: {
        auto space = step.input.find(' ');
        std::string box = step.input.substr(0, space);
        std::string subject = space == std::string::npos ? "" : step.input.substr(space + 1);
        std::string msg =
            "From: Bob <bob@example.org>\r\nTo: alice@example.org\r\nSubject: " + subject +
            "\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\nMessage-ID: <" +
            std::to_string(step.line) + "@example.org>\r\n\r\nHello " + subject + ".\r\n";
        store::NewMessage m;
        m.bytes = msg;
        m.internal_date = 1796000000;
        store::AppendResult r;
        EXPECT_FALSE(current->driver->account("alice@example.org")->deliver(box, m, "", false, r))
            << where;
        break;
      }
      case Step::Kind::session:
        current = open(step.input);
        break;
    }
  }
  for (auto& [name, s] : sessions)
    check("", s.pending, path.filename().string() + ": output of session " + name + " at the end");
}

TEST(ImapTranscript, ReplayEachWrite) {
  auto files = transcripts();
  EXPECT_GE(files.size(), 1u);
  for (const auto& f : files) replay(f, false);
}

TEST(ImapTranscript, ReplayByteByByte) {
  for (const auto& f : transcripts()) replay(f, true);
}

// The same dialogues on the embedded backend (Maildir + SQLite in a temporary directory): the
// session must not depend on which store is behind the interface.
TEST(ImapTranscript, ReplayOnMaildirStore) {
  for (const auto& f : transcripts()) {
    auto dir = std::filesystem::temp_directory_path() /
               ("estafeta-imap-transcript-" + std::to_string(::getpid()) + "-" + f.stem().string());
    if (load(f).memory_only) continue;
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    replay(f, false, store::make_maildir_store(store::MaildirStoreOptions{dir, 4, false}));
    std::filesystem::remove_all(dir);
  }
}

}  // namespace
}  // namespace estafeta::imap
