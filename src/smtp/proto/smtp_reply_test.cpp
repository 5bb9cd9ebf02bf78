// smtp_reply_test: reply formatting (single, multiline, enhanced codes) and the sanitizer,
// plus the Received field and its date.
#include "smtp/proto/smtp_reply.hpp"

#include <gtest/gtest.h>

#include "smtp/proto/smtp_received.hpp"
#include "smtp/proto/smtp_test_harness.hpp"

namespace estafeta::smtp {
namespace {

TEST(Reply, SingleLine) {
  EXPECT_EQ(format_reply(250, "2.1.0", "Ok"), "250 2.1.0 Ok\r\n");
  EXPECT_EQ(format_reply(354, "", "Go ahead"), "354 Go ahead\r\n");
  EXPECT_EQ(format_reply(PeerError{501, "5.5.4", "Syntax"}), "501 5.5.4 Syntax\r\n");
  EXPECT_EQ(format_reply(334, "", ""), "334 \r\n");
}

TEST(Reply, Multiline) {
  Reply r{250, "2.0.0", {"first", "second", "third"}};
  EXPECT_EQ(r.format(), "250-2.0.0 first\r\n250-2.0.0 second\r\n250 2.0.0 third\r\n");
  Reply e{250, "", {"host", "SIZE 10"}};
  EXPECT_EQ(e.format(), "250-host\r\n250 SIZE 10\r\n");
}

TEST(Reply, ClientTextCannotBreakTheReply) {
  EXPECT_EQ(format_reply(550, "5.1.1", "<a\r\n250 ok>"), "550 5.1.1 <a??250 ok>\r\n");
  EXPECT_EQ(sanitize_text("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(sanitize_text("bad\xff"), "bad?");
  EXPECT_EQ(sanitize_text("abcdef", 3), "abc...");
}

TEST(Received, ProtocolNames) {
  EXPECT_EQ(with_protocol(false, false, false, false), "SMTP");
  EXPECT_EQ(with_protocol(true, false, false, false), "ESMTP");
  EXPECT_EQ(with_protocol(true, true, false, false), "ESMTPS");
  EXPECT_EQ(with_protocol(true, false, true, false), "ESMTPA");
  EXPECT_EQ(with_protocol(true, true, true, false), "ESMTPSA");
  EXPECT_EQ(with_protocol(true, true, true, true), "UTF8SMTPSA");
  EXPECT_EQ(with_protocol(true, false, false, true), "UTF8SMTP");
}

TEST(Received, Field) {
  ReceivedFields f;
  f.helo = "evil(host)\r\nX: y";
  f.peer_ip = "2001:db8::1";
  f.server_hostname = "mx.example.org";
  f.esmtp = true;
  f.id = "ID9";
  f.when = testing::fixed_time();
  EXPECT_EQ(format_received(f),
            "Received: from evil?host???X:?y ([IPv6:2001:db8::1])\r\n"
            "\tby mx.example.org (Estafeta) with ESMTP id ID9;\r\n"
            "\tSat, 28 Nov 2026 03:17:28 +0000\r\n");
}

TEST(Received, Date) {
  using namespace std::chrono;
  EXPECT_EQ(format_rfc5322_date(sys_days{year{2024} / February / 29} + hours{23} + minutes{5}),
            "Thu, 29 Feb 2024 23:05:00 +0000");
  EXPECT_EQ(format_rfc5322_date(system_clock::time_point{}), "Thu, 1 Jan 1970 00:00:00 +0000");
}

}  // namespace
}  // namespace estafeta::smtp
