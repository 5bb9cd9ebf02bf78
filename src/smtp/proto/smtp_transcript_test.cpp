// smtp_transcript_test: replays the Markdown dialogues of tests/transcripts/smtp/ through the
// server core (format in that folder's README.md), once write by write and once byte by byte.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "smtp/proto/smtp_test_harness.hpp"

namespace estafeta::smtp {
namespace {

struct Step {
  std::string input;     // client lines sent in one write
  std::string expected;  // server lines that must follow
};

struct Transcript {
  SessionInfo info = testing::mx_info();
  Limits limits;
  std::string greeting;
  std::vector<Step> steps;
};

bool set_limit(Limits& l, const std::string& name, std::size_t v) {
  if (name == "max_command_line")
    l.max_command_line = v;
  else if (name == "max_line_length")
    l.max_line_length = v;
  else if (name == "max_message_size")
    l.max_message_size = v;
  else if (name == "max_recipients")
    l.max_recipients = v;
  else if (name == "max_errors")
    l.max_errors = v;
  else if (name == "max_received_headers")
    l.max_received_headers = v;
  else if (name == "max_auth_failures")
    l.max_auth_failures = v;
  else
    return false;
  return true;
}

Transcript load(const std::filesystem::path& path) {
  Transcript t;
  std::ifstream in(path);
  std::string line;
  bool in_client = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("<!--", 0) == 0) {
      std::string body = line.substr(4, line.find("-->") - 4);
      std::istringstream ss(body);
      std::string key, value;
      ss >> key >> value;
      if (key == "mode:") {
        t.info.mode = value == "submission"    ? ListenerMode::submission
                      : value == "submissions" ? ListenerMode::submissions
                                               : ListenerMode::mx;
      } else if (key == "tls:" && value == "implicit") {
        t.info.tls_active = true;
        t.info.tls_version = "TLSv1.3";
        t.info.tls_cipher = "TLS_AES_256_GCM_SHA384";
      } else if (key == "loopback-auth:") {
        t.info.peer_is_loopback = true;
        t.info.allow_plain_auth_on_loopback = value == "on";
      } else if (key == "limit:") {
        auto eq = value.find('=');
        EXPECT_TRUE(set_limit(t.limits, value.substr(0, eq), std::stoul(value.substr(eq + 1))))
            << path << ": " << line;
      } else {
        ADD_FAILURE() << path << ": unknown directive " << line;
      }
      continue;
    }
    bool client = line == "C:" || line.rfind("C: ", 0) == 0;
    bool server = line.rfind("S: ", 0) == 0;
    if (client) {
      if (!in_client || t.steps.empty()) t.steps.push_back(Step{});
      if (!in_client && !t.steps.back().input.empty()) t.steps.push_back(Step{});
      t.steps.back().input += (line.size() > 3 ? line.substr(3) : std::string()) + "\r\n";
      in_client = true;
    } else if (server) {
      std::string out = line.substr(3) + "\r\n";
      if (t.steps.empty())
        t.greeting += out;
      else
        t.steps.back().expected += out;
      in_client = false;
    }
  }
  return t;
}

std::vector<std::filesystem::path> transcripts() {
  std::vector<std::filesystem::path> out;
  std::filesystem::path dir = std::filesystem::path(ESTAFETA_SOURCE_DIR) / "tests/transcripts/smtp";
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".md" && e.path().filename() != "README.md")
      out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

void replay(const std::filesystem::path& path, bool byte_by_byte) {
  SCOPED_TRACE(path.filename().string() + (byte_by_byte ? " (byte by byte)" : ""));
  Transcript t = load(path);
  ASSERT_FALSE(t.steps.empty());
  testing::Harness h(t.info, t.limits);
  h.start();
  EXPECT_EQ(h.take(), t.greeting);
  for (const auto& step : t.steps) {
    if (!byte_by_byte) {
      h.feed(step.input);
    } else {
      int tls_before = h.tls_handshakes;
      for (char c : step.input) {
        // What follows STARTTLS in the same write never reaches the core as cleartext after
        // the handshake: the TLS layer would read it as (broken) records.
        if (h.tls_handshakes != tls_before) break;
        h.feed(std::string_view(&c, 1));
      }
    }
    EXPECT_EQ(h.take(), step.expected) << "after sending:\n" << step.input;
  }
}

TEST(SmtpTranscript, ReplayEachWrite) {
  auto files = transcripts();
  EXPECT_GE(files.size(), 4u);
  for (const auto& f : files) replay(f, false);
}

TEST(SmtpTranscript, ReplayByteByByte) {
  for (const auto& f : transcripts()) replay(f, true);
}

}  // namespace
}  // namespace estafeta::smtp
