// Tests of mime_json: string escaping (controls, quotes, invalid UTF-8, raw 8-bit header
// bytes) and the object written for a nested multipart (tree, types, decoded bodies).
#include "mime/mime_json.hpp"

#include <gtest/gtest.h>

#include <string>

#include "mime/mime_parser.hpp"

namespace estafeta::mime {
namespace {

std::string quoted(std::string_view s, bool bytes_as_latin1 = false) {
  std::string out;
  append_json_string(out, s, bytes_as_latin1);
  return out;
}

TEST(MimeJson, EscapesQuotesBackslashAndControls) {
  EXPECT_EQ(quoted("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(quoted(std::string_view("\0\t\r\n\x1f\x7f", 6)),
            R"("\u0000\u0009\u000d\u000a\u001f\u007f")");
  EXPECT_EQ(quoted(""), R"("")");
}

TEST(MimeJson, ValidUtf8KeptInvalidEscapedPerByte) {
  EXPECT_EQ(quoted("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
  // Not UTF-8 (a lone Latin-1 byte, a truncated sequence, an overlong '/'): each byte >= 0x80
  // becomes its own escape, so the whole string is ASCII and valid JSON.
  EXPECT_EQ(quoted("caf\xe9"), R"("caf\u00e9")");
  EXPECT_EQ(quoted("x\xe2\x82"), R"("x\u00e2\u0082")");
  EXPECT_EQ(quoted("\xc0\xaf"), R"("\u00c0\u00af")");
  // Raw mode escapes even valid UTF-8 byte by byte (raw header values).
  EXPECT_EQ(quoted("\xc3\xa9", true), R"("\u00c3\u00a9")");
}

TEST(MimeJson, RawHeaderBytesAndDecodedSubject) {
  std::string data =
      "Subject: =?utf-8?q?caf=C3=A9?= \xff\r\n"
      "From: \"A \\\"B\\\"\" <a@example.org>\r\n\r\nhi\r\n";
  Message m = parse(data);
  std::string j = message_to_json(m);
  EXPECT_NE(j.find(R"(["Subject","=?utf-8?q?caf=C3=A9?= \u00ff",)"), std::string::npos) << j;
  // The decoded value: the encoded word as UTF-8, the stray 0xff read as Windows-1252 (ÿ).
  EXPECT_NE(j.find("\"caf\xc3\xa9 \xc3\xbf\"]"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("addr_from":[["A \"B\"","a@example.org",false]])"), std::string::npos) << j;
  EXPECT_EQ(j.find('\n'), std::string::npos);
  EXPECT_EQ(j.find('\r'), std::string::npos);
}

constexpr const char* kNested =
    "MIME-Version: 1.0\r\n"
    "From: a@example.org\r\n"
    "Date: Thu, 01 Jan 1970 00:01:40 +0000\r\n"
    "Message-ID: <m1@example.org>\r\n"
    "Content-Type: multipart/mixed; boundary=outer\r\n"
    "\r\n"
    "--outer\r\n"
    "Content-Type: multipart/alternative; boundary=inner\r\n"
    "\r\n"
    "--inner\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "plain\r\n"
    "--inner\r\n"
    "Content-Type: text/html\r\n"
    "\r\n"
    "<p>html</p>\r\n"
    "--inner--\r\n"
    "--outer\r\n"
    "Content-Type: application/octet-stream; name=x.bin\r\n"
    "Content-Disposition: attachment; filename=\"x.bin\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "AAEC/w==\r\n"
    "--outer--\r\n";

TEST(MimeJson, NestedMultipart) {
  Message m = parse(kNested);
  std::string j = message_to_json(m);
  ASSERT_EQ(j.substr(0, 33), R"({"limits_hit":false,"bodystructur)");
  EXPECT_EQ(j.substr(j.size() - 2), "]}");
  // Five parts in pre-order, each with its parent.
  auto at = [&](std::string_view needle) { return j.find(needle); };
  std::size_t p0 = at(R"({"content_type":"multipart/mixed","kind":"multipart","parent":null,)");
  std::size_t p1 = at(R"({"content_type":"multipart/alternative","kind":"multipart","parent":0,)");
  std::size_t p2 = at(R"({"content_type":"text/plain","kind":"leaf","parent":1,)");
  std::size_t p3 = at(R"({"content_type":"text/html","kind":"leaf","parent":1,)");
  std::size_t p4 = at(R"({"content_type":"application/octet-stream","kind":"leaf","parent":0,)");
  ASSERT_NE(p4, std::string::npos) << j;
  EXPECT_TRUE(p0 < p1 && p1 < p2 && p2 < p3 && p3 < p4) << j;
  // Decoded bodies (base64 of the transfer-decoded bytes); multiparts have none.
  EXPECT_NE(at(R"("body_b64":"cGxhaW4="})"), std::string::npos) << j;          // "plain"
  EXPECT_NE(at(R"("body_b64":"PHA+aHRtbDwvcD4="})"), std::string::npos) << j;  // "<p>html</p>"
  EXPECT_NE(at(R"("body_b64":"AAEC/w=="})"), std::string::npos) << j;          // 00 01 02 ff
  EXPECT_EQ(j.substr(p1, p2 - p1).find("body_b64"), std::string::npos);
  EXPECT_NE(at(R"("params":{"charset":"utf-8"})"), std::string::npos) << j;
  EXPECT_NE(at(R"("disposition":"attachment","filename":"x.bin")"), std::string::npos) << j;
  EXPECT_NE(at(R"("date":100,"ids_message-id":["m1@example.org"])"), std::string::npos) << j;
  EXPECT_NE(at(R"("bodystructure":"((\"text\" \"plain\" (\"charset\" \"utf-8\"))"),
            std::string::npos)
      << j;

  JsonOptions no_bodies;
  no_bodies.bodies = false;
  EXPECT_EQ(message_to_json(m, no_bodies).find("body_b64"), std::string::npos);
}

TEST(MimeJson, EmptyInputIsStillAnObject) {
  Message m = parse("");
  std::string j = message_to_json(m);
  EXPECT_EQ(j.front(), '{');
  EXPECT_NE(j.find(R"("parts":[{"content_type":"text/plain","kind":"leaf","parent":null,)"),
            std::string::npos)
      << j;
}

}  // namespace
}  // namespace estafeta::mime
