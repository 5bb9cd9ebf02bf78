// Tests of mime_body: transfer decoding, charset conversion, charset and filename lookup.
#include "mime/mime_body.hpp"

#include <gtest/gtest.h>

#include "mime/mime_parser.hpp"

namespace estafeta::mime {
namespace {

TEST(MimeBody, DecodeAndConvert) {
  Message m = parse(
      "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: "
      "quoted-printable\r\n\r\n"
      "caf=E9\r\n");
  std::string raw;
  ASSERT_TRUE(decode_body(m, m.root(), raw));
  EXPECT_EQ(raw, "caf\xe9\r\n");
  EXPECT_EQ(part_charset(m.root()), "iso-8859-1");
  EXPECT_EQ(text_body_utf8(m, m.root()), "caf\xc3\xa9\r\n");
}

TEST(MimeBody, Base64AndUnknown) {
  Message b = parse("MIME-Version: 1.0\r\nContent-Transfer-Encoding: base64\r\n\r\naGk=\r\n");
  std::string out;
  ASSERT_TRUE(decode_body(b, b.root(), out));
  EXPECT_EQ(out, "hi");
  Message u =
      parse("MIME-Version: 1.0\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin\xff\r\n");
  std::string none;
  EXPECT_FALSE(decode_body(u, u.root(), none));
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(text_body_utf8(u, u.root()), "begin\xef\xbf\xbd\r\n");
}

TEST(MimeBody, NotMimeWithoutMimeVersion) {
  // RFC 2045 §4 (and Dovecot): no MIME-Version and no Content-Type: Content-* is ignored.
  Message m = parse("Content-Transfer-Encoding: base64\r\n\r\naGk=\r\n");
  EXPECT_TRUE(m.root().has(kPartNotMime));
  std::string out;
  ASSERT_TRUE(decode_body(m, m.root(), out));
  EXPECT_EQ(out, "aGk=\r\n");
}

TEST(MimeBody, CharsetDefaults) {
  Message t = parse("Subject: x\r\n\r\n");
  EXPECT_EQ(part_charset(t.root()), "us-ascii");
  Message a = parse("Content-Type: application/pdf\r\n\r\n");
  EXPECT_EQ(part_charset(a.root()), "");
}

TEST(MimeBody, Filename) {
  Message m = parse(
      "Content-Type: application/pdf; name=\"fallback.pdf\"\r\n"
      "Content-Disposition: attachment; filename*=utf-8''%E2%82%AC.pdf\r\n\r\n");
  EXPECT_EQ(part_filename(m, m.root()), "\xe2\x82\xac.pdf");
  Message n =
      parse("Content-Type: application/pdf; name=\"=?utf-8?q?r=C3=A9sum=C3=A9.pdf?=\"\r\n\r\n");
  EXPECT_EQ(part_filename(n, n.root()), "r\xc3\xa9sum\xc3\xa9.pdf");
  Message none = parse("Content-Type: text/plain\r\n\r\n");
  EXPECT_EQ(part_filename(none, none.root()), "");
}

}  // namespace
}  // namespace estafeta::mime
