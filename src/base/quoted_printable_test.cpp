// quoted_printable_test: RFC 2045 §6.7 rules (escapes, soft breaks, trailing whitespace, line
// length), tolerant decoding of what real mailers send, and the RFC 2047 Q variant.
#include "base/quoted_printable.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace estafeta::qp {
namespace {

// Every output line of `enc` is at most 76 characters and contains only printable ASCII
// (plus space/tab not at the end).
void expect_well_formed(const std::string& enc) {
  std::size_t start = 0;
  while (start <= enc.size()) {
    std::size_t end = enc.find("\r\n", start);
    if (end == std::string::npos) end = enc.size();
    std::string_view line(enc.data() + start, end - start);
    EXPECT_LE(line.size(), 76u) << line;
    for (char c : line) {
      auto u = static_cast<unsigned char>(c);
      EXPECT_TRUE((u >= 32 && u <= 126) || c == '\t') << static_cast<int>(u);
    }
    if (!line.empty()) {
      EXPECT_NE(line.back(), ' ');
      EXPECT_NE(line.back(), '\t');
    }
    if (end == enc.size()) break;
    start = end + 2;
  }
  EXPECT_EQ(enc.find('\n'),
            enc.find("\r\n") == std::string::npos ? std::string::npos : enc.find("\r\n") + 1);
}

}  // namespace

TEST(QuotedPrintable, DecodesEscapesAndSoftBreaks) {
  EXPECT_EQ(decode("caf=C3=A9"), "caf\xC3\xA9");
  EXPECT_EQ(decode("caf=c3=a9"), "caf\xC3\xA9");  // lowercase hex tolerated
  EXPECT_EQ(decode("long line=\r\ncontinued\r\n"), "long linecontinued\r\n");
  EXPECT_EQ(decode("long line=\ncontinued\n"), "long linecontinued\r\n");  // bare LF
  EXPECT_EQ(decode("soft with space=  \r\nnext"), "soft with spacenext");
  EXPECT_EQ(decode("space kept  =\r\nnext"), "space kept  next");  // §6.7 rule 3
  EXPECT_EQ(decode("a=\r\n"), "a");
  EXPECT_EQ(decode("a= \t"), "a");
  EXPECT_EQ(decode("a=3D=3db"), "a==b");
}

TEST(QuotedPrintable, StripsTrailingWhitespace) {
  EXPECT_EQ(decode("trailing   \r\nnext\t\r\n"), "trailing\r\nnext\r\n");
  EXPECT_EQ(decode("last line  "), "last line");
  EXPECT_EQ(decode("kept=20\r\n"), "kept \r\n");
}

TEST(QuotedPrintable, BadEscapesStayLiteral) {
  EXPECT_EQ(decode("100% =ZZ sure"), "100% =ZZ sure");
  EXPECT_EQ(decode("x=4"), "x=4");
  EXPECT_EQ(decode("x=4\r\ny"), "x=4\r\ny");
  EXPECT_EQ(decode("=\xff\xfe"), "=\xff\xfe");
  EXPECT_EQ(decode("="), "");         // a soft break at the very end
  EXPECT_EQ(decode("a\rb"), "a\rb");  // bare CR is data
}

TEST(QuotedPrintable, DecodeAppends) {
  std::string out = "pre:";
  EXPECT_EQ(decode("x=41", out), 2u);
  EXPECT_EQ(out, "pre:xA");
}

TEST(QuotedPrintable, DecodeGrowsForManyBareLineFeeds) {
  std::string in(10000, '\n');
  std::string out = decode(in);
  EXPECT_EQ(out.size(), 20000u);
  EXPECT_EQ(out.substr(0, 4), "\r\n\r\n");
}

TEST(QuotedPrintable, EncodesPerRfc2045) {
  EXPECT_EQ(encode("plain text"), "plain text");
  EXPECT_EQ(encode("a=b"), "a=3Db");
  EXPECT_EQ(encode("caf\xC3\xA9"), "caf=C3=A9");
  EXPECT_EQ(encode("line one\nline two\r\n"), "line one\r\nline two\r\n");
  EXPECT_EQ(encode("end space \r\nx"), "end space=20\r\nx");
  EXPECT_EQ(encode("tab\t"), "tab=09");
  EXPECT_EQ(encode("From me\nFrom you"), "=46rom me\r\n=46rom you");
  EXPECT_EQ(encode(".\r\n..\r\n"), "=2E\r\n..\r\n");
  EXPECT_EQ(encode("a\r\nb", LineBreaks::binary), "a=0D=0Ab");
  EXPECT_EQ(encode("bare\rcr"), "bare=0Dcr");
}

TEST(QuotedPrintable, SoftBreaksAt76) {
  std::string in(200, 'x');
  std::string enc = encode(in);
  expect_well_formed(enc);
  EXPECT_EQ(enc.substr(0, 76), std::string(75, 'x') + "=");
  EXPECT_EQ(decode(enc), in);
  // Exactly 76 characters fit on one line without a soft break.
  EXPECT_EQ(encode(std::string(76, 'y')), std::string(76, 'y'));
  // An escape is never split across a soft break.
  std::string esc(100, '\xE9');
  enc = encode(esc);
  expect_well_formed(enc);
  EXPECT_EQ(decode(enc), esc);
}

TEST(QuotedPrintable, RandomRoundTrips) {
  std::mt19937 rng(99);
  const std::string pool = "ab =\t\r\n.F\xC3\xA9\x00\xff";
  for (int round = 0; round < 2000; ++round) {
    std::string in;
    std::size_t n = rng() % 300;
    for (std::size_t i = 0; i < n; ++i) in += pool[rng() % pool.size()];
    std::string bin = encode(in, LineBreaks::binary);
    expect_well_formed(bin);
    EXPECT_EQ(decode(bin), in);
    // Text mode normalises line ends to CRLF, and trailing whitespace survives via escapes.
    std::string text_in;
    for (std::size_t i = 0; i < in.size(); ++i) {
      if (in[i] == '\r' && i + 1 < in.size() && in[i + 1] == '\n') {
        text_in += "\r\n";
        ++i;
      } else if (in[i] == '\n') {
        text_in += "\r\n";
      } else {
        text_in += in[i];
      }
    }
    std::string text = encode(in);
    expect_well_formed(text);
    EXPECT_EQ(decode(text), text_in) << round;
  }
}

TEST(QuotedPrintable, QVariant) {
  std::string out;
  decode_q("Keld_J=F8rn_Simonsen", out);
  EXPECT_EQ(out, "Keld J\xF8rn Simonsen");  // RFC 2047 §8
  out.clear();
  decode_q("a=5Fb=ZZ=4", out);
  EXPECT_EQ(out, "a_b=ZZ=4");
  EXPECT_EQ(encode_q("Hello World"), "Hello_World");
  EXPECT_EQ(encode_q("a_b=c?d\"e"), "a=5Fb=3Dc=3Fd=22e");
  EXPECT_EQ(encode_q("\xC3\xA9"), "=C3=A9");
  EXPECT_EQ(encoded_q_size("a_b c"), encode_q("a_b c").size());
  std::string back;
  decode_q(encode_q("x y_z=?\x01\xff"), back);
  EXPECT_EQ(back, "x y_z=?\x01\xff");
}

}  // namespace estafeta::qp
