// mime_preview_test: previews (RFC 8970) of real-world-shaped messages: plain, multipart/
// alternative (plain chosen over HTML), HTML only (tags, <style>, <head>, comments, entities),
// base64 and quoted-printable bodies, ISO-8859-1 and windows-1252 charsets, attachments and
// embedded messages skipped, the 256-character cut at a character boundary, whitespace and
// invisible padding collapsed, and "" for a message without text. Also html_to_text alone.
#include "mime/mime_preview.hpp"

#include <gtest/gtest.h>

#include <string>

#include "mime/mime_html_text.hpp"
#include "mime/mime_parser.hpp"

namespace estafeta::mime {
namespace {

std::string preview(const std::string& msg) {
  Message m = parse(msg);
  return message_preview(m);
}

std::size_t chars(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

TEST(MimePreview, PlainTextCollapsed) {
  EXPECT_EQ(preview("From: a@b\r\nSubject: hi\r\n\r\n  Hello   Bob,\r\n\r\n\tsee you\r\nat 5.\r\n"),
            "Hello Bob, see you at 5.");
  // No Content-Type: text/plain (RFC 2045 §5.2).
  EXPECT_EQ(preview("Subject: x\r\n\r\nbody"), "body");
}

TEST(MimePreview, NoTextGivesEmpty) {
  EXPECT_EQ(preview("Subject: x\r\n\r\n"), "");
  EXPECT_EQ(preview("Subject: x\r\n\r\n \r\n\t\r\n"), "");
  EXPECT_EQ(
      preview("Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0K\r\n"),
      "");
  EXPECT_EQ(preview("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
                    "Content-Type: application/pdf\r\n\r\n%PDF-1.4\r\n--b--\r\n"),
            "");
}

TEST(MimePreview, AlternativePrefersPlain) {
  std::string msg =
      "From: Shop <news@shop.example>\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/alternative; boundary=\"=_alt\"\r\n\r\n"
      "--=_alt\r\nContent-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
      "Caf=C3=A9 sale =E2=80=94 30% off=\r\n everything.\r\n"
      "--=_alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
      "<html><body><p>HTML version</p></body></html>\r\n--=_alt--\r\n";
  EXPECT_EQ(preview(msg), "Caf\xC3\xA9 sale \xE2\x80\x94 30% off everything.");
}

TEST(MimePreview, HtmlOnlyWithStyleHeadCommentsAndEntities) {
  std::string msg =
      "MIME-Version: 1.0\r\nContent-Type: text/html; charset=\"us-ascii\"\r\n\r\n"
      "<!DOCTYPE html>\r\n<html><head><title>Newsletter #12</title>\r\n"
      "<style type=\"text/css\">body { color: #333; } p > a { x: y }</style>\r\n"
      "<script>var a = '<p>no</p>';</script></head>\r\n"
      "<body><!-- tracking <p>hidden</p> -->"
      "<div style=\"display:none\">&zwnj;&nbsp;&zwnj;&nbsp;</div>"
      "<h1>Tom &amp; Jerry&#8217;s</h1><p>Prices &lt; &euro;5 &mdash; caf&eacute; &#xE9;t&#233;"
      "<br>next&nbsp;line</p><a href=\"x?a=1&b=2\" title='a>b'>link</a> &unknown; a < b"
      "</body></html>\r\n";
  EXPECT_EQ(preview(msg),
            "Tom & Jerry\xE2\x80\x99s Prices < \xE2\x82\xAC"
            "5 \xE2\x80\x94 caf\xC3\xA9 "
            "\xC3\xA9t\xC3\xA9 next line link &unknown; a < b");
}

TEST(MimePreview, Base64AndLatin1) {
  // "Grüße aus Köln" in ISO-8859-1, base64.
  std::string msg =
      "Content-Type: text/plain; charset=ISO-8859-1\r\nContent-Transfer-Encoding: base64\r\n\r\n"
      "R3L832UgYXVzIEv2bG4=\r\n";
  EXPECT_EQ(preview(msg),
            "Gr\xC3\xBC\xC3\x9F"
            "e aus K\xC3\xB6ln");
  std::string qp =
      "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: "
      "quoted-printable\r\n\r\nR=E9sum=E9 =E0 lire\r\n";
  EXPECT_EQ(preview(qp), "R\xC3\xA9sum\xC3\xA9 \xC3\xA0 lire");
}

TEST(MimePreview, HtmlInBase64WithLatin1) {
  std::string msg =
      "Content-Type: multipart/alternative; boundary=X\r\n\r\n--X\r\n"
      "Content-Type: text/html; charset=iso-8859-1\r\nContent-Transfer-Encoding: base64\r\n\r\n"
      // "<p>D&eacute;j&agrave; vu &ndash; ça</p>" with ç in Latin-1
      "PHA+RCZlYWN1dGU7aiZhZ3JhdmU7IHZ1ICZuZGFzaDsg52E8L3A+\r\n--X--\r\n";
  EXPECT_EQ(preview(msg),
            "D\xC3\xA9j\xC3\xA0 vu \xE2\x80\x93 \xC3\xA7"
            "a");
}

TEST(MimePreview, MixedSkipsAttachmentsAndEmbeddedMessages) {
  std::string msg =
      "Content-Type: multipart/mixed; boundary=M\r\n\r\n--M\r\n"
      "Content-Type: text/plain; name=notes.txt\r\nContent-Disposition: attachment; "
      "filename=notes.txt\r\n\r\nattached notes\r\n--M\r\n"
      "Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner text\r\n--M\r\n"
      "Content-Type: text/plain\r\n\r\nthe real body\r\n--M--\r\n";
  EXPECT_EQ(preview(msg), "the real body");
  // A forward with nothing of its own: the embedded message's text is not the preview.
  std::string fwd =
      "Content-Type: multipart/mixed; boundary=M\r\n\r\n--M\r\n"
      "Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner text\r\n--M--\r\n";
  EXPECT_EQ(preview(fwd), "");
}

TEST(MimePreview, CutAt256CharactersOnACharacterBoundary) {
  std::string body;
  for (int i = 0; i < 300; ++i) body += "\xC3\xA9";  // é, two octets each
  std::string p = preview("Content-Type: text/plain; charset=utf-8\r\n\r\n" + body);
  EXPECT_EQ(chars(p), 256u);
  EXPECT_EQ(p.size(), 512u);
  // Never ends with the collapsed space.
  std::string words;
  for (int i = 0; i < 128; ++i) words += "a ";
  words += "tail";
  p = preview("Subject: x\r\n\r\n" + words);
  EXPECT_EQ(chars(p), 255u);
  EXPECT_NE(p.back(), ' ');
  // A 4-octet character at the end stays whole.
  std::string emoji(255, 'x');
  emoji += "\xF0\x9F\x98\x80\xF0\x9F\x98\x80";
  p = preview("Content-Type: text/plain; charset=utf-8\r\n\r\n" + emoji);
  EXPECT_EQ(chars(p), 256u);
  EXPECT_EQ(p.substr(255), "\xF0\x9F\x98\x80");
}

TEST(MimePreview, BadUtf8AndControlCharacters) {
  std::string p = preview(
      "Content-Type: text/plain; charset=utf-8\r\n\r\na\x01\x02"
      "b\xFF"
      "c");
  EXPECT_EQ(p,
            "a b\xEF\xBF\xBD"
            "c");
}

TEST(MimePreview, HugePartIsReadOnlyInPart) {
  std::string body(2 * 1024 * 1024, 'z');
  std::string p = preview("Subject: x\r\n\r\nstart " + body);
  EXPECT_EQ(chars(p), 256u);
  EXPECT_EQ(p.substr(0, 6), "start ");
}

TEST(MimeHtmlText, BoundsAndOddMarkup) {
  EXPECT_EQ(html_to_text("<p>one</p><p>two</p>"), "\none\n\ntwo\n");
  EXPECT_EQ(html_to_text("<STYLE>x</STYLE>y<Script>z</sCRIPT>w"), "yw");
  EXPECT_EQ(html_to_text("<style>never closed"), "");
  EXPECT_EQ(html_to_text("<!-- never closed"), "");
  EXPECT_EQ(html_to_text("1 <2 & 3>0"), "1 <2 & 3>0");
  EXPECT_EQ(html_to_text("&#0;&#x110000;&#55296;"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  std::string big(100000, 'a');
  EXPECT_EQ(html_to_text(big, 1000).size(), 1000u);
  EXPECT_EQ(html_to_text("\xC3\xA9\xC3\xA9", 3), "\xC3\xA9");
}

}  // namespace
}  // namespace estafeta::mime
