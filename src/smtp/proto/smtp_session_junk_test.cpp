// smtp_session_junk_test: Limits::max_junk_commands (Postfix smtpd_junk_command_limit): a
// client looping on commands that move no mail (NOOP, RSET, HELP, EHLO, HELO, VRFY, EXPN) is
// closed with 421 4.7.0 once past the limit; an accepted message starts the count again.
#include <gtest/gtest.h>

#include <string>

#include "smtp/proto/smtp_server_session.hpp"
#include "smtp/proto/smtp_test_harness.hpp"

namespace estafeta::smtp {
namespace {

using testing::Harness;
using testing::mx_info;

const std::string kJunk421 =
    "421 4.7.0 mx.example.org Too many commands without mail, closing connection\r\n";

std::string send(Harness& h, std::string_view line) {
  h.feed(std::string(line) + "\r\n");
  return h.take();
}

Limits junk_limit(std::size_t n) {
  Limits l;
  l.max_junk_commands = n;
  return l;
}

void deliver(Harness& h) {
  ASSERT_EQ(send(h, "MAIL FROM:<sender@remote.example>"), "250 2.1.0 Ok\r\n");
  ASSERT_EQ(send(h, "RCPT TO:<alice@example.org>"), "250 2.1.5 Ok\r\n");
  ASSERT_EQ(send(h, "DATA"), "354 End data with <CR><LF>.<CR><LF>\r\n");
  h.feed("Subject: x\r\n\r\nbody\r\n.\r\n");
}

TEST(SessionJunk, DefaultIsOneHundred) {
  EXPECT_EQ(Limits{}.max_junk_commands, 100u);
  Harness h;
  h.start();
  h.take();
  for (int i = 0; i < 100; ++i) ASSERT_EQ(send(h, "NOOP"), "250 2.0.0 Ok\r\n") << i;
  EXPECT_EQ(send(h, "NOOP"), kJunk421);
  EXPECT_TRUE(h.session.closed());
  EXPECT_EQ(h.closes, 1);
  EXPECT_EQ(send(h, "NOOP"), "");
}

TEST(SessionJunk, EveryCommandThatMovesNoMailCounts) {
  Harness h(mx_info(), junk_limit(7));
  h.start();
  h.take();
  EXPECT_EQ(send(h, "EHLO client.example").substr(0, 4), "250-");
  EXPECT_EQ(send(h, "HELO client.example"), "250 mx.example.org\r\n");
  EXPECT_EQ(send(h, "NOOP"), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(send(h, "RSET"), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(send(h, "HELP").substr(0, 10), "214 2.0.0 ");
  EXPECT_EQ(send(h, "VRFY alice").substr(0, 10), "252 2.5.2 ");
  EXPECT_EQ(send(h, "EXPN list"), "502 5.5.1 Error: EXPN not available\r\n");
  EXPECT_EQ(h.closes, 0);
  EXPECT_EQ(send(h, "RSET"), kJunk421);
  EXPECT_EQ(h.closes, 1);
}

TEST(SessionJunk, MailAndRcptDoNotCount) {
  Harness h(mx_info(), junk_limit(2));
  h.start();
  h.take();
  EXPECT_EQ(send(h, "EHLO client.example").substr(0, 4), "250-");  // 1
  ASSERT_EQ(send(h, "MAIL FROM:<sender@remote.example>"), "250 2.1.0 Ok\r\n");
  for (int i = 0; i < 20; ++i)
    ASSERT_EQ(send(h, "RCPT TO:<alice@example.org>"), "250 2.1.5 Ok\r\n");
  EXPECT_EQ(send(h, "NOOP"), "250 2.0.0 Ok\r\n");  // 2
  EXPECT_EQ(h.closes, 0);
  EXPECT_EQ(send(h, "NOOP"), kJunk421);
}

TEST(SessionJunk, AcceptedMessageStartsTheCountAgain) {
  Harness h(mx_info(), junk_limit(3));
  h.start();
  h.take();
  EXPECT_EQ(send(h, "EHLO client.example").substr(0, 4), "250-");  // 1
  EXPECT_EQ(send(h, "NOOP"), "250 2.0.0 Ok\r\n");                  // 2
  EXPECT_EQ(send(h, "NOOP"), "250 2.0.0 Ok\r\n");                  // 3
  deliver(h);
  EXPECT_EQ(h.take(), "250 2.0.0 Ok: queued as ID1\r\n");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(send(h, "NOOP"), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(h.closes, 0);
  EXPECT_EQ(send(h, "NOOP"), kJunk421);
  EXPECT_EQ(h.closes, 1);
}

TEST(SessionJunk, BdatLastAcceptedStartsTheCountAgain) {
  Harness h(mx_info(), junk_limit(2));
  h.start();
  h.take();
  EXPECT_EQ(send(h, "EHLO client.example").substr(0, 4), "250-");  // 1
  EXPECT_EQ(send(h, "NOOP"), "250 2.0.0 Ok\r\n");                  // 2
  ASSERT_EQ(send(h, "MAIL FROM:<sender@remote.example>"), "250 2.1.0 Ok\r\n");
  ASSERT_EQ(send(h, "RCPT TO:<alice@example.org>"), "250 2.1.5 Ok\r\n");
  h.feed("BDAT 6 LAST\r\nx: y\r\n");
  EXPECT_EQ(h.take(), "250 2.0.0 Ok: queued as ID1\r\n");
  EXPECT_EQ(send(h, "NOOP"), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(send(h, "NOOP"), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(send(h, "NOOP"), kJunk421);
}

TEST(SessionJunk, RefusedMessageDoesNotReset) {
  Harness h(mx_info(), junk_limit(2));
  h.store_ok = false;
  h.start();
  h.take();
  EXPECT_EQ(send(h, "EHLO client.example").substr(0, 4), "250-");  // 1
  EXPECT_EQ(send(h, "NOOP"), "250 2.0.0 Ok\r\n");                  // 2
  deliver(h);
  EXPECT_EQ(h.take(), "451 4.3.0 Error: could not store the message, try again later\r\n");
  EXPECT_EQ(send(h, "NOOP"), kJunk421);
}

TEST(SessionJunk, PipelinedLoopIsCutAtTheLimit) {
  Harness h(mx_info(), junk_limit(3));
  h.start();
  h.take();
  std::string batch;
  for (int i = 0; i < 50; ++i) batch += "NOOP\r\n";
  h.feed(batch);
  EXPECT_EQ(h.take(), "250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n" + kJunk421);
  EXPECT_EQ(h.closes, 1);
}

}  // namespace
}  // namespace estafeta::smtp
