// mua_imap_client_test: the blocking IMAP client against a scripted server behind an
// in-memory Connection: greeting, STARTTLS required, cleartext login refused, AUTHENTICATE
// PLAIN with and without SASL-IR, LOGIN, ENABLE UTF8=ACCEPT, LIST with SPECIAL-USE, SELECT
// of a missing mailbox, UID SEARCH (SEARCH and ESEARCH), fetch_message, MOVE and its
// fallbacks, APPEND with a synchronizing literal and TRYCREATE, IDLE and the NOOP fallback.
#include "mua/mua_imap_client.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>

#include "base/base64.hpp"

namespace estafeta::mua {
namespace {

// The server side: each complete command (with its literals inlined) goes to `handler`,
// which returns what the server answers. A synchronizing literal gets "+ go" first.
class FakeConnection final : public Connection {
 public:
  using Handler = std::function<std::string(const std::string& tag, const std::string& rest)>;
  FakeConnection(std::string greeting, Handler handler, bool secure, bool loopback)
      : out_(std::move(greeting)),
        handler_(std::move(handler)),
        secure_(secure),
        loopback_(loopback) {}

  Result<bool> start_tls() override {
    secure_ = true;
    ++handshakes;
    return true;
  }
  bool secure() const override { return secure_; }
  bool peer_is_loopback() const override { return loopback_; }
  const std::string& peer() const override { return peer_; }
  Result<bool> write(std::string_view bytes) override {
    if (closed_) return PeerError{0, "", "closed"};
    in_ += bytes;
    log += bytes;
    process();
    return true;
  }
  Result<std::string> read_some(std::size_t max) override {
    timed_out_ = false;
    if (out_.empty()) {
      if (!later.empty()) {  // the server speaks on its own (IDLE)
        out_ = later.front();
        later.pop_front();
      } else {
        return PeerError{0, "", "read timed out (the script has nothing more)"};
      }
    }
    std::string chunk = out_.substr(0, std::min<std::size_t>(max, 7));  // small pieces
    out_.erase(0, chunk.size());
    return chunk;
  }
  Result<std::string> read_for(std::chrono::milliseconds, std::size_t max) override {
    if (out_.empty() && later.empty()) {
      timed_out_ = true;
      return std::string();
    }
    return read_some(max);
  }
  bool timed_out() const override { return timed_out_; }
  void close() override { closed_ = true; }

  std::string log;
  std::deque<std::string> later;  // unsolicited server output, one piece per empty read
  int handshakes = 0;

 private:
  void process() {
    for (;;) {
      if (literal_left_ > 0) {
        const std::size_t take = std::min(literal_left_, in_.size());
        command_ += in_.substr(0, take);
        in_.erase(0, take);
        literal_left_ -= take;
        if (literal_left_ > 0) return;
      }
      const std::size_t nl = in_.find("\r\n");
      if (nl == std::string::npos) return;
      std::string line = in_.substr(0, nl);
      in_.erase(0, nl + 2);
      command_ += line;
      // A literal marker at the end of the line?
      if (!line.empty() && line.back() == '}') {
        const std::size_t open = line.rfind('{');
        std::string n = line.substr(open + 1, line.size() - open - 2);
        const bool sync = n.empty() || n.back() != '+';
        if (!sync) n.pop_back();
        literal_left_ = std::stoul(n);
        command_ += "\r\n";
        if (sync) out_ += "+ go\r\n";
        continue;
      }
      std::string cmd = std::move(command_);
      command_.clear();
      const std::size_t sp = cmd.find(' ');
      if (cmd == "DONE" || cmd.find(' ') == std::string::npos) {
        out_ += handler_("", cmd);
      } else {
        out_ += handler_(cmd.substr(0, sp), cmd.substr(sp + 1));
      }
    }
  }

  std::string out_;
  std::string in_;
  std::string command_;
  std::size_t literal_left_ = 0;
  Handler handler_;
  bool secure_;
  bool loopback_;
  bool timed_out_ = false;
  bool closed_ = false;
  std::string peer_ = "192.0.2.1";
};

// A tiny IMAP server: responses keyed by the command text after the tag.
struct Script {
  std::map<std::string, std::string> answers;   // command -> untagged lines (without tag line)
  std::map<std::string, std::string> refusals;  // command -> "NO [CODE] text"
  std::vector<std::string> seen;
  std::string operator()(const std::string& tag, const std::string& rest) {
    seen.push_back(rest);
    if (tag.empty()) return answers.count(rest) ? answers[rest] : "";
    if (refusals.count(rest)) {
      std::string r = tag + " " + refusals[rest] + "\r\n";
      refusals.erase(rest);  // once
      return r;
    }
    auto it = answers.find(rest);
    if (it == answers.end()) return tag + " BAD unexpected command " + rest + "\r\n";
    if (rest == "IDLE") return it->second;  // completed by DONE
    return it->second + tag + " OK done\r\n";
  }
};

const std::string kCaps = "IMAP4rev1 AUTH=PLAIN SASL-IR LITERAL+ MOVE UIDPLUS IDLE ESEARCH";

std::unique_ptr<ImapClient> started(Script& script, std::string greeting, bool secure,
                                    bool loopback, bool starttls, FakeConnection** raw = nullptr) {
  auto conn = std::make_unique<FakeConnection>(
      std::move(greeting),
      [&script](const std::string& t, const std::string& r) { return script(t, r); }, secure,
      loopback);
  if (raw) *raw = conn.get();
  auto c = ImapClient::start(std::move(conn), starttls);
  EXPECT_TRUE(c) << c.error().text;
  return c ? std::move(*c) : nullptr;
}

TEST(MuaImapClient, StartTlsForgetsCleartextCapabilities) {
  FakeConnection* raw = nullptr;
  auto conn = std::make_unique<FakeConnection>(
      "* OK hello\r\n",
      [&raw](const std::string& tag, const std::string& rest) -> std::string {
        if (rest == "CAPABILITY")
          return std::string("* CAPABILITY IMAP4rev1 ") +
                 (raw->secure() ? "AUTH=PLAIN SASL-IR" : "STARTTLS LOGINDISABLED") + "\r\n" + tag +
                 " OK\r\n";
        if (rest == "STARTTLS") return tag + " OK begin TLS\r\n";
        if (rest.rfind("AUTHENTICATE PLAIN ", 0) == 0) return tag + " OK welcome\r\n";
        return tag + " BAD\r\n";
      },
      false, false);
  raw = conn.get();
  auto c = ImapClient::start(std::move(conn), true);
  ASSERT_TRUE(c) << c.error().text;
  EXPECT_EQ(raw->handshakes, 1);
  EXPECT_FALSE((*c)->has_capability("LOGINDISABLED"));
  EXPECT_FALSE((*c)->has_capability("STARTTLS"));
  auto ok = (*c)->login("alice", "secret");
  ASSERT_TRUE(ok) << ok.error().text;
  const std::string b64 = base64::encode(std::string("\0alice\0secret", 13));
  EXPECT_NE(raw->log.find("AUTHENTICATE PLAIN " + b64 + "\r\n"), std::string::npos) << raw->log;
}

TEST(MuaImapClient, LoginPlainEnablesUtf8) {
  Script s;
  const std::string b64 = base64::encode(std::string("\0alice\0secret", 13));
  s.answers["AUTHENTICATE PLAIN " + b64] = "";
  s.answers["CAPABILITY"] = "* CAPABILITY " + kCaps + " UTF8=ACCEPT\r\n";
  s.answers["ENABLE UTF8=ACCEPT"] = "* ENABLED UTF8=ACCEPT\r\n";
  auto c = started(s, "* OK [CAPABILITY " + kCaps + " UTF8=ACCEPT] hi\r\n", true, false, false);
  ASSERT_TRUE(c);
  auto ok = c->login("alice", "secret");
  ASSERT_TRUE(ok) << ok.error().text;
  EXPECT_TRUE(c->utf8_enabled());
}

TEST(MuaImapClient, PlainWithoutSaslIrAndLoginFallback) {
  const std::string b64 = base64::encode(std::string("\0bob\0pw", 7));
  std::string auth_tag;
  FakeConnection* raw = nullptr;
  auto conn = std::make_unique<FakeConnection>(
      "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hi\r\n",
      [&](const std::string& tag, const std::string& rest) -> std::string {
        if (rest == "AUTHENTICATE PLAIN") {
          auth_tag = tag;
          return "+ \r\n";
        }
        if (tag.empty() && rest == b64) return auth_tag + " OK [CAPABILITY IMAP4rev1] in\r\n";
        return tag + " BAD\r\n";
      },
      true, false);
  raw = conn.get();
  auto c = ImapClient::start(std::move(conn), false);
  ASSERT_TRUE(c);
  auto ok = (*c)->login("bob", "pw");
  ASSERT_TRUE(ok) << ok.error().text;
  EXPECT_NE(raw->log.find("AUTHENTICATE PLAIN\r\n" + b64 + "\r\n"), std::string::npos) << raw->log;

  Script l;
  l.answers["LOGIN carol \"p w\\\"\""] = "";
  l.answers["CAPABILITY"] = "* CAPABILITY IMAP4rev1\r\n";
  auto c2 = started(l, "* OK [CAPABILITY IMAP4rev1] hi\r\n", true, false, false);
  ASSERT_TRUE(c2);
  ok = c2->login("carol", "p w\"");
  ASSERT_TRUE(ok) << ok.error().text;
}

TEST(MuaImapClient, CleartextLoginRefusedExceptLoopback) {
  Script s;
  s.answers["CAPABILITY"] = "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n";
  auto c = started(s, "* OK hi\r\n", false, false, false);
  ASSERT_TRUE(c);
  auto r = c->login("alice", "secret");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().text.find("refusing to send the password"), std::string::npos);
  for (const auto& cmd : s.seen) EXPECT_EQ(cmd.find("AUTHENTICATE"), std::string::npos);

  Script l;
  l.answers["CAPABILITY"] = "* CAPABILITY IMAP4rev1\r\n";
  l.answers["LOGIN alice secret"] = "";
  auto c2 = started(l, "* OK hi\r\n", false, true, false);
  ASSERT_TRUE(c2);
  EXPECT_TRUE(c2->login("alice", "secret"));
}

TEST(MuaImapClient, StartTlsMissingIsAnError) {
  Script s;
  s.answers["CAPABILITY"] = "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n";
  auto conn = std::make_unique<FakeConnection>(
      "* OK hi\r\n", [&s](const std::string& t, const std::string& r) { return s(t, r); }, false,
      false);
  auto c = ImapClient::start(std::move(conn), true);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().text.find("does not offer STARTTLS"), std::string::npos);
}

TEST(MuaImapClient, NotAnImapServerOrGoneIsAClearError) {
  Script s;
  auto http = std::make_unique<FakeConnection>(
      "HTTP/1.1 400 Bad Request\r\n",
      [&s](const std::string& t, const std::string& r) { return s(t, r); }, true, false);
  auto c = ImapClient::start(std::move(http), false);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().text.find("bad response"), std::string::npos) << c.error().text;

  auto smtp = std::make_unique<FakeConnection>(
      "* BYE too many connections\r\n",
      [&s](const std::string& t, const std::string& r) { return s(t, r); }, true, false);
  c = ImapClient::start(std::move(smtp), false);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().text, "the IMAP server refused the connection: too many connections");

  // The server says BYE and goes away in the middle of a command.
  auto bye = std::make_unique<FakeConnection>(
      "* OK [CAPABILITY IMAP4rev1] hi\r\n",
      [](const std::string&, const std::string&) -> std::string {
        return "* BYE shutting down\r\n";
      },
      true, false);
  auto c2 = ImapClient::start(std::move(bye), false);
  ASSERT_TRUE(c2);
  auto r = (*c2)->select("INBOX");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().text.find("BYE shutting down"), std::string::npos) << r.error().text;
}

TEST(MuaImapClient, AlertsAreKeptForTheUser) {
  Script s;
  s.answers["NOOP"] = "* OK [ALERT] System shutdown in 10 minutes\r\n";
  auto c = started(s, "* OK [CAPABILITY IMAP4rev1] hi\r\n", true, false, false);
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->noop());
  EXPECT_EQ(c->take_alerts(), std::vector<std::string>{"System shutdown in 10 minutes"});
  EXPECT_TRUE(c->take_alerts().empty());
}

TEST(MuaImapClient, WrongPasswordCarriesTheCode) {
  Script s;
  s.refusals["LOGIN alice wrong"] = "NO [AUTHENTICATIONFAILED] Invalid credentials";
  auto c = started(s, "* OK [CAPABILITY IMAP4rev1] hi\r\n", true, false, false);
  ASSERT_TRUE(c);
  auto r = c->login("alice", "wrong");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().enhanced, "AUTHENTICATIONFAILED");
  EXPECT_NE(r.error().text.find("login as alice failed"), std::string::npos) << r.error().text;
  EXPECT_NE(r.error().text.find("Invalid credentials"), std::string::npos);
}

TEST(MuaImapClient, ListSelectSearchFetch) {
  Script s;
  s.answers["LIST \"\" \"*\""] =
      "* LIST (\\HasNoChildren) \"/\" INBOX\r\n"
      "* LIST (\\HasNoChildren \\Trash) \"/\" \"Deleted Items\"\r\n"
      "* LIST (\\Noselect) \"/\" \"Entw&APw-rfe\"\r\n";
  s.answers["SELECT INBOX"] = "* 3 EXISTS\r\n* OK [UIDVALIDITY 77] v\r\n* OK [UIDNEXT 9] n\r\n";
  s.refusals["SELECT Nope"] = "NO [NONEXISTENT] Mailbox does not exist";
  s.answers["UID SEARCH RETURN (ALL) UNSEEN"] = "* ESEARCH (TAG \"e5\") UID ALL 3:4,8\r\n";
  s.answers["UID SEARCH RETURN (ALL) FROM \"bob\""] = "* SEARCH 8 3\r\n";
  s.answers["UID FETCH 8 (UID FLAGS INTERNALDATE BODY.PEEK[])"] =
      "* 3 FETCH (UID 8 FLAGS (\\Seen) INTERNALDATE \"02-Dec-2026 09:00:00 +0000\" BODY[] {12}\r\n"
      "Subject: x\r\n)\r\n";
  s.answers["UID FETCH 5 (UID FLAGS INTERNALDATE BODY.PEEK[])"] = "";
  auto c = started(s, "* OK [CAPABILITY " + kCaps + "] hi\r\n", true, false, false);
  ASSERT_TRUE(c);
  auto boxes = c->list();
  ASSERT_TRUE(boxes) << boxes.error().text;
  ASSERT_EQ(boxes->size(), 3u);
  EXPECT_EQ((*boxes)[2].name, "Entw\xc3\xbcrfe");
  auto trash = c->find_special("\\Trash");
  ASSERT_TRUE(trash);
  ASSERT_TRUE(*trash);
  EXPECT_EQ((*trash)->name, "Deleted Items");
  auto sel = c->select("Nope");
  ASSERT_FALSE(sel);
  EXPECT_NE(sel.error().text.find("there is no mailbox \"Nope\""), std::string::npos);
  sel = c->select("inbox");
  ASSERT_TRUE(sel) << sel.error().text;
  EXPECT_EQ(sel->exists, 3u);
  EXPECT_EQ(sel->uidvalidity, 77u);
  EXPECT_EQ(sel->uidnext, 9u);
  auto unseen = c->uid_search({{false, "UNSEEN"}});
  ASSERT_TRUE(unseen) << unseen.error().text;
  EXPECT_EQ(*unseen, (std::vector<std::uint32_t>{3, 4, 8}));
  SearchQuery q;
  std::string e;
  ASSERT_TRUE(parse_search_query("from:bob", q, e));
  auto from = c->uid_search(q);
  ASSERT_TRUE(from) << from.error().text;
  EXPECT_EQ(*from, (std::vector<std::uint32_t>{3, 8}));
  auto m = c->fetch_message(8);
  ASSERT_TRUE(m) << m.error().text;
  EXPECT_EQ(m->bytes, "Subject: x\r\n");
  EXPECT_EQ(m->flags, std::vector<std::string>{"\\Seen"});
  auto missing = c->fetch_message(5);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().text, "there is no message with UID 5 in \"inbox\"");
}

TEST(MuaImapClient, ListWithCountsInOneCommandOrOnePerMailbox) {
  Script s;
  s.answers["LIST \"\" \"*\" RETURN (SPECIAL-USE STATUS (MESSAGES UNSEEN))"] =
      "* LIST () \"/\" INBOX\r\n* STATUS INBOX (MESSAGES 3 UNSEEN 1)\r\n"
      "* LIST (\\Noselect) \"/\" Lists\r\n"
      "* LIST (\\Sent) \"/\" \"Sent Items\"\r\n* STATUS \"Sent Items\" (MESSAGES 7 UNSEEN 0)\r\n";
  auto c = started(s, "* OK [CAPABILITY IMAP4rev1 LIST-EXTENDED LIST-STATUS SPECIAL-USE] hi\r\n",
                   true, false, false);
  ASSERT_TRUE(c);
  auto boxes = c->list_with_counts();
  ASSERT_TRUE(boxes) << boxes.error().text;
  ASSERT_EQ(boxes->size(), 3u);
  EXPECT_EQ((*boxes)[0].status->messages, 3u);
  EXPECT_FALSE((*boxes)[1].status);
  EXPECT_EQ((*boxes)[2].mailbox.name, "Sent Items");
  EXPECT_EQ((*boxes)[2].status->messages, 7u);
  EXPECT_EQ(s.seen.size(), 1u);  // one round trip

  Script p;
  p.answers["LIST \"\" \"*\""] = "* LIST () \"/\" INBOX\r\n* LIST (\\Noselect) \"/\" Lists\r\n";
  p.answers["STATUS INBOX (MESSAGES UNSEEN UIDNEXT UIDVALIDITY)"] =
      "* STATUS INBOX (MESSAGES 2 UNSEEN 2 UIDNEXT 3 UIDVALIDITY 1)\r\n";
  auto c2 = started(p, "* OK [CAPABILITY IMAP4rev1] hi\r\n", true, false, false);
  ASSERT_TRUE(c2);
  boxes = c2->list_with_counts();
  ASSERT_TRUE(boxes) << boxes.error().text;
  ASSERT_EQ(boxes->size(), 2u);
  EXPECT_EQ((*boxes)[0].status->unseen, 2u);
  EXPECT_FALSE((*boxes)[1].status);  // \Noselect: not asked
  EXPECT_EQ(p.seen.size(), 2u);
}

TEST(MuaImapClient, MoveAndItsFallbacks) {
  Script s;
  s.answers["UID MOVE 4 Archive"] = "";
  s.refusals["UID MOVE 5 Nope"] = "NO [TRYCREATE] no such mailbox";
  auto c = started(s, "* OK [CAPABILITY " + kCaps + "] hi\r\n", true, false, false);
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->uid_move("4", "Archive"));
  auto r = c->uid_move("5", "Nope");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().text.find("there is no mailbox \"Nope\""), std::string::npos);

  // No MOVE, UIDPLUS: COPY, STORE, UID EXPUNGE.
  Script p;
  p.answers["UID COPY 4 Archive"] = "";
  p.answers["UID STORE 4 +FLAGS.SILENT (\\Deleted)"] = "";
  p.answers["UID EXPUNGE 4"] = "* 2 EXPUNGE\r\n";
  auto c2 = started(p, "* OK [CAPABILITY IMAP4rev1 UIDPLUS] hi\r\n", true, false, false);
  ASSERT_TRUE(c2);
  auto moved = c2->uid_move("4", "Archive");
  ASSERT_TRUE(moved) << moved.error().text;

  // Neither: EXPUNGE only when no other message is \Deleted.
  Script n;
  n.answers["UID COPY 4 Archive"] = "";
  n.answers["UID STORE 4 +FLAGS.SILENT (\\Deleted)"] = "";
  n.answers["UID SEARCH DELETED"] = "* SEARCH 4\r\n";
  n.answers["EXPUNGE"] = "* 2 EXPUNGE\r\n";
  auto c3 = started(n, "* OK [CAPABILITY IMAP4rev1] hi\r\n", true, false, false);
  ASSERT_TRUE(c3);
  moved = c3->uid_move("4", "Archive");
  ASSERT_TRUE(moved) << moved.error().text;
  n.answers["UID COPY 6 Archive"] = "";
  n.answers["UID STORE 6 +FLAGS.SILENT (\\Deleted)"] = "";
  n.answers["UID SEARCH DELETED"] = "* SEARCH 2 6\r\n";
  moved = c3->uid_move("6", "Archive");
  ASSERT_FALSE(moved);
  EXPECT_NE(moved.error().text.find("left marked \\Deleted"), std::string::npos);
}

TEST(MuaImapClient, AppendWithSyncLiteralAndTryCreate) {
  Script s;
  const std::string msg = "From: a@b\r\n\r\nhi\r\n";
  const std::string cmd = "APPEND Sent (\\Seen) {17}\r\n" + msg;
  s.refusals[cmd] = "NO [TRYCREATE] Mailbox does not exist";
  s.answers["CREATE Sent"] = "";
  s.answers[cmd] = "";
  FakeConnection* raw = nullptr;
  auto c = started(s, "* OK [CAPABILITY IMAP4rev1 UIDPLUS] hi\r\n", true, false, false, &raw);
  ASSERT_TRUE(c);
  auto r = c->append("Sent", msg);
  ASSERT_TRUE(r) << r.error().text;
  EXPECT_EQ(std::count(s.seen.begin(), s.seen.end(), cmd), 2);
  // The literal's bytes went only after the server's "+".
  EXPECT_NE(raw->log.find("{17}\r\nFrom: a@b"), std::string::npos);
}

TEST(MuaImapClient, AppendUidIsReported) {
  // The tagged OK carries APPENDUID (RFC 4315 §3).
  auto conn = std::make_unique<FakeConnection>(
      "* OK [CAPABILITY IMAP4rev1 LITERAL+ UIDPLUS] hi\r\n",
      [](const std::string& tag, const std::string&) {
        return tag + " OK [APPENDUID 38505 3955] APPEND completed\r\n";
      },
      true, false);
  auto c2 = ImapClient::start(std::move(conn), false);
  ASSERT_TRUE(c2);
  auto r = (*c2)->append("Sent", "x\r\n");
  ASSERT_TRUE(r) << r.error().text;
  EXPECT_EQ(r->uidvalidity, 38505u);
  EXPECT_EQ(r->uid, 3955u);
}

TEST(MuaImapClient, IdleDeliversEventsAndEndsWithDone) {
  std::string idle_tag;
  FakeConnection* raw = nullptr;
  auto conn = std::make_unique<FakeConnection>(
      "* OK [CAPABILITY " + kCaps + "] hi\r\n",
      [&](const std::string& tag, const std::string& rest) -> std::string {
        if (rest == "IDLE") {
          idle_tag = tag;
          return "+ idling\r\n";
        }
        if (rest == "DONE") return "* 3 EXISTS\r\n" + idle_tag + " OK IDLE terminated\r\n";
        return tag + " BAD\r\n";
      },
      true, false);
  raw = conn.get();
  auto c = ImapClient::start(std::move(conn), false);
  ASSERT_TRUE(c);
  raw->later.push_back("* 4 EXISTS\r\n");
  raw->later.push_back("* 2 EXPUNGE\r\n");
  std::vector<IdleEvent> events;
  auto r = (*c)->idle(
      [&](const IdleEvent& e) {
        events.push_back(e);
        return events.size() < 2;
      },
      nullptr, std::chrono::seconds(5), std::chrono::milliseconds(10));
  ASSERT_TRUE(r) << r.error().text;
  ASSERT_EQ(events.size(), 2u);  // the EXISTS after DONE is noted, not delivered
  EXPECT_EQ(events[0].kind, IdleEvent::Kind::exists);
  EXPECT_EQ(events[0].number, 4u);
  EXPECT_EQ(events[1].kind, IdleEvent::Kind::expunge);
  EXPECT_EQ((*c)->selected().exists, 3u);
  EXPECT_NE(raw->log.find("IDLE\r\nDONE\r\n"), std::string::npos) << raw->log;
}

TEST(MuaImapClient, IdleEndsAtItsLimitAndNoopFallback) {
  std::string tag_of_idle;
  auto conn = std::make_unique<FakeConnection>(
      "* OK [CAPABILITY IMAP4rev1 IDLE] hi\r\n",
      [&](const std::string& tag, const std::string& rest) -> std::string {
        if (rest == "IDLE") {
          tag_of_idle = tag;
          return "+ idling\r\n";
        }
        if (rest == "DONE") return tag_of_idle + " OK IDLE done\r\n";
        return tag + " OK\r\n";
      },
      true, false);
  auto c = ImapClient::start(std::move(conn), false);
  ASSERT_TRUE(c);
  int calls = 0;
  auto r = (*c)->idle([&](const IdleEvent&) { return ++calls < 10; }, nullptr,
                      std::chrono::milliseconds(50), std::chrono::milliseconds(10));
  ASSERT_TRUE(r) << r.error().text;
  EXPECT_EQ(calls, 0);

  // Without IDLE: NOOP polling; an EXISTS in a NOOP answer is an event; stop() ends it.
  int noops = 0;
  auto conn2 = std::make_unique<FakeConnection>(
      "* OK [CAPABILITY IMAP4rev1] hi\r\n",
      [&](const std::string& tag, const std::string& rest) -> std::string {
        if (rest == "NOOP") return (++noops == 2 ? "* 7 EXISTS\r\n" : "") + tag + " OK\r\n";
        return tag + " BAD\r\n";
      },
      true, false);
  auto c2 = ImapClient::start(std::move(conn2), false);
  ASSERT_TRUE(c2);
  std::uint64_t seen = 0;
  r = (*c2)->idle(
      [&](const IdleEvent& e) {
        seen = e.number;
        return false;
      },
      nullptr, std::chrono::seconds(5), std::chrono::milliseconds(1));
  ASSERT_TRUE(r) << r.error().text;
  EXPECT_EQ(seen, 7u);
  EXPECT_EQ(noops, 2);
}

}  // namespace
}  // namespace estafeta::mua
