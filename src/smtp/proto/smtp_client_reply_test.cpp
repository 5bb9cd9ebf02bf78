// smtp_client_reply_test: the SMTP client's reply reader (every split of the input, each
// limit, each kind of garbage), the EHLO capability parser and the dot-stuffer.
#include "smtp/proto/smtp_client_reply.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "smtp/proto/smtp_client_data.hpp"
#include "smtp/proto/smtp_client_ehlo.hpp"

namespace estafeta::smtp {
namespace {

std::vector<ServerReply> read_all(ReplyReader& r, std::string_view in) {
  r.receive(in);
  std::vector<ServerReply> out;
  while (auto rep = r.next()) out.push_back(*rep);
  return out;
}

// Feeds `in` cut at `cut` (and then byte by byte) and checks the replies are the same.
std::vector<ServerReply> read_split(std::string_view in, std::size_t cut) {
  ReplyReader r;
  auto a = read_all(r, in.substr(0, cut));
  auto b = read_all(r, in.substr(cut));
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(SmtpClientReply, SingleLineWithEnhancedCode) {
  ReplyReader r;
  auto v = read_all(r, "250 2.1.0 Sender ok\r\n");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].code, 250);
  EXPECT_EQ(v[0].enhanced, "2.1.0");
  ASSERT_EQ(v[0].lines.size(), 1u);
  EXPECT_EQ(v[0].lines[0], "Sender ok");
  EXPECT_EQ(v[0].summary(), "250 2.1.0 Sender ok");
  EXPECT_EQ(r.buffered(), 0u);
}

TEST(SmtpClientReply, MultilineAndBareCodes) {
  ReplyReader r;
  auto v = read_all(r,
                    "250-mx.example.org Hello\r\n250-PIPELINING\r\n250 SIZE 1000\r\n220\r\n"
                    "354 \r\n550-5.1.1 No such\r\n550 5.1.1 user here\n");
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[0].lines,
            (std::vector<std::string>{"mx.example.org Hello", "PIPELINING", "SIZE 1000"}));
  EXPECT_EQ(v[1].code, 220);
  EXPECT_EQ(v[1].lines, std::vector<std::string>{""});
  EXPECT_EQ(v[2].code, 354);
  EXPECT_EQ(v[3].enhanced, "5.1.1");
  EXPECT_EQ(v[3].text(), "No such user here");
  EXPECT_EQ(v[3].summary(), "550 5.1.1 No such user here");
}

TEST(SmtpClientReply, EnhancedCodeMustMatchClassAndSyntax) {
  EXPECT_EQ(enhanced_code_length("5.1.1 x", 5), 5u);
  EXPECT_EQ(enhanced_code_length("5.1.1", 5), 5u);
  EXPECT_EQ(enhanced_code_length("4.123.456 x", 4), 9u);
  EXPECT_EQ(enhanced_code_length("4.1.1 x", 5), 0u);  // class differs from the code
  EXPECT_EQ(enhanced_code_length("3.1.1 x", 3), 0u);  // no class 3
  EXPECT_EQ(enhanced_code_length("5.1234.1 x", 5), 0u);
  EXPECT_EQ(enhanced_code_length("5.1.1x", 5), 0u);
  EXPECT_EQ(enhanced_code_length("5.1. x", 5), 0u);
  EXPECT_EQ(enhanced_code_length("Hello", 2), 0u);
  ReplyReader r;
  auto v = read_all(r, "550 4.1.1 odd\r\n");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].enhanced, "");
  EXPECT_EQ(v[0].text(), "4.1.1 odd");
}

TEST(SmtpClientReply, EverySplitGivesTheSameReplies) {
  std::string in =
      "250-mx.example.org\r\n250-8BITMIME\r\n250 DSN\r\n250 2.1.0 Ok\r\n"
      "451-4.3.0 Try\n451 4.3.0 later\r\n354 go\r\n";
  ReplyReader whole;
  auto want = read_all(whole, in);
  ASSERT_EQ(want.size(), 4u);
  for (std::size_t cut = 0; cut <= in.size(); ++cut) {
    auto got = read_split(in, cut);
    ASSERT_EQ(got.size(), want.size()) << cut;
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].code, want[i].code);
      EXPECT_EQ(got[i].enhanced, want[i].enhanced);
      EXPECT_EQ(got[i].lines, want[i].lines);
    }
  }
  ReplyReader bytes;
  std::vector<ServerReply> got;
  for (char c : in) {
    auto v = read_all(bytes, std::string_view(&c, 1));
    got.insert(got.end(), v.begin(), v.end());
  }
  ASSERT_EQ(got.size(), want.size());
  EXPECT_EQ(got[3].text(), "go");
}

TEST(SmtpClientReply, GarbageIsAProtocolError) {
  for (std::string bad : {"hello\r\n", "2x0 ok\r\n", "25\r\n", "150 ok\r\n", "650 ok\r\n",
                          "260 ok\r\n", "250_ok\r\n", "\r\n", "-250 x\r\n"}) {
    ReplyReader r;
    auto v = read_all(r, bad);
    EXPECT_TRUE(v.empty()) << bad;
    EXPECT_TRUE(r.failed()) << bad;
    EXPECT_NE(r.error().find("malformed"), std::string::npos) << r.error();
  }
}

TEST(SmtpClientReply, MixedCodesInAMultilineReply) {
  ReplyReader r;
  auto v = read_all(r, "250-first\r\n550 second\r\n250 ok\r\n");
  EXPECT_TRUE(v.empty());
  EXPECT_TRUE(r.failed());
  EXPECT_NE(r.error().find("mixes codes 250 and 550"), std::string::npos);
  r.receive("250 ok\r\n");  // sticky
  EXPECT_FALSE(r.next());
}

TEST(SmtpClientReply, LimitLineLength) {
  ClientReplyLimits l;
  l.max_line = 20;
  {
    ReplyReader r(l);
    auto v = read_all(r, "250 " + std::string(14, 'a') + "\r\n");  // exactly 20
    EXPECT_EQ(v.size(), 1u);
  }
  {
    ReplyReader r(l);
    auto v = read_all(r, "250 " + std::string(15, 'a') + "\r\n");
    EXPECT_TRUE(v.empty());
    EXPECT_TRUE(r.failed());
  }
  {  // noticed before the line ends: nothing unbounded is kept
    ReplyReader r(l);
    auto v = read_all(r, "250 " + std::string(100, 'a'));
    EXPECT_TRUE(r.failed());
    EXPECT_EQ(r.buffered(), 0u);
  }
}

TEST(SmtpClientReply, LimitLinesAndSize) {
  ClientReplyLimits l;
  l.max_lines = 3;
  {
    ReplyReader r(l);
    EXPECT_EQ(read_all(r, "250-a\r\n250-b\r\n250 c\r\n").size(), 1u);
    EXPECT_TRUE(read_all(r, "250-a\r\n250-b\r\n250-c\r\n250 d\r\n").empty());
    EXPECT_TRUE(r.failed());
    EXPECT_NE(r.error().find("more than 3 lines"), std::string::npos);
  }
  l = ClientReplyLimits{};
  l.max_reply = 30;
  ReplyReader r(l);
  EXPECT_TRUE(read_all(r, "250-aaaaaaaaaa\r\n250-bbbbbbbbbb\r\n250 c\r\n").empty());
  EXPECT_TRUE(r.failed());
  EXPECT_NE(r.error().find("longer than 30 octets"), std::string::npos);
}

TEST(SmtpClientReply, TextIsSanitized) {
  ReplyReader r;
  auto v = read_all(r, std::string("550 bad\x01\x7f\xff text\r\n"));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].text(), "bad??? text");
}

TEST(SmtpClientReply, BufferedAndReset) {
  ReplyReader r;
  auto v = read_all(r, "220 go ahead\r\n250 injected");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_GT(r.buffered(), 0u);
  r.reset();
  EXPECT_EQ(r.buffered(), 0u);
  EXPECT_EQ(read_all(r, "250 x\r\n").size(), 1u);
}

ServerReply ehlo(std::vector<std::string> lines) {
  ServerReply r;
  r.code = 250;
  r.lines = std::move(lines);
  return r;
}

TEST(SmtpClientEhlo, ParsesEveryKeyword) {
  auto c =
      parse_ehlo(ehlo({"mx.example.org greets you", "pipelining", "SIZE 35882577", "8BITMIME",
                       "SMTPUTF8", "DSN", "CHUNKING", "BINARYMIME", "STARTTLS", "REQUIRETLS",
                       "ENHANCEDSTATUSCODES", "AUTH PLAIN login CRAM-MD5", "X-UNKNOWN thing"}));
  EXPECT_TRUE(c.esmtp && c.pipelining && c.size && c.eightbitmime && c.smtputf8 && c.dsn &&
              c.chunking && c.binarymime && c.starttls && c.requiretls && c.enhancedstatuscodes);
  EXPECT_EQ(c.size_limit, 35882577u);
  EXPECT_EQ(c.auth, (std::vector<std::string>{"PLAIN", "LOGIN", "CRAM-MD5"}));
  EXPECT_TRUE(c.has_auth("login"));
  EXPECT_FALSE(c.has_auth("XOAUTH2"));
}

TEST(SmtpClientEhlo, GreetingLineIsNotAKeywordAndNothingIsAssumed) {
  auto c = parse_ehlo(ehlo({"PIPELINING"}));
  EXPECT_TRUE(c.esmtp);
  EXPECT_FALSE(c.pipelining);
  ServerReply refused;
  refused.code = 502;
  refused.lines = {"x", "PIPELINING"};
  EXPECT_FALSE(parse_ehlo(refused).esmtp);
  EXPECT_FALSE(parse_ehlo(refused).pipelining);
}

TEST(SmtpClientEhlo, SizeForms) {
  EXPECT_EQ(parse_ehlo(ehlo({"x", "SIZE"})).size_limit, 0u);
  EXPECT_TRUE(parse_ehlo(ehlo({"x", "SIZE"})).size);
  EXPECT_EQ(parse_ehlo(ehlo({"x", "SIZE 0"})).size_limit, 0u);
  EXPECT_EQ(parse_ehlo(ehlo({"x", "SIZE junk"})).size_limit, 0u);
  EXPECT_EQ(parse_ehlo(ehlo({"x", "SIZE 99999999999999999999999"})).size_limit, 0u);
  EXPECT_EQ(parse_ehlo(ehlo({"x", "size   1000"})).size_limit, 1000u);
}

TEST(SmtpClientEhlo, LegacyAuthFormAndBounds) {
  auto c = parse_ehlo(ehlo({"x", "AUTH=LOGIN PLAIN", "AUTH LOGIN"}));
  EXPECT_EQ(c.auth, (std::vector<std::string>{"LOGIN", "PLAIN"}));
  std::string many = "AUTH";
  for (int i = 0; i < 100; ++i) many += " M" + std::to_string(i);
  many += " " + std::string(40, 'X');
  auto d = parse_ehlo(ehlo({"x", many}));
  EXPECT_EQ(d.auth.size(), kMaxAuthMechanisms);
}

std::string stuff(std::vector<std::string> pieces) {
  DotStuffer s;
  std::string out;
  for (const auto& p : pieces) s.encode(p, out);
  s.finish(out);
  return out;
}

TEST(SmtpClientData, DotStuffing) {
  EXPECT_EQ(stuff({}), ".\r\n");
  EXPECT_EQ(stuff({"a\r\n"}), "a\r\n.\r\n");
  EXPECT_EQ(stuff({"a"}), "a\r\n.\r\n");
  EXPECT_EQ(stuff({".\r\n..x\r\nb.c\r\n"}), "..\r\n...x\r\nb.c\r\n.\r\n");
  EXPECT_EQ(stuff({".a"}), "..a\r\n.\r\n");
  // Bare LF and bare CR go out as CRLF, so "\n.\r\n" cannot end the data early.
  EXPECT_EQ(stuff({"a\n.\r\nMAIL FROM:<x>\r\n"}), "a\r\n..\r\nMAIL FROM:<x>\r\n.\r\n");
  EXPECT_EQ(stuff({"a\r.\rb"}), "a\r\n..\r\nb\r\n.\r\n");
  EXPECT_EQ(stuff({"a\r"}), "a\r\n.\r\n");
}

TEST(SmtpClientData, AnySplitGivesTheSameBytes) {
  std::string in = "From: x\r\n\r\n.line\r\n\r\n..\r\nbare\nlf\r.end";
  std::string want = stuff({in});
  for (std::size_t cut = 0; cut <= in.size(); ++cut)
    EXPECT_EQ(stuff({in.substr(0, cut), in.substr(cut)}), want) << cut;
  std::vector<std::string> bytes;
  for (char c : in) bytes.emplace_back(1, c);
  EXPECT_EQ(stuff(bytes), want);
}

}  // namespace
}  // namespace estafeta::smtp
