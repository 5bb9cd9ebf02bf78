// smtp_client_session_test: the SMTP client state machine against inline transcripts of
// servers (format and replay in smtp_client_test_harness.hpp; each runs write by write and
// byte by byte), with the checks a transcript cannot express: result fields, StartResult,
// timeouts per state, STARTTLS response injection, the ends of a connection. The readable
// transcripts of tests/transcripts/smtp_client/ (the scenarios of issue 10: EHLO refused,
// 421, mixed replies, no PIPELINING, SIZE, no 8BITMIME, STARTTLS, AUTH, CHUNKING, several
// transactions, a lost connection) run in smtp_client_transcript_test.cpp.
#include "smtp/proto/smtp_client_session.hpp"
#include "smtp/proto/smtp_client_test_harness.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace estafeta::smtp {
namespace {

using namespace client_testing;

ClientTransaction tx(std::vector<std::string> rcpts, std::uint64_t size = 100) {
  ClientTransaction t;
  t.mail_from = "alice@example.net";
  for (auto& r : rcpts) t.recipients.push_back(ClientRecipient{r, "", ""});
  t.size = size;
  return t;
}

void expect_result(const RecipientResult& r, RecipientOutcome o, const std::string& reply) {
  EXPECT_EQ(r.outcome, o) << r.reply();
  EXPECT_EQ(r.reply(), reply);
}

constexpr auto D = RecipientOutcome::delivered;
constexpr auto F = RecipientOutcome::deferred;
constexpr auto B = RecipientOutcome::bounced;

TEST(SmtpClientSession, PipelinedDeliveryWithExtensions) {
  Script sc;
  Job j{tx({"bob@example.org", "carol@example.org"}, 26), ".hidden\r\nSubject: hi\r\n\r\nx", {}};
  j.tx.eight_bit = true;
  j.tx.ret = "HDRS";
  j.tx.envid = "QQ314159";
  j.tx.recipients[0].notify = "SUCCESS,FAILURE";
  j.tx.recipients[0].orcpt = "rfc822;bob@example.org";
  sc.jobs.push_back(j);
  auto o = run(sc, R"(
    S: 220 mx.example.org ESMTP
    C: EHLO out.example.net
    S: 250-mx.example.org
    S: 250-PIPELINING
    S: 250-SIZE 1000000
    S: 250-8BITMIME
    S: 250-DSN
    S: 250 ENHANCEDSTATUSCODES
    C: MAIL FROM:<alice@example.net> SIZE=26 BODY=8BITMIME RET=HDRS ENVID=QQ314159
    C: RCPT TO:<bob@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.org
    C: RCPT TO:<carol@example.org>
    C: DATA
    S: 250 2.1.0 Ok
    S: 250 2.1.5 Ok
    S: 250 2.1.5 Ok
    S: 354 End data with <CR><LF>.<CR><LF>
    C: ..hidden
    C: Subject: hi
    C:
    C: x
    C: .
    S: 250 2.0.0 Ok: queued as 4Xyz
    C: QUIT
    S: 221 2.0.0 Bye
  )");
  ASSERT_EQ(o.results.size(), 1u);
  ASSERT_EQ(o.results[0].recipients.size(), 2u);
  for (const auto& r : o.results[0].recipients) {
    expect_result(r, D, "250 2.0.0 Ok: queued as 4Xyz");
    EXPECT_TRUE(r.remote);
    EXPECT_EQ(r.stage, ClientStage::end_of_data);
    EXPECT_FALSE(r.dsn_not_passed);
  }
  ASSERT_TRUE(o.close);
  EXPECT_EQ(o.close->reason, CloseReason::quit);
}

TEST(SmtpClientSession, EhloRejectedFallsBackToHeloOneCommandAtATime) {
  Script sc;
  Job j{tx({"bob@example.org"}), "Hi\r\n", {}};
  j.tx.recipients[0].notify = "SUCCESS";
  j.tx.ret = "FULL";
  sc.jobs.push_back(j);
  auto o = run(sc, R"(
    S: 220 old.example.org SMTP
    C: EHLO out.example.net
    S: 502 Command not implemented
    C: HELO out.example.net
    S: 250 old.example.org
    C: MAIL FROM:<alice@example.net>
    S: 250 Ok
    C: RCPT TO:<bob@example.org>
    S: 250 Ok
    C: DATA
    S: 354 go
    C: Hi
    C: .
    S: 250 Ok
    C: QUIT
    S: 221 Bye
  )");
  ASSERT_EQ(o.results.size(), 1u);
  expect_result(o.results[0].recipients[0], D, "250 2.0.0 Ok");
  EXPECT_TRUE(o.results[0].recipients[0].dsn_not_passed);  // NOTIFY could not be passed on
}

TEST(SmtpClientSession, HeloRefusedToo) {
  Script sc;
  sc.jobs.push_back({tx({"bob@example.org"}), "x", {}});
  auto o = run(sc, R"(
    S: 220 x
    C: EHLO out.example.net
    S: 500 no
    C: HELO out.example.net
    S: 550 5.7.1 go away
    C: QUIT
    S: 221 bye
  )");
  EXPECT_TRUE(o.results.empty());
  ASSERT_TRUE(o.close);
  EXPECT_EQ(o.close->reason, CloseReason::helo_refused);
  EXPECT_TRUE(o.close->permanent);
  EXPECT_EQ(o.close->reply.summary(), "550 5.7.1 go away");
}

TEST(SmtpClientSession, GreetingRefused) {
  Script sc;
  auto o = run(sc, R"(
    S: 554 5.7.1 no service for you
    C: QUIT
    S: 221 bye
  )");
  ASSERT_TRUE(o.close);
  EXPECT_EQ(o.close->reason, CloseReason::greeting_refused);
  EXPECT_FALSE(o.close->permanent);  // RFC 5321 §3.1: try another MX
  auto o2 = run(sc, "S: 421 4.3.2 busy\n");
  ASSERT_TRUE(o2.close);
  EXPECT_EQ(o2.close->reason, CloseReason::peer_closing);
}

TEST(SmtpClientSession, ServerClosing421AfterTheDot) {
  Script sc;
  sc.jobs.push_back({tx({"a@example.org"}), "x\r\n", {}});
  auto o = run(sc, R"(
    S: 220 x
    C: EHLO out.example.net
    S: 250-x
    S: 250 PIPELINING
    C: MAIL FROM:<alice@example.net>
    C: RCPT TO:<a@example.org>
    C: DATA
    S: 250 ok
    S: 250 ok
    S: 354 go
    C: x
    C: .
    S: 421 4.4.2 timeout
  )");
  ASSERT_EQ(o.results.size(), 1u);
  expect_result(o.results[0].recipients[0], F, "421 4.4.2 timeout");
  EXPECT_FALSE(o.results[0].final_reply_lost);  // the server did answer the dot
}

TEST(SmtpClientSession, FinalReplyDecidesForAcceptedOnes) {
  Script sc;
  sc.jobs.push_back({tx({"a@example.org", "b@example.org"}), "x", {}});
  sc.jobs.push_back({tx({"c@example.org"}), "y", {}});
  auto o = run(sc, R"(
    S: 220 x
    C: EHLO out.example.net
    S: 250 x
    C: MAIL FROM:<alice@example.net>
    S: 250 ok
    C: RCPT TO:<a@example.org>
    S: 250 ok
    C: RCPT TO:<b@example.org>
    S: 550 no
    C: DATA
    S: 354 go
    C: x
    C: .
    S: 554 5.7.1 spam
    C: MAIL FROM:<alice@example.net>
    S: 250 ok
    C: RCPT TO:<c@example.org>
    S: 250 ok
    C: DATA
    S: 354 go
    C: y
    C: .
    S: 451 4.3.0 try again
    C: QUIT
    S: 221 bye
  )");
  ASSERT_EQ(o.results.size(), 2u);
  expect_result(o.results[0].recipients[0], B, "554 5.7.1 spam");
  expect_result(o.results[0].recipients[1], B, "550 5.0.0 no");  // default enhanced code
  EXPECT_EQ(o.results[0].recipients[1].stage, ClientStage::rcpt);
  EXPECT_EQ(o.results[0].recipients[0].stage, ClientStage::end_of_data);
  expect_result(o.results[1].recipients[0], F, "451 4.3.0 try again");
}

TEST(SmtpClientSession, MailRefusedWhilePipelinedAnd354Anyway) {
  Script sc;
  sc.jobs.push_back({tx({"a@example.org"}), "x", {}});
  auto o = run(sc, R"(
    S: 220 x
    C: EHLO out.example.net
    S: 250-x
    S: 250 PIPELINING
    C: MAIL FROM:<alice@example.net>
    C: RCPT TO:<a@example.org>
    C: DATA
    S: 553 5.7.1 sender refused
    S: 503 5.5.1 need MAIL
    S: 354 broken server
    C: .
    S: 503 whatever
    C: QUIT
    S: 221 bye
  )");
  ASSERT_EQ(o.results.size(), 1u);
  expect_result(o.results[0].recipients[0], B, "553 5.7.1 sender refused");
  EXPECT_EQ(o.results[0].recipients[0].stage, ClientStage::mail);
}

TEST(SmtpClientSession, NoRecipientAcceptedNoData) {
  Script sc;
  sc.jobs.push_back({tx({"a@example.org"}), "x", {}});
  auto o = run(sc, R"(
    S: 220 x
    C: EHLO out.example.net
    S: 250 x
    C: MAIL FROM:<alice@example.net>
    S: 250 ok
    C: RCPT TO:<a@example.org>
    S: 550 5.1.1 nope
    C: RSET
    S: 250 ok
    C: QUIT
    S: 221 bye
  )");
  expect_result(o.results.at(0).recipients[0], B, "550 5.1.1 nope");
}

TEST(SmtpClientSession, SizeRefusalSendsNothing) {
  Script sc;
  sc.jobs.push_back({tx({"a@example.org", "b@example.org"}, 5000), "x", {}});
  auto o = run(sc, R"(
    S: 220 x
    C: EHLO out.example.net
    S: 250-x
    S: 250 SIZE 1000
    C: QUIT
    S: 221 bye
  )");
  ASSERT_EQ(o.starts, std::vector<StartResult>{StartResult::refused});
  ASSERT_EQ(o.results.size(), 1u);
  for (const auto& r : o.results[0].recipients) {
    EXPECT_EQ(r.outcome, B);
    EXPECT_EQ(r.code, 552);
    EXPECT_EQ(r.enhanced, "5.3.4");
    EXPECT_FALSE(r.remote);
    EXPECT_EQ(r.stage, ClientStage::local);
    EXPECT_NE(r.text.find("5000"), std::string::npos);
  }
}

TEST(SmtpClientSession, No8BitMimeNeedsDowngrade) {
  Script sc;
  Job j{tx({"a@example.org"}, 6), "caf\xc3\xa9\r\n", {}};
  j.tx.eight_bit = true;
  ClientTransaction seven = j.tx;
  seven.eight_bit = false;
  seven.size = 9;
  j.downgraded = {{seven, "caf=C3=A9\r\n"}};
  sc.jobs.push_back(j);
  auto o = run(sc, R"(
    S: 220 x
    C: EHLO out.example.net
    S: 250-x
    S: 250 SIZE
    C: MAIL FROM:<alice@example.net> SIZE=9
    S: 250 ok
    C: RCPT TO:<a@example.org>
    S: 250 ok
    C: DATA
    S: 354 go
    C: caf=C3=A9
    C: .
    S: 250 ok
    C: QUIT
    S: 221 bye
  )");
  EXPECT_EQ(o.starts,
            (std::vector<StartResult>{StartResult::needs_downgrade, StartResult::started}));
  expect_result(o.results.at(0).recipients[0], D, "250 2.0.0 ok");
}

TEST(SmtpClientSession, SmtpUtf8RequiredButAbsent) {
  Script sc;
  Job j{tx({"j\xc3\xb6rg@example.org"}), "x", {}};
  j.tx.smtputf8 = true;
  sc.jobs.push_back(j);
  auto o = run(sc,
               "S: 220 x\nC: EHLO out.example.net\nS: 250-x\nS: 250 8BITMIME\n"
               "C: QUIT\nS: 221 bye\n");
  ASSERT_EQ(o.results.size(), 1u);
  EXPECT_EQ(o.results[0].recipients[0].outcome, B);
  EXPECT_EQ(o.results[0].recipients[0].enhanced, "5.6.7");
  EXPECT_NE(o.results[0].recipients[0].text.find("SMTPUTF8"), std::string::npos);
}

TEST(SmtpClientSession, SmtpUtf8Passed) {
  Script sc;
  Job j{tx({"j\xc3\xb6rg@example.org"}), "x", {}};
  j.tx.smtputf8 = true;
  sc.jobs.push_back(j);
  auto o = run(sc, R"(
    S: 220 x
    C: EHLO out.example.net
    S: 250-x
    S: 250 SMTPUTF8
    C: MAIL FROM:<alice@example.net> SMTPUTF8
    S: 250 ok
    C: RCPT TO:<j)"
                   "\xc3\xb6"
                   R"(rg@example.org>
    S: 250 ok
    C: DATA
    S: 354 go
    C: x
    C: .
    S: 250 ok
    C: QUIT
    S: 221 bye
  )");
  EXPECT_EQ(o.results.at(0).recipients[0].outcome, D);
}

TEST(SmtpClientSession, RequireTlsChecks) {
  Job j{tx({"a@example.org"}), "x", {}};
  j.tx.requiretls = true;
  {  // cleartext: refused before anything
    Script sc;
    sc.jobs.push_back(j);
    auto o = run(sc,
                 "S: 220 x\nC: EHLO out.example.net\nS: 250-x\nS: 250 REQUIRETLS\n"
                 "C: QUIT\nS: 221 bye\n");
    EXPECT_EQ(o.results.at(0).recipients[0].enhanced, "5.7.30");
    EXPECT_EQ(o.results.at(0).recipients[0].outcome, B);
  }
  {  // TLS but the peer lacks REQUIRETLS
    Script sc;
    sc.config.tls_active = true;
    sc.config.tls_verified = true;
    sc.jobs.push_back(j);
    auto o = run(sc, "S: 220 x\nC: EHLO out.example.net\nS: 250 x\nC: QUIT\nS: 221 bye\n");
    EXPECT_EQ(o.results.at(0).recipients[0].enhanced, "5.7.30");
    EXPECT_NE(o.results.at(0).recipients[0].text.find("not offered"), std::string::npos);
  }
  {  // STARTTLS, verified, peer offers it: sent with the parameter
    Script sc;
    sc.config.starttls = StartTlsPolicy::required;
    sc.jobs.push_back(j);
    auto o = run(sc, R"(
      S: 220 x
      C: EHLO out.example.net
      S: 250-x
      S: 250 STARTTLS
      C: STARTTLS
      S: 220 go ahead
      C: EHLO out.example.net
      S: 250-x
      S: 250 REQUIRETLS
      C: MAIL FROM:<alice@example.net> REQUIRETLS
      S: 250 ok
      C: RCPT TO:<a@example.org>
      S: 250 ok
      C: DATA
      S: 354 go
      C: x
      C: .
      S: 250 ok
      C: QUIT
      S: 221 bye
    )");
    EXPECT_EQ(o.handshakes, 1);
    EXPECT_EQ(o.results.at(0).recipients[0].outcome, D);
  }
  {  // TLS not verified
    Script sc;
    sc.config.starttls = StartTlsPolicy::required;
    sc.verified = false;
    sc.jobs.push_back(j);
    auto o = run(sc,
                 "S: 220 x\nC: EHLO out.example.net\nS: 250-x\nS: 250 STARTTLS\n"
                 "C: STARTTLS\nS: 220 go\nC: EHLO out.example.net\nS: 250-x\n"
                 "S: 250 REQUIRETLS\nC: QUIT\nS: 221 bye\n");
    EXPECT_EQ(o.results.at(0).recipients[0].enhanced, "5.7.30");
  }
}

TEST(SmtpClientSession, StartTlsRequiredButNotOffered) {
  Script sc;
  sc.config.starttls = StartTlsPolicy::required;
  sc.jobs.push_back({tx({"a@example.org"}), "x", {}});
  auto o = run(sc, R"(
    S: 220 x
    C: EHLO out.example.net
    S: 250-x
    S: 250 PIPELINING
    C: QUIT
    S: 221 bye
  )");
  EXPECT_TRUE(o.results.empty());
  ASSERT_TRUE(o.close);
  EXPECT_EQ(o.close->reason, CloseReason::tls_unavailable);
  EXPECT_FALSE(o.close->permanent);
}

TEST(SmtpClientSession, StartTlsOpportunisticRefusedGoesOnInCleartext) {
  Script sc;
  sc.config.starttls = StartTlsPolicy::opportunistic;
  auto o = run(sc, R"(
    S: 220 x
    C: EHLO out.example.net
    S: 250-x
    S: 250 STARTTLS
    C: STARTTLS
    S: 454 4.7.0 TLS not available
    C: QUIT
    S: 221 bye
  )");
  EXPECT_EQ(o.handshakes, 0);
  EXPECT_EQ(o.close->reason, CloseReason::quit);
}

TEST(SmtpClientSession, StartTlsResponseInjectionIsRefused) {
  Script sc;
  sc.config.starttls = StartTlsPolicy::opportunistic;
  ClientSession s(sc.config);
  s.receive("220 x\r\n");
  s.receive("250-x\r\n250 STARTTLS\r\n");
  s.receive("220 go ahead\r\n250 injected\r\n");
  bool starttls = false;
  std::optional<ClientClose> close;
  std::string sent;
  while (auto e = s.next_event()) {
    if (auto* b = std::get_if<ClientSend>(&*e)) sent += b->bytes;
    if (std::holds_alternative<ClientStartTls>(*e)) starttls = true;
    if (auto* c = std::get_if<ClientClose>(&*e)) close = *c;
  }
  EXPECT_FALSE(starttls);
  EXPECT_EQ(sent, "EHLO out.example.net\r\nSTARTTLS\r\n");
  ASSERT_TRUE(close);
  EXPECT_EQ(close->reason, CloseReason::protocol_error);
  EXPECT_EQ(s.state(), ClientState::closed);
}

TEST(SmtpClientSession, ImplicitTlsAuthLogin) {
  Script sc;
  sc.config.tls_active = true;
  sc.config.credentials = ClientCredentials{"alice", "s3cret"};
  auto o = run(sc, R"(
    S: 220 smarthost ESMTP
    C: EHLO out.example.net
    S: 250-smarthost
    S: 250 AUTH=LOGIN
    C: AUTH LOGIN
    S: 334 VXNlcm5hbWU6
    C: YWxpY2U=
    S: 334 UGFzc3dvcmQ6
    C: czNjcmV0
    S: 235 2.7.0 ok
    C: QUIT
    S: 221 bye
  )");
  EXPECT_EQ(o.close->reason, CloseReason::quit);
}

TEST(SmtpClientSession, AuthRefusedOrImpossible) {
  Script sc;
  sc.config.tls_active = true;
  sc.config.credentials = ClientCredentials{"alice", "bad"};
  auto o = run(sc,
               "S: 220 x\nC: EHLO out.example.net\nS: 250-x\nS: 250 AUTH PLAIN\n"
               "C: AUTH PLAIN AGFsaWNlAGJhZA==\nS: 535 5.7.8 bad credentials\n"
               "C: QUIT\nS: 221 bye\n");
  EXPECT_EQ(o.close->reason, CloseReason::auth_failed);
  EXPECT_EQ(o.close->reply.code, 535);
  auto o2 = run(sc,
                "S: 220 x\nC: EHLO out.example.net\nS: 250-x\nS: 250 AUTH CRAM-MD5\n"
                "C: QUIT\nS: 221 bye\n");
  EXPECT_EQ(o2.close->reason, CloseReason::auth_failed);
  sc.config.tls_active = false;
  sc.config.starttls = StartTlsPolicy::off;
  auto o3 = run(sc,
                "S: 220 x\nC: EHLO out.example.net\nS: 250-x\nS: 250 AUTH PLAIN\n"
                "C: QUIT\nS: 221 bye\n");  // never a password in cleartext
  EXPECT_EQ(o3.close->reason, CloseReason::auth_failed);
  EXPECT_EQ(o3.sent.find("AUTH"), std::string::npos);
}

TEST(SmtpClientSession, ChunkingWithoutPipeliningAndAFailedChunk) {
  Script sc;
  sc.chunk = 4;
  sc.jobs.push_back({tx({"a@example.org"}), "ab\r\ncd\r\n", {}});
  auto o = run(sc, R"(
    S: 220 x
    C: EHLO out.example.net
    S: 250-x
    S: 250 CHUNKING
    C: MAIL FROM:<alice@example.net>
    S: 250 ok
    C: RCPT TO:<a@example.org>
    S: 250 ok
    C: BDAT 4
    C: ab
    S: 250 ok
    C: BDAT 4 LAST
    C: cd
    S: 552 5.3.4 too big
    C: RSET
    S: 250 ok
    C: QUIT
    S: 221 bye
  )");
  expect_result(o.results.at(0).recipients[0], B, "552 5.3.4 too big");

  auto o2 = run(sc, R"(
    S: 220 x
    C: EHLO out.example.net
    S: 250-x
    S: 250 CHUNKING
    C: MAIL FROM:<alice@example.net>
    S: 250 ok
    C: RCPT TO:<a@example.org>
    S: 250 ok
    C: BDAT 4
    C: ab
    S: 451 4.3.0 disk trouble
    C: RSET
    S: 250 ok
    C: QUIT
    S: 221 bye
  )");
  expect_result(o2.results.at(0).recipients[0], F, "451 4.3.0 disk trouble");
}

TEST(SmtpClientSession, ConnectionLostMidDataAndAfterTheDot) {
  Script sc;
  sc.chunk = 3;
  sc.jobs.push_back({tx({"a@example.org"}), "abcdef", {}});
  std::string head = R"(
    S: 220 x
    C: EHLO out.example.net
    S: 250 x
    C: MAIL FROM:<alice@example.net>
    S: 250 ok
    C: RCPT TO:<a@example.org>
    S: 250 ok
    C: DATA
    S: 354 go
    C: abcdef
    C: .
  )";
  auto o = run(sc, head + "! lost\n");
  ASSERT_EQ(o.results.size(), 1u);
  EXPECT_EQ(o.results[0].recipients[0].outcome, F);
  EXPECT_EQ(o.results[0].recipients[0].enhanced, "4.4.2");
  EXPECT_TRUE(o.results[0].final_reply_lost);
  EXPECT_EQ(o.close->reason, CloseReason::connection_lost);

  auto o2 = run(sc, head + "! timeout\n");
  EXPECT_TRUE(o2.results.at(0).final_reply_lost);
  EXPECT_EQ(o2.close->reason, CloseReason::timeout);

  // Lost before the content was complete: nothing could have been delivered.
  ClientSession s(sc.config);
  for (auto in : {"220 x\r\n", "250 x\r\n"}) s.receive(in);
  auto ready = [&] {
    bool r = false;
    while (auto e = s.next_event()) r = r || std::holds_alternative<ClientReady>(*e);
    return r;
  };
  ASSERT_TRUE(ready());
  ASSERT_EQ(s.start_transaction(tx({"a@example.org"})), StartResult::started);
  for (auto in : {"250 ok\r\n", "250 ok\r\n", "354 go\r\n"}) s.receive(in);
  ready();
  EXPECT_EQ(s.state(), ClientState::body);
  EXPECT_TRUE(s.body("abc", false));
  EXPECT_EQ(s.timeout(), std::chrono::seconds(180));
  s.connection_lost();
  std::optional<TransactionResult> res;
  while (auto e = s.next_event())
    if (auto* d = std::get_if<ClientTransactionDone>(&*e)) res = d->result;
  ASSERT_TRUE(res);
  EXPECT_FALSE(res->final_reply_lost);
  EXPECT_EQ(res->recipients[0].outcome, F);
  EXPECT_EQ(res->recipients[0].stage, ClientStage::data);
  EXPECT_FALSE(s.body("def", true));
}

TEST(SmtpClientSession, ProtocolErrors) {
  Script sc;
  sc.jobs.push_back({tx({"a@example.org"}), "x", {}});
  auto o = run(sc, R"(
    S: 220 x
    C: EHLO out.example.net
    S: 250 x
    C: MAIL FROM:<alice@example.net>
    S: hello there
  )");
  EXPECT_EQ(o.close->reason, CloseReason::protocol_error);
  EXPECT_EQ(o.results.at(0).recipients[0].outcome, F);
  EXPECT_EQ(o.results.at(0).recipients[0].enhanced, "4.5.0");

  ClientSession s(sc.config);  // a reply to nothing
  s.receive("220 x\r\n250 x\r\n250 unasked\r\n");
  std::optional<ClientClose> c;
  while (auto e = s.next_event())
    if (auto* x = std::get_if<ClientClose>(&*e)) c = *x;
  ASSERT_TRUE(c);
  EXPECT_EQ(c->reason, CloseReason::protocol_error);
}

TEST(SmtpClientSession, UnsolicitedCloseWhileIdle) {
  Script sc;
  ClientSession s(sc.config);
  s.receive("220 x\r\n250 x\r\n");
  while (s.next_event()) {
  }
  EXPECT_EQ(s.state(), ClientState::ready);
  EXPECT_FALSE(s.timeout());
  s.receive("421 4.4.2 idle timeout\r\n");
  std::optional<ClientClose> c;
  while (auto e = s.next_event())
    if (auto* x = std::get_if<ClientClose>(&*e)) c = *x;
  ASSERT_TRUE(c);
  EXPECT_EQ(c->reason, CloseReason::peer_closing);
}

// The connection cache's probe before reusing an idle connection: RSET, then either a new
// ClientReady (and a transaction goes over the same session), 421 (the peer is going away:
// peer_closing, no QUIT) or another refusal (QUIT, protocol_error); never while busy.
// Greets `s` with `greeting_and_ehlo` and drains it: an idle session, as the connection
// cache keeps it.
void make_idle(ClientSession& s, std::string_view greeting_and_ehlo) {
  s.receive(greeting_and_ehlo);
  while (s.next_event()) {
  }
  ASSERT_EQ(s.state(), ClientState::ready);
}

TEST(SmtpClientSession, ResetProbesAnIdleConnection) {
  Script sc;
  auto idle = [](ClientSession& s) { make_idle(s, "220 x\r\n250 x\r\n"); };
  auto drain = [](ClientSession& s, std::string& sent, std::optional<ClientClose>& close,
                  int& ready) {
    while (auto e = s.next_event()) {
      if (auto* x = std::get_if<ClientSend>(&*e)) sent += x->bytes;
      if (auto* x = std::get_if<ClientClose>(&*e)) close = *x;
      if (std::holds_alternative<ClientReady>(*e)) ++ready;
    }
  };
  {
    ClientSession s(sc.config);
    idle(s);
    ASSERT_TRUE(s.reset());
    EXPECT_FALSE(s.reset());  // already waiting for the reply
    EXPECT_EQ(s.state(), ClientState::rset);
    EXPECT_EQ(s.timeout(), std::chrono::seconds(300));
    EXPECT_EQ(s.start_transaction(tx({"a@example.org"})), StartResult::not_ready);
    std::string sent;
    std::optional<ClientClose> close;
    int ready = 0;
    drain(s, sent, close, ready);
    EXPECT_EQ(sent, "RSET\r\n");
    s.receive("250 2.0.0 ok\r\n");
    drain(s, sent, close, ready);
    EXPECT_EQ(ready, 1);
    EXPECT_FALSE(close);
    EXPECT_EQ(s.start_transaction(tx({"a@example.org"})), StartResult::started);
    EXPECT_FALSE(s.reset());  // in a transaction
  }
  {
    ClientSession s(sc.config);
    idle(s);
    ASSERT_TRUE(s.reset());
    s.receive("421 4.4.2 idle too long\r\n");
    std::string sent;
    std::optional<ClientClose> close;
    int ready = 0;
    drain(s, sent, close, ready);
    EXPECT_EQ(sent, "RSET\r\n");  // no QUIT after a 421
    EXPECT_EQ(ready, 0);
    ASSERT_TRUE(close);
    EXPECT_EQ(close->reason, CloseReason::peer_closing);
    EXPECT_EQ(s.state(), ClientState::closed);
  }
  {
    ClientSession s(sc.config);
    idle(s);
    ASSERT_TRUE(s.reset());
    s.receive("500 5.5.1 what\r\n");
    std::string sent;
    std::optional<ClientClose> close;
    int ready = 0;
    drain(s, sent, close, ready);
    EXPECT_EQ(sent, "RSET\r\nQUIT\r\n");
    EXPECT_EQ(ready, 0);
    s.receive("221 bye\r\n");
    drain(s, sent, close, ready);
    ASSERT_TRUE(close);
    EXPECT_EQ(close->reason, CloseReason::protocol_error);
  }
  {
    ClientSession s(sc.config);
    idle(s);
    ASSERT_TRUE(s.reset());
    s.connection_lost();  // the peer had closed the idle connection
    std::string sent;
    std::optional<ClientClose> close;
    int ready = 0;
    drain(s, sent, close, ready);
    ASSERT_TRUE(close);
    EXPECT_EQ(close->reason, CloseReason::connection_lost);
    EXPECT_EQ(ready, 0);
  }
}

// With PIPELINING the probe costs no round trip of its own: reset() gives ClientReady at
// once and the RSET leads the next transaction's group. Its failure (421, a refusal, a lost
// connection) says probe_failed and reports no result for the transaction behind it, which
// the driver sends over another connection; quit() drops an unsent RSET.
TEST(SmtpClientSession, PipelinedResetLeadsTheNextTransaction) {
  Script sc;
  auto idle = [](ClientSession& s) { make_idle(s, "220 x\r\n250-x\r\n250 PIPELINING\r\n"); };
  struct Drained {
    std::string sent;
    std::optional<ClientClose> close;
    int ready = 0;
    int done = 0;
  };
  auto drain = [](ClientSession& s, Drained& d) {
    while (auto e = s.next_event()) {
      if (auto* x = std::get_if<ClientSend>(&*e)) d.sent += x->bytes;
      if (auto* x = std::get_if<ClientClose>(&*e)) d.close = *x;
      if (std::holds_alternative<ClientReady>(*e)) ++d.ready;
      if (std::holds_alternative<ClientTransactionDone>(*e)) ++d.done;
    }
  };
  const std::string group =
      "RSET\r\nMAIL FROM:<alice@example.net>\r\nRCPT TO:<a@example.org>\r\nDATA\r\n";
  {  // accepted: the transaction goes on as usual
    ClientSession s(sc.config);
    idle(s);
    ASSERT_TRUE(s.reset());
    EXPECT_TRUE(s.probing());
    Drained d;
    drain(s, d);
    EXPECT_EQ(d.sent, "");  // nothing yet
    EXPECT_EQ(d.ready, 1);
    ASSERT_EQ(s.start_transaction(tx({"a@example.org"}, 0)), StartResult::started);
    drain(s, d);
    EXPECT_EQ(d.sent, group);
    s.receive("250 2.0.0 ok\r\n");
    EXPECT_FALSE(s.probing());
    s.receive("250 ok\r\n250 ok\r\n354 go\r\n");
    drain(s, d);
    EXPECT_EQ(s.state(), ClientState::body);
    ASSERT_TRUE(s.body("x\r\n", true));
    s.receive("250 2.0.0 queued\r\n");
    drain(s, d);
    EXPECT_EQ(d.done, 1);
    EXPECT_EQ(d.ready, 2);
    EXPECT_FALSE(d.close);
  }
  // The probe fails: no result for the transaction behind it, and no QUIT after the group.
  struct Failure {
    const char* what;
    std::string reply;  // "" = the connection is lost
    CloseReason reason;
  };
  for (const Failure& f :
       {Failure{"421 to the RSET: closing", "421 4.4.2 idle too long\r\n",
                CloseReason::peer_closing},
        Failure{"RSET refused", "500 5.5.1 what\r\n", CloseReason::protocol_error},
        Failure{"the peer had closed the idle connection", "", CloseReason::connection_lost}}) {
    SCOPED_TRACE(f.what);
    ClientSession s(sc.config);
    idle(s);
    ASSERT_TRUE(s.reset());
    ASSERT_EQ(s.start_transaction(tx({"a@example.org"}, 0)), StartResult::started);
    if (f.reply.empty())
      s.connection_lost();
    else
      s.receive(f.reply);
    Drained d;
    drain(s, d);
    EXPECT_EQ(d.sent, group);
    EXPECT_EQ(d.done, 0);
    ASSERT_TRUE(d.close);
    EXPECT_EQ(d.close->reason, f.reason);
    EXPECT_TRUE(d.close->probe_failed);
    EXPECT_EQ(s.state(), ClientState::closed);
  }
  {  // a loss after the RSET was answered is the transaction's, as always
    ClientSession s(sc.config);
    idle(s);
    ASSERT_TRUE(s.reset());
    ASSERT_EQ(s.start_transaction(tx({"a@example.org"}, 0)), StartResult::started);
    s.receive("250 2.0.0 ok\r\n");
    s.connection_lost();
    Drained d;
    drain(s, d);
    EXPECT_EQ(d.done, 1);
    ASSERT_TRUE(d.close);
    EXPECT_FALSE(d.close->probe_failed);
  }
  {  // nothing to send after all: QUIT alone
    ClientSession s(sc.config);
    idle(s);
    ASSERT_TRUE(s.reset());
    s.quit();
    Drained d;
    drain(s, d);
    EXPECT_EQ(d.sent, "QUIT\r\n");
    EXPECT_FALSE(s.probing());
  }
}

TEST(SmtpClientSession, TimeoutsFollowRfc5321) {
  Script sc;
  ClientSession s(sc.config);
  using std::chrono::seconds;
  EXPECT_EQ(s.timeout(), seconds(300));  // initial 220
  s.receive("220 x\r\n");
  EXPECT_EQ(s.timeout(), seconds(300));  // EHLO
  s.receive("250 x\r\n");
  while (s.next_event()) {
  }
  EXPECT_FALSE(s.timeout());  // idle
  ASSERT_EQ(s.start_transaction(tx({"a@example.org"})), StartResult::started);
  EXPECT_EQ(s.start_transaction(tx({"a@example.org"})), StartResult::not_ready);
  EXPECT_EQ(s.timeout(), seconds(300));  // MAIL
  s.receive("250 ok\r\n");
  EXPECT_EQ(s.timeout(), seconds(300));  // RCPT
  s.receive("250 ok\r\n");
  EXPECT_EQ(s.timeout(), seconds(120));  // DATA initiation
  s.receive("354 go\r\n");
  EXPECT_EQ(s.timeout(), seconds(180));  // data block
  while (s.next_event()) {
  }
  EXPECT_TRUE(s.body("x", true));
  EXPECT_EQ(s.timeout(), seconds(600));  // final dot
}

TEST(SmtpClientSession, ControlCharactersInTheEnvelopeAreRefused) {
  Script sc;
  ClientTransaction t = tx({"a@example.org\r\nRCPT TO:<evil@example.com>"});
  sc.jobs.push_back({t, "x", {}});
  auto o = run(sc, "S: 220 x\nC: EHLO out.example.net\nS: 250 x\nC: QUIT\nS: 221 bye\n");
  EXPECT_EQ(o.results.at(0).recipients[0].outcome, B);
}

TEST(SmtpClientSession, EndsDuringQuitKeepTheirReason) {
  Script sc;
  sc.config.starttls = StartTlsPolicy::required;
  auto o = run(sc, "S: 220 x\nC: EHLO out.example.net\nS: 250 x\nC: QUIT\n! lost\n");
  ASSERT_TRUE(o.close);
  EXPECT_EQ(o.close->reason, CloseReason::tls_unavailable);
  auto o2 = run(sc, "S: 220 x\nC: EHLO out.example.net\nS: 250 x\nC: QUIT\nS: garbage\n");
  EXPECT_EQ(o2.close->reason, CloseReason::tls_unavailable);
  Script plain;
  auto o3 = run(plain, "S: 220 x\nC: EHLO out.example.net\nS: 250 x\nC: QUIT\n! timeout\n");
  EXPECT_EQ(o3.close->reason, CloseReason::quit);
}

TEST(SmtpClientSession, CredentialsAreMarkedSecret) {
  for (const char* mech : {"PLAIN", "LOGIN"}) {
    ClientConfig c;
    c.ehlo_name = "out.example.net";
    c.tls_active = true;
    c.credentials = ClientCredentials{"alice", "s3cret"};
    ClientSession s(c);
    s.receive("220 x\r\n");
    s.receive(std::string("250-x\r\n250 AUTH ") + mech + "\r\n");
    s.receive("334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n");
    std::string open, secret;
    while (auto e = s.next_event())
      if (auto* b = std::get_if<ClientSend>(&*e)) (b->secret ? secret : open) += b->bytes;
    EXPECT_EQ(open.find("AUTH PLAIN"), std::string::npos) << mech;
    EXPECT_EQ(open.find("czNjcmV0"), std::string::npos) << mech;
    EXPECT_NE(secret.find(mech == std::string("PLAIN") ? "AGFsaWNlAHMzY3JldA==" : "czNjcmV0"),
              std::string::npos)
        << mech;
  }
}

}  // namespace
}  // namespace estafeta::smtp
