// Tests of mime_imap_quote: quoted vs literal choice and "for humans" text, as Dovecot does.
#include "mime/mime_imap_quote.hpp"

#include <gtest/gtest.h>

namespace estafeta::mime {
namespace {

std::string str(std::string_view s, bool utf8 = false) {
  std::string out;
  ImapQuoteOptions o;
  o.utf8 = utf8;
  imap_append_string(out, s, o);
  return out;
}

TEST(ImapQuote, QuotedOrLiteral) {
  EXPECT_EQ(str("abc"), "\"abc\"");
  EXPECT_EQ(str(""), "\"\"");
  EXPECT_EQ(str("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(str("\"\"\"\"\""), "{5}\r\n\"\"\"\"\"");  // more than four escapes
  EXPECT_EQ(str("a\r\nb"), "{4}\r\na\r\nb");
  EXPECT_EQ(str("caf\xc3\xa9"), "{5}\r\ncaf\xc3\xa9");
  EXPECT_EQ(str("caf\xc3\xa9", true), "\"caf\xc3\xa9\"");
  EXPECT_EQ(str("caf\xe9", true), "{4}\r\ncaf\xe9");
}

TEST(ImapQuote, NstringAndNolf) {
  std::string out;
  imap_append_nstring(out, std::nullopt);
  EXPECT_EQ(out, "NIL");
  out.clear();
  imap_append_nstring_nolf(out, std::string_view("a\r\n b\r\nc"));
  EXPECT_EQ(out, "\"a b c\"");
}

TEST(ImapQuote, ForHumans) {
  auto h = [](std::string_view s) {
    std::string out;
    imap_append_string_for_humans(out, s);
    return out;
  };
  EXPECT_EQ(h("plain text"), "\"plain text\"");
  EXPECT_EQ(h(""), "\"\"");
  EXPECT_EQ(h("   "), "\"\"");
  EXPECT_EQ(h("  a\r\n\t b  "), "{3}\r\na b");
  EXPECT_EQ(h("say \"hi\""), "{8}\r\nsay \"hi\"");
}

}  // namespace
}  // namespace estafeta::mime

namespace estafeta::mime {
namespace {

TEST(ImapQuote, NulBecomesReplacementCharacter) {
  std::string out;
  imap_append_string_for_humans(out, std::string_view("nul\0in", 6));
  EXPECT_EQ(out, "{8}\r\nnul\xef\xbf\xbdin");
  out.clear();
  imap_append_string(out, std::string_view("a\0", 2), ImapQuoteOptions{true});
  EXPECT_EQ(out, "\"a\xef\xbf\xbd\"");
}

}  // namespace
}  // namespace estafeta::mime
