// Tests of mime_lexer: RFC 5322 CFWS, atoms, quoted strings and phrases.
#include "mime/mime_lexer.hpp"

#include <gtest/gtest.h>

namespace estafeta::mime::lex {
namespace {

TEST(MimeLexer, CfwsAndComments) {
  Cursor c(std::string_view(" (a (nested) \\) c)\r\n x"));
  std::string comment;
  EXPECT_TRUE(skip_cfws(c, &comment));
  EXPECT_EQ(comment, "a (nested) ) c");
  EXPECT_EQ(c.rest(), "x");
  Cursor open(std::string_view("(never closed"));
  EXPECT_FALSE(skip_cfws(open));
  std::string deep(10000, '(');
  Cursor d{std::string_view(deep)};
  EXPECT_FALSE(skip_cfws(d));
}

TEST(MimeLexer, Tokens) {
  Cursor c(std::string_view("abc.def@x"));
  EXPECT_EQ(take_dot_atom(c), "abc.def");
  Cursor t(std::string_view("multipart/mixed"));
  EXPECT_EQ(take_token(t), "multipart");
  Cursor a(std::string_view("a b"));
  EXPECT_EQ(take_atom(a), "a");
}

TEST(MimeLexer, QuotedStringAndPhrase) {
  Cursor q(std::string_view("\"a\\\"b\r\n c\" rest"));
  std::string out;
  EXPECT_TRUE(take_quoted_string(q, out));
  EXPECT_EQ(out, "a\"b c");
  Cursor p(std::string_view("Joe  Q. \"Public\" (c) <x@y>"));
  std::string phrase;
  EXPECT_EQ(take_phrase(p, phrase), 3u);
  EXPECT_EQ(phrase, "Joe Q. Public");
  EXPECT_TRUE(p.at('<'));
}

TEST(MimeLexer, UnfoldTrim) {
  EXPECT_EQ(unfold("a\r\n b"), "a b");
  EXPECT_EQ(trim(" \t x \r\n"), "x");
}

}  // namespace
}  // namespace estafeta::mime::lex
