// Tests of mime_message: the accessors of a parsed message.
#include "mime/mime_message.hpp"

#include <gtest/gtest.h>

#include "mime/mime_parser.hpp"

namespace estafeta::mime {
namespace {

TEST(MimeMessage, Iequals) {
  EXPECT_TRUE(iequals("Content-Type", "content-TYPE"));
  EXPECT_FALSE(iequals("Content-Type", "Content-Typ"));
  EXPECT_FALSE(iequals("a", "b"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_FALSE(iequals("\xc3\xa9", "\xc3\x89"));  // ASCII folding only
}

TEST(MimeMessage, AccessorsFollowTheTree) {
  std::string msg =
      "Subject: s\r\nsubject: t\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
      "--b\r\nX: 1\r\n\r\none\r\n--b\r\n\r\ntwo\r\n--b--\r\n";
  Message m = parse(msg);
  ASSERT_EQ(m.parts.size(), 3u);
  const HeaderField* f = m.find_field(m.root(), "SUBJECT");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->value, "s");  // the first one
  EXPECT_EQ(m.find_field(m.root(), "X"), nullptr);
  EXPECT_NE(m.find_field(m.parts[1], "x"), nullptr);
  EXPECT_EQ(m.fields_of(m.parts[1]).size(), 1u);
  EXPECT_EQ(m.child(0, 1), 1u);
  EXPECT_EQ(m.child(0, 2), 2u);
  EXPECT_EQ(m.child(0, 3), kNoPart);
  EXPECT_EQ(m.child(0, 0), kNoPart);
  EXPECT_EQ(m.child(99, 1), kNoPart);
  EXPECT_EQ(m.index_of(m.parts[2]), 2u);
  EXPECT_EQ(m.body_bytes(m.parts[2]), "two");
  EXPECT_EQ(m.header_bytes(m.parts[2]), "\r\n");
  Span s{10, 5, 2, 1};
  EXPECT_EQ(s.end(), 15u);
  EXPECT_EQ(s.imap_size(), 6u);
}

}  // namespace
}  // namespace estafeta::mime
