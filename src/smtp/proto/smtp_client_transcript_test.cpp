// smtp_client_transcript_test: replays the Markdown dialogues of tests/transcripts/smtp_client/
// through the SMTP client core (format in that folder's README.md), write by write and byte by
// byte, and checks the bytes sent, every recipient's result and how the connection ended.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "smtp/proto/smtp_client_test_harness.hpp"

namespace estafeta::smtp {
namespace {

using namespace client_testing;

std::string unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 >= s.size()) {
      out += s[i];
      continue;
    }
    char c = s[++i];
    if (c == 'r') {
      out += '\r';
    } else if (c == 'n') {
      out += '\n';
    } else if (c == 'x' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

// "key=value" words (a word without '=' is a flag with an empty value).
std::map<std::string, std::string> words(const std::string& s) {
  std::map<std::string, std::string> out;
  std::istringstream in(s);
  std::string w;
  while (in >> w) {
    auto eq = w.find('=');
    out[w.substr(0, eq)] = eq == std::string::npos ? "" : w.substr(eq + 1);
  }
  return out;
}

std::string_view outcome_name(RecipientOutcome o) {
  switch (o) {
    case RecipientOutcome::delivered:
      return "delivered";
    case RecipientOutcome::deferred:
      return "deferred";
    case RecipientOutcome::bounced:
      return "bounced";
    default:
      return "pending";
  }
}

std::string_view reason_name(CloseReason r) {
  switch (r) {
    case CloseReason::quit:
      return "quit";
    case CloseReason::greeting_refused:
      return "greeting_refused";
    case CloseReason::helo_refused:
      return "helo_refused";
    case CloseReason::tls_unavailable:
      return "tls_unavailable";
    case CloseReason::tls_failed:
      return "tls_failed";
    case CloseReason::auth_failed:
      return "auth_failed";
    case CloseReason::peer_closing:
      return "peer_closing";
    case CloseReason::protocol_error:
      return "protocol_error";
    case CloseReason::connection_lost:
      return "connection_lost";
    case CloseReason::timeout:
      return "timeout";
  }
  return "?";
}

struct Transcript {
  Script script;
  std::string dialogue;              // S:/C:/! lines
  std::vector<std::string> results;  // "T.N outcome reply"
  std::string end;                   // close reason
};

Transcript load(const std::filesystem::path& path) {
  Transcript t;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("<!--", 0) == 0) {
      std::string body = line.substr(4, line.find("-->") - 4);
      auto colon = body.find(':');
      std::string key = body.substr(0, colon);
      key.erase(0, key.find_first_not_of(' '));
      std::string value = colon == std::string::npos ? "" : body.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      value.erase(value.find_last_not_of(' ') + 1);
      ClientConfig& c = t.script.config;
      if (key == "starttls") {
        c.starttls = value == "required"        ? StartTlsPolicy::required
                     : value == "opportunistic" ? StartTlsPolicy::opportunistic
                                                : StartTlsPolicy::off;
      } else if (key == "tls" && value == "implicit") {
        c.tls_active = c.tls_verified = true;
      } else if (key == "auth") {
        auto sp = value.find(' ');
        c.credentials = ClientCredentials{value.substr(0, sp), value.substr(sp + 1)};
      } else if (key == "chunk") {
        t.script.chunk = std::stoul(value);
      } else if (key == "tx") {
        auto w = words(value);
        Job j;
        j.tx.mail_from = w["from"];
        j.tx.size = w.count("size") ? std::stoull(w["size"]) : 0;
        j.tx.eight_bit = w.count("8bit") > 0;
        j.tx.smtputf8 = w.count("smtputf8") > 0;
        j.tx.requiretls = w.count("requiretls") > 0;
        j.tx.ret = w["ret"];
        j.tx.envid = w["envid"];
        t.script.jobs.push_back(j);
      } else if (key == "rcpt" && !t.script.jobs.empty()) {
        auto sp = value.find(' ');
        auto w = words(sp == std::string::npos ? "" : value.substr(sp + 1));
        t.script.jobs.back().tx.recipients.push_back(
            ClientRecipient{value.substr(0, sp), w["notify"], w["orcpt"]});
      } else if (key == "body" && !t.script.jobs.empty()) {
        t.script.jobs.back().body = unescape(value);
      } else if (key == "downgrade" && !t.script.jobs.empty()) {
        auto b = value.find("body=");
        auto w = words(value.substr(0, b));
        ClientTransaction seven = t.script.jobs.back().tx;
        seven.eight_bit = false;
        seven.size = std::stoull(w["size"]);
        t.script.jobs.back().downgraded = {{seven, unescape(value.substr(b + 5))}};
      } else {
        ADD_FAILURE() << path << ": unknown directive " << line;
      }
    } else if (line.rfind("S:", 0) == 0 || line.rfind("C:", 0) == 0 || line.rfind("! ", 0) == 0) {
      t.dialogue += line + "\n";
    } else if (line.rfind("R: ", 0) == 0) {
      t.results.push_back(line.substr(3));
    } else if (line.rfind("E: ", 0) == 0) {
      t.end = line.substr(3);
    }
  }
  return t;
}

std::vector<std::filesystem::path> transcripts() {
  std::vector<std::filesystem::path> out;
  std::filesystem::path dir =
      std::filesystem::path(ESTAFETA_SOURCE_DIR) / "tests/transcripts/smtp_client";
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".md" && e.path().filename() != "README.md")
      out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(SmtpClientTranscript, Replay) {
  auto files = transcripts();
  EXPECT_GE(files.size(), 10u);
  for (const auto& f : files) {
    SCOPED_TRACE(f.filename().string());
    Transcript t = load(f);
    Outcome o = run(t.script, t.dialogue);  // both ways, compared
    std::vector<std::string> got;
    for (std::size_t i = 0; i < o.results.size(); ++i)
      for (std::size_t n = 0; n < o.results[i].recipients.size(); ++n) {
        const RecipientResult& r = o.results[i].recipients[n];
        got.push_back(std::to_string(i + 1) + "." + std::to_string(n + 1) + " " +
                      std::string(outcome_name(r.outcome)) + " " + r.reply());
      }
    EXPECT_EQ(got, t.results);
    ASSERT_TRUE(o.close) << "the connection did not end";
    EXPECT_EQ(reason_name(o.close->reason), t.end);
  }
}

}  // namespace
}  // namespace estafeta::smtp
