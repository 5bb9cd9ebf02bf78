// smtp_client_session_test: the SMTP client state machine against transcripts of servers.
// A transcript holds "S: " lines (the server's, one write per run of S lines), "C: " lines
// (what the client must have written by then) and "! lost" / "! timeout" (the I/O layer's
// findings). Each is replayed twice: one write per run of S lines (so pipelined replies arrive
// in one read) and byte by byte; both must give the same bytes and the same results.
// The driver answers the session's requests as the I/O layer would: TLS handshakes succeed,
// content is given in pieces of `chunk` octets, transactions are started on ClientReady in
// order (a needs_downgrade is answered with `downgraded`), and QUIT follows the last one.
#include "smtp/proto/smtp_client_session.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace estafeta::smtp {
namespace {

struct Job {
  ClientTransaction tx;
  std::string body;
  std::optional<std::pair<ClientTransaction, std::string>> downgraded;
};

struct Outcome {
  std::string sent;
  std::vector<StartResult> starts;
  std::vector<TransactionResult> results;
  std::optional<ClientClose> close;
  int handshakes = 0;
};

class Driver {
 public:
  Driver(ClientConfig config, std::vector<Job> jobs, std::size_t chunk)
      : s_(std::move(config)), jobs_(std::move(jobs)), chunk_(chunk) {}

  void pump() {
    while (auto e = s_.next_event()) {
      if (auto* send = std::get_if<ClientSend>(&*e)) {
        out_.sent += send->bytes;
      } else if (std::holds_alternative<ClientStartTls>(*e)) {
        ++out_.handshakes;
        s_.tls_started(verified_);
      } else if (std::holds_alternative<ClientNeedBody>(*e)) {
        const std::string& body = current_body_;
        std::size_t n = chunk_ == 0 ? body.size() - pos_ : std::min(chunk_, body.size() - pos_);
        bool last = pos_ + n >= body.size();
        EXPECT_TRUE(s_.body(std::string_view(body).substr(pos_, n), last));
        pos_ += n;
      } else if (std::holds_alternative<ClientReady>(*e)) {
        if (next_ < jobs_.size()) {
          Job& j = jobs_[next_++];
          StartResult r = s_.start_transaction(j.tx);
          out_.starts.push_back(r);
          current_body_ = j.body;
          if (r == StartResult::needs_downgrade && j.downgraded) {
            r = s_.start_transaction(j.downgraded->first);
            out_.starts.push_back(r);
            current_body_ = j.downgraded->second;
          }
          pos_ = 0;
          if (r == StartResult::needs_downgrade) s_.quit();
        } else {
          s_.quit();
        }
      } else if (auto* done = std::get_if<ClientTransactionDone>(&*e)) {
        out_.results.push_back(done->result);
      } else if (auto* close = std::get_if<ClientClose>(&*e)) {
        EXPECT_FALSE(out_.close) << "two ClientClose";
        out_.close = *close;
      }
    }
  }

  ClientSession& session() { return s_; }
  Outcome& outcome() { return out_; }
  bool verified_ = true;

 private:
  ClientSession s_;
  std::vector<Job> jobs_;
  std::size_t chunk_;
  std::size_t next_ = 0;
  std::string current_body_;
  std::size_t pos_ = 0;
  Outcome out_;
};

struct Script {
  ClientConfig config = [] {
    ClientConfig c;
    c.ehlo_name = "out.example.net";
    c.starttls = StartTlsPolicy::off;
    return c;
  }();
  std::vector<Job> jobs;
  std::size_t chunk = 0;
  bool verified = true;
};

Outcome run_once(const Script& sc, const std::string& transcript, bool byte_by_byte) {
  Driver d(sc.config, sc.jobs, sc.chunk);
  d.verified_ = sc.verified;
  std::istringstream in(transcript);
  std::string line, expected, server;
  auto flush_server = [&] {
    if (server.empty()) return;
    EXPECT_EQ(d.outcome().sent, expected) << "before the server wrote:\n" << server;
    if (byte_by_byte) {
      for (char c : server) {
        d.session().receive(std::string_view(&c, 1));
        d.pump();
      }
    } else {
      d.session().receive(server);
      d.pump();
    }
    server.clear();
  };
  while (std::getline(in, line)) {
    auto start = line.find_first_not_of(' ');
    if (start == std::string::npos) continue;
    line = line.substr(start);
    if (line.rfind("S: ", 0) == 0 || line == "S:") {
      server += (line.size() > 3 ? line.substr(3) : "") + "\r\n";
    } else if (line.rfind("C: ", 0) == 0 || line == "C:") {
      flush_server();
      expected += (line.size() > 3 ? line.substr(3) : "") + "\r\n";
    } else if (line == "! lost" || line == "! timeout") {
      flush_server();
      EXPECT_EQ(d.outcome().sent, expected);
      if (line == "! lost")
        d.session().connection_lost();
      else
        d.session().timed_out();
      d.pump();
    } else {
      ADD_FAILURE() << "bad transcript line: " << line;
    }
  }
  flush_server();
  EXPECT_EQ(d.outcome().sent, expected);
  return d.outcome();
}

// Replays both ways; returns the results of the write-by-write run after checking that the
// byte-by-byte run agrees.
Outcome run(const Script& sc, const std::string& transcript) {
  Outcome a = run_once(sc, transcript, false);
  Outcome b = run_once(sc, transcript, true);
  EXPECT_EQ(a.sent, b.sent);
  EXPECT_EQ(a.starts, b.starts);
  EXPECT_EQ(a.results.size(), b.results.size());
  for (std::size_t i = 0; i < a.results.size() && i < b.results.size(); ++i) {
    EXPECT_EQ(a.results[i].recipients.size(), b.results[i].recipients.size());
    EXPECT_EQ(a.results[i].final_reply_lost, b.results[i].final_reply_lost);
    for (std::size_t j = 0; j < a.results[i].recipients.size(); ++j)
      EXPECT_EQ(a.results[i].recipients[j].reply(), b.results[i].recipients[j].reply());
  }
  EXPECT_EQ(a.close.has_value(), b.close.has_value());
  if (a.close && b.close) {
    EXPECT_EQ(a.close->reason, b.close->reason);
  }
  return a;
}

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

TEST(SmtpClientSession, ServerClosing421MidSession) {
  Script sc;
  sc.jobs.push_back({tx({"a@example.org", "b@example.org", "c@example.org"}), "x", {}});
  auto o = run(sc, R"(
    S: 220 x
    C: EHLO out.example.net
    S: 250 x
    C: MAIL FROM:<alice@example.net>
    S: 250 ok
    C: RCPT TO:<a@example.org>
    S: 550 5.1.1 unknown
    C: RCPT TO:<b@example.org>
    S: 250 ok
    C: RCPT TO:<c@example.org>
    S: 421 4.3.2 shutting down
  )");
  ASSERT_EQ(o.results.size(), 1u);
  auto& r = o.results[0].recipients;
  expect_result(r[0], B, "550 5.1.1 unknown");
  expect_result(r[1], F, "421 4.3.2 shutting down");
  expect_result(r[2], F, "421 4.3.2 shutting down");
  EXPECT_FALSE(o.results[0].final_reply_lost);
  ASSERT_TRUE(o.close);
  EXPECT_EQ(o.close->reason, CloseReason::peer_closing);
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

TEST(SmtpClientSession, MixedPerRecipientReplies) {
  Script sc;
  sc.jobs.push_back(
      {tx({"a@example.org", "b@example.org", "c@example.org", "d@example.org"}), "x\r\n", {}});
  auto o = run(sc, R"(
    S: 220 x
    C: EHLO out.example.net
    S: 250-x
    S: 250-PIPELINING
    S: 250 ENHANCEDSTATUSCODES
    C: MAIL FROM:<alice@example.net>
    C: RCPT TO:<a@example.org>
    C: RCPT TO:<b@example.org>
    C: RCPT TO:<c@example.org>
    C: RCPT TO:<d@example.org>
    C: DATA
    S: 250 2.1.0 ok
    S: 250 2.1.5 ok
    S: 450-4.2.1 mailbox busy,
    S: 450 4.2.1 try later
    S: 550 5.1.1 no such user
    S: 251 2.1.5 will forward
    S: 354 go
    C: x
    C: .
    S: 250 2.0.0 queued
    C: QUIT
    S: 221 bye
  )");
  ASSERT_EQ(o.results.size(), 1u);
  auto& r = o.results[0].recipients;
  expect_result(r[0], D, "250 2.0.0 queued");
  expect_result(r[1], F, "450 4.2.1 mailbox busy, try later");
  EXPECT_EQ(r[1].stage, ClientStage::rcpt);
  expect_result(r[2], B, "550 5.1.1 no such user");
  expect_result(r[3], D, "250 2.0.0 queued");
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
  expect_result(o.results[1].recipients[0], F, "451 4.3.0 try again");
}

TEST(SmtpClientSession, TwoTransactionsWithRsetAfterAFailedOne) {
  Script sc;
  sc.jobs.push_back({tx({"a@example.org", "b@example.org"}), "x", {}});
  sc.jobs.push_back({tx({"c@example.org"}), "y", {}});
  auto o = run(sc, R"(
    S: 220 x
    C: EHLO out.example.net
    S: 250-x
    S: 250 PIPELINING
    C: MAIL FROM:<alice@example.net>
    C: RCPT TO:<a@example.org>
    C: RCPT TO:<b@example.org>
    C: DATA
    S: 250 ok
    S: 550 5.1.1 no a
    S: 450 4.1.1 no b now
    S: 554 5.5.1 no valid recipients
    C: RSET
    S: 250 ok
    C: MAIL FROM:<alice@example.net>
    C: RCPT TO:<c@example.org>
    C: DATA
    S: 250 ok
    S: 250 ok
    S: 354 go
    C: y
    C: .
    S: 250 ok
    C: QUIT
    S: 221 bye
  )");
  ASSERT_EQ(o.results.size(), 2u);
  expect_result(o.results[0].recipients[0], B, "550 5.1.1 no a");
  expect_result(o.results[0].recipients[1], F, "450 4.1.1 no b now");
  expect_result(o.results[1].recipients[0], D, "250 2.0.0 ok");
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

TEST(SmtpClientSession, NoPipeliningStopsAtRefusedMail) {
  Script sc;
  sc.jobs.push_back({tx({"a@example.org", "b@example.org"}), "x", {}});
  auto o = run(sc, R"(
    S: 220 x
    C: EHLO out.example.net
    S: 250 x
    C: MAIL FROM:<alice@example.net>
    S: 451 4.7.1 greylisted
    C: RSET
    S: 250 ok
    C: QUIT
    S: 221 bye
  )");
  ASSERT_EQ(o.results.size(), 1u);
  expect_result(o.results[0].recipients[0], F, "451 4.7.1 greylisted");
  expect_result(o.results[0].recipients[1], F, "451 4.7.1 greylisted");
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

TEST(SmtpClientSession, StartTlsThenAuthPlain) {
  Script sc;
  sc.config.starttls = StartTlsPolicy::opportunistic;
  sc.config.credentials = ClientCredentials{"alice", "s3cret"};
  sc.jobs.push_back({tx({"a@example.org"}), "x", {}});
  auto o = run(sc, R"(
    S: 220 smarthost ESMTP
    C: EHLO out.example.net
    S: 250-smarthost
    S: 250-AUTH PLAIN LOGIN
    S: 250 STARTTLS
    C: STARTTLS
    S: 220 2.0.0 ready
    C: EHLO out.example.net
    S: 250-smarthost
    S: 250-PIPELINING
    S: 250 AUTH LOGIN PLAIN
    C: AUTH PLAIN AGFsaWNlAHMzY3JldA==
    S: 235 2.7.0 Authentication successful
    C: MAIL FROM:<alice@example.net>
    C: RCPT TO:<a@example.org>
    C: DATA
    S: 250 ok
    S: 250 ok
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

TEST(SmtpClientSession, ChunkingPipelined) {
  Script sc;
  sc.chunk = 10;
  sc.jobs.push_back(
      {tx({"a@example.org", "b@example.org"}, 25), ".starts with a dot\r\nend\r\n", {}});
  auto o = run(sc, R"(
    S: 220 x
    C: EHLO out.example.net
    S: 250-x
    S: 250-PIPELINING
    S: 250-CHUNKING
    S: 250 SIZE
    C: MAIL FROM:<alice@example.net> SIZE=25
    C: RCPT TO:<a@example.org>
    C: RCPT TO:<b@example.org>
    S: 250 ok
    S: 250 ok
    S: 550 no
    C: BDAT 10
    C: .starts wiBDAT 10
    C: th a dot
    C: BDAT 5 LAST
    C: end
    S: 250 2.0.0 chunk
    S: 250 2.0.0 chunk
    S: 250 2.0.0 queued
    C: QUIT
    S: 221 bye
  )");
  expect_result(o.results.at(0).recipients[0], D, "250 2.0.0 queued");
  expect_result(o.results.at(0).recipients[1], B, "550 5.0.0 no");
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

}  // namespace
}  // namespace estafeta::smtp
