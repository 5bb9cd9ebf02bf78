// smtp_server_session_test: whole dialogues driven in memory through the sans-I/O core:
// every command, every error reply, every limit, pipelining, STARTTLS command injection,
// AUTH flows, submission rules, shutdown and timeouts.
#include "smtp/proto/smtp_server_session.hpp"

#include <gtest/gtest.h>

#include <string>

#include "smtp/proto/smtp_test_harness.hpp"

namespace estafeta::smtp {
namespace {

using testing::Harness;
using testing::mx_info;

// Sends one command line (CRLF added) and returns what the server answered.
std::string send(Harness& h, std::string_view line) {
  h.feed(std::string(line) + "\r\n");
  return h.take();
}

Harness& started(Harness& h) {
  h.start();
  h.take();
  return h;
}

SessionInfo tls_info(ListenerMode mode = ListenerMode::mx) {
  SessionInfo info = mx_info();
  info.mode = mode;
  info.tls_active = true;
  info.tls_version = "TLSv1.3";
  info.tls_cipher = "TLS_AES_128_GCM_SHA256";
  return info;
}

// "AGFsaWNlQGV4YW1wbGUub3JnAHNlY3JldA==" is "\0alice@example.org\0secret".
constexpr const char* kAlicePlain = "AGFsaWNlQGV4YW1wbGUub3JnAHNlY3JldA==";

void ehlo_and_mail(Harness& h, std::string_view from = "<sender@remote.example>") {
  ASSERT_EQ(send(h, "EHLO client.example").substr(0, 4), "250-");
  ASSERT_EQ(send(h, "MAIL FROM:" + std::string(from)), "250 2.1.0 Ok\r\n");
}

TEST(Session, Greeting) {
  Harness h;
  h.start();
  EXPECT_EQ(h.take(), "220 mx.example.org ESMTP Estafeta\r\n");
  EXPECT_EQ(h.session.phase(), Phase::command);
  EXPECT_FALSE(h.session.closed());
}

TEST(Session, InputBeforeStartWaits) {
  Harness h;
  h.feed("NOOP\r\n");
  EXPECT_EQ(h.take(), "");
  h.start();
  EXPECT_EQ(h.take(), "220 mx.example.org ESMTP Estafeta\r\n250 2.0.0 Ok\r\n");
}

TEST(Session, EhloPlaintextMx) {
  Harness h;
  started(h);
  EXPECT_EQ(send(h, "EHLO client.example"),
            "250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n250-8BITMIME\r\n"
            "250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n250-STARTTLS\r\n250-CHUNKING\r\n"
            "250-DSN\r\n250 HELP\r\n");
}

TEST(Session, EhloUnderTlsOffersAuthNotStarttls) {
  Harness h(tls_info());
  started(h);
  std::string r = send(h, "EHLO client.example");
  EXPECT_NE(r.find("250-AUTH PLAIN LOGIN\r\n"), std::string::npos);
  EXPECT_EQ(r.find("STARTTLS"), std::string::npos);
}

TEST(Session, EhloWithoutCertificateHasNoStarttls) {
  SessionInfo info = mx_info();
  info.starttls_available = false;
  Harness h(info);
  started(h);
  std::string r = send(h, "EHLO client.example");
  EXPECT_EQ(r.find("STARTTLS"), std::string::npos);
  EXPECT_EQ(r.find("AUTH"), std::string::npos);
  EXPECT_EQ(send(h, "STARTTLS"), "502 5.5.1 Error: STARTTLS not available\r\n");
}

TEST(Session, EhloLoopbackPlainAuth) {
  SessionInfo info = mx_info();
  info.peer_is_loopback = true;
  info.allow_plain_auth_on_loopback = true;
  Harness h(info);
  started(h);
  EXPECT_NE(send(h, "EHLO localhost").find("250-AUTH PLAIN LOGIN\r\n"), std::string::npos);
  EXPECT_EQ(send(h, std::string("AUTH PLAIN ") + kAlicePlain),
            "235 2.7.0 Authentication successful\r\n");
  // Loopback alone is not enough without the configuration switch.
  SessionInfo off = mx_info();
  off.peer_is_loopback = true;
  Harness h2(off);
  started(h2);
  EXPECT_EQ(send(h2, "EHLO localhost").find("AUTH"), std::string::npos);
}

TEST(Session, HeloAndSyntax) {
  Harness h;
  started(h);
  EXPECT_EQ(send(h, "HELO client.example"), "250 mx.example.org\r\n");
  EXPECT_EQ(send(h, "EHLO"), "501 5.5.4 Syntax: EHLO hostname\r\n");
  EXPECT_EQ(send(h, "HELO a b"), "501 5.5.4 Syntax: HELO hostname\r\n");
}

TEST(Session, FullDeliveryWithReceived) {
  Harness h;
  started(h);
  ehlo_and_mail(h);
  EXPECT_EQ(send(h, "RCPT TO:<alice@example.org>"), "250 2.1.5 Ok\r\n");
  EXPECT_EQ(send(h, "DATA"), "354 End data with <CR><LF>.<CR><LF>\r\n");
  EXPECT_EQ(h.session.phase(), Phase::data);
  h.feed("Subject: hi\r\n\r\nHello\r\n..dot\r\n.\r\n");
  EXPECT_EQ(h.take(), "250 2.0.0 Ok: queued as ID1\r\n");
  EXPECT_EQ(h.session.phase(), Phase::command);
  ASSERT_EQ(h.stored.size(), 1u);
  const auto& m = h.stored[0];
  EXPECT_EQ(m.envelope.mail_from, "sender@remote.example");
  EXPECT_EQ(m.envelope.helo, "client.example");
  EXPECT_EQ(m.envelope.id, "ID1");
  ASSERT_EQ(m.envelope.recipients.size(), 1u);
  EXPECT_EQ(m.envelope.recipients[0].address, "alice@example.org");
  EXPECT_EQ(m.message,
            "Received: from client.example ([192.0.2.1])\r\n"
            "\tby mx.example.org (Estafeta) with ESMTP id ID1\r\n"
            "\tfor <alice@example.org>;\r\n"
            "\tSat, 28 Nov 2026 03:17:28 +0000\r\n"
            "Subject: hi\r\n\r\nHello\r\n.dot\r\n");
  EXPECT_EQ(h.log,
            (std::vector<std::string>{"CheckRecipient alice@example.org", "StoreMessage ID1"}));
}

TEST(Session, EmptyMessageAndLoneDots) {
  Harness h;
  started(h);
  ehlo_and_mail(h);
  send(h, "RCPT TO:<alice@example.org>");
  send(h, "DATA");
  h.feed(".\r\n");
  EXPECT_EQ(h.take(), "250 2.0.0 Ok: queued as ID1\r\n");
  ASSERT_EQ(h.stored.size(), 1u);
  EXPECT_EQ(h.stored[0].message.substr(h.stored[0].message.find("+0000\r\n") + 7), "");
  // A lone "." not preceded by CRLF does not end the data; "\n.\n" neither.
  send(h, "MAIL FROM:<>");
  send(h, "RCPT TO:<alice@example.org>");
  send(h, "DATA");
  h.feed("a.\r\nb\r\n.x\r\n..\r\n.\r\n");
  EXPECT_EQ(h.take(), "250 2.0.0 Ok: queued as ID2\r\n");
  std::string body = h.stored[1].message.substr(h.stored[1].message.find("+0000\r\n") + 7);
  EXPECT_EQ(body, "a.\r\nb\r\nx\r\n.\r\n");
}

TEST(Session, MultipleRecipientsNoForClause) {
  Harness h;
  started(h);
  ehlo_and_mail(h);
  send(h, "RCPT TO:<alice@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;alice+40example.org");
  send(h, "RCPT TO:<bob@example.org>");
  send(h, "DATA");
  h.feed("x\r\n.\r\n");
  ASSERT_EQ(h.stored.size(), 1u);
  EXPECT_EQ(h.stored[0].message.find("for <"), std::string::npos);
  const auto& r = h.stored[0].envelope.recipients;
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].dsn.notify, "SUCCESS,FAILURE");
  EXPECT_EQ(r[0].dsn.orcpt, "rfc822;alice+40example.org");
  EXPECT_EQ(r[1].dsn.notify, "");
}

TEST(Session, DuplicateRecipientAcceptedOnce) {
  Harness h;
  started(h);
  ehlo_and_mail(h);
  EXPECT_EQ(send(h, "RCPT TO:<alice@example.org>"), "250 2.1.5 Ok\r\n");
  EXPECT_EQ(send(h, "RCPT TO:<ALICE@Example.ORG>"), "250 2.1.5 Ok\r\n");
  EXPECT_EQ(send(h, "RCPT TO:<\"alice\"@example.org>"), "250 2.1.5 Ok\r\n");
  send(h, "DATA");
  h.feed("x\r\n.\r\n");
  ASSERT_EQ(h.stored.size(), 1u);
  EXPECT_EQ(h.stored[0].envelope.recipients.size(), 1u);
  EXPECT_EQ(h.log,
            (std::vector<std::string>{"CheckRecipient alice@example.org", "StoreMessage ID1"}));
}

TEST(Session, EnvelopeParameters) {
  Harness h;
  started(h);
  send(h, "EHLO c.example");
  EXPECT_EQ(send(h,
                 "MAIL FROM:<a@remote.example> BODY=8BITMIME RET=HDRS ENVID=abc SIZE=100 "
                 "AUTH=<>"),
            "250 2.1.0 Ok\r\n");
  send(h, "RCPT TO:<bob@example.org>");
  send(h, "DATA");
  h.feed("x\r\n.\r\n");
  ASSERT_EQ(h.stored.size(), 1u);
  const auto& e = h.stored[0].envelope;
  EXPECT_EQ(e.body, "8BITMIME");
  EXPECT_EQ(e.ret, "HDRS");
  EXPECT_EQ(e.envid, "abc");
  EXPECT_FALSE(e.smtputf8);
}

TEST(Session, Utf8Addresses) {
  Harness h;
  h.verdict = [](const std::string&) { return RecipientVerdict::local; };
  started(h);
  send(h, "EHLO c.example");
  EXPECT_EQ(send(h, "MAIL FROM:<josé@remote.example>"),
            "553 5.6.7 Non-ASCII address requires SMTPUTF8\r\n");
  EXPECT_EQ(send(h, "MAIL FROM:<a@remote.example>"), "250 2.1.0 Ok\r\n");
  EXPECT_EQ(send(h, "RCPT TO:<δοκιμή@example.org>"),
            "553 5.6.7 Non-ASCII address requires SMTPUTF8\r\n");
  send(h, "RSET");
  EXPECT_EQ(send(h, "MAIL FROM:<josé@remote.example> SMTPUTF8"), "250 2.1.0 Ok\r\n");
  EXPECT_EQ(send(h, "RCPT TO:<δοκιμή@example.org>"), "250 2.1.5 Ok\r\n");
  send(h, "DATA");
  h.feed("x\r\n.\r\n");
  ASSERT_EQ(h.stored.size(), 1u);
  EXPECT_TRUE(h.stored[0].envelope.smtputf8);
  EXPECT_NE(h.stored[0].message.find("with UTF8SMTP id"), std::string::npos);
  EXPECT_NE(h.stored[0].message.find("for <δοκιμή@example.org>"), std::string::npos);
}

TEST(Session, RequireTlsOnlyOverTls) {  // RFC 8689 §3
  {
    Harness h;
    h.verdict = [](const std::string&) { return RecipientVerdict::local; };
    started(h);
    EXPECT_EQ(send(h, "EHLO c.example").find("REQUIRETLS"), std::string::npos);
    EXPECT_EQ(send(h, "MAIL FROM:<a@remote.example> REQUIRETLS"),
              "530 5.7.10 REQUIRETLS needs a TLS connection: issue STARTTLS first\r\n");
  }
  Harness h(tls_info());
  h.verdict = [](const std::string&) { return RecipientVerdict::local; };
  started(h);
  EXPECT_NE(send(h, "EHLO c.example").find("250-REQUIRETLS\r\n"), std::string::npos);
  EXPECT_EQ(send(h, "MAIL FROM:<a@remote.example> REQUIRETLS=yes"),
            "501 5.5.4 REQUIRETLS takes no value\r\n");
  EXPECT_EQ(send(h, "MAIL FROM:<a@remote.example> REQUIRETLS"), "250 2.1.0 Ok\r\n");
  EXPECT_EQ(send(h, "RCPT TO:<alice@example.org>"), "250 2.1.5 Ok\r\n");
  send(h, "DATA");
  h.feed("x\r\n.\r\n");
  h.take();
  ASSERT_EQ(h.stored.size(), 1u);
  EXPECT_TRUE(h.stored[0].envelope.requiretls);
  EXPECT_EQ(send(h, "MAIL FROM:<a@remote.example>"), "250 2.1.0 Ok\r\n");
  EXPECT_EQ(send(h, "RCPT TO:<alice@example.org>"), "250 2.1.5 Ok\r\n");
  send(h, "DATA");
  h.feed("y\r\n.\r\n");
  ASSERT_EQ(h.stored.size(), 2u);
  EXPECT_FALSE(h.stored[1].envelope.requiretls);
}

TEST(Session, QuotedRecipientAndPostmaster) {
  Harness h;
  started(h);
  ehlo_and_mail(h);
  EXPECT_EQ(send(h, "RCPT TO:<\"john doe\"@example.org>"), "250 2.1.5 Ok\r\n");
  EXPECT_EQ(send(h, "RCPT TO:<Postmaster>"), "250 2.1.5 Ok\r\n");
  EXPECT_EQ(h.log, (std::vector<std::string>{"CheckRecipient john doe@example.org",
                                             "CheckRecipient postmaster@mx.example.org"}));
}

TEST(Session, BadSequence) {
  Harness h;
  started(h);
  EXPECT_EQ(send(h, "MAIL FROM:<a@b.example>"), "503 5.5.1 Error: send EHLO or HELO first\r\n");
  EXPECT_EQ(send(h, "EHLO c.example").substr(0, 4), "250-");
  EXPECT_EQ(send(h, "RCPT TO:<alice@example.org>"), "503 5.5.1 Error: need MAIL command\r\n");
  EXPECT_EQ(send(h, "DATA"), "503 5.5.1 Error: need MAIL command\r\n");
  EXPECT_EQ(send(h, "MAIL FROM:<a@b.example>"), "250 2.1.0 Ok\r\n");
  EXPECT_EQ(send(h, "MAIL FROM:<a@b.example>"), "503 5.5.1 Error: nested MAIL command\r\n");
  EXPECT_EQ(send(h, "DATA"), "554 5.5.1 Error: no valid recipients\r\n");
  EXPECT_EQ(send(h, "DATA x"), "501 5.5.4 Syntax: DATA\r\n");
  EXPECT_EQ(send(h, "RSET x"), "501 5.5.4 Syntax: RSET\r\n");
}

TEST(Session, MailSyntaxErrors) {
  Harness h;
  started(h);
  send(h, "EHLO c.example");
  EXPECT_EQ(send(h, "MAIL TO:<a@b.example>"), "501 5.5.2 Syntax: MAIL FROM:<address>\r\n");
  EXPECT_EQ(send(h, "MAIL FROM:<a@@b.example>"), "501 5.1.7 Bad domain\r\n");
  EXPECT_EQ(send(h, "MAIL FROM:<a@b.example> FOO=1"), "555 5.5.4 Unsupported parameter FOO\r\n");
  EXPECT_EQ(send(h, "MAIL FROM:<a@b.example> SIZE=x"), "501 5.5.4 Bad SIZE parameter\r\n");
  EXPECT_EQ(send(h, "MAIL FROM:<a@b.example>"), "250 2.1.0 Ok\r\n");
  EXPECT_EQ(send(h, "RCPT TO:<>"), "501 5.1.3 Null address not allowed here\r\n");
  EXPECT_EQ(send(h, "RCPT TO:<b@example.org> FOO"), "555 5.5.4 Unsupported parameter FOO\r\n");
  EXPECT_EQ(send(h, "RCPT TO:<b@example.org> NOTIFY=NEVER,DELAY"),
            "501 5.5.4 Bad NOTIFY parameter\r\n");
}

TEST(Session, RecipientVerdicts) {
  Harness h;
  started(h);
  ehlo_and_mail(h);
  EXPECT_EQ(send(h, "RCPT TO:<nobody@example.org>"),
            "550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown\r\n");
  EXPECT_EQ(send(h, "RCPT TO:<x@elsewhere.example>"),
            "554 5.7.1 <x@elsewhere.example>: Relay access denied\r\n");
  EXPECT_EQ(send(h, "RCPT TO:<temp@example.org>"),
            "451 4.3.0 <temp@example.org>: Temporary lookup failure, try again later\r\n");
  EXPECT_EQ(send(h, "DATA"), "554 5.5.1 Error: no valid recipients\r\n");
}

TEST(Session, AuthenticatedRemoteRecipient) {
  Harness h(tls_info(ListenerMode::submission));
  started(h);
  send(h, "EHLO c.example");
  EXPECT_EQ(send(h, std::string("AUTH PLAIN ") + kAlicePlain),
            "235 2.7.0 Authentication successful\r\n");
  EXPECT_EQ(send(h, "MAIL FROM:<alice@example.org>"), "250 2.1.0 Ok\r\n");
  EXPECT_EQ(send(h, "RCPT TO:<x@elsewhere.example>"),
            "550 5.7.1 <x@elsewhere.example>: remote delivery not available: Estafeta has no "
            "outbound queue yet\r\n");
}

// With an outbound queue, an authenticated client's recipient in another domain is accepted
// and marked remote (without AUTH it is still "Relay access denied": RecipientVerdicts).
TEST(Session, AuthenticatedRemoteRecipientIsQueuedWhenRelayIsOn) {
  SessionInfo info = tls_info(ListenerMode::submission);
  info.relay_for_authenticated = true;
  Harness h(info);
  started(h);
  send(h, "EHLO c.example");
  EXPECT_EQ(send(h, std::string("AUTH PLAIN ") + kAlicePlain),
            "235 2.7.0 Authentication successful\r\n");
  EXPECT_EQ(send(h, "MAIL FROM:<alice@example.org>"), "250 2.1.0 Ok\r\n");
  EXPECT_EQ(send(h, "RCPT TO:<x@elsewhere.example> NOTIFY=FAILURE"), "250 2.1.5 Ok\r\n");
  EXPECT_EQ(send(h, "RCPT TO:<bob@example.org>"), "250 2.1.5 Ok\r\n");
  send(h, "DATA");
  h.feed("Subject: out\r\n\r\nHello\r\n.\r\n");
  ASSERT_EQ(h.stored.size(), 1u);
  const Envelope& env = h.stored[0].envelope;
  ASSERT_EQ(env.recipients.size(), 2u);
  EXPECT_TRUE(env.recipients[0].remote);
  EXPECT_EQ(env.recipients[0].dsn.notify, "FAILURE");
  EXPECT_FALSE(env.recipients[1].remote);
}

// smtp.relay_networks: a client the driver found in them relays on the MX listener without
// AUTH (Postfix's mynetworks), but only when there is an outbound queue.
TEST(Session, RelayClientRelaysWithoutAuth) {
  SessionInfo info = mx_info();
  info.relay_client = true;
  info.relay_for_authenticated = true;
  Harness h(info);
  started(h);
  ehlo_and_mail(h);
  EXPECT_EQ(send(h, "RCPT TO:<x@elsewhere.example>"), "250 2.1.5 Ok\r\n");
  send(h, "DATA");
  h.feed("Subject: out\r\n\r\nHello\r\n.\r\n");
  ASSERT_EQ(h.stored.size(), 1u);
  ASSERT_EQ(h.stored[0].envelope.recipients.size(), 1u);
  EXPECT_TRUE(h.stored[0].envelope.recipients[0].remote);
}

TEST(Session, RelayClientWithoutOutboundQueueIsDenied) {
  SessionInfo info = mx_info();
  info.relay_client = true;
  Harness h(info);
  started(h);
  ehlo_and_mail(h);
  EXPECT_EQ(send(h, "RCPT TO:<x@elsewhere.example>"),
            "554 5.7.1 <x@elsewhere.example>: Relay access denied\r\n");
}

TEST(Session, OtherClientsStillNeedAuthToRelay) {
  SessionInfo info = mx_info();
  info.relay_for_authenticated = true;
  Harness h(info);
  started(h);
  ehlo_and_mail(h);
  EXPECT_EQ(send(h, "RCPT TO:<x@elsewhere.example>"),
            "554 5.7.1 <x@elsewhere.example>: Relay access denied\r\n");
}

TEST(Session, TooManyRecipients) {
  Limits limits;
  limits.max_recipients = 2;
  Harness h(mx_info(), limits);
  started(h);
  ehlo_and_mail(h);
  EXPECT_EQ(send(h, "RCPT TO:<alice@example.org>"), "250 2.1.5 Ok\r\n");
  EXPECT_EQ(send(h, "RCPT TO:<bob@example.org>"), "250 2.1.5 Ok\r\n");
  for (int i = 0; i < 20; ++i)  // 4xx does not count toward max_errors
    EXPECT_EQ(send(h, "RCPT TO:<postmaster@example.org>"),
              "452 4.5.3 Error: too many recipients\r\n");
  EXPECT_FALSE(h.session.closed());
  send(h, "DATA");
  h.feed("x\r\n.\r\n");
  EXPECT_EQ(h.take(), "250 2.0.0 Ok: queued as ID1\r\n");
}

TEST(Session, UnknownCommandAndMaxErrors) {
  Limits limits;
  limits.max_errors = 3;
  Harness h(mx_info(), limits);
  started(h);
  EXPECT_EQ(send(h, "TURN"), "500 5.5.2 Error: command not recognized\r\n");
  EXPECT_EQ(send(h, "XYZZY now"), "500 5.5.2 Error: command not recognized\r\n");
  EXPECT_EQ(send(h, "NOOP"), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(h.closes, 0);
  EXPECT_EQ(send(h, "MAIL FROM:<>"),
            "503 5.5.1 Error: send EHLO or HELO first\r\n"
            "421 4.7.0 mx.example.org Error: too many errors\r\n");
  EXPECT_EQ(h.closes, 1);
  EXPECT_TRUE(h.session.closed());
  EXPECT_EQ(send(h, "NOOP"), "");
}

TEST(Session, CommandLineTooLong) {
  Limits limits;
  limits.max_command_line = 64;
  Harness h(mx_info(), limits);
  started(h);
  // 62 octets + CRLF = 64: accepted.
  EXPECT_EQ(send(h, "NOOP " + std::string(57, 'x')), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(send(h, "NOOP " + std::string(58, 'x')),
            "500 5.5.2 Line too long (limit 64 octets)\r\n");
  // A very long line fed in pieces is answered once, after its end.
  for (int i = 0; i < 1000; ++i) h.feed(std::string(1000, 'y'));
  EXPECT_EQ(h.take(), "");
  h.feed("\r\nNOOP\r\n");
  EXPECT_EQ(h.take(), "500 5.5.2 Line too long (limit 64 octets)\r\n250 2.0.0 Ok\r\n");
}

TEST(Session, BareLfAndNulInCommands) {
  Harness h;
  started(h);
  h.feed("NOOP\n");
  EXPECT_EQ(h.take(), "500 5.5.2 Bare LF in command; lines must end with CRLF\r\n");
  h.feed("\n");
  EXPECT_EQ(h.take(), "500 5.5.2 Bare LF in command; lines must end with CRLF\r\n");
  h.feed(std::string("NOOP\0x\r\n", 8));
  EXPECT_EQ(h.take(), "500 5.5.2 NUL octet in command\r\n");
  EXPECT_EQ(send(h, "NOOP"), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(send(h, ""), "500 5.5.2 Error: command not recognized\r\n");
}

void start_data(Harness& h) {
  ehlo_and_mail(h);
  ASSERT_EQ(send(h, "RCPT TO:<alice@example.org>"), "250 2.1.5 Ok\r\n");
  ASSERT_EQ(send(h, "DATA"), "354 End data with <CR><LF>.<CR><LF>\r\n");
}

void expect_session_usable(Harness& h) {
  std::size_t before = h.stored.size();
  EXPECT_EQ(send(h, "MAIL FROM:<>"), "250 2.1.0 Ok\r\n");
  EXPECT_EQ(send(h, "RCPT TO:<alice@example.org>"), "250 2.1.5 Ok\r\n");
  EXPECT_EQ(send(h, "DATA"), "354 End data with <CR><LF>.<CR><LF>\r\n");
  h.feed("ok\r\n.\r\n");
  EXPECT_EQ(h.take().substr(0, 25), "250 2.0.0 Ok: queued as I");
  EXPECT_EQ(h.stored.size(), before + 1);
}

TEST(Session, DataBareLfRejectedAfterTheEnd) {
  Harness h;
  started(h);
  start_data(h);
  h.feed("line one\nline two\r\n\n.\n");  // "\n.\n" is not the end
  EXPECT_EQ(h.take(), "");
  h.feed(".\r\n");  // still not the end: no CRLF before the dot
  EXPECT_EQ(h.take(), "");
  h.feed("\r\n.\r\n");
  EXPECT_EQ(h.take(), "550 5.6.2 Bare CR or LF in message text; lines must end with CRLF\r\n");
  EXPECT_TRUE(h.stored.empty());
  expect_session_usable(h);
}

TEST(Session, DataBareCrRejected) {
  Harness h;
  started(h);
  start_data(h);
  h.feed("a\rb\r\n\r.\r\n.\r\n");
  EXPECT_EQ(h.take(), "550 5.6.2 Bare CR or LF in message text; lines must end with CRLF\r\n");
  EXPECT_TRUE(h.stored.empty());
}

TEST(Session, DataNul) {
  Harness h;
  started(h);
  start_data(h);
  h.feed(std::string("a\0b\r\n.\r\n", 8));
  EXPECT_EQ(h.take(), "554 5.6.0 NUL octet in message text\r\n");
  EXPECT_TRUE(h.stored.empty());
  expect_session_usable(h);
}

TEST(Session, DataLineTooLong) {
  Limits limits;
  limits.max_line_length = 100;
  Harness h(mx_info(), limits);
  started(h);
  start_data(h);
  h.feed(std::string(98, 'a') + "\r\n");  // exactly 100 with CRLF: fine
  h.feed(std::string(99, 'b') + "\r\n");  // 101: too long
  h.feed(".\r\n");
  EXPECT_EQ(h.take(), "500 5.5.2 Line too long in message text (limit 100 octets)\r\n");
  EXPECT_TRUE(h.stored.empty());
  expect_session_usable(h);
}

TEST(Session, DataTooBigIsDrained) {
  Limits limits;
  limits.max_message_size = 100;
  Harness h(mx_info(), limits);
  started(h);
  start_data(h);
  for (int i = 0; i < 100; ++i) h.feed(std::string(50, 'x') + "\r\n");
  EXPECT_EQ(h.take(), "");
  h.feed(".\r\n");
  EXPECT_EQ(h.take(), "552 5.3.4 Message size exceeds fixed limit of 100 octets\r\n");
  EXPECT_TRUE(h.stored.empty());
  expect_session_usable(h);
  // Exactly at the limit is accepted (Received is not counted).
  send(h, "MAIL FROM:<>");
  send(h, "RCPT TO:<alice@example.org>");
  send(h, "DATA");
  h.feed(std::string(98, 'x') + "\r\n.\r\n");
  EXPECT_EQ(h.take(), "250 2.0.0 Ok: queued as ID3\r\n");
}

TEST(Session, DeclaredSizeTooBig) {
  Limits limits;
  limits.max_message_size = 1000;
  Harness h(mx_info(), limits);
  started(h);
  send(h, "EHLO c.example");
  EXPECT_EQ(send(h, "MAIL FROM:<> SIZE=1001"),
            "552 5.3.4 Message size exceeds fixed limit of 1000 octets\r\n");
  EXPECT_EQ(send(h, "MAIL FROM:<> SIZE=1000"), "250 2.1.0 Ok\r\n");
}

TEST(Session, TooManyReceivedFields) {
  Limits limits;
  limits.max_received_headers = 2;
  Harness h(mx_info(), limits);
  started(h);
  start_data(h);
  h.feed("Received: a\r\nreceived : b\r\nRECEIVED:c\r\nSubject: x\r\n\r\nbody\r\n.\r\n");
  EXPECT_EQ(h.take(), "554 5.4.6 Too many Received header fields (more than 2): mail loop\r\n");
  EXPECT_TRUE(h.stored.empty());
  // Two are fine, and Received in the body does not count.
  expect_session_usable(h);
  send(h, "MAIL FROM:<>");
  send(h, "RCPT TO:<alice@example.org>");
  send(h, "DATA");
  h.feed("Received: a\r\nReceived: b\r\n\r\nReceived: c\r\n.\r\n");
  EXPECT_EQ(h.take().substr(0, 3), "250");
}

TEST(Session, StoreFailure) {
  Harness h;
  h.store_ok = false;
  started(h);
  start_data(h);
  h.feed("x\r\n.\r\n");
  EXPECT_EQ(h.take(), "451 4.3.0 Error: could not store the message, try again later\r\n");
  // The transaction is over: a new MAIL is accepted.
  EXPECT_EQ(send(h, "MAIL FROM:<>"), "250 2.1.0 Ok\r\n");
}

TEST(Session, Bdat) {
  Harness h;
  started(h);
  ehlo_and_mail(h);
  send(h, "RCPT TO:<alice@example.org>");
  h.feed("BDAT 7\r\nHello\r\n");
  EXPECT_EQ(h.take(), "250 2.0.0 Ok: 7 octets received\r\n");
  h.feed("BDAT 8 LAST\r\n");
  EXPECT_EQ(h.session.phase(), Phase::data);
  h.feed(".World\r\n");
  EXPECT_EQ(h.take(), "250 2.0.0 Ok: queued as ID1\r\n");
  ASSERT_EQ(h.stored.size(), 1u);
  EXPECT_EQ(h.stored[0].message.substr(h.stored[0].message.find("+0000\r\n") + 7),
            "Hello\r\n.World\r\n");  // no dot-unstuffing in BDAT
}

TEST(Session, BdatZeroLastAndDataAfterBdat) {
  Harness h;
  started(h);
  ehlo_and_mail(h);
  send(h, "RCPT TO:<alice@example.org>");
  h.feed("BDAT 3\r\na\r\n");
  EXPECT_EQ(h.take(), "250 2.0.0 Ok: 3 octets received\r\n");
  EXPECT_EQ(send(h, "DATA"), "503 5.5.1 Error: DATA not allowed during BDAT transfer\r\n");
  EXPECT_EQ(send(h, "RCPT TO:<bob@example.org>"),
            "503 5.5.1 Error: RCPT not allowed during BDAT transfer\r\n");
  EXPECT_EQ(send(h, "BDAT 0 LAST"), "250 2.0.0 Ok: queued as ID1\r\n");
}

TEST(Session, BdatRefusedChunksStayInStep) {
  Harness h;
  started(h);
  send(h, "EHLO c.example");
  // No MAIL: the chunk (which looks like commands) is consumed, not executed.
  h.feed("BDAT 12\r\nQUIT\r\nNOOP\r\n");
  EXPECT_EQ(h.take(), "503 5.5.1 Error: need MAIL command\r\n");
  EXPECT_FALSE(h.session.closed());
  send(h, "MAIL FROM:<>");
  h.feed("BDAT 6 LAST\r\nQUIT\r\n");
  EXPECT_EQ(h.take(), "554 5.5.1 Error: no valid recipients\r\n");
  send(h, "RCPT TO:<alice@example.org>");
  h.feed("BDAT 6 FIRST\r\nQUIT\r\n");
  EXPECT_EQ(h.take(), "501 5.5.4 Syntax: BDAT chunk-size [LAST]\r\n");
  EXPECT_FALSE(h.session.closed());
  h.feed("BDAT 4 LAST\r\nab\r\n");
  EXPECT_EQ(h.take(), "250 2.0.0 Ok: queued as ID1\r\n");
}

TEST(Session, BdatUnknownSizeCloses) {
  Harness h;
  started(h);
  send(h, "EHLO c.example");
  EXPECT_EQ(send(h, "BDAT lots"), "501 5.5.4 Syntax: BDAT chunk-size [LAST]\r\n");
  EXPECT_TRUE(h.session.closed());
}

TEST(Session, BdatTooBig) {
  Limits limits;
  limits.max_message_size = 10;
  Harness h(mx_info(), limits);
  started(h);
  ehlo_and_mail(h);
  send(h, "RCPT TO:<alice@example.org>");
  h.feed("BDAT 8\r\n12345678");
  EXPECT_EQ(h.take(), "250 2.0.0 Ok: 8 octets received\r\n");
  h.feed("BDAT 8\r\n12345678");
  EXPECT_EQ(h.take(), "552 5.3.4 Message size exceeds fixed limit of 10 octets\r\n");
  h.feed("BDAT 1000000\r\n");
  for (int i = 0; i < 1000; ++i) h.feed(std::string(1000, 'z'));
  EXPECT_EQ(h.take(), "552 5.3.4 Message size exceeds fixed limit of 10 octets\r\n");
  h.feed("BDAT 2 LAST\r\n\r\n");
  EXPECT_EQ(h.take(), "552 5.3.4 Message size exceeds fixed limit of 10 octets\r\n");
  EXPECT_TRUE(h.stored.empty());
  // The transaction ended with LAST.
  EXPECT_EQ(send(h, "MAIL FROM:<>"), "250 2.1.0 Ok\r\n");
}

TEST(Session, BdatBareLfRejectedAtLast) {
  Harness h;
  started(h);
  ehlo_and_mail(h);
  send(h, "RCPT TO:<alice@example.org>");
  h.feed("BDAT 2\r\na\n");
  EXPECT_EQ(h.take(), "250 2.0.0 Ok: 2 octets received\r\n");
  h.feed("BDAT 0 LAST\r\n");
  EXPECT_EQ(h.take(), "550 5.6.2 Bare CR or LF in message text; lines must end with CRLF\r\n");
  // A CRLF split across chunks is fine.
  send(h, "MAIL FROM:<>");
  send(h, "RCPT TO:<alice@example.org>");
  h.feed("BDAT 2\r\na\r");
  h.feed("BDAT 1 LAST\r\n\n");
  EXPECT_EQ(h.take(), "250 2.0.0 Ok: 2 octets received\r\n250 2.0.0 Ok: queued as ID2\r\n");
}

TEST(Session, BdatRsetClearsTransfer) {
  Harness h;
  started(h);
  ehlo_and_mail(h);
  send(h, "RCPT TO:<alice@example.org>");
  h.feed("BDAT 3\r\nabc");
  h.take();
  EXPECT_EQ(send(h, "RSET"), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(send(h, "MAIL FROM:<>"), "250 2.1.0 Ok\r\n");
  send(h, "RCPT TO:<alice@example.org>");
  h.feed("BDAT 4 LAST\r\nxy\r\n");
  EXPECT_EQ(h.take(), "250 2.0.0 Ok: queued as ID2\r\n");
  EXPECT_EQ(h.stored[0].message.substr(h.stored[0].message.find("+0000\r\n") + 7), "xy\r\n");
}

TEST(Session, PipeliningInOneRead) {
  Harness h;
  started(h);
  h.feed(
      "EHLO c.example\r\nMAIL FROM:<a@remote.example>\r\nRCPT TO:<alice@example.org>\r\n"
      "RCPT TO:<nobody@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n");
  std::string r = h.take();
  EXPECT_NE(r.find("250 HELP\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 <nobody@example.org>"),
            std::string::npos);
  EXPECT_NE(r.find("User unknown\r\n250 2.1.5 Ok\r\n354 "), std::string::npos);
  h.feed("x\r\n.\r\nQUIT\r\n");
  EXPECT_EQ(h.take(), "250 2.0.0 Ok: queued as ID1\r\n221 2.0.0 Bye\r\n");
  EXPECT_EQ(h.closes, 1);
}

TEST(Session, PipelinedInputWaitsForAnswers) {
  Harness h;
  h.answer_requests = false;
  started(h);
  h.feed(
      "EHLO c.example\r\nMAIL FROM:<a@remote.example>\r\nRCPT TO:<alice@example.org>\r\n"
      "RCPT TO:<bob@example.org>\r\nNOOP\r\n");
  h.take();
  ASSERT_EQ(h.pending.size(), 1u);
  EXPECT_EQ(std::get<CheckRecipient>(h.pending[0]).address, "alice@example.org");
  // Nothing more until the answer; further input waits too.
  h.feed("NOOP\r\n");
  EXPECT_EQ(h.take(), "");
  EXPECT_EQ(h.session.next_event(), std::nullopt);
  h.pending.clear();
  h.session.recipient_checked(RecipientVerdict::local);
  h.drain();
  EXPECT_EQ(h.take(), "250 2.1.5 Ok\r\n");
  ASSERT_EQ(h.pending.size(), 1u);
  EXPECT_EQ(std::get<CheckRecipient>(h.pending[0]).address, "bob@example.org");
  h.session.recipient_checked(RecipientVerdict::unknown_user);
  h.drain();
  EXPECT_EQ(h.take(),
            "550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown\r\n"
            "250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n");
  // An answer nobody asked for is ignored.
  h.session.message_stored(true);
  h.drain();
  EXPECT_EQ(h.take(), "");
}

// RFC 9208 quota at RCPT: a full mailbox is a temporary refusal (452 4.2.2, RFC 3463 §3.3),
// the transaction goes on with the other recipients.
TEST(Session, FullMailboxIsRefusedForNowAtRcpt) {
  Harness h;
  h.answer_requests = false;
  started(h);
  h.feed("EHLO c.example\r\nMAIL FROM:<a@remote.example>\r\nRCPT TO:<full@example.org>\r\n");
  h.take();
  ASSERT_EQ(h.pending.size(), 1u);
  h.pending.clear();
  h.session.recipient_checked(RecipientVerdict::mailbox_full);
  h.drain();
  EXPECT_EQ(h.take(), "452 4.2.2 <full@example.org>: Mailbox full, try again later\r\n");
  h.feed("RCPT TO:<alice@example.org>\r\n");
  ASSERT_EQ(h.pending.size(), 1u);
  h.session.recipient_checked(RecipientVerdict::local);
  h.drain();
  EXPECT_EQ(h.take(), "250 2.1.5 Ok\r\n");
}

TEST(Session, LongPipelinedBatchAnsweredOneByOne) {
  Limits limits;
  limits.max_recipients = 1000;
  Harness h(mx_info(), limits);
  h.answer_requests = false;
  started(h);
  std::string batch = "EHLO c.example\r\nMAIL FROM:<>\r\n";
  for (int i = 0; i < 400; ++i) batch += "RCPT TO:<user" + std::to_string(i) + "@example.org>\r\n";
  batch += "NOOP\r\n";
  h.feed(batch);
  h.take();
  for (int i = 0; i < 400; ++i) {
    ASSERT_EQ(h.pending.size(), 1u) << i;
    h.pending.clear();
    h.session.recipient_checked(RecipientVerdict::local);
    h.drain();
    EXPECT_EQ(h.take(), i == 399 ? "250 2.1.5 Ok\r\n250 2.0.0 Ok\r\n" : "250 2.1.5 Ok\r\n");
  }
  EXPECT_TRUE(h.pending.empty());
}

TEST(Session, PipelinedInputBehindARequestIsBounded) {
  Limits limits;
  limits.max_command_line = 512;
  limits.max_line_length = 1000;
  Harness h(mx_info(), limits);
  h.answer_requests = false;
  started(h);
  h.feed("EHLO c.example\r\nMAIL FROM:<>\r\nRCPT TO:<alice@example.org>\r\n");
  h.take();
  ASSERT_EQ(h.pending.size(), 1u);
  for (int i = 0; i < 100; ++i) h.feed(std::string(1000, 'n'));  // 100 KB > 512+1000+64 KiB
  h.session.recipient_checked(RecipientVerdict::local);
  h.drain();
  EXPECT_EQ(h.take(),
            "250 2.1.5 Ok\r\n421 4.7.0 mx.example.org Error: too much pipelined input\r\n");
  EXPECT_TRUE(h.session.closed());
}

TEST(Session, StarttlsDiscardsInjectedCommands) {
  Harness h;
  h.answer_requests = false;
  started(h);
  send(h, "EHLO c.example");
  h.feed("STARTTLS\r\nMAIL FROM:<evil@remote.example>\r\n");
  EXPECT_EQ(h.take(), "220 2.0.0 Ready to start TLS\r\n");
  ASSERT_EQ(h.pending.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<StartTls>(h.pending[0]));
  h.feed("RCPT TO:<alice@example.org>\r\n");  // arrives in the clear during the handshake
  h.session.tls_started(TlsInfo{"TLSv1.3", "TLS_AES_256_GCM_SHA384"});
  h.drain();
  EXPECT_EQ(h.take(), "");
  // Everything was forgotten: EHLO again (RFC 3207 §4.2).
  EXPECT_EQ(send(h, "MAIL FROM:<a@remote.example>"),
            "503 5.5.1 Error: send EHLO or HELO first\r\n");
  std::string ehlo = send(h, "EHLO c.example");
  EXPECT_EQ(ehlo.find("STARTTLS"), std::string::npos);
  EXPECT_NE(ehlo.find("AUTH PLAIN LOGIN"), std::string::npos);
  EXPECT_EQ(send(h, "STARTTLS"), "503 5.5.1 Error: TLS already active\r\n");
}

TEST(Session, StarttlsThenDeliveryHasTlsInReceived) {
  Harness h;
  started(h);
  send(h, "EHLO c.example");
  EXPECT_EQ(send(h, "STARTTLS"), "220 2.0.0 Ready to start TLS\r\n");
  EXPECT_EQ(h.tls_handshakes, 1);
  EXPECT_EQ(send(h, "STARTTLS x"), "501 5.5.4 Syntax: STARTTLS\r\n");
  start_data(h);
  h.feed("x\r\n.\r\n");
  ASSERT_EQ(h.stored.size(), 1u);
  EXPECT_NE(h.stored[0].message.find(
                "\r\n\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384)\r\n\tby mx.example.org "
                "(Estafeta) with ESMTPS id ID1\r\n"),
            std::string::npos);
}

TEST(Session, AuthRequiresTls) {
  Harness h;
  started(h);
  EXPECT_EQ(send(h, "AUTH PLAIN"), "503 5.5.1 Error: send EHLO first\r\n");
  send(h, "EHLO c.example");
  EXPECT_EQ(send(h, std::string("AUTH PLAIN ") + kAlicePlain),
            "538 5.7.11 Encryption required for requested authentication mechanism\r\n");
}

TEST(Session, AuthPlainInitialResponse) {
  Harness h(tls_info());
  started(h);
  send(h, "EHLO c.example");
  EXPECT_EQ(send(h, std::string("AUTH PLAIN ") + kAlicePlain),
            "235 2.7.0 Authentication successful\r\n");
  EXPECT_EQ(h.log.back(), "Authenticate alice@example.org secret");
  EXPECT_EQ(send(h, std::string("AUTH PLAIN ") + kAlicePlain),
            "503 5.5.1 Error: already authenticated\r\n");
  for (const auto& t : h.traces) {
    EXPECT_EQ(t.find(kAlicePlain), std::string::npos) << t;
    EXPECT_EQ(t.find("secret"), std::string::npos) << t;
  }
  EXPECT_NE(std::find(h.traces.begin(), h.traces.end(), "AUTH PLAIN <redacted>"), h.traces.end());
}

TEST(Session, SecretsNeverReachTraces) {
  Limits limits;
  limits.max_command_line = 64;
  Harness h(tls_info(), limits);
  started(h);
  send(h, "EHLO c.example");
  h.feed("AUTH PLAIN c2VjcmV0c2VjcmV0\n");  // bare LF
  h.feed(std::string("AUTH LOGIN c2VjcmV0\0\r\n", 22));
  h.feed("AUTH PLAIN c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0\r\n");
  send(h, "AUTH LOGIN");
  h.feed("c2VjcmV0c2VjcmV0\n");
  send(h, "AUTH PLAIN");
  h.feed("c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0\r\n");
  ASSERT_GE(h.traces.size(), 7u);
  for (const auto& t : h.traces) EXPECT_EQ(t.find("c2Vjcm"), std::string::npos) << t;
  EXPECT_EQ(h.traces[1], "AUTH PLAIN <redacted>");
}

TEST(Session, AuthPlainContinuation) {
  Harness h(tls_info());
  started(h);
  send(h, "EHLO c.example");
  EXPECT_EQ(send(h, "AUTH PLAIN"), "334 \r\n");
  EXPECT_EQ(send(h, kAlicePlain), "235 2.7.0 Authentication successful\r\n");
  EXPECT_EQ(h.traces.back(), "<redacted>");
}

TEST(Session, AuthPlainAuthzid) {
  Harness h(tls_info());
  started(h);
  send(h, "EHLO c.example");
  // authzid == authcid is accepted: "alice@example.org\0alice@example.org\0secret"
  EXPECT_EQ(send(h, "AUTH PLAIN YWxpY2VAZXhhbXBsZS5vcmcAYWxpY2VAZXhhbXBsZS5vcmcAc2VjcmV0"),
            "235 2.7.0 Authentication successful\r\n");
  Harness h2(tls_info());
  started(h2);
  send(h2, "EHLO c.example");
  // "bob@example.org\0alice@example.org\0secret": acting as someone else is refused.
  EXPECT_EQ(send(h2, "AUTH PLAIN Ym9iQGV4YW1wbGUub3JnAGFsaWNlQGV4YW1wbGUub3JnAHNlY3JldA=="),
            "535 5.7.8 Authentication credentials invalid\r\n");
  EXPECT_TRUE(h2.log.empty());
}

TEST(Session, AuthLogin) {
  Harness h(tls_info());
  started(h);
  send(h, "EHLO c.example");
  EXPECT_EQ(send(h, "AUTH LOGIN"), "334 VXNlcm5hbWU6\r\n");
  EXPECT_EQ(send(h, "Ym9iQGV4YW1wbGUub3Jn"), "334 UGFzc3dvcmQ6\r\n");
  EXPECT_EQ(send(h, "c2VjcmV0"), "235 2.7.0 Authentication successful\r\n");
  EXPECT_EQ(h.log.back(), "Authenticate bob@example.org secret");
  // LOGIN with the user name as initial response.
  Harness h2(tls_info());
  started(h2);
  send(h2, "EHLO c.example");
  EXPECT_EQ(send(h2, "AUTH LOGIN Ym9iQGV4YW1wbGUub3Jn"), "334 UGFzc3dvcmQ6\r\n");
  EXPECT_EQ(send(h2, "c2VjcmV0"), "235 2.7.0 Authentication successful\r\n");
}

TEST(Session, AuthCancelAndBadBase64) {
  Harness h(tls_info());
  started(h);
  send(h, "EHLO c.example");
  EXPECT_EQ(send(h, "AUTH PLAIN"), "334 \r\n");
  EXPECT_EQ(send(h, "*"), "501 5.0.0 Authentication cancelled\r\n");
  EXPECT_EQ(send(h, "AUTH LOGIN"), "334 VXNlcm5hbWU6\r\n");
  EXPECT_EQ(send(h, "not base64!"), "501 5.5.2 Cannot decode response\r\n");
  EXPECT_EQ(send(h, "AUTH PLAIN abc"), "501 5.5.2 Cannot decode response\r\n");
  EXPECT_EQ(send(h, "AUTH PLAIN YWJj"), "501 5.5.2 Invalid PLAIN response\r\n");  // "abc"
  EXPECT_EQ(send(h, "AUTH CRAM-MD5"), "504 5.5.4 Unrecognized authentication type\r\n");
  EXPECT_EQ(send(h, "AUTH"), "501 5.5.4 Syntax: AUTH mechanism\r\n");
  EXPECT_EQ(send(h, "NOOP"), "250 2.0.0 Ok\r\n");
}

TEST(Session, AuthFailuresClose) {
  Harness h(tls_info());
  started(h);
  send(h, "EHLO c.example");
  // "\0alice@example.org\0wrong"
  const std::string bad = "AUTH PLAIN AGFsaWNlQGV4YW1wbGUub3JnAHdyb25n";
  EXPECT_EQ(send(h, bad), "535 5.7.8 Authentication credentials invalid\r\n");
  EXPECT_EQ(send(h, bad), "535 5.7.8 Authentication credentials invalid\r\n");
  EXPECT_EQ(send(h, bad),
            "535 5.7.8 Authentication credentials invalid\r\n"
            "421 4.7.0 mx.example.org Error: too many authentication failures\r\n");
  EXPECT_TRUE(h.session.closed());
  EXPECT_EQ(h.closes, 1);
}

TEST(Session, AuthNotDuringTransaction) {
  SessionInfo info = tls_info();
  Harness h(info);
  started(h);
  ehlo_and_mail(h);
  EXPECT_EQ(send(h, std::string("AUTH PLAIN ") + kAlicePlain),
            "503 5.5.1 Error: MAIL transaction in progress\r\n");
}

TEST(Session, SubmissionNeedsAuthAndOwnedSender) {
  Harness h(tls_info(ListenerMode::submissions));
  started(h);
  send(h, "EHLO c.example");
  EXPECT_EQ(send(h, "MAIL FROM:<alice@example.org>"), "530 5.7.0 Authentication required\r\n");
  send(h, std::string("AUTH PLAIN ") + kAlicePlain);
  EXPECT_EQ(send(h, "MAIL FROM:<bob@example.org>"),
            "553 5.7.1 <bob@example.org>: Sender address rejected: not owned by user "
            "alice@example.org\r\n");
  EXPECT_EQ(send(h, "MAIL FROM:<alice@example.org>"), "250 2.1.0 Ok\r\n");
  EXPECT_EQ(h.log, (std::vector<std::string>{"Authenticate alice@example.org secret",
                                             "CheckSender alice@example.org bob@example.org",
                                             "CheckSender alice@example.org alice@example.org"}));
  send(h, "RCPT TO:<bob@example.org>");
  send(h, "DATA");
  h.feed("x\r\n.\r\n");
  ASSERT_EQ(h.stored.size(), 1u);
  EXPECT_EQ(h.stored[0].envelope.auth_user, "alice@example.org");
  EXPECT_NE(h.stored[0].message.find(
                "\r\n\t(authenticated user alice@example.org)\r\n\tby mx.example.org (Estafeta) "
                "with ESMTPSA id ID1\r\n"),
            std::string::npos);
}

TEST(Session, SimpleCommands) {
  Harness h;
  started(h);
  EXPECT_EQ(send(h, "NOOP"), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(send(h, "noop anything"), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(send(h, "HELP"),
            "214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT HELP VRFY STARTTLS "
            "AUTH\r\n");
  EXPECT_EQ(send(h, "VRFY alice"),
            "252 2.5.2 Cannot VRFY user, but will accept message and attempt delivery\r\n");
  EXPECT_EQ(send(h, "VRFY"), "501 5.5.4 Syntax: VRFY address\r\n");
  EXPECT_EQ(send(h, "EXPN list"), "502 5.5.1 Error: EXPN not available\r\n");
  EXPECT_EQ(send(h, "RSET"), "250 2.0.0 Ok\r\n");
  h.feed("QUIT\r\nNOOP\r\n");
  EXPECT_EQ(h.take(), "221 2.0.0 Bye\r\n");
  EXPECT_TRUE(h.session.closed());
  EXPECT_EQ(h.closes, 1);
}

TEST(Session, RsetAndEhloResetTransaction) {
  Harness h;
  started(h);
  ehlo_and_mail(h);
  send(h, "RCPT TO:<alice@example.org>");
  EXPECT_EQ(send(h, "RSET"), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(send(h, "DATA"), "503 5.5.1 Error: need MAIL command\r\n");
  ehlo_and_mail(h);
  EXPECT_EQ(send(h, "EHLO again.example").substr(0, 4), "250-");
  EXPECT_EQ(send(h, "RCPT TO:<alice@example.org>"), "503 5.5.1 Error: need MAIL command\r\n");
}

TEST(Session, ShutdownWhenIdle) {
  Harness h;
  started(h);
  h.session.shutdown();
  h.drain();
  EXPECT_EQ(h.take(), "421 4.3.2 mx.example.org Service shutting down, closing connection\r\n");
  EXPECT_TRUE(h.session.closed());
}

TEST(Session, ShutdownDuringDataFinishesTheMessage) {
  Harness h;
  started(h);
  start_data(h);
  h.feed("Subject: x\r\n");
  h.session.shutdown();
  h.drain();
  EXPECT_EQ(h.take(), "");
  EXPECT_FALSE(h.session.closed());
  h.feed("\r\nbody\r\n.\r\nNOOP\r\n");
  EXPECT_EQ(h.take(),
            "250 2.0.0 Ok: queued as ID1\r\n"
            "421 4.3.2 mx.example.org Service shutting down, closing connection\r\n");
  EXPECT_EQ(h.stored.size(), 1u);
  EXPECT_TRUE(h.session.closed());
}

TEST(Session, ShutdownWhileWaitingForAnAnswer) {
  Harness h;
  h.answer_requests = false;
  started(h);
  h.feed("EHLO c.example\r\nMAIL FROM:<>\r\nRCPT TO:<alice@example.org>\r\nNOOP\r\n");
  h.take();
  h.session.shutdown();
  h.drain();
  EXPECT_EQ(h.take(), "");
  h.session.recipient_checked(RecipientVerdict::local);
  h.drain();
  EXPECT_EQ(
      h.take(),
      "250 2.1.5 Ok\r\n421 4.3.2 mx.example.org Service shutting down, closing connection\r\n");
}

TEST(Session, TimeoutsClose) {
  Harness h;
  started(h);
  h.session.timeout();
  h.drain();
  EXPECT_EQ(h.take(), "421 4.4.2 mx.example.org Error: timeout exceeded\r\n");
  EXPECT_TRUE(h.session.closed());
  h.session.timeout();
  h.drain();
  EXPECT_EQ(h.take(), "");
  Harness h2;
  started(h2);
  start_data(h2);
  h2.session.too_slow();
  h2.drain();
  EXPECT_EQ(h2.take(), "421 4.4.2 mx.example.org Error: data rate too low\r\n");
  EXPECT_EQ(h2.closes, 1);
}

TEST(Session, TraceLines) {
  Harness h;
  started(h);
  start_data(h);
  h.feed("hello\r\n.\r\n");
  h.feed(std::string("NO\x01OP \xff\xc3\xa9\\\r\n"));
  EXPECT_EQ(h.traces,
            (std::vector<std::string>{"EHLO client.example", "MAIL FROM:<sender@remote.example>",
                                      "RCPT TO:<alice@example.org>", "DATA",
                                      "<message data: 7 octets>", "NO\\x01OP \\xff\xc3\xa9\\x5c"}));
}

TEST(Session, ManySessionsHaveDistinctDefaultIds) {
  std::string first, second;
  for (std::string* id : {&first, &second}) {
    ServerSession s(mx_info(), Limits{});
    s.start();
    s.receive("EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<a@example.org>\r\n");
    while (auto ev = s.next_event()) {
      if (std::holds_alternative<CheckRecipient>(*ev)) s.recipient_checked(RecipientVerdict::local);
    }
    s.receive("DATA\r\nx\r\n.\r\n");
    while (auto ev = s.next_event()) {
      if (auto* m = std::get_if<StoreMessage>(&*ev)) {
        EXPECT_EQ(m->tail, "x\r\n");
        *id = m->envelope.id;
        s.message_stored(true);
      }
    }
  }
  EXPECT_FALSE(first.empty());
  EXPECT_NE(first, second);
}

}  // namespace
}  // namespace estafeta::smtp
