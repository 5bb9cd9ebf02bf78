// Tests of mime_header: unfolding, decoding and message identifiers.
#include "mime/mime_header.hpp"

#include <gtest/gtest.h>

#include "mime/mime_parser.hpp"

namespace estafeta::mime {
namespace {

TEST(MimeHeader, Unfold) {
  EXPECT_EQ(unfolded_value("a\r\n b\r\n\tc "), "a b\tc");
  EXPECT_EQ(unfolded_value("\r\n x"), "x");
}

TEST(MimeHeader, Decoded) {
  EXPECT_EQ(decoded_value("=?utf-8?q?caf=C3=A9?=\r\n =?utf-8?b?w6k=?="), "caf\xc3\xa9\xc3\xa9");
  EXPECT_EQ(decoded_value("caf\xc3\xa9"), "caf\xc3\xa9");  // RFC 6532 raw UTF-8
  EXPECT_EQ(decoded_value("caf\xe9"), "caf\xc3\xa9");      // raw Latin-1 taken as Windows-1252
}

TEST(MimeHeader, MessageIds) {
  EXPECT_EQ(parse_message_ids("<a@b> <c@d>\r\n\t<e@f>"),
            (std::vector<std::string>{"a@b", "c@d", "e@f"}));
  EXPECT_EQ(parse_message_ids("Your message of \"Mon\" <a@b> (comment)"),
            (std::vector<std::string>{"a@b"}));
  EXPECT_EQ(parse_message_ids("bare@example.org"), (std::vector<std::string>{"bare@example.org"}));
  EXPECT_EQ(parse_message_ids("<\"quoted left\"@b>"),
            (std::vector<std::string>{"\"quoted left\"@b"}));
  EXPECT_EQ(parse_message_ids("<broken"), (std::vector<std::string>{"broken"}));
  EXPECT_TRUE(parse_message_ids("").empty());
  EXPECT_EQ(first_message_id(" <x@y> <z@w>"), "<x@y>");
}

TEST(MimeHeader, ParseHeaderFields) {
  auto f = parse_header_fields("A: 1\r\nB: 2\r\n\r\nbody: no\r\n");
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[1].name, "B");
}

}  // namespace
}  // namespace estafeta::mime
