// Tests for mua_pop3_client: the dialogue step by step, dot-unstuffing, STLS, AUTH PLAIN vs
// USER/PASS, known UIDLs, delete after store, bounds, and input split at every octet.
#include "mua/proto/mua_pop3_client.hpp"

#include <gtest/gtest.h>

namespace estafeta::mua {
namespace {

// Drives a session: feeds `server` replies on demand, answers StartTls and Message events.
struct Driver {
  std::vector<std::string> sent;
  std::vector<Pop3Message> messages;
  std::optional<Pop3Done> done;
  bool store_ok = true;
  int tls = 0;

  void drain(Pop3ClientSession& s) {
    while (auto ev = s.next_event()) {
      if (auto* send = std::get_if<Pop3Send>(&*ev)) {
        sent.push_back(send->bytes);
      } else if (std::holds_alternative<Pop3StartTls>(*ev)) {
        ++tls;
        s.tls_started();
      } else if (auto* m = std::get_if<Pop3Message>(&*ev)) {
        messages.push_back(*m);
        s.stored(store_ok, store_ok ? "" : "disk full");
      } else if (auto* d = std::get_if<Pop3Done>(&*ev)) {
        done = *d;
      }
    }
  }
};

Pop3ClientConfig tls_config() {
  Pop3ClientConfig c;
  c.user = "alice";
  c.password = "pw";
  c.tls_active = true;
  return c;
}

const char* kCapa = "+OK\r\nUIDL\r\nSASL PLAIN LOGIN\r\n.\r\n";
const char* kUidl = "+OK\r\n1 aaa\r\n2 bbb\r\n.\r\n";
const char* kMsg1 = "+OK 30 octets\r\nSubject: one\r\n\r\n..dot line\r\n.\r\n";
const char* kMsg2 = "+OK\r\nSubject: two\r\n\r\nbody\r\n.\r\n";

TEST(Pop3Client, DownloadsWithAuthPlainAndDotUnstuffing) {
  Pop3ClientSession s(tls_config());
  Driver r;
  for (const char* reply :
       {"+OK ready\r\n", kCapa, "+OK logged in\r\n", kUidl, kMsg1, kMsg2, "+OK bye\r\n"}) {
    s.receive(reply);
    r.drain(s);
  }
  ASSERT_TRUE(r.done);
  EXPECT_TRUE(r.done->ok) << r.done->error;
  EXPECT_EQ(r.sent, (std::vector<std::string>{"CAPA\r\n", "AUTH PLAIN AGFsaWNlAHB3\r\n", "UIDL\r\n",
                                              "RETR 1\r\n", "RETR 2\r\n", "QUIT\r\n"}));
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[0].uidl, "aaa");
  EXPECT_EQ(r.messages[0].bytes, "Subject: one\r\n\r\n.dot line\r\n");
  EXPECT_EQ(r.done->downloaded, 2u);
  EXPECT_EQ(r.done->listed, 2u);
  EXPECT_EQ(r.done->server_uidls, (std::vector<std::string>{"aaa", "bbb"}));
}

TEST(Pop3Client, SplitAtEveryOctetGivesTheSameResult) {
  std::string all =
      std::string("+OK ready\r\n") + kCapa + "+OK\r\n" + kUidl + kMsg1 + kMsg2 + "+OK bye\r\n";
  Pop3ClientSession s(tls_config());
  Driver r;
  for (char c : all) {
    s.receive(std::string_view(&c, 1));
    r.drain(s);
  }
  ASSERT_TRUE(r.done);
  EXPECT_TRUE(r.done->ok) << r.done->error;
  EXPECT_EQ(r.messages.size(), 2u);
  // All at once (the server pipelined everything): the same.
  Pop3ClientSession s2(tls_config());
  Driver r2;
  s2.receive(all);
  r2.drain(s2);
  ASSERT_TRUE(r2.done);
  EXPECT_TRUE(r2.done->ok);
  EXPECT_EQ(r2.messages.size(), 2u);
}

TEST(Pop3Client, StlsThenUserPassAndKnownSkipped) {
  Pop3ClientConfig c;
  c.user = "alice";
  c.password = "pw";
  c.starttls = true;
  c.known = {"aaa"};
  Pop3ClientSession s(c);
  Driver r;
  for (const char* reply :
       {"+OK\r\n", "+OK\r\nSTLS\r\nUIDL\r\n.\r\n", "+OK begin TLS\r\n",
        "+OK\r\nUSER\r\nUIDL\r\n.\r\n", "+OK\r\n", "+OK\r\n", kUidl, kMsg2, "+OK\r\n"}) {
    s.receive(reply);
    r.drain(s);
  }
  ASSERT_TRUE(r.done);
  EXPECT_TRUE(r.done->ok) << r.done->error;
  EXPECT_EQ(r.tls, 1);
  EXPECT_EQ(r.sent,
            (std::vector<std::string>{"CAPA\r\n", "STLS\r\n", "CAPA\r\n", "USER alice\r\n",
                                      "PASS pw\r\n", "UIDL\r\n", "RETR 2\r\n", "QUIT\r\n"}));
  EXPECT_EQ(r.done->downloaded, 1u);
}

TEST(Pop3Client, NoPasswordWithoutTls) {
  Pop3ClientConfig c;
  c.user = "alice";
  c.password = "pw";
  Pop3ClientSession s(c);
  Driver r;
  s.receive("+OK\r\n+OK\r\nUSER\r\n.\r\n");
  r.drain(s);
  ASSERT_TRUE(r.done);
  EXPECT_FALSE(r.done->ok);
  EXPECT_NE(r.done->error.find("without TLS"), std::string::npos);
  for (const auto& line : r.sent) EXPECT_EQ(line.find("pw"), std::string::npos);
  // STLS required but not offered.
  c.starttls = true;
  Pop3ClientSession s2(c);
  Driver r2;
  s2.receive("+OK\r\n+OK\r\nUSER\r\n.\r\n");
  r2.drain(s2);
  ASSERT_TRUE(r2.done);
  EXPECT_NE(r2.done->error.find("does not offer STLS"), std::string::npos);
}

TEST(Pop3Client, DeleteOnlyAfterStoredAndKnownDeleted) {
  Pop3ClientConfig c = tls_config();
  c.delete_after = true;
  c.known = {"aaa"};
  Pop3ClientSession s(c);
  Driver r;
  for (const char* reply : {"+OK\r\n", kCapa, "+OK\r\n", kUidl, "+OK deleted\r\n", kMsg2,
                            "+OK deleted\r\n", "+OK bye\r\n"}) {
    s.receive(reply);
    r.drain(s);
  }
  ASSERT_TRUE(r.done);
  EXPECT_TRUE(r.done->ok) << r.done->error;
  EXPECT_EQ(r.sent,
            (std::vector<std::string>{"CAPA\r\n", "AUTH PLAIN AGFsaWNlAHB3\r\n", "UIDL\r\n",
                                      "DELE 1\r\n", "RETR 2\r\n", "DELE 2\r\n", "QUIT\r\n"}));
  EXPECT_EQ(r.done->deleted, 2u);
}

TEST(Pop3Client, StoreFailureStopsWithoutDele) {
  Pop3ClientConfig c = tls_config();
  c.delete_after = true;
  Pop3ClientSession s(c);
  Driver r;
  r.store_ok = false;
  for (const char* reply : {"+OK\r\n", kCapa, "+OK\r\n", kUidl, kMsg1, "+OK bye\r\n"}) {
    s.receive(reply);
    r.drain(s);
  }
  ASSERT_TRUE(r.done);
  EXPECT_FALSE(r.done->ok);
  EXPECT_NE(r.done->error.find("cannot store aaa: disk full"), std::string::npos);
  EXPECT_EQ(r.sent.back(), "QUIT\r\n");
  for (const auto& line : r.sent) EXPECT_EQ(line.rfind("DELE", 0), std::string::npos);
}

TEST(Pop3Client, Refusals) {
  {
    Pop3ClientSession s(tls_config());
    Driver r;
    s.receive("-ERR go away\r\n");
    r.drain(s);
    ASSERT_TRUE(r.done);
    EXPECT_EQ(r.done->error, "the server refused the connection: go away");
  }
  {
    Pop3ClientSession s(tls_config());
    Driver r;
    for (const char* reply : {"+OK\r\n", kCapa, "-ERR [AUTH] invalid credentials\r\n"}) {
      s.receive(reply);
      r.drain(s);
    }
    ASSERT_TRUE(r.done);
    EXPECT_EQ(r.done->error, "authentication failed: [AUTH] invalid credentials");
  }
  {
    Pop3ClientSession s(tls_config());
    Driver r;
    for (const char* reply : {"+OK\r\n", kCapa, "+OK\r\n", "-ERR no\r\n"}) {
      s.receive(reply);
      r.drain(s);
    }
    ASSERT_TRUE(r.done);
    EXPECT_NE(r.done->error.find("does not support UIDL"), std::string::npos);
  }
  {
    Pop3ClientSession s(tls_config());
    Driver r;
    s.receive("* OK this is IMAP\r\n");
    r.drain(s);
    ASSERT_TRUE(r.done);
    EXPECT_NE(r.done->error.find("unexpected reply"), std::string::npos);
  }
}

TEST(Pop3Client, Bounds) {
  {
    Pop3ClientSession s(tls_config());
    Driver r;
    s.receive(std::string(600, 'x'));
    r.drain(s);
    ASSERT_TRUE(r.done);
    EXPECT_NE(r.done->error.find("longer than 512"), std::string::npos);
  }
  {
    Pop3ClientConfig c = tls_config();
    c.limits.max_message = 10;
    Pop3ClientSession s(c);
    Driver r;
    for (const char* reply : {"+OK\r\n", kCapa, "+OK\r\n", kUidl, kMsg1, kMsg2, "+OK\r\n"}) {
      s.receive(reply);
      r.drain(s);
    }
    ASSERT_TRUE(r.done);
    EXPECT_TRUE(r.done->ok) << r.done->error;
    EXPECT_TRUE(r.messages.empty());
    ASSERT_EQ(r.done->skipped.size(), 2u);
    EXPECT_NE(r.done->skipped[0].find("aaa: larger than the limit"), std::string::npos);
  }
  {
    Pop3ClientSession s(tls_config());
    Driver r;
    for (const char* reply : {"+OK\r\n", kCapa, "+OK\r\n", "+OK\r\n"}) {
      s.receive(reply);
      r.drain(s);
    }
    s.receive(std::string(70 * 1024, 'y'));
    r.drain(s);
    ASSERT_TRUE(r.done);
    EXPECT_NE(r.done->error.find("longer than 64 KiB"), std::string::npos);
  }
}

TEST(Pop3Client, DuplicateUidlsAreNeitherFetchedNorDeleted) {
  Pop3ClientConfig c = tls_config();
  c.delete_after = true;
  Pop3ClientSession s(c);
  Driver r;
  for (const char* reply :
       {"+OK\r\n", kCapa, "+OK\r\n", "+OK\r\n1 same\r\n2 same\r\n3 ccc\r\n.\r\n", kMsg2, "+OK\r\n",
        "+OK bye\r\n"}) {
    s.receive(reply);
    r.drain(s);
  }
  ASSERT_TRUE(r.done);
  EXPECT_TRUE(r.done->ok) << r.done->error;
  EXPECT_EQ(r.sent, (std::vector<std::string>{"CAPA\r\n", "AUTH PLAIN AGFsaWNlAHB3\r\n", "UIDL\r\n",
                                              "RETR 3\r\n", "DELE 3\r\n", "QUIT\r\n"}));
  ASSERT_EQ(r.done->skipped.size(), 2u);
  EXPECT_NE(r.done->skipped[0].find("more than one message"), std::string::npos);
}

TEST(Pop3Client, ConnectionLost) {
  Pop3ClientSession s(tls_config());
  Driver r;
  s.receive("+OK\r\n");
  r.drain(s);
  s.connection_lost("reset");
  r.drain(s);
  ASSERT_TRUE(r.done);
  EXPECT_EQ(r.done->error, "the connection ended: reset");
}

TEST(LineEnds, CrlfToLf) {
  EXPECT_EQ(to_lf_line_ends("a\r\nb\r\n\r\nc\rd\n"), "a\nb\n\nc\rd\n");
}

}  // namespace
}  // namespace estafeta::mua
