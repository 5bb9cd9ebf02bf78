// Tests of mime_imap_bodystructure: Dovecot-compatible BODY / BODYSTRUCTURE output.
#include "mime/mime_imap_bodystructure.hpp"

#include <gtest/gtest.h>

#include "mime/mime_parser.hpp"

namespace estafeta::mime {
namespace {

std::string bs(std::string_view msg, bool extended = true) {
  Message m = parse(msg);
  BodystructureOptions o;
  o.extended = extended;
  return imap_bodystructure(m, 0, o);
}

TEST(ImapBodystructure, PlainTextLfCountsAsCrlf) {
  std::string msg =
      "From: a@example.org\nContent-Type: text/plain; charset=utf-8\n"
      "Content-Transfer-Encoding: 8bit\n\nline\n\n";
  EXPECT_EQ(bs(msg), R"("text" "plain" ("charset" "utf-8") NIL NIL "8bit" 8 2 NIL NIL NIL NIL)");
  EXPECT_EQ(bs(msg, false), R"("text" "plain" ("charset" "utf-8") NIL NIL "8bit" 8 2)");
}

TEST(ImapBodystructure, MissingContentTypeDefaults) {
  EXPECT_EQ(bs("Subject: x\r\n\r\nhello\r\n"),
            R"("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 7 1 NIL NIL NIL NIL)");
}

TEST(ImapBodystructure, TextWithoutCharsetGetsDefaultAppended) {
  EXPECT_EQ(
      bs("Content-Type: text/html; format=flowed\r\n\r\nx"),
      R"("text" "html" ("format" "flowed" "charset" "us-ascii") NIL NIL "7bit" 1 0 NIL NIL NIL NIL)");
}

TEST(ImapBodystructure, InvalidContentTypeIsTextPlain) {
  // RFC 2045 §5.2 (Dovecot 2.3 writes "" "" here instead; see test_mime_dovecot.py).
  EXPECT_EQ(bs("Content-Type: text/plain junk\r\n\r\nx\r\n", false),
            R"("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1)");
}

TEST(ImapBodystructure, UpperCaseOption) {
  Message m = parse("Subject: x\r\n\r\nhello\r\n");
  BodystructureOptions o;
  o.upper_case_types = true;
  EXPECT_EQ(imap_bodystructure(m, 0, o),
            R"("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7bit" 7 1 NIL NIL NIL NIL)");
}

TEST(ImapBodystructure, MultipartWithFoldedBoundaryAndMessage) {
  std::string msg =
      "Content-Type: multipart/mixed; boundary=\"foo\n bar\"\n\n"
      "--foo bar\nContent-Type: text/x-myown; charset=us-ascii\n\nhello\n\n--foo bar--\n\n";
  EXPECT_EQ(
      bs(msg),
      R"(("text" "x-myown" ("charset" "us-ascii") NIL NIL "7bit" 7 1 NIL NIL NIL NIL) "mixed" ("boundary" "foo bar") NIL NIL NIL)");
}

TEST(ImapBodystructure, EmbeddedMessage) {
  std::string msg =
      "Content-Type: multipart/mixed; boundary=\"b\"\n\n"
      "--b\nContent-Type: message/rfc822\nContent-ID: <B.frop.example.com>\n"
      "Content-Description: Forwarded\n\n"
      "From: user@domain.org\nDate: Sat, 24 Mar 2017 23:00:00 +0200\n\nbody\n\n--b--\n";
  EXPECT_EQ(
      bs(msg),
      R"(("message" "rfc822" NIL "<B.frop.example.com>" "Forwarded" "7bit" 70 ("Sat, 24 Mar 2017 23:00:00 +0200" NIL ((NIL NIL "user" "domain.org")) ((NIL NIL "user" "domain.org")) ((NIL NIL "user" "domain.org")) NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 6 1 NIL NIL NIL NIL) 4 NIL NIL NIL NIL) "mixed" ("boundary" "b") NIL NIL NIL)");
}

TEST(ImapBodystructure, ExtensionData) {
  std::string msg =
      "Content-Type: application/pdf; name=\"a b.pdf\"\r\n"
      "Content-Disposition: attachment; filename*=utf-8''%E2%82%AC.pdf\r\n"
      "Content-Language: en, de (comment)\r\n"
      "Content-Location: http://example.org/\r\n a.pdf\r\n"
      "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\r\n"
      "Content-Transfer-Encoding: BASE64\r\n\r\nQUJD\r\n";
  EXPECT_EQ(
      bs(msg),
      R"("application" "pdf" ("name" "a b.pdf") NIL NIL "BASE64" 6 "Q2hlY2sgSW50ZWdyaXR5IQ==" ("attachment" ("filename*" "utf-8''%E2%82%AC.pdf")) ("en" "de") "http://example.org/ a.pdf")");
}

TEST(ImapBodystructure, Rfc2231ContinuationsMerged) {
  std::string msg =
      "Content-Type: application/octet-stream;\r\n name*0=\"long\"; name*1=\"name.txt\"\r\n\r\n";
  EXPECT_EQ(bs(msg, false),
            R"("application" "octet-stream" ("name" "longname.txt") NIL NIL "7bit" 0)");
}

TEST(ImapBodystructure, MultipartWithoutPartsIsEmptyText) {
  EXPECT_EQ(
      bs("Content-Type: multipart/mixed\r\n\r\nno boundary\r\n"),
      R"(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL) "mixed" NIL NIL NIL NIL)");
}

TEST(ImapBodystructure, TruncatedPartIsOctetStream) {
  std::string msg =
      "Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n"
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n--a--\r\n";
  Limits lim;
  lim.max_depth = 2;
  Message m = parse(msg, lim);
  BodystructureOptions o;
  o.extended = false;
  EXPECT_EQ(imap_bodystructure(m, 0, o),
            R"(("application" "octet-stream" NIL NIL NIL "7bit" 15) "mixed")");
}

TEST(ImapBodystructure, LiteralForEightBitAndQuotes) {
  std::string msg =
      "Content-Type: text/plain; name=\"caf\xc3\xa9\"\r\nContent-Description: a\"b\r\n\r\n";
  EXPECT_EQ(bs(msg, false),
            "\"text\" \"plain\" (\"name\" {5}\r\ncaf\xc3\xa9 \"charset\" \"us-ascii\") NIL "
            "\"a\\\"b\" \"7bit\" 0 0");
}

}  // namespace
}  // namespace estafeta::mime
