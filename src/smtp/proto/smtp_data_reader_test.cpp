// smtp_data_reader_test: the DATA/BDAT content scanner on its own: terminator, dot-unstuffing,
// every verdict, and independence from how the input is split.
#include "smtp/proto/smtp_data_reader.hpp"

#include <gtest/gtest.h>

#include <string>

namespace estafeta::smtp {
namespace {

struct Outcome {
  std::string message;
  std::string error;  // "552 5.3.4" or ""
  std::size_t consumed = 0;
  bool complete = false;
};

Outcome read_data(std::string_view in, const Limits& limits = Limits{}, std::size_t piece = 0) {
  DataReader r(limits);
  r.reset(DataReader::Mode::dot_stuffed);
  Outcome o;
  if (piece == 0) piece = in.size() ? in.size() : 1;
  for (std::size_t pos = 0; pos < in.size() && !r.complete(); pos += piece)
    o.consumed += r.feed(in.substr(pos, piece));
  o.complete = r.complete();
  if (auto e = r.error()) o.error = std::to_string(e->code) + " " + e->enhanced;
  o.message = r.take_message();
  return o;
}

TEST(DataReader, EndsAtCrLfDotCrLfOnly) {
  auto o = read_data("a\r\n.\r\nMAIL FROM:<>\r\n");
  EXPECT_TRUE(o.complete);
  EXPECT_EQ(o.consumed, 6u);
  EXPECT_EQ(o.message, "a\r\n");
  EXPECT_FALSE(read_data("a\n.\n").complete);
  EXPECT_FALSE(read_data("a\r\n.\n").complete);
  EXPECT_FALSE(read_data("a\n.\r\n").complete);
  EXPECT_FALSE(read_data("a\r.\r\n").complete);
  EXPECT_TRUE(read_data(".\r\n").complete);  // empty message right after the 354
}

TEST(DataReader, DotUnstuffing) {
  EXPECT_EQ(read_data("..\r\n...x\r\n.a\r\n.\r\n").message, ".\r\n..x\r\na\r\n");
}

TEST(DataReader, Verdicts) {
  EXPECT_EQ(read_data("a\nb\r\n.\r\n").error, "550 5.6.2");
  EXPECT_EQ(read_data("a\rb\r\n.\r\n").error, "550 5.6.2");
  EXPECT_EQ(read_data(std::string("a\0\r\n.\r\n", 7)).error, "554 5.6.0");
  Limits small;
  small.max_line_length = 5;
  EXPECT_EQ(read_data("abc\r\n.\r\n", small).error, "");
  EXPECT_EQ(read_data("abcd\r\n.\r\n", small).error, "500 5.5.2");
  small.max_message_size = 4;
  auto big = read_data("ab\r\nc\r\n.\r\n", small);
  EXPECT_TRUE(big.complete);
  EXPECT_EQ(big.error, "552 5.3.4");
  EXPECT_EQ(big.message, "");
  Limits loops;
  loops.max_received_headers = 1;
  EXPECT_EQ(read_data("Received: a\r\nX: y\r\n\r\n.\r\n", loops).error, "");
  EXPECT_EQ(read_data("Received: a\r\nReceived: b\r\n\r\n.\r\n", loops).error, "554 5.4.6");
}

TEST(DataReader, SplitIndependent) {
  const std::string in = "Subject: x\r\n\r\n..a\r\nb\nc\r\r\n.\r\n.\r\nrest";
  auto whole = read_data(in);
  for (std::size_t piece = 1; piece < in.size(); ++piece) {
    auto o = read_data(in, Limits{}, piece);
    EXPECT_EQ(o.message, whole.message) << piece;
    EXPECT_EQ(o.error, whole.error) << piece;
    EXPECT_EQ(o.consumed, whole.consumed) << piece;
  }
}

TEST(DataReader, ChunkedKeepsDotsAndJoinsCrLfAcrossChunks) {
  DataReader r(Limits{});
  r.reset(DataReader::Mode::chunked);
  EXPECT_EQ(r.feed(".\r\n.\r"), 5u);
  EXPECT_FALSE(r.complete());
  r.feed("\nx");
  r.finish();
  EXPECT_TRUE(r.complete());
  EXPECT_FALSE(r.error());
  EXPECT_EQ(r.take_message(), ".\r\n.\r\nx");
  r.reset(DataReader::Mode::chunked);
  r.feed("a\r");
  r.finish();
  ASSERT_TRUE(r.error());
  EXPECT_EQ(r.error()->code, 550);
}

TEST(CountReceived, HeaderSectionOnly) {
  EXPECT_EQ(
      count_received_fields("Received: a\r\nreceived:b\r\nReceived : c\r\n\r\nReceived: d\r\n", 10),
      3u);
  EXPECT_EQ(count_received_fields("X-Received: a\r\nReceivedx: b\r\n", 10), 0u);
  EXPECT_EQ(count_received_fields("Received: a\nReceived: b\n", 10), 2u);
  EXPECT_EQ(count_received_fields("Received: a\r\nReceived: b\r\nReceived: c\r\n", 1), 2u);
}

TEST(DataReader, NormalizeIsIndependentOfTheSplit) {
  Limits limits;
  limits.bare_lf = Limits::BareLf::normalize;
  const std::string in = "a\n.\n..b\n.\r\nc\r\n.x\n\r\n.\r\n";
  Outcome whole = read_data(in, limits);
  EXPECT_TRUE(whole.complete);
  EXPECT_EQ(whole.message, "a\r\n.\r\n.b\r\n.\r\nc\r\nx\r\n\r\n");
  EXPECT_EQ(whole.error, "");
  for (std::size_t piece = 1; piece < in.size(); ++piece) {
    Outcome o = read_data(in, limits, piece);
    EXPECT_EQ(o.message, whole.message) << piece;
    EXPECT_EQ(o.consumed, whole.consumed) << piece;
  }
}

TEST(DataReader, NormalizeStillRefusesBareCr) {
  Limits limits;
  limits.bare_lf = Limits::BareLf::normalize;
  EXPECT_EQ(read_data("a\rb\r\n.\r\n", limits).error, "550 5.6.2");
}

}  // namespace
}  // namespace estafeta::smtp
