// Tests of pop3_session: every command in both states, the answers to bad input, the limits,
// the maildrop snapshot and lock, sizes equal to what RETR sends, UIDLs, and the UPDATE state
// (deletions and \Seen only after QUIT). Driven through pop3_session_test_harness.hpp on the
// in-memory store, and on the Maildir store where files matter (LF files, index rebuilds).
#include "pop3/proto/pop3_session.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "pop3/proto/pop3_session_test_harness.hpp"
#include "store/store_maildir.hpp"

namespace estafeta::pop3 {
namespace {

using namespace std::string_literals;
using testing::Driver;

const std::string kGreeting = "+OK Estafeta POP3 ready.\r\n";
const std::string kMsg1 = "From: Bob <bob@example.org>\r\nSubject: one\r\n\r\nHello one.\r\n";
const std::string kMsg2 = "From: Bob <bob@example.org>\r\nSubject: two\r\n\r\n.dot\r\nend\r\n";

store::Uid deliver(Driver& d, const std::string& bytes,
                   const std::string& to = "alice@example.org") {
  store::NewMessage m;
  m.bytes = bytes;
  store::AppendResult r;
  EXPECT_FALSE(d.account(to)->deliver("INBOX", m, "", false, r));
  return r.uid;
}

std::vector<store::MessageInfo> inbox(Driver& d, const std::string& who = "alice@example.org") {
  auto a = d.account(who);
  store::MailboxInfo info;
  std::vector<store::MessageInfo> out;
  EXPECT_FALSE(a->find("INBOX", info));
  EXPECT_FALSE(a->snapshot(info.id, info, out));
  return out;
}

// A started session (TLS by default).
std::unique_ptr<Driver> started(
    SessionOptions o = testing::tls_options(),
    std::shared_ptr<store::Store> store = store::make_memory_store(),
    std::shared_ptr<testing::Locks> locks = std::make_shared<testing::Locks>()) {
  auto d = std::make_unique<Driver>(std::move(o), std::move(store), std::move(locks));
  d->start();
  return d;
}

std::string login(Driver& d) {
  return d.send("USER alice\r\nPASS secret\r\n");
}

// --- AUTHORIZATION ---

TEST(Pop3Session, Greeting) {
  Driver d;
  EXPECT_EQ(d.start(), kGreeting);
  Driver apop(testing::with_apop(testing::tls_options()));
  EXPECT_EQ(apop.start(), "+OK Estafeta POP3 ready. <1896.697170952@dbc.mtview.ca.us>\r\n");
}

TEST(Pop3Session, CapaOverTls) {
  Driver d;
  d.start();
  EXPECT_EQ(d.send("CAPA\r\n"),
            "+OK Capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n"
            "PIPELINING\r\nEXPIRE NEVER\r\nLOGIN-DELAY 0\r\nUTF8 USER\r\nUSER\r\n"
            "SASL PLAIN LOGIN\r\nIMPLEMENTATION Estafeta\r\n.\r\n");
}

TEST(Pop3Session, CapaBeforeTlsOffersStlsAndNoPasswords) {
  SessionOptions o = testing::tls_options();
  o.tls_active = false;
  Driver d(o);
  d.start();
  EXPECT_EQ(d.send("CAPA\r\n"),
            "+OK Capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n"
            "PIPELINING\r\nEXPIRE NEVER\r\nLOGIN-DELAY 0\r\nUTF8 USER\r\nSTLS\r\n"
            "IMPLEMENTATION Estafeta\r\n.\r\n");
  o.starttls_available = false;
  o.allow_plaintext_auth = true;
  o.expire = "30";
  o.login_delay = 60;
  o.utf8 = false;
  o.implementation = "Test";
  Driver p(o);
  p.start();
  EXPECT_EQ(p.send("CAPA\r\n"),
            "+OK Capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n"
            "PIPELINING\r\nEXPIRE 30\r\nLOGIN-DELAY 60\r\nUSER\r\nSASL PLAIN LOGIN\r\n"
            "IMPLEMENTATION Test\r\n.\r\n");
}

TEST(Pop3Session, CapaAfterLogin) {
  auto d = started();
  login(*d);
  EXPECT_EQ(d->send("CAPA\r\n"),
            "+OK Capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n"
            "PIPELINING\r\nEXPIRE NEVER\r\nLOGIN-DELAY 0\r\nUTF8 USER\r\n"
            "IMPLEMENTATION Estafeta\r\n.\r\n");
}

TEST(Pop3Session, UserPass) {
  Driver d;
  d.start();
  EXPECT_EQ(d.send("USER alice\r\n"), "+OK\r\n");
  EXPECT_EQ(d.send("PASS secret\r\n"), "+OK Logged in.\r\n");
  EXPECT_EQ(d.session().state(), Session::State::transaction);
  EXPECT_EQ(d.session().account_name(), "alice@example.org");
}

TEST(Pop3Session, PassWithoutUser) {
  Driver d;
  d.start();
  EXPECT_EQ(d.send("PASS secret\r\n"), "-ERR No user name given: send USER first.\r\n");
  // A failed PASS forgets the user (RFC 1939 §7).
  EXPECT_EQ(d.send("USER alice\r\nPASS wrong\r\nPASS secret\r\n"),
            "+OK\r\n-ERR [AUTH] Authentication failed.\r\n"
            "-ERR No user name given: send USER first.\r\n");
}

TEST(Pop3Session, LoginFailuresAreCountedThenClose) {
  Driver d;
  d.start();
  EXPECT_EQ(d.send("USER alice\r\nPASS x\r\nUSER nobody\r\nPASS secret\r\n"),
            "+OK\r\n-ERR [AUTH] Authentication failed.\r\n+OK\r\n"
            "-ERR [AUTH] Authentication failed.\r\n");
  EXPECT_EQ(d.send("USER alice\r\nPASS y\r\nUSER alice\r\n"),
            "+OK\r\n-ERR [AUTH] Authentication failed. Too many failures, closing.\r\n[close]\r\n");
  EXPECT_TRUE(d.session().closed());
}

TEST(Pop3Session, LoginUnavailableAndTooSoon) {
  Driver d;
  d.start();
  EXPECT_EQ(d.send("USER down@example.org\r\nPASS x\r\n"),
            "+OK\r\n-ERR [SYS/TEMP] Temporary authentication failure.\r\n");
  EXPECT_EQ(d.send("USER soon@example.org\r\nPASS secret\r\n"),
            "+OK\r\n-ERR [LOGIN-DELAY] Minimum time between logins is 0 seconds.\r\n");
  EXPECT_EQ(d.session().state(), Session::State::authorization);
}

TEST(Pop3Session, PlaintextRefusedBeforeTls) {
  SessionOptions o = testing::tls_options();
  o.tls_active = false;
  Driver d(o);
  d.start();
  const std::string refused =
      "-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.\r\n";
  EXPECT_EQ(d.send("USER alice\r\n"), refused);
  EXPECT_EQ(d.send("PASS secret\r\n"), refused);
  EXPECT_EQ(d.send("AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n"), refused);
  EXPECT_EQ(d.send("AUTH\r\n"), "+OK\r\n.\r\n");
  // Not counted as bad commands: a client may try each.
  EXPECT_EQ(d.session().state(), Session::State::authorization);
}

TEST(Pop3Session, PlaintextAllowedByOption) {
  SessionOptions o = testing::tls_options();
  o.tls_active = false;
  o.allow_plaintext_auth = true;
  Driver d(o);
  d.start();
  EXPECT_EQ(login(d), "+OK\r\n+OK Logged in.\r\n");
}

TEST(Pop3Session, Stls) {
  SessionOptions o = testing::tls_options();
  o.tls_active = false;
  Driver d(o);
  d.start();
  // Input pipelined behind STLS is dropped (RFC 2595 §4).
  EXPECT_EQ(d.send("STLS\r\nCAPA\r\n"), "+OK Begin TLS negotiation now.\r\n[start_tls]\r\n");
  EXPECT_EQ(d.send("STLS\r\n"), "-ERR TLS is already active.\r\n");
  EXPECT_EQ(login(d), "+OK\r\n+OK Logged in.\r\n");
  EXPECT_EQ(d.send("STLS\r\n"), "-ERR Command not available after login.\r\n");
}

TEST(Pop3Session, StlsForgetsTheUserGivenBefore) {
  SessionOptions o = testing::tls_options();
  o.tls_active = false;
  o.allow_plaintext_auth = true;
  Driver d(o);
  d.start();
  EXPECT_EQ(d.send("USER alice\r\n"), "+OK\r\n");
  EXPECT_EQ(d.send("STLS\r\n"), "+OK Begin TLS negotiation now.\r\n[start_tls]\r\n");
  EXPECT_EQ(d.send("PASS secret\r\n"), "-ERR No user name given: send USER first.\r\n");
}

TEST(Pop3Session, StlsUnavailable) {
  SessionOptions o = testing::tls_options();
  o.tls_active = false;
  o.starttls_available = false;
  Driver d(o);
  d.start();
  EXPECT_EQ(d.send("STLS\r\n"), "-ERR TLS support isn't enabled.\r\n");
}

TEST(Pop3Session, AuthPlainWithInitialResponse) {
  Driver d;
  d.start();
  EXPECT_EQ(d.send("AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n"), "+OK Logged in.\r\n");
  EXPECT_EQ(d.session().account_name(), "alice@example.org");
}

TEST(Pop3Session, AuthPlainWithContinuation) {
  Driver d;
  d.start();
  EXPECT_EQ(d.send("AUTH PLAIN\r\n"), "+ \r\n");
  EXPECT_TRUE(d.session().expects_line());
  EXPECT_EQ(d.send("AGFsaWNlAHNlY3JldA==\r\n"), "+OK Logged in.\r\n");
}

TEST(Pop3Session, AuthLogin) {
  Driver d;
  d.start();
  EXPECT_EQ(d.send("auth login\r\n"), "+ VXNlcm5hbWU6\r\n");
  EXPECT_EQ(d.send("YWxpY2U=\r\n"), "+ UGFzc3dvcmQ6\r\n");
  EXPECT_EQ(d.send("c2VjcmV0\r\n"), "+OK Logged in.\r\n");
}

TEST(Pop3Session, AuthListsMechanisms) {
  Driver d;
  d.start();
  EXPECT_EQ(d.send("AUTH\r\n"), "+OK\r\nPLAIN\r\nLOGIN\r\n.\r\n");
}

TEST(Pop3Session, AuthFailures) {
  Driver d;
  d.start();
  EXPECT_EQ(d.send("AUTH CRAM-MD5\r\n"), "-ERR Unsupported authentication mechanism.\r\n");
  EXPECT_EQ(d.send("AUTH PLAIN\r\n*\r\n"), "+ \r\n-ERR Authentication aborted by client.\r\n");
  EXPECT_EQ(d.send("AUTH PLAIN !!!\r\n"), "-ERR Invalid base64 data in continued response.\r\n");
  EXPECT_EQ(d.send("AUTH PLAIN =\r\n"), "-ERR Invalid authentication data.\r\n");
  EXPECT_EQ(d.send("AUTH PLAIN Ym9iAGFsaWNlAHNlY3JldA==\r\n"),
            "-ERR [AUTH] Authorization failed.\r\n");
  EXPECT_EQ(d.send("AUTH PLAIN AGFsaWNlAHdyb25n\r\n"), "-ERR [AUTH] Authentication failed.\r\n");
  EXPECT_EQ(d.send("AUTH PLAIN AGFsaWNlAA==\r\n"),
            "-ERR [AUTH] Authentication failed. Too many failures, closing.\r\n[close]\r\n");
}

TEST(Pop3Session, AuthTooSoon) {
  Driver d;
  d.start();
  EXPECT_EQ(d.send("AUTH PLAIN AHNvb25AZXhhbXBsZS5vcmcAc2VjcmV0\r\n"),
            "-ERR [LOGIN-DELAY] Minimum time between logins is 0 seconds.\r\n");
}

TEST(Pop3Session, AuthResponseLineTooLong) {
  Driver d;
  d.start();
  EXPECT_EQ(d.send("AUTH PLAIN\r\n"), "+ \r\n");
  EXPECT_EQ(d.send(std::string(kMaxLine + 10, 'A') + "\r\n"), "-ERR Line too long.\r\n");
  EXPECT_FALSE(d.session().expects_line());
  EXPECT_EQ(d.send("NOOP\r\n"), "-ERR Command not available before login.\r\n");
}

TEST(Pop3Session, Apop) {
  Driver off;
  off.start();
  EXPECT_EQ(off.send("APOP alice c4c9334bac560ecc979e58001b3e22fb\r\n"),
            "-ERR APOP is not available.\r\n");
  Driver d(testing::with_apop(testing::tls_options()));
  d.start();
  EXPECT_EQ(d.send("APOP alice 00000000000000000000000000000000\r\n"),
            "-ERR [AUTH] Authentication failed.\r\n");
  EXPECT_EQ(d.send("APOP alice\r\n"), "-ERR Missing argument.\r\n");
  EXPECT_EQ(d.send("APOP alice c4c9334bac560ecc979e58001b3e22fb\r\n"), "+OK Logged in.\r\n");
}

TEST(Pop3Session, Utf8) {
  Driver d;
  d.start();
  EXPECT_EQ(d.send("UTF8\r\n"), "+OK UTF8 enabled.\r\n");
  EXPECT_EQ(d.send("UTF8 x\r\n"), "-ERR Too many arguments.\r\n");
  login(d);
  EXPECT_EQ(d.send("UTF8\r\n"), "-ERR Command not available after login.\r\n");
  SessionOptions o = testing::tls_options();
  o.utf8 = false;
  Driver off(o);
  off.start();
  EXPECT_EQ(off.send("UTF8\r\n"), "-ERR Unknown command: UTF8\r\n");
}

TEST(Pop3Session, TransactionCommandsBeforeLogin) {
  Driver d;
  d.start();
  for (const char* c :
       {"STAT", "LIST", "LIST 1", "RETR 1", "TOP 1 1", "DELE 1", "NOOP", "RSET", "UIDL", "UIDL 1"})
    EXPECT_EQ(d.send(std::string(c) + "\r\n"), "-ERR Command not available before login.\r\n") << c;
}

TEST(Pop3Session, AuthorizationCommandsAfterLogin) {
  auto d = started();
  login(*d);
  for (const char* c :
       {"USER alice", "PASS secret", "AUTH PLAIN", "AUTH", "STLS", "UTF8", "APOP alice 0123"})
    EXPECT_EQ(d->send(std::string(c) + "\r\n"), "-ERR Command not available after login.\r\n") << c;
}

TEST(Pop3Session, QuitInAuthorization) {
  Driver d;
  d.start();
  EXPECT_EQ(d.send("quit\r\n"), "+OK Logging out.\r\n[close]\r\n");
  EXPECT_TRUE(d.session().closed());
  EXPECT_EQ(d.send("NOOP\r\n"), "");
}

// --- bad input and limits ---

TEST(Pop3Session, UnknownCommandsAreCountedInARowThenClose) {
  SessionOptions o = testing::tls_options();
  o.max_bad_commands = 3;
  Driver d(o);
  d.start();
  EXPECT_EQ(d.send("FOO\r\nBAR 1\r\n"),
            "-ERR Unknown command: FOO\r\n-ERR Unknown command: BAR\r\n");
  EXPECT_EQ(d.send("CAPA\r\n").substr(0, 3), "+OK");  // resets the count
  EXPECT_EQ(d.send("FOO\r\nLAST\r\n"),
            "-ERR Unknown command: FOO\r\n-ERR Unknown command: LAST\r\n");
  EXPECT_EQ(d.send("\r\n"), "-ERR Too many bad commands, closing.\r\n[close]\r\n");
  EXPECT_TRUE(d.session().closed());
}

TEST(Pop3Session, CommandLineLength) {
  auto d = started();
  // 255 octets with CRLF is the limit (RFC 2449 §4) ...
  std::string list = "LIST " + std::string(248, '1');
  EXPECT_EQ(d->send(list + "\r\n"), "-ERR Command not available before login.\r\n");
  EXPECT_EQ(d->send(list + "1\r\n"), "-ERR Line too long.\r\n");
  // ... except PASS and AUTH.
  EXPECT_EQ(d->send("USER alice\r\nPASS " + std::string(1000, 'x') + "\r\n"),
            "+OK\r\n-ERR [AUTH] Authentication failed.\r\n");
  EXPECT_EQ(d->send("AUTH PLAIN " + std::string(1000, 'A') + "\r\n"),
            "-ERR Invalid authentication data.\r\n");
  // Beyond the reader's limit: the line is dropped and answered once.
  EXPECT_EQ(d->send("PASS " + std::string(kMaxLine, 'x') + "\r\nNOOP\r\n"),
            "-ERR Line too long.\r\n-ERR Command not available before login.\r\n");
}

TEST(Pop3Session, InvalidCharactersInCommandLine) {
  Driver d;
  d.start();
  EXPECT_EQ(d.send("NO\0OP\r\n"s), "-ERR Invalid character in command line.\r\n");
  EXPECT_EQ(d.send("NO\rOP\r\n"), "-ERR Invalid character in command line.\r\n");
  // A bare LF ends a line as CRLF does.
  EXPECT_EQ(d.send("CAPA\n").substr(0, 3), "+OK");
}

TEST(Pop3Session, TimedOut) {
  auto d = started();
  login(*d);
  deliver(*d, kMsg1);
  EXPECT_EQ(d->send("DELE 1\r\n"), "-ERR No such message.\r\n");
  EXPECT_EQ(d->timed_out(), "-ERR Disconnected for inactivity.\r\n[close]\r\n");
  EXPECT_TRUE(d->session().closed());
}

// --- TRANSACTION ---

class Pop3Transaction : public ::testing::Test {
 protected:
  void SetUp() override {
    d_ = started();
    deliver(*d_, kMsg1);
    deliver(*d_, kMsg2);
    ASSERT_EQ(login(*d_), "+OK\r\n+OK Logged in.\r\n");
  }
  std::string uidl(std::size_t i) { return inbox(*d_)[i].email_id; }
  std::unique_ptr<Driver> d_;
};

TEST_F(Pop3Transaction, Stat) {
  EXPECT_EQ(d_->send("STAT\r\n"), "+OK 2 " + std::to_string(kMsg1.size() + kMsg2.size()) + "\r\n");
}

TEST_F(Pop3Transaction, List) {
  std::string s1 = std::to_string(kMsg1.size()), s2 = std::to_string(kMsg2.size());
  EXPECT_EQ(d_->send("LIST\r\n"), "+OK 2 messages (" + std::to_string(kMsg1.size() + kMsg2.size()) +
                                      " octets)\r\n1 " + s1 + "\r\n2 " + s2 + "\r\n.\r\n");
  EXPECT_EQ(d_->send("LIST 2\r\n"), "+OK 2 " + s2 + "\r\n");
  EXPECT_EQ(d_->send("LIST 3\r\n"), "-ERR No such message.\r\n");
  EXPECT_EQ(d_->send("LIST 0\r\n"), "-ERR No such message.\r\n");
  EXPECT_EQ(d_->send("LIST x\r\n"), "-ERR Invalid message number.\r\n");
}

TEST_F(Pop3Transaction, Uidl) {
  EXPECT_EQ(d_->send("UIDL\r\n"), "+OK\r\n1 " + uidl(0) + "\r\n2 " + uidl(1) + "\r\n.\r\n");
  EXPECT_EQ(d_->send("UIDL 1\r\n"), "+OK 1 " + uidl(0) + "\r\n");
  EXPECT_EQ(d_->send("UIDL 9\r\n"), "-ERR No such message.\r\n");
  EXPECT_NE(uidl(0), uidl(1));
}

TEST_F(Pop3Transaction, Retr) {
  EXPECT_EQ(d_->send("RETR 1\r\n"),
            "+OK " + std::to_string(kMsg1.size()) + " octets\r\n" + kMsg1 + ".\r\n");
  EXPECT_EQ(
      d_->send("RETR 2\r\n"),
      "+OK " + std::to_string(kMsg2.size()) +
          " octets\r\nFrom: Bob <bob@example.org>\r\nSubject: two\r\n\r\n..dot\r\nend\r\n.\r\n");
  EXPECT_EQ(d_->send("RETR 3\r\n"), "-ERR No such message.\r\n");
  EXPECT_EQ(d_->send("RETR\r\n"), "-ERR Missing argument.\r\n");
}

TEST_F(Pop3Transaction, Top) {
  EXPECT_EQ(d_->send("TOP 2 0\r\n"),
            "+OK\r\nFrom: Bob <bob@example.org>\r\nSubject: two\r\n\r\n.\r\n");
  EXPECT_EQ(d_->send("TOP 2 1\r\n"),
            "+OK\r\nFrom: Bob <bob@example.org>\r\nSubject: two\r\n\r\n..dot\r\n.\r\n");
  EXPECT_EQ(d_->send("TOP 1 100\r\n"), "+OK\r\n" + kMsg1 + ".\r\n");
  EXPECT_EQ(d_->send("TOP 3 1\r\n"), "-ERR No such message.\r\n");
  EXPECT_EQ(d_->send("TOP 1\r\n"), "-ERR Missing argument.\r\n");
  EXPECT_EQ(d_->send("TOP 1 -1\r\n"), "-ERR Invalid number of lines.\r\n");
}

TEST_F(Pop3Transaction, DeleHidesTheMessage) {
  EXPECT_EQ(d_->send("DELE 1\r\n"), "+OK Marked to be deleted.\r\n");
  EXPECT_EQ(d_->send("DELE 1\r\n"), "-ERR Message is already deleted.\r\n");
  EXPECT_EQ(d_->send("RETR 1\r\n"), "-ERR Message is deleted.\r\n");
  EXPECT_EQ(d_->send("TOP 1 0\r\n"), "-ERR Message is deleted.\r\n");
  EXPECT_EQ(d_->send("LIST 1\r\n"), "-ERR Message is deleted.\r\n");
  EXPECT_EQ(d_->send("UIDL 1\r\n"), "-ERR Message is deleted.\r\n");
  EXPECT_EQ(d_->send("STAT\r\n"), "+OK 1 " + std::to_string(kMsg2.size()) + "\r\n");
  EXPECT_EQ(d_->send("LIST\r\n"), "+OK 1 messages (" + std::to_string(kMsg2.size()) +
                                      " octets)\r\n2 " + std::to_string(kMsg2.size()) +
                                      "\r\n.\r\n");
  EXPECT_EQ(d_->send("UIDL\r\n"), "+OK\r\n2 " + uidl(1) + "\r\n.\r\n");
  EXPECT_EQ(d_->send("DELE 5\r\n"), "-ERR No such message.\r\n");
}

TEST_F(Pop3Transaction, NoopAndRset) {
  EXPECT_EQ(d_->send("NOOP\r\n"), "+OK\r\n");
  EXPECT_EQ(d_->send("NOOP 1\r\n"), "-ERR Too many arguments.\r\n");
  EXPECT_EQ(d_->send("DELE 1\r\nDELE 2\r\nRSET\r\nSTAT\r\n"),
            "+OK Marked to be deleted.\r\n+OK Marked to be deleted.\r\n+OK\r\n+OK 2 " +
                std::to_string(kMsg1.size() + kMsg2.size()) + "\r\n");
  EXPECT_EQ(d_->send("QUIT\r\n"), "+OK Logging out.\r\n[close]\r\n");
  EXPECT_EQ(inbox(*d_).size(), 2u);
}

TEST_F(Pop3Transaction, DeleThenQuitExpunges) {
  EXPECT_EQ(d_->send("DELE 1\r\nQUIT\r\n"),
            "+OK Marked to be deleted.\r\n+OK Logging out, messages deleted.\r\n[close]\r\n");
  auto left = inbox(*d_);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].size, kMsg2.size());
  EXPECT_EQ(d_->session().state(), Session::State::closed);
}

TEST_F(Pop3Transaction, DroppedConnectionDeletesNothing) {
  EXPECT_EQ(d_->send("RETR 1\r\nDELE 1\r\nDELE 2\r\n").substr(0, 4), "+OK ");
  d_->drop();
  auto left = inbox(*d_);
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].flags.system & store::kSeen, 0);  // nor sets \Seen
}

TEST_F(Pop3Transaction, TimeoutDeletesNothing) {
  d_->send("DELE 1\r\n");
  d_->timed_out();
  EXPECT_EQ(inbox(*d_).size(), 2u);
}

TEST_F(Pop3Transaction, RetrSetsSeenAtQuitTopDoesNot) {
  d_->send("RETR 1\r\nTOP 2 0\r\n");
  EXPECT_EQ(inbox(*d_)[0].flags.system & store::kSeen, 0);
  d_->send("QUIT\r\n");
  auto m = inbox(*d_);
  EXPECT_NE(m[0].flags.system & store::kSeen, 0);
  EXPECT_EQ(m[1].flags.system & store::kSeen, 0);
}

TEST(Pop3Session, RetrSetsSeenCanBeTurnedOff) {
  SessionOptions o = testing::tls_options();
  o.retr_sets_seen = false;
  auto d = started(o);
  deliver(*d, kMsg1);
  login(*d);
  d->send("RETR 1\r\nQUIT\r\n");
  EXPECT_EQ(inbox(*d)[0].flags.system & store::kSeen, 0);
}

TEST_F(Pop3Transaction, SnapshotIsTakenAtLogin) {
  deliver(*d_, kMsg1);
  EXPECT_EQ(d_->send("STAT\r\n"), "+OK 2 " + std::to_string(kMsg1.size() + kMsg2.size()) + "\r\n");
  EXPECT_EQ(d_->send("LIST 3\r\n"), "-ERR No such message.\r\n");
  EXPECT_EQ(d_->send("DELE 1\r\nQUIT\r\n").substr(0, 4), "+OK ");
  EXPECT_EQ(inbox(*d_).size(), 2u);  // the new one stays
}

TEST_F(Pop3Transaction, MessageRemovedByAnotherSession) {
  auto a = d_->account("alice@example.org");
  store::MailboxInfo info;
  ASSERT_FALSE(a->find("INBOX", info));
  std::vector<store::Uid> removed;
  ASSERT_FALSE(a->expunge(info.id, {inbox(*d_)[0].uid}, removed));
  EXPECT_EQ(d_->send("RETR 1\r\n"), "-ERR Message was removed by another session.\r\n");
  EXPECT_EQ(d_->send("DELE 1\r\nQUIT\r\n"),
            "+OK Marked to be deleted.\r\n+OK Logging out, messages deleted.\r\n[close]\r\n");
  EXPECT_EQ(inbox(*d_).size(), 1u);
}

TEST_F(Pop3Transaction, Pipelining) {
  EXPECT_EQ(d_->send("STAT\r\nUIDL 1\r\nNOOP\r\nDELE 2\r\nLIST 2\r\n"),
            "+OK 2 " + std::to_string(kMsg1.size() + kMsg2.size()) + "\r\n+OK 1 " + uidl(0) +
                "\r\n+OK\r\n+OK Marked to be deleted.\r\n-ERR Message is deleted.\r\n");
}

// --- the maildrop lock ---

TEST(Pop3Session, SecondSessionGetsInUseUntilTheFirstEnds) {
  auto store = store::make_memory_store();
  auto locks = std::make_shared<testing::Locks>();
  auto a = started(testing::tls_options(), store, locks);
  auto b = started(testing::tls_options(), store, locks);
  EXPECT_EQ(login(*a), "+OK\r\n+OK Logged in.\r\n");
  EXPECT_EQ(login(*b), "+OK\r\n-ERR [IN-USE] Mailbox is locked by another POP3 session.\r\n");
  EXPECT_EQ(b->session().state(), Session::State::authorization);
  a->send("QUIT\r\n");
  EXPECT_EQ(login(*b), "+OK\r\n+OK Logged in.\r\n");
  b->drop();
  auto c = started(testing::tls_options(), store, locks);
  EXPECT_EQ(login(*c), "+OK\r\n+OK Logged in.\r\n");
  c->timed_out();
  auto e = started(testing::tls_options(), store, locks);
  EXPECT_EQ(login(*e), "+OK\r\n+OK Logged in.\r\n");
  // Another account is not locked.
  auto f = started(testing::tls_options(), store, locks);
  EXPECT_EQ(f->send("USER bob\r\nPASS secret\r\n"), "+OK\r\n+OK Logged in.\r\n");
}

// --- limits on the listing ---

TEST(Pop3Session, MaxListedMessagesShowsTheOldest) {
  SessionOptions o = testing::tls_options();
  o.max_listed_messages = 2;
  auto d = started(o);
  deliver(*d, kMsg1);
  deliver(*d, kMsg2);
  deliver(*d, kMsg1);
  login(*d);
  EXPECT_EQ(d->send("STAT\r\n"), "+OK 2 " + std::to_string(kMsg1.size() + kMsg2.size()) + "\r\n");
  EXPECT_EQ(d->send("RETR 3\r\n"), "-ERR No such message.\r\n");
  EXPECT_EQ(d->log(),
            "alice@example.org: INBOX holds 3 messages; POP3 shows the oldest 2 "
            "(max_listed_messages)\n");
  EXPECT_EQ(d->send("DELE 1\r\nDELE 2\r\nQUIT\r\n").substr(0, 4), "+OK ");
  EXPECT_EQ(inbox(*d).size(), 1u);
}

// --- sizes equal what RETR sends ---

// The octets between RETR's "+OK" line and the terminating ".", dot-stuffing undone.
std::string retr_content(const std::string& reply) {
  auto eol = reply.find("\r\n");
  std::string wire = reply.substr(eol + 2);
  EXPECT_EQ(wire.substr(wire.size() - 3), ".\r\n");
  wire.resize(wire.size() - 3);
  std::string out;
  std::size_t pos = 0;
  while (pos < wire.size()) {
    std::size_t e = wire.find("\r\n", pos);
    std::size_t end = e == std::string::npos ? wire.size() : e + 2;
    std::string_view line(wire.data() + pos, end - pos);
    if (!line.empty() && line[0] == '.') line.remove_prefix(1);
    out += line;
    pos = end;
  }
  return out;
}

void expect_sizes_match(Driver& d, std::size_t count) {
  std::uint64_t total = 0;
  for (std::size_t n = 1; n <= count; ++n) {
    std::string k = std::to_string(n);
    std::string list = d.send("LIST " + k + "\r\n");
    std::string retr = d.send("RETR " + k + "\r\n");
    std::string content = retr_content(retr);
    EXPECT_EQ(list, "+OK " + k + " " + std::to_string(content.size()) + "\r\n") << n;
    EXPECT_EQ(retr.substr(0, retr.find("\r\n")),
              "+OK " + std::to_string(content.size()) + " octets")
        << n;
    total += content.size();
  }
  EXPECT_EQ(d.send("STAT\r\n"),
            "+OK " + std::to_string(count) + " " + std::to_string(total) + "\r\n");
}

const std::string kOddMessages[] = {
    "Subject: crlf\r\n\r\nbody\r\n",
    "Subject: no final line end\r\n\r\nbody",
    "Subject: nul\r\n\r\nbo\0dy\r\n\0\r\n"s,
    "Subject: no blank line\r\nX: y\r\n",
    "Subject: lf\n\n.dots\n..\nend\n",
    "Subject: lf, no final line end\n\nend",
    "Subject: bare cr\r\n\r\na\rb\r\n",
    "\r\n",
    "x",
};

TEST(Pop3Session, SizesEqualRetrOutputOnTheMemoryStore) {
  auto d = started();
  for (const auto& m : kOddMessages) deliver(*d, m);
  login(*d);
  // LIST first (sizes looked up), then RETR.
  EXPECT_EQ(d->send("LIST\r\n").substr(0, 15), "+OK 9 messages ");
  expect_sizes_match(*d, std::size(kOddMessages));
}

TEST(Pop3Session, SizesOnAFreshSessionStartWithRetr) {
  auto d = started();
  for (const auto& m : kOddMessages) deliver(*d, m);
  login(*d);
  for (std::size_t n = 1; n <= std::size(kOddMessages); ++n) {
    std::string retr = d->send("RETR " + std::to_string(n) + "\r\n");
    EXPECT_EQ(retr.substr(0, retr.find("\r\n")),
              "+OK " + std::to_string(retr_content(retr).size()) + " octets");
  }
}

TEST(Pop3Session, NulAndMissingBlankLineAnswers) {
  auto d = started();
  deliver(*d, "Subject: nul\r\n\r\nbo\0dy\r\n"s);
  deliver(*d, "Subject: no blank line\r\nX: y\r\n");
  login(*d);
  EXPECT_EQ(d->send("RETR 1\r\n"),
            "+OK 23 octets\r\nSubject: nul\r\n\r\nbo\x80"
            "dy\r\n.\r\n");
  EXPECT_EQ(d->send("TOP 1 0\r\n"), "+OK\r\nSubject: nul\r\n\r\n.\r\n");
  EXPECT_EQ(d->send("RETR 2\r\n"), "+OK 30 octets\r\nSubject: no blank line\r\nX: y\r\n.\r\n");
  EXPECT_EQ(d->send("TOP 2 5\r\n"), "+OK\r\nSubject: no blank line\r\nX: y\r\n\r\n.\r\n");
}

// --- the Maildir store: files other programs wrote, index rebuilds ---

class Pop3Maildir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("estafeta-pop3-session-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store_ = store::make_maildir_store(store::MaildirStoreOptions{dir_, 4, false});
    std::shared_ptr<store::Account> a;
    ASSERT_FALSE(store_->account("alice@example.org", a));  // creates the Maildir
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  // A file dropped into new/ by another program (found by the next snapshot's rescan).
  void drop_file(const std::string& name, const std::string& bytes) {
    auto root = store::maildir_account_root(dir_, "alice@example.org");
    std::ofstream(root / "new" / name, std::ios::binary) << bytes;
  }
  std::filesystem::path dir_;
  std::shared_ptr<store::Store> store_;
};

TEST_F(Pop3Maildir, SizesOfFilesWithLfAndNoFinalLineEnd) {
  int i = 0;
  for (const auto& m : kOddMessages) drop_file("1700000000.M" + std::to_string(++i) + ".test", m);
  auto d = started(testing::tls_options(), store_);
  ASSERT_EQ(login(*d), "+OK\r\n+OK Logged in.\r\n");
  EXPECT_EQ(d->send("STAT\r\n").substr(0, 6), "+OK 9 ");
  expect_sizes_match(*d, std::size(kOddMessages));
}

TEST_F(Pop3Maildir, UidlsSurviveSessionsAndIndexRebuilds) {
  auto d = started(testing::tls_options(), store_);
  deliver(*d, kMsg1);
  deliver(*d, kMsg2);
  drop_file("1700000000.M1.test", "Subject: dropped\n\nx\n");
  login(*d);
  std::string first = d->send("UIDL\r\n");
  d->send("QUIT\r\n");
  std::shared_ptr<store::Account> a;
  ASSERT_FALSE(store_->account("alice@example.org", a));
  store::IndexReport report;
  ASSERT_FALSE(a->rebuild_index(report));
  a.reset();
  // A new store object, as after a restart.
  auto again = store::make_maildir_store(store::MaildirStoreOptions{dir_, 4, false});
  auto e = started(testing::tls_options(), again);
  login(*e);
  EXPECT_EQ(e->send("UIDL\r\n"), first);
  EXPECT_EQ(first.substr(0, 6), "+OK\r\n1");
  // The email ids IMAP reports (EMAILID) are the UIDLs.
  auto m = inbox(*e);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(first, "+OK\r\n1 " + m[0].email_id + "\r\n2 " + m[1].email_id + "\r\n3 " +
                       m[2].email_id + "\r\n.\r\n");
}

TEST(Pop3Session, UidlsAreUniqueWhenACopyKeepsTheEmailId) {
  auto d = started();
  deliver(*d, kMsg1);
  auto a = d->account("alice@example.org");
  store::MailboxInfo info;
  ASSERT_FALSE(a->find("INBOX", info));
  store::CopyResult copied;
  ASSERT_FALSE(a->copy(info.id, {inbox(*d)[0].uid}, info.id, copied));
  auto m = inbox(*d);
  ASSERT_EQ(m.size(), 2u);
  ASSERT_EQ(m[0].email_id, m[1].email_id);  // RFC 8474: a copy keeps its EMAILID
  login(*d);
  EXPECT_EQ(d->send("UIDL\r\n"), "+OK\r\n1 " + m[0].email_id + "\r\n2 " + m[1].email_id + "." +
                                     std::to_string(m[1].uid) + "\r\n.\r\n");
}

TEST(Pop3Session, EmptyMaildrop) {
  auto d = started();
  login(*d);
  EXPECT_EQ(d->send("STAT\r\nLIST\r\nUIDL\r\nRETR 1\r\nQUIT\r\n"),
            "+OK 0 0\r\n+OK 0 messages (0 octets)\r\n.\r\n+OK\r\n.\r\n"
            "-ERR No such message.\r\n+OK Logging out.\r\n[close]\r\n");
}

TEST(Pop3Session, AccountStoreUnavailable) {
  auto d = started();
  // bob's account opens, but a hook returning nullptr stands for an unreachable store.
  SessionHooks h =
      testing::memory_hooks(store::make_memory_store(), std::make_shared<testing::Locks>(),
                            std::make_shared<std::string>());
  h.open_account = [](const std::string&) { return std::shared_ptr<store::Account>(); };
  Session s(testing::tls_options(), h);
  s.start();
  s.receive_line("USER alice");
  s.receive_line("PASS secret");
  std::string out;
  while (auto o = s.next()) out += o->text;
  EXPECT_EQ(out,
            kGreeting + "+OK\r\n-ERR [SYS/TEMP] Mailbox storage is temporarily unavailable.\r\n");
}

TEST(Pop3Session, RunsWithoutIo) {
  auto d = started();
  Session& s = d->session();
  for (const char* l : {"CAPA", "USER alice", "STLS", "UTF8", "QUIT", "NOOP", "STAT", "XYZ", ""})
    EXPECT_TRUE(s.runs_without_io(l)) << l;
  for (const char* l : {"PASS x", "pass x", "APOP a b", "AUTH PLAIN", "AUTH"})
    EXPECT_FALSE(s.runs_without_io(l)) << l;
  d->send("AUTH PLAIN\r\n");
  EXPECT_FALSE(s.runs_without_io("CAPA"));
  d->send("*\r\n");
  login(*d);
  for (const char* l : {"CAPA", "UIDL", "UIDL 1", "DELE 1", "RSET", "NOOP", "PASS x", "AUTH PLAIN"})
    EXPECT_TRUE(s.runs_without_io(l)) << l;
  for (const char* l : {"STAT", "LIST", "LIST 1", "RETR 1", "TOP 1 1", "QUIT", "quit"})
    EXPECT_FALSE(s.runs_without_io(l)) << l;
}

// An account that forwards to a real one, failing the calls a test picks. Methods carry no
// `override` so that a method the interface gains or loses does not break this file twice.
class FlakyAccount : public store::Account {
 public:
  explicit FlakyAccount(std::shared_ptr<store::Account> a) : a_(std::move(a)) {}
  bool fail_snapshot = false, fail_expunge = false, fail_flags = false, fail_open = false;
  std::error_code io() const { return std::make_error_code(std::errc::io_error); }
  const std::string& name() const { return a_->name(); }
  std::error_code list(std::vector<store::MailboxInfo>& out) { return a_->list(out); }
  std::error_code find(std::string_view n, store::MailboxInfo& out) { return a_->find(n, out); }
  std::error_code create(std::string_view n, store::SpecialUse u, store::MailboxInfo& out) {
    return a_->create(n, u, out);
  }
  std::error_code remove(std::string_view n) { return a_->remove(n); }
  std::error_code rename(std::string_view f, std::string_view t) { return a_->rename(f, t); }
  std::error_code subscriptions(std::vector<std::string>& out) { return a_->subscriptions(out); }
  std::error_code subscribe(std::string_view n, bool on) { return a_->subscribe(n, on); }
  std::error_code snapshot(store::MailboxId m, store::MailboxInfo& info,
                           std::vector<store::MessageInfo>& out) {
    return fail_snapshot ? io() : a_->snapshot(m, info, out);
  }
  std::error_code changes_since(store::MailboxId m, store::ModSeq s, store::ChangesSince& out) {
    return a_->changes_since(m, s, out);
  }
  std::error_code cached(store::MailboxId m, store::Uid u, store::CachedFields& out) {
    return a_->cached(m, u, out);
  }
  std::error_code sort_keys(store::MailboxId m, unsigned f,
                            std::vector<store::MessageSortKeys>& out) {
    return a_->sort_keys(m, f, out);
  }
  std::error_code open(store::MailboxId m, store::Uid u, std::unique_ptr<store::Blob>& out) {
    return fail_open ? io() : a_->open(m, u, out);
  }
  std::error_code append(store::MailboxId m, const store::NewMessage& n, store::AppendResult& out) {
    return a_->append(m, n, out);
  }
  std::error_code deliver(std::string_view n, const store::NewMessage& m, std::string_view k,
                          bool d, store::AppendResult& out) {
    return a_->deliver(n, m, k, d, out);
  }
  std::error_code update_flags(store::MailboxId m, const std::vector<store::Uid>& u,
                               const store::FlagUpdate& f, store::FlagResult& out) {
    return fail_flags ? io() : a_->update_flags(m, u, f, out);
  }
  std::error_code expunge(store::MailboxId m, const std::vector<store::Uid>& u,
                          std::vector<store::Uid>& out) {
    return fail_expunge ? io() : a_->expunge(m, u, out);
  }
  std::error_code expunge_deleted(store::MailboxId, const std::vector<store::Uid>*,
                                  std::vector<store::Uid>&) {
    return io();  // not used by POP3
  }
  std::error_code copy(store::MailboxId f, const std::vector<store::Uid>& u, store::MailboxId t,
                       store::CopyResult& out) {
    return a_->copy(f, u, t, out);
  }
  std::error_code move(store::MailboxId f, const std::vector<store::Uid>& u, store::MailboxId t,
                       store::CopyResult& out) {
    return a_->move(f, u, t, out);
  }
  std::unique_ptr<store::Subscription> watch(store::MailboxId m,
                                             std::function<void(const store::Change&)> f) {
    return a_->watch(m, std::move(f));
  }
  std::error_code rescan(store::MailboxId m) { return a_->rescan(m); }
  std::error_code check_index(store::IndexReport& out) { return a_->check_index(out); }
  std::error_code rebuild_index(store::IndexReport& out) { return a_->rebuild_index(out); }

 private:
  std::shared_ptr<store::Account> a_;
};

// A session on a FlakyAccount over the in-memory store (alice, two messages).
struct FlakySession {
  FlakySession() {
    auto store = store::make_memory_store();
    std::shared_ptr<store::Account> real;
    EXPECT_FALSE(store->account("alice@example.org", real));
    for (const auto* m : {&kMsg1, &kMsg2}) {
      store::NewMessage n;
      n.bytes = *m;
      store::AppendResult r;
      EXPECT_FALSE(real->deliver("INBOX", n, "", false, r));
    }
    account = std::make_shared<FlakyAccount>(real);
    SessionHooks h = testing::memory_hooks(store, std::make_shared<testing::Locks>(), log);
    h.open_account = [a = account](const std::string&) { return a; };
    session = std::make_unique<Session>(testing::tls_options(), h);
    session->start();
    send("");
  }
  std::string send(std::string_view lines) {
    std::size_t pos = 0;
    while (pos < lines.size()) {
      auto eol = lines.find("\r\n", pos);
      session->receive_line(lines.substr(pos, eol - pos));
      pos = eol + 2;
    }
    std::string out;
    while (auto o = session->next()) {
      if (o->kind == Output::Kind::text) out += o->text;
      if (o->kind == Output::Kind::message) out += "[message]\r\n";
      if (o->kind == Output::Kind::close) out += "[close]\r\n";
    }
    return out;
  }
  std::size_t messages() {
    store::MailboxInfo info;
    std::vector<store::MessageInfo> out;
    EXPECT_FALSE(account->find("INBOX", info));
    account->fail_snapshot = false;
    EXPECT_FALSE(account->snapshot(info.id, info, out));
    return out.size();
  }
  std::shared_ptr<std::string> log = std::make_shared<std::string>();
  std::shared_ptr<FlakyAccount> account;
  std::unique_ptr<Session> session;
};

TEST(Pop3Session, SnapshotFailureRefusesTheLogin) {
  FlakySession f;
  f.account->fail_snapshot = true;
  EXPECT_EQ(f.send("USER alice\r\nPASS secret\r\n"),
            "+OK\r\n-ERR [SYS/TEMP] Mailbox storage is temporarily unavailable.\r\n");
  f.account->fail_snapshot = false;
  // The lock taken for the failed attempt was released.
  EXPECT_EQ(f.send("USER alice\r\nPASS secret\r\n"), "+OK\r\n+OK Logged in.\r\n");
}

TEST(Pop3Session, ExpungeFailureAtQuit) {
  FlakySession f;
  f.send("USER alice\r\nPASS secret\r\n");
  f.account->fail_expunge = true;
  EXPECT_EQ(f.send("DELE 1\r\nQUIT\r\n"),
            "+OK Marked to be deleted.\r\n"
            "-ERR [SYS/TEMP] Some deleted messages were not removed.\r\n[close]\r\n");
  EXPECT_EQ(f.messages(), 2u);
  EXPECT_NE(f.log->find("POP3 could not expunge"), std::string::npos);
}

TEST(Pop3Session, SeenFailureAtQuitIsLoggedOnly) {
  FlakySession f;
  f.send("USER alice\r\nPASS secret\r\n");
  f.account->fail_flags = true;
  EXPECT_EQ(f.send("RETR 1\r\nDELE 2\r\nQUIT\r\n"),
            "+OK " + std::to_string(kMsg1.size()) +
                " octets\r\n[message]\r\n+OK Marked to be deleted.\r\n"
                "+OK Logging out, messages deleted.\r\n[close]\r\n");
  EXPECT_EQ(f.messages(), 1u);
  EXPECT_NE(f.log->find("POP3 could not set \\Seen"), std::string::npos);
}

TEST(Pop3Session, OpenFailure) {
  FlakySession f;
  f.send("USER alice\r\nPASS secret\r\n");
  f.account->fail_open = true;
  EXPECT_EQ(f.send("RETR 1\r\nTOP 1 0\r\n"),
            "-ERR [SYS/TEMP] Mailbox storage is temporarily unavailable.\r\n"
            "-ERR [SYS/TEMP] Mailbox storage is temporarily unavailable.\r\n");
  // Sizes fall back to the store's RFC822.SIZE.
  EXPECT_EQ(f.send("LIST 1\r\n"), "+OK 1 " + std::to_string(kMsg1.size()) + "\r\n");
}
}  // namespace
}  // namespace estafeta::pop3
