// net_line_reader_test: LineReader on every split of its input (whole, in two at every offset,
// in three, byte by byte: the lines and literals seen must be the same each time), and one
// test per report: overlong, NUL, bare LF, bare CR, a CR at a chunk boundary, literal octets.
#include "net/proto/net_line_reader.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace estafeta::net {
namespace {

std::string describe(const LineReader::Line& l) {
  std::string s = "line[" + l.text + "] len=" + std::to_string(l.length);
  if (l.overlong) s += " overlong";
  if (l.bare_lf) s += " bare_lf";
  if (l.bare_cr) s += " bare_cr";
  if (l.nul) s += " nul";
  return s;
}

// Feeds chunks the way a protocol core does; a line ending in "{N}" announces N raw octets
// (as an IMAP literal does), collected and reported as one "literal[...]" event.
struct Driver {
  explicit Driver(std::size_t max) : reader(max) {}

  void feed(std::string_view chunk) {
    while (!chunk.empty()) {
      bool in_literal = reader.octets_remaining() > 0;
      std::size_t n = reader.feed(chunk);
      EXPECT_GT(n, 0u);
      if (n == 0) return;
      if (in_literal) {
        literal.append(chunk.substr(0, n));
        if (reader.octets_remaining() == 0) end_literal();
      }
      chunk.remove_prefix(n);
      if (reader.line_ready()) take();
    }
  }

  void take() {
    LineReader::Line l = reader.take_line();
    events.push_back(describe(l));
    std::string_view t = l.text;
    if (!l.overlong && t.size() >= 3 && t.back() == '}') {
      auto open = t.rfind('{');
      if (open != std::string_view::npos) {
        std::uint64_t n = std::stoull(std::string(t.substr(open + 1, t.size() - open - 2)));
        reader.read_octets(n);
        if (n == 0) end_literal();
      }
    }
  }

  void end_literal() {
    events.push_back("literal[" + literal + "]");
    literal.clear();
  }

  LineReader reader;
  std::string literal;
  std::vector<std::string> events;
};

const std::size_t kMax = 16;

std::string grind_input() {
  std::string s;
  s += "EHLO a\r\n";
  s += "\r\n";
  s += "\n";
  s += "bare lf\n";
  s += "bare\rcr\r\n";
  s += "cr cr\r\r\n";
  s += std::string("nul\0in\r\n", 8);
  s += "0123456789abcdef overlong\r\n";
  s += "0123456789abcd\r\n";   // 16 octets: the limit exactly
  s += "0123456789abcde\r\n";  // 17 octets: one too many, the CR is the 16th
  s += "x {5}\r\n";
  s += "ab\r\nc";
  s += "after literal\r\n";
  s += "y {0}\r\n";
  s += "z {3}\r\n";
  s += "\n\r\n";
  s += "q\r\n";
  s += "tail\r";  // incomplete: never reported
  return s;
}

std::vector<std::string> expected_events() {
  return {
      "line[EHLO a] len=8",
      "line[] len=2",
      "line[] len=1 bare_lf",
      "line[bare lf] len=8 bare_lf",
      "line[bare\rcr] len=9 bare_cr",
      "line[cr cr\r] len=8 bare_cr",
      std::string("line[nul\0in] len=8 nul", 22),
      "line[0123456789abcdef] len=27 overlong",
      "line[0123456789abcd] len=16",
      "line[0123456789abcde] len=17 overlong",
      "line[x {5}] len=7",
      "literal[ab\r\nc]",
      "line[after literal] len=15",
      "line[y {0}] len=7",
      "literal[]",
      "line[z {3}] len=7",
      "literal[\n\r\n]",
      "line[q] len=3",
  };
}

std::vector<std::string> run_whole(const std::string& in) {
  Driver d(kMax);
  d.feed(in);
  return d.events;
}

TEST(LineReader, WholeInput) {
  std::string in = grind_input();
  Driver d(kMax);
  d.feed(in);
  EXPECT_EQ(d.events, expected_events());
  EXPECT_TRUE(d.reader.mid_line());  // "tail\r" waits for its LF
}

TEST(LineReader, EverySplitInTwo) {
  std::string in = grind_input();
  auto whole = run_whole(in);
  for (std::size_t k = 1; k < in.size(); ++k) {
    Driver d(kMax);
    d.feed(std::string_view(in).substr(0, k));
    d.feed(std::string_view(in).substr(k));
    ASSERT_EQ(d.events, whole) << "split at " << k;
  }
}

TEST(LineReader, EverySplitInThree) {
  std::string in = grind_input();
  auto whole = run_whole(in);
  for (std::size_t a = 1; a < in.size(); ++a) {
    for (std::size_t b = a + 1; b < in.size(); ++b) {
      Driver d(kMax);
      std::string_view v(in);
      d.feed(v.substr(0, a));
      d.feed(v.substr(a, b - a));
      d.feed(v.substr(b));
      ASSERT_EQ(d.events, whole) << "split at " << a << "," << b;
    }
  }
}

TEST(LineReader, ByteByByte) {
  std::string in = grind_input();
  Driver d(kMax);
  for (char c : in) d.feed(std::string_view(&c, 1));
  EXPECT_EQ(d.events, run_whole(in));
}

TEST(LineReader, StopsAfterEachLine) {
  LineReader r(100);
  std::string_view in = "ONE\r\nTWO\r\n";
  EXPECT_EQ(r.feed(in), 5u);
  ASSERT_TRUE(r.line_ready());
  EXPECT_EQ(r.feed(in.substr(5)), 0u);  // nothing more until the line is taken
  EXPECT_EQ(r.take_line().text, "ONE");
  EXPECT_EQ(r.feed(in.substr(5)), 5u);
  EXPECT_EQ(r.take_line().text, "TWO");
  EXPECT_FALSE(r.line_ready());
  EXPECT_FALSE(r.mid_line());
}

TEST(LineReader, OverlongKeepsABoundedPrefixAndStaysInStep) {
  LineReader r(10);
  std::string big(100000, 'a');
  std::size_t used = 0;
  for (std::size_t i = 0; i < big.size(); i += 4096)
    used += r.feed(std::string_view(big).substr(i, 4096));
  EXPECT_EQ(used, big.size());
  EXPECT_FALSE(r.line_ready());
  EXPECT_TRUE(r.mid_line());
  EXPECT_EQ(r.feed("\r\nNEXT\r\n"), 2u);
  auto l = r.take_line();
  EXPECT_TRUE(l.overlong);
  EXPECT_EQ(l.text, std::string(10, 'a'));
  EXPECT_EQ(l.length, 100002u);
  EXPECT_FALSE(l.bare_lf);
  EXPECT_EQ(r.feed("NEXT\r\n"), 6u);
  auto n = r.take_line();
  EXPECT_EQ(n.text, "NEXT");
  EXPECT_FALSE(n.overlong);
}

TEST(LineReader, LimitCountsTheCrlf) {
  LineReader r(5);
  r.feed("abc\r\n");
  auto ok = r.take_line();
  EXPECT_FALSE(ok.overlong);
  EXPECT_EQ(ok.text, "abc");
  r.feed("abcd\r\n");
  auto over = r.take_line();
  EXPECT_TRUE(over.overlong);
  EXPECT_EQ(over.length, 6u);
  EXPECT_EQ(over.text, "abcd");  // the CR is the line end's, never text
  r.feed("abcd\n");
  auto bare = r.take_line();
  EXPECT_FALSE(bare.overlong);
  EXPECT_TRUE(bare.bare_lf);
  EXPECT_EQ(bare.text, "abcd");
}

TEST(LineReader, Nul) {
  LineReader r(100);
  r.feed(std::string_view("MAIL\0FROM\r\n", 11));
  auto l = r.take_line();
  EXPECT_TRUE(l.nul);
  EXPECT_FALSE(l.bare_lf);
  EXPECT_FALSE(l.bare_cr);
  EXPECT_EQ(l.text, std::string("MAIL\0FROM", 9));
  r.feed(std::string_view("\0\r\n", 3));
  EXPECT_TRUE(r.take_line().nul);
  r.feed("clean\r\n");
  EXPECT_FALSE(r.take_line().nul);  // the report does not leak into the next line
}

TEST(LineReader, BareLf) {
  LineReader r(100);
  r.feed("NOOP\n");
  auto l = r.take_line();
  EXPECT_TRUE(l.bare_lf);
  EXPECT_EQ(l.text, "NOOP");
  EXPECT_EQ(l.length, 5u);
  r.feed("\n");
  auto empty = r.take_line();
  EXPECT_TRUE(empty.bare_lf);
  EXPECT_EQ(empty.text, "");
  // A NUL right before the LF is not a CR.
  r.feed(std::string_view("x\0\n", 3));
  auto nul = r.take_line();
  EXPECT_TRUE(nul.bare_lf);
  EXPECT_TRUE(nul.nul);
}

TEST(LineReader, BareCr) {
  LineReader r(100);
  r.feed("a\rb\r\n");
  auto l = r.take_line();
  EXPECT_TRUE(l.bare_cr);
  EXPECT_FALSE(l.bare_lf);
  EXPECT_EQ(l.text, "a\rb");
  r.feed("\r\r\n");
  auto two = r.take_line();
  EXPECT_TRUE(two.bare_cr);
  EXPECT_FALSE(two.bare_lf);
  EXPECT_EQ(two.text, "\r");
  r.feed("ok\r\n");
  EXPECT_FALSE(r.take_line().bare_cr);
}

TEST(LineReader, CrAtAChunkBoundary) {
  {
    LineReader r(100);  // CR | LF: a proper CRLF
    EXPECT_EQ(r.feed("QUIT\r"), 5u);
    EXPECT_FALSE(r.line_ready());
    EXPECT_EQ(r.feed("\n"), 1u);
    auto l = r.take_line();
    EXPECT_EQ(l.text, "QUIT");
    EXPECT_FALSE(l.bare_lf);
    EXPECT_FALSE(l.bare_cr);
  }
  {
    LineReader r(100);  // CR | x: the CR was bare
    r.feed("QU\r");
    r.feed("IT\r\n");
    auto l = r.take_line();
    EXPECT_TRUE(l.bare_cr);
    EXPECT_FALSE(l.bare_lf);
    EXPECT_EQ(l.text, "QU\rIT");
  }
  {
    LineReader r(100);  // CR | CR LF
    r.feed("QUIT\r");
    r.feed("\r\n");
    auto l = r.take_line();
    EXPECT_TRUE(l.bare_cr);
    EXPECT_EQ(l.text, "QUIT\r");
  }
  {
    LineReader r(100);  // CR | (empty) | LF
    r.feed("QUIT\r");
    EXPECT_EQ(r.feed(""), 0u);
    r.feed("\n");
    auto l = r.take_line();
    EXPECT_FALSE(l.bare_cr);
    EXPECT_FALSE(l.bare_lf);
  }
}

TEST(LineReader, LiteralOctetsAreRaw) {
  LineReader r(10);
  const std::string data("A {12}\r\n\0\r\n\n\rxxxxxxxB\r\n", 23);
  std::string_view in = data;
  std::size_t n = r.feed(in);
  EXPECT_EQ(n, 8u);
  EXPECT_EQ(r.take_line().text, "A {12}");
  r.read_octets(12);
  EXPECT_EQ(r.octets_remaining(), 12u);
  in.remove_prefix(n);
  EXPECT_EQ(r.feed(in.substr(0, 5)), 5u);  // part of the literal
  EXPECT_EQ(r.octets_remaining(), 7u);
  EXPECT_FALSE(r.line_ready());
  in.remove_prefix(5);
  EXPECT_EQ(r.feed(in), 7u);  // the rest, and not one octet more
  EXPECT_EQ(r.octets_remaining(), 0u);
  in.remove_prefix(7);
  EXPECT_EQ(r.feed(in), 3u);
  auto l = r.take_line();
  EXPECT_EQ(l.text, "B");
  EXPECT_FALSE(l.bare_lf || l.bare_cr || l.nul || l.overlong);
}

TEST(LineReader, LiteralLongerThanTheLineLimit) {
  LineReader r(8);
  r.read_octets(5000000);
  std::string chunk(65536, 'z');
  std::uint64_t total = 0;
  while (r.octets_remaining() > 0) total += r.feed(chunk);
  EXPECT_EQ(total, 5000000u);
  EXPECT_EQ(r.feed("ok\r\n"), 4u);
  EXPECT_EQ(r.take_line().text, "ok");
}

TEST(LineReader, ResetForgetsEverything) {
  LineReader r(100);
  r.feed("half a comm");
  EXPECT_TRUE(r.mid_line());
  r.reset();
  EXPECT_FALSE(r.mid_line());
  r.feed("EHLO x\r\n");
  auto l = r.take_line();
  EXPECT_EQ(l.text, "EHLO x");
  EXPECT_EQ(l.length, 8u);
  r.read_octets(10);
  r.reset();
  EXPECT_EQ(r.octets_remaining(), 0u);
  EXPECT_EQ(r.feed("x\r\n"), 3u);
  EXPECT_TRUE(r.line_ready());
}

}  // namespace
}  // namespace estafeta::net
