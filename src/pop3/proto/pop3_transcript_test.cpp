// pop3_transcript_test: replays the POP3 dialogues of tests/transcripts/pop3/*.txt (format in
// that folder's README.md) through the session core (pop3_session_test_harness.hpp), once
// write by write and once byte by byte, on the in-memory store and on the embedded one
// (Maildir + SQLite in a temporary directory).
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
#include "pop3/proto/pop3_session_test_harness.hpp"
#include "store/store_maildir.hpp"

namespace estafeta::pop3 {
namespace {

struct Step {
  enum class Kind { send, deliver, session, drop, timeout, inbox };
  Kind kind = Kind::send;
  std::string input;     // send: client bytes; deliver: the message; session: its name
  std::string expected;  // server lines that must follow (CRLF-terminated)
  int line = 0;
};

struct Transcript {
  SessionOptions options = testing::tls_options();
  std::vector<Step> steps;
};

// C-like escapes in C:, S: and deliver-raw text: \r \n \0 \t \\ and \xHH.
std::string unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    char c = s[++i];
    if (c == 'r')
      out += '\r';
    else if (c == 'n')
      out += '\n';
    else if (c == '0')
      out += '\0';
    else if (c == 't')
      out += '\t';
    else if (c == 'x' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else
      out += c;
  }
  return out;
}

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
      std::string text = line.size() > 3 ? unescape(line.substr(3)) : "";
      if (t.steps.empty() || current().kind != Step::Kind::send || !current().expected.empty())
        t.steps.push_back({Step::Kind::send, "", "", number});
      current().input += text + "\r\n";
    } else if (line.rfind("S: ", 0) == 0 || line == "S:") {
      if (t.steps.empty() || current().kind != Step::Kind::send)
        t.steps.push_back({Step::Kind::send, "", "", number});
      current().expected += (line.size() > 3 ? unescape(line.substr(3)) : "") + "\r\n";
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
      else if (key == "plaintext:")
        t.options.allow_plaintext_auth = rest == "on";
      else if (key == "apop:")
        t.options = rest == "on" ? testing::with_apop(t.options) : t.options;
      else if (key == "retr_sets_seen:")
        t.options.retr_sets_seen = rest == "on";
      else if (key == "max_bad_commands:")
        t.options.max_bad_commands = static_cast<std::uint32_t>(std::stoul(rest));
      else if (key == "max_listed_messages:")
        t.options.max_listed_messages = static_cast<std::uint32_t>(std::stoul(rest));
      else if (key == "deliver:")
        t.steps.push_back({Step::Kind::deliver,
                           "From: Bob <bob@example.org>\r\nTo: alice@example.org\r\nSubject: " +
                               rest + "\r\n\r\nHello " + rest + ".\r\n",
                           "", number});
      else if (key == "deliver-raw:")
        t.steps.push_back({Step::Kind::deliver, unescape(rest), "", number});
      else if (key == "session:")
        t.steps.push_back({Step::Kind::session, rest, "", number});
      else if (key == "drop")
        t.steps.push_back({Step::Kind::drop, "", "", number});
      else if (key == "timeout")
        t.steps.push_back({Step::Kind::timeout, "", "", number});
      else if (key == "inbox:")
        t.steps.push_back({Step::Kind::inbox, rest, "", number});
      else
        ADD_FAILURE() << path << ":" << number << ": unknown directive " << line;
    }
    // anything else is prose
  }
  return t;
}

std::vector<std::filesystem::path> transcripts() {
  return estafeta::testing::transcript_files(std::filesystem::path(ESTAFETA_SOURCE_DIR) /
                                             "tests/transcripts/pop3");
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
  auto locks = std::make_shared<testing::Locks>();  // one server: one set of maildrop locks
  auto open = [&](const std::string& name) {
    auto& s = sessions[name];
    if (!s.driver || !s.driver->alive()) {
      s.driver = std::make_unique<testing::Driver>(t.options, store, locks);
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
      case Step::Kind::deliver: {
        store::NewMessage m;
        m.bytes = step.input;
        m.internal_date = 1796000000;
        store::AppendResult r;
        EXPECT_FALSE(
            current->driver->account("alice@example.org")->deliver("INBOX", m, "", false, r))
            << where;
        break;
      }
      case Step::Kind::session:
        current = open(step.input);
        break;
      case Step::Kind::drop:
        current->driver->drop();
        break;
      case Step::Kind::timeout:
        current->pending += current->driver->timed_out();
        break;
      case Step::Kind::inbox: {
        auto a = current->driver->account("alice@example.org");
        store::MailboxInfo info;
        std::vector<store::MessageInfo> messages;
        EXPECT_FALSE(a->find("INBOX", info)) << where;
        EXPECT_FALSE(a->snapshot(info.id, info, messages)) << where;
        std::string seen;
        for (const auto& m : messages) seen += (m.flags.system & store::kSeen) ? "S" : "-";
        // "N" or "N FLAGS" where FLAGS has one S (\Seen) or - per message.
        std::string got = std::to_string(messages.size());
        if (step.input.find(' ') != std::string::npos) got += " " + seen;
        EXPECT_EQ(got, step.input) << where;
        break;
      }
    }
  }
  for (auto& [name, s] : sessions)
    check("", s.pending, path.filename().string() + ": output of session " + name + " at the end");
}

TEST(Pop3Transcript, ReplayEachWrite) {
  auto files = transcripts();
  EXPECT_GE(files.size(), 1u);
  for (const auto& f : files) replay(f, false);
}

TEST(Pop3Transcript, ReplayByteByByte) {
  for (const auto& f : transcripts()) replay(f, true);
}

TEST(Pop3Transcript, ReplayOnMaildirStore) {
  for (const auto& f : transcripts()) {
    auto dir = std::filesystem::temp_directory_path() /
               ("estafeta-pop3-transcript-" + std::to_string(::getpid()) + "-" + f.stem().string());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    replay(f, false, store::make_maildir_store(store::MaildirStoreOptions{dir, 4, false}));
    std::filesystem::remove_all(dir);
  }
}

}  // namespace
}  // namespace estafeta::pop3
