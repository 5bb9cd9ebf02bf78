// smtp_session_stream_test: message content leaves the core as it arrives (MessageChunk),
// so a large message is never held whole; the spool's view (Received + chunks + tail) is the
// message; a message refused after chunks went out is discarded (DiscardMessage) on every
// path: too big, bad content, RSET in the middle of BDAT. Also smtp.bare_lf = normalize.
#include <gtest/gtest.h>

#include "smtp/proto/smtp_test_harness.hpp"

namespace estafeta::smtp {
namespace {

using testing::Harness;

std::string open_transaction(Harness& h) {
  h.start();
  h.feed("EHLO client.example\r\nMAIL FROM:<s@remote.example>\r\nRCPT TO:<alice@example.org>\r\n");
  return h.take();
}

std::string body_of(const std::string& stored) {
  return stored.substr(stored.find("+0000\r\n") + 7);
}

TEST(SessionStream, LargeDataLeavesInChunks) {
  Harness h;
  open_transaction(h);
  h.feed("DATA\r\n");
  h.take();
  std::string line(998, 'x');
  std::string body;
  for (int i = 0; i < 400; ++i) body += line + "\r\n";  // 400 KB
  for (std::size_t i = 0; i < body.size(); i += 16384) h.feed(body.substr(i, 16384));
  EXPECT_GE(h.chunks, 5);
  h.feed(".\r\n");
  EXPECT_EQ(h.take(), "250 2.0.0 Ok: queued as ID1\r\n");
  ASSERT_EQ(h.stored.size(), 1u);
  EXPECT_EQ(body_of(h.stored[0].message), body);
  EXPECT_EQ(h.discards, 0);
}

TEST(SessionStream, TooBigAfterChunksIsDiscarded) {
  Limits limits;
  limits.max_message_size = 200 * 1024;
  Harness h(testing::mx_info(), limits);
  open_transaction(h);
  h.feed("DATA\r\n");
  h.take();
  std::string line(998, 'y');
  for (int i = 0; i < 300; ++i) h.feed(line + "\r\n");
  h.feed(".\r\n");
  EXPECT_EQ(h.take(), "552 5.3.4 Message size exceeds fixed limit of 204800 octets\r\n");
  EXPECT_TRUE(h.stored.empty());
  EXPECT_EQ(h.discards, 1);
  EXPECT_TRUE(h.content.empty());
}

TEST(SessionStream, BadContentAfterChunksIsDiscarded) {
  Harness h;
  open_transaction(h);
  h.feed("DATA\r\n");
  h.take();
  for (int i = 0; i < 100; ++i) h.feed(std::string(1022, 'z') + "\r\n");
  EXPECT_EQ(h.chunks, 1);
  h.feed("bare\nLF\r\n.\r\n");
  EXPECT_EQ(h.take(), "550 5.6.2 Bare CR or LF in message text; lines must end with CRLF\r\n");
  EXPECT_EQ(h.discards, 1);
}

TEST(SessionStream, RsetDuringBdatDiscards) {
  Harness h;
  open_transaction(h);
  std::string chunk;
  for (int i = 0; i < 70; ++i) chunk += std::string(1022, 'q') + "\r\n";
  h.feed("BDAT " + std::to_string(chunk.size()) + "\r\n" + chunk);
  EXPECT_EQ(h.take(), "250 2.0.0 Ok: 71680 octets received\r\n");
  EXPECT_EQ(h.chunks, 1);
  h.feed("RSET\r\n");
  EXPECT_EQ(h.take(), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(h.discards, 1);
  // A fresh transaction starts clean.
  h.feed("MAIL FROM:<s@remote.example>\r\nRCPT TO:<alice@example.org>\r\nBDAT 3 LAST\r\nabc");
  h.take();
  ASSERT_EQ(h.stored.size(), 1u);
  EXPECT_EQ(body_of(h.stored[0].message), "abc");
}

TEST(SessionStream, SmallMessagesComeWholeWithStore) {
  Harness h;
  open_transaction(h);
  h.feed("DATA\r\nSubject: s\r\n\r\nhi\r\n.\r\n");
  EXPECT_EQ(h.chunks, 0);
  ASSERT_EQ(h.stored.size(), 1u);
  EXPECT_EQ(body_of(h.stored[0].message), "Subject: s\r\n\r\nhi\r\n");
}

TEST(SessionStream, ReceivedLoopCountSurvivesChunking) {
  Limits limits;
  limits.max_received_headers = 3;
  Harness h(testing::mx_info(), limits);
  open_transaction(h);
  h.feed("DATA\r\n");
  h.take();
  h.feed("Received: a\r\nreceived : b\r\nRECEIVED:c\r\nReceived:\r\n d\r\n\r\n");
  for (int i = 0; i < 100; ++i) h.feed(std::string(1022, 'b') + "\r\n");
  h.feed("Received: in body\r\n.\r\n");
  EXPECT_EQ(h.take(), "554 5.4.6 Too many Received header fields (more than 3): mail loop\r\n");
  EXPECT_EQ(h.discards, 1);
}

TEST(SessionStream, BareLfNormalized) {
  Limits limits;
  limits.bare_lf = Limits::BareLf::normalize;
  Harness h(testing::mx_info(), limits);
  open_transaction(h);
  h.feed("DATA\r\n");
  h.take();
  // A lone LF becomes CRLF; "\n.\n" and "\n.\r\n" are text, not the end of DATA.
  h.feed("Subject: s\n\nline\n.\n..x\n.\r\nmore\r\n.\r\n");
  EXPECT_EQ(h.take(), "250 2.0.0 Ok: queued as ID1\r\n");
  ASSERT_EQ(h.stored.size(), 1u);
  EXPECT_EQ(body_of(h.stored[0].message), "Subject: s\r\n\r\nline\r\n.\r\n.x\r\n.\r\nmore\r\n");
}

TEST(SessionStream, BareLfRejectedByDefault) {
  Harness h;
  open_transaction(h);
  h.feed("DATA\r\nSubject: s\n\nx\r\n.\r\n");
  EXPECT_EQ(h.take(),
            "354 End data with <CR><LF>.<CR><LF>\r\n"
            "550 5.6.2 Bare CR or LF in message text; lines must end with CRLF\r\n");
}

}  // namespace
}  // namespace estafeta::smtp
