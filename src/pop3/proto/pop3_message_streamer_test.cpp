// Tests of pop3_message_streamer: the wire form of RETR and TOP (dot-stuffing, line ends, NUL,
// TOP's header / blank line / n lines, messages without a final line end or a blank line),
// split anywhere, and the streaming from a Blob in bounded pieces.
#include "pop3/proto/pop3_message_streamer.hpp"

#include <gtest/gtest.h>

#include <string>

namespace estafeta::pop3 {
namespace {

using namespace std::string_literals;

std::string stuff(std::string_view in, std::optional<std::uint64_t> top = std::nullopt) {
  DotStuffer d(top);
  std::string out;
  d.feed(in, out);
  d.finish(out);
  return out;
}

// The same, fed one octet at a time.
std::string stuff_bytewise(std::string_view in, std::optional<std::uint64_t> top = std::nullopt) {
  DotStuffer d(top);
  std::string out;
  for (char c : in) d.feed(std::string_view(&c, 1), out);
  d.finish(out);
  return out;
}

// RFC 1939 §3 in reverse: what the client reconstructs (for RETR, the message in CRLF form).
std::string unstuff(std::string wire) {
  EXPECT_GE(wire.size(), 3u);
  EXPECT_EQ(wire.substr(wire.size() - 3), ".\r\n");
  wire.resize(wire.size() - 3);
  std::string out;
  std::size_t pos = 0;
  while (pos < wire.size()) {
    std::size_t eol = wire.find("\r\n", pos);
    std::size_t end = eol == std::string::npos ? wire.size() : eol + 2;
    std::string_view line(wire.data() + pos, end - pos);
    if (!line.empty() && line[0] == '.') line.remove_prefix(1);
    out += line;
    pos = end;
  }
  return out;
}

class StringBlob : public store::Blob {
 public:
  explicit StringBlob(std::string s) : s_(std::move(s)) {}
  std::uint64_t size() const override { return s_.size(); }
  std::error_code read(std::uint64_t offset, std::size_t n, std::string& out) override {
    ++reads;
    max_read = std::max(max_read, n);
    out = offset >= s_.size() ? std::string() : s_.substr(offset, n);
    return {};
  }
  std::string s_;
  int reads = 0;
  std::size_t max_read = 0;
};

TEST(Pop3DotStuffer, CrlfMessageIsSentAsItIsWithTheTerminator) {
  EXPECT_EQ(stuff("Subject: a\r\n\r\nbody\r\n"), "Subject: a\r\n\r\nbody\r\n.\r\n");
}

TEST(Pop3DotStuffer, LinesStartingWithADotAreStuffed) {
  EXPECT_EQ(stuff(".\r\n..x\r\nb.c\r\n.\r\n"), "..\r\n...x\r\nb.c\r\n..\r\n.\r\n");
  EXPECT_EQ(stuff("."), "..\r\n.\r\n");
  EXPECT_EQ(stuff(".a\nb"), "..a\r\nb\r\n.\r\n");
}

TEST(Pop3DotStuffer, BareLineFeedBecomesCrlfAndBareCrIsKept) {
  EXPECT_EQ(stuff("a\nb\n\nc\n"), "a\r\nb\r\n\r\nc\r\n.\r\n");
  EXPECT_EQ(stuff("a\rb\r\r\n"), "a\rb\r\r\n.\r\n");
}

TEST(Pop3DotStuffer, MissingFinalLineEndIsAdded) {
  EXPECT_EQ(stuff("Subject: a\r\n\r\nbody"), "Subject: a\r\n\r\nbody\r\n.\r\n");
  EXPECT_EQ(stuff("a\r"), "a\r\r\n.\r\n");
}

TEST(Pop3DotStuffer, EmptyMessageIsJustTheTerminator) {
  EXPECT_EQ(stuff(""), ".\r\n");
  EXPECT_EQ(stuff("", 3), "\r\n.\r\n");
}

TEST(Pop3DotStuffer, NulIsSentAs0x80) {
  EXPECT_EQ(stuff("a\0b\r\n\0\r\n"s),
            "a\x80"
            "b\r\n\x80\r\n.\r\n");
}

TEST(Pop3DotStuffer, ContentOctetsFollowTheSizeRule) {
  // RFC822.SIZE (bare LF counted as CRLF) plus 2 without a final line end.
  struct Case {
    std::string in;
    std::uint64_t size;
  } cases[] = {
      {"a\r\nb\r\n", 6}, {"a\nb\n", 6}, {"a\nb", 6}, {"\0\n"s, 3}, {"", 0}, {".\n.", 6}, {"a\r", 4},
  };
  for (const auto& c : cases) {
    DotStuffer d;
    std::string out;
    d.feed(c.in, out);
    d.finish(out);
    EXPECT_EQ(d.content_octets(), c.size) << c.in;
    EXPECT_EQ(unstuff(out).size(), c.size) << c.in;
  }
}

TEST(Pop3DotStuffer, TopSendsHeaderBlankLineAndExactlyNLines) {
  std::string m = "A: 1\r\nB: 2\r\n\r\nl1\r\n.l2\r\nl3\r\n";
  EXPECT_EQ(stuff(m, 0), "A: 1\r\nB: 2\r\n\r\n.\r\n");
  EXPECT_EQ(stuff(m, 1), "A: 1\r\nB: 2\r\n\r\nl1\r\n.\r\n");
  EXPECT_EQ(stuff(m, 2), "A: 1\r\nB: 2\r\n\r\nl1\r\n..l2\r\n.\r\n");
  EXPECT_EQ(stuff(m, 3), "A: 1\r\nB: 2\r\n\r\nl1\r\n..l2\r\nl3\r\n.\r\n");
  EXPECT_EQ(stuff(m, 1000), stuff(m));
}

TEST(Pop3DotStuffer, TopCountsEmptyBodyLinesAndALastLineWithoutLineEnd) {
  std::string m = "A: 1\n\n\n\nx";
  EXPECT_EQ(stuff(m, 1), "A: 1\r\n\r\n\r\n.\r\n");
  EXPECT_EQ(stuff(m, 2), "A: 1\r\n\r\n\r\n\r\n.\r\n");
  EXPECT_EQ(stuff(m, 3), "A: 1\r\n\r\n\r\n\r\nx\r\n.\r\n");
  EXPECT_EQ(stuff(m, 4), "A: 1\r\n\r\n\r\n\r\nx\r\n.\r\n");
}

TEST(Pop3DotStuffer, TopOfAMessageWithoutBody) {
  EXPECT_EQ(stuff("A: 1\r\nB: 2\r\n\r\n", 5), "A: 1\r\nB: 2\r\n\r\n.\r\n");
}

TEST(Pop3DotStuffer, TopOfAMessageWithoutBlankLineAddsIt) {
  // All header: sent whole, then the blank line TOP promises (RFC 1939 §7).
  EXPECT_EQ(stuff("A: 1\r\nB: 2\r\n", 0), "A: 1\r\nB: 2\r\n\r\n.\r\n");
  EXPECT_EQ(stuff("A: 1\r\nB: 2", 10), "A: 1\r\nB: 2\r\n\r\n.\r\n");
  // RETR sends such a message as it is.
  EXPECT_EQ(stuff("A: 1\r\nB: 2\r\n"), "A: 1\r\nB: 2\r\n.\r\n");
}

TEST(Pop3DotStuffer, TopWithABareCrLfBlankLine) {
  EXPECT_EQ(stuff("A: 1\n\r\nb1\nb2\n", 1), "A: 1\r\n\r\nb1\r\n.\r\n");
}

TEST(Pop3DotStuffer, AnySplitGivesTheSameOutput) {
  const std::string inputs[] = {
      "A: 1\n.B\r\n\r\n.\n..\r\nx\0y\rz\n\nlast"s,
      "\n\n.\n",
      ".",
      "H: v\r\n",
  };
  for (const auto& in : inputs) {
    for (std::optional<std::uint64_t> top :
         {std::optional<std::uint64_t>(), std::optional<std::uint64_t>(0),
          std::optional<std::uint64_t>(1), std::optional<std::uint64_t>(2)}) {
      EXPECT_EQ(stuff(in, top), stuff_bytewise(in, top));
      for (std::size_t cut = 0; cut <= in.size(); ++cut) {
        DotStuffer d(top);
        std::string out;
        d.feed(std::string_view(in).substr(0, cut), out);
        d.feed(std::string_view(in).substr(cut), out);
        d.finish(out);
        EXPECT_EQ(out, stuff(in, top)) << cut;
      }
    }
  }
}

TEST(Pop3DotStuffer, TopStopsConsumingOnceSatisfied) {
  DotStuffer d(1);
  std::string out;
  d.feed("A: 1\r\n\r\nx\r\n", out);
  EXPECT_TRUE(d.satisfied());
  d.feed("more\r\n", out);
  d.finish(out);
  EXPECT_EQ(out, "A: 1\r\n\r\nx\r\n.\r\n");
}

TEST(Pop3MessageStreamer, StreamsABigMessageInBoundedPieces) {
  std::string msg = "Subject: big\r\n\r\n";
  for (int i = 0; i < 100000; ++i) msg += ".line " + std::to_string(i) + "\n";
  auto blob = std::make_shared<StringBlob>(msg);
  MessageStreamer s(blob, std::nullopt);
  std::string all, piece;
  int pieces = 0;
  while (!s.done() && pieces < 10000) {
    ASSERT_FALSE(s.next(piece));
    EXPECT_LE(piece.size(), 2 * kStreamChunk + 5);
    all += piece;
    ++pieces;
  }
  EXPECT_TRUE(s.done());
  EXPECT_GT(pieces, 10);
  EXPECT_LE(blob->max_read, kStreamChunk);
  EXPECT_EQ(all, stuff(msg));
  s.next(piece);
  EXPECT_EQ(piece, "");
}

TEST(Pop3MessageStreamer, TopReadsOnlyWhatItNeeds) {
  std::string msg = "Subject: big\r\n\r\nfirst\r\n" + std::string(1000000, 'x') + "\r\n";
  auto blob = std::make_shared<StringBlob>(msg);
  MessageStreamer s(blob, 1);
  std::string all, piece;
  while (!s.done()) {
    ASSERT_FALSE(s.next(piece));
    all += piece;
  }
  EXPECT_EQ(all, "Subject: big\r\n\r\nfirst\r\n.\r\n");
  EXPECT_EQ(blob->reads, 1);
}

TEST(Pop3MessageStreamer, ShorterFileEndsTheMessage) {
  auto blob = std::make_shared<StringBlob>("abc");
  MessageStreamer s(blob, std::nullopt);
  blob->s_ = "";  // truncated after the size was taken
  std::string piece;
  ASSERT_FALSE(s.next(piece));
  EXPECT_TRUE(s.done());
  EXPECT_EQ(piece, ".\r\n");
}

TEST(Pop3MessageStreamer, ReadErrorIsReturned) {
  class FailingBlob : public store::Blob {
   public:
    std::uint64_t size() const override { return 10; }
    std::error_code read(std::uint64_t, std::size_t, std::string&) override {
      return std::make_error_code(std::errc::io_error);
    }
  };
  MessageStreamer s(std::make_shared<FailingBlob>(), std::nullopt);
  std::string piece;
  EXPECT_TRUE(s.next(piece));
  EXPECT_FALSE(s.done());
}

}  // namespace
}  // namespace estafeta::pop3
