// mua_message_view_test: what `mail read` shows: decoded headers, text/plain preferred,
// HTML rendered when alone, charsets, attachments (named, disposition, non-text, embedded
// messages) and safe file names; the listing summary.
#include "mua/proto/mua_message_view.hpp"

#include <gtest/gtest.h>

#include "mime/mime_parser.hpp"

namespace estafeta::mua {
namespace {

TEST(MuaMessageView, PlainTextWithDecodedHeaders) {
  const std::string msg =
      "From: =?utf-8?q?J=C3=BCrgen?= <juergen@example.test>\r\n"
      "To: bob@example.test, \"Carol C\" <carol@example.test>\r\n"
      "Cc: dan@example.test\r\n"
      "Date: Wed, 2 Dec 2026 09:40:00 +0100\r\n"
      "Subject: =?iso-8859-1?q?Gr=FC=DFe?= \x1b[31mred\r\n"
      "Content-Type: text/plain; charset=iso-8859-1\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
      "Sch=F6ne Gr=FC=DFe\r\n";
  const auto m = mime::parse(msg);
  const auto v = view_message(m);
  ASSERT_EQ(v.from.size(), 1u);
  EXPECT_EQ(v.from[0].display(), "J\xc3\xbcrgen <juergen@example.test>");
  ASSERT_EQ(v.to.size(), 2u);
  EXPECT_EQ(v.to[1].display(), "Carol C <carol@example.test>");
  EXPECT_EQ(v.cc[0].address, "dan@example.test");
  EXPECT_EQ(v.subject,
            "Gr\xc3\xbc\xc3\x9f"
            "e [31mred");  // the ESC is dropped
  EXPECT_EQ(v.date, "Wed, 2 Dec 2026 09:40:00 +0100");
  EXPECT_EQ(v.date_unix, 1796200800);
  EXPECT_EQ(v.text_source, "text/plain");
  EXPECT_EQ(v.text,
            "Sch\xc3\xb6ne Gr\xc3\xbc\xc3\x9f"
            "e\n");
  EXPECT_TRUE(v.attachments.empty());
}

TEST(MuaMessageView, AlternativePrefersPlainAndListsAttachments) {
  const std::string msg =
      "From: a@example.test\r\nSubject: report\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"X\"\r\n\r\n"
      "--X\r\nContent-Type: multipart/alternative; boundary=\"Y\"\r\n\r\n"
      "--Y\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain body\r\n"
      "--Y\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>html body</p>\r\n"
      "--Y--\r\n"
      "--X\r\nContent-Type: application/pdf; name=\"r.pdf\"\r\n"
      "Content-Disposition: attachment; filename=\"../../etc/passwd\"\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n"
      "--X\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw==\r\n"
      "--X\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner body\r\n"
      "--X\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; "
      "filename*=utf-8''na%C3%AFve.txt\r\n\r\nnotes\r\n"
      "--X--\r\n";
  const auto m = mime::parse(msg);
  const auto v = view_message(m);
  EXPECT_EQ(v.text_source, "text/plain");
  EXPECT_EQ(v.text, "plain body");
  ASSERT_EQ(v.attachments.size(), 4u);
  EXPECT_EQ(v.attachments[0].filename, "../../etc/passwd");
  EXPECT_EQ(v.attachments[0].safe_name, "passwd");
  EXPECT_EQ(v.attachments[0].content_type, "application/pdf");
  EXPECT_EQ(v.attachments[0].size, 9u);
  EXPECT_EQ(attachment_bytes(m, v.attachments[0]), "%PDF-1.4\n");
  EXPECT_EQ(v.attachments[1].safe_name, "attachment-2.png");
  EXPECT_EQ(v.attachments[2].content_type, "message/rfc822");
  EXPECT_EQ(attachment_bytes(m, v.attachments[2]), "Subject: inner\r\n\r\ninner body");
  EXPECT_EQ(v.attachments[3].filename, "na\xc3\xafve.txt");
  EXPECT_EQ(v.attachments[3].index, 4u);
}

TEST(MuaMessageView, HtmlOnlyIsRendered) {
  const std::string msg =
      "From: a@example.test\r\nContent-Type: text/html; charset=windows-1252\r\n\r\n"
      "<html><head><style>p{}</style></head><body><p>Caf\xe9 &amp; more</p>"
      "<script>alert(1)</script></body></html>\r\n";
  const auto v = view_message(mime::parse(msg));
  EXPECT_EQ(v.text_source, "text/html");
  EXPECT_NE(v.text.find("Caf\xc3\xa9 & more"), std::string::npos) << v.text;
  EXPECT_EQ(v.text.find("alert"), std::string::npos);
  EXPECT_EQ(v.text.find("p{}"), std::string::npos);
}

TEST(MuaMessageView, NoTextAtAll) {
  const auto v =
      view_message(mime::parse("From: a@b\r\nContent-Type: application/octet-stream\r\n\r\nxyz"));
  EXPECT_EQ(v.text_source, "");
  ASSERT_EQ(v.attachments.size(), 1u);
  EXPECT_EQ(v.attachments[0].safe_name, "attachment-1.bin");
}

TEST(MuaMessageView, SafeFileNames) {
  EXPECT_EQ(safe_file_name("report.pdf", 1, ""), "report.pdf");
  EXPECT_EQ(safe_file_name("..", 2, "image/png"), "attachment-2.png");
  EXPECT_EQ(safe_file_name("../../x", 1, ""), "x");
  EXPECT_EQ(safe_file_name("C:\\Users\\evil.exe", 1, ""), "evil.exe");
  EXPECT_EQ(safe_file_name(".bashrc", 1, ""), "bashrc");
  EXPECT_EQ(safe_file_name("a/", 3, "text/plain"), "attachment-3.txt");
  EXPECT_EQ(safe_file_name("a\nb\x1b:c?.txt", 1, ""), "a_b_c_.txt");
  EXPECT_EQ(safe_file_name("x\xff.txt", 1, ""), "x\xef\xbf\xbd.txt");
  const std::string longname(300, 'a');
  EXPECT_EQ(safe_file_name(longname, 1, "").size(), 200u);
  std::string umlauts;
  for (int i = 0; i < 150; ++i) umlauts += "\xc3\xbc";
  const std::string cut = safe_file_name(umlauts, 1, "");
  EXPECT_EQ(cut.size(), 200u);
  EXPECT_EQ(static_cast<unsigned char>(cut[198]), 0xc3);
}

TEST(MuaMessageView, HeaderSummary) {
  auto s = summarize_header(
      "From: \"Alice A\" <alice@example.test>\r\nSubject: =?utf-8?b?w6R0c2No?=\r\n"
      "Date: Tue, 1 Dec 2026 23:05:09 -0500\r\n\r\n");
  EXPECT_EQ(s.from.display(), "Alice A <alice@example.test>");
  EXPECT_EQ(s.subject, "\xc3\xa4tsch");
  EXPECT_EQ(s.date, "2026-12-01 23:05");
  EXPECT_EQ(iso_date(*s.date_unix, -300), "2026-12-01T23:05:09-05:00");
  auto empty = summarize_header("");
  EXPECT_EQ(empty.from.display(), "");
  EXPECT_EQ(empty.date, "");
}

}  // namespace
}  // namespace estafeta::mua
