// Tests of mime_content_type: media types, dispositions, encodings, IMAP parameter lists.
#include "mime/mime_content_type.hpp"

#include <gtest/gtest.h>

namespace estafeta::mime {
namespace {

TEST(MimeContentType, MediaType) {
  MediaType a = parse_media_type(" Text/PLAIN ; charset=utf-8");
  EXPECT_EQ(a.type, "Text");
  EXPECT_EQ(a.subtype, "PLAIN");
  EXPECT_EQ(a.params, "; charset=utf-8");
  MediaType b = parse_media_type("(c) text (c) / (c) html");
  EXPECT_EQ(b.type, "text");
  EXPECT_EQ(b.subtype, "html");
  EXPECT_TRUE(a.valid);
  EXPECT_TRUE(b.valid);
  MediaType c = parse_media_type("garbage");
  EXPECT_EQ(c.type, "garbage");
  EXPECT_EQ(c.subtype, "");
  EXPECT_FALSE(c.valid);
  EXPECT_EQ(parse_media_type("").type, "");
  EXPECT_FALSE(parse_media_type("").valid);
  EXPECT_FALSE(parse_media_type("text/plain junk").valid);
  EXPECT_FALSE(parse_media_type("t\xc3\xa9xt/plain").valid);
  EXPECT_TRUE(parse_media_type("text/plain (c)").valid);
}

TEST(MimeContentType, Disposition) {
  DispositionValue d = parse_disposition("attachment;\r\n filename=\"a.txt\"");
  EXPECT_EQ(d.type, "attachment");
  EXPECT_EQ(decoded_parameters(d.params).at(0).value, "a.txt");
}

TEST(MimeContentType, TransferEncoding) {
  std::string_view tok;
  EXPECT_EQ(parse_transfer_encoding(" Base64 ", &tok), TransferEncoding::base64);
  EXPECT_EQ(tok, "Base64");
  EXPECT_EQ(parse_transfer_encoding("quoted-printable"), TransferEncoding::quoted_printable);
  EXPECT_EQ(parse_transfer_encoding("x-uue"), TransferEncoding::unknown);
  EXPECT_EQ(parse_transfer_encoding(""), TransferEncoding::seven_bit);
  EXPECT_EQ(transfer_encoding_name(TransferEncoding::binary), "binary");
}

TEST(MimeContentType, ImapParameters) {
  auto p = imap_parameters(
      "; Name=\"a b\"; x*0=\"ab\"; x*1=cd; y*0*=utf-8''%E2%82; y*1*=%AC; y*2=\" z\"");
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].name, "Name");
  EXPECT_EQ(p[0].value, "a b");
  EXPECT_EQ(p[1].name, "x");
  EXPECT_EQ(p[1].value, "abcd");
  EXPECT_EQ(p[2].name, "y*");
  EXPECT_EQ(p[2].value, "utf-8''%E2%82%AC%20z");
  EXPECT_TRUE(imap_parameters("").empty());
}

}  // namespace
}  // namespace estafeta::mime
