// mime_downgrade_test: 8-bit to 7-bit conversion for a next hop without 8BITMIME.
#include "mime/mime_downgrade.hpp"

#include <gtest/gtest.h>

#include "base/quoted_printable.hpp"
#include "mime/mime_body.hpp"
#include "mime/mime_parser.hpp"

namespace estafeta::mime {
namespace {

TEST(MimeDowngrade, Is7BitSeesAnOctetAnywhere) {
  for (std::size_t size = 0; size < 20; ++size) {
    std::string s(size, 'a');
    EXPECT_TRUE(is_7bit(s));
    for (std::size_t at = 0; at < size; ++at) {
      std::string t = s;
      t[at] = '\x80';
      EXPECT_FALSE(is_7bit(t)) << size << " " << at;
    }
  }
}

TEST(MimeDowngrade, SevenBitIsUnchanged) {
  auto d = downgrade_to_7bit("Subject: x\r\n\r\nplain\r\n");
  EXPECT_EQ(d.status, Downgrade::Status::unchanged);
  EXPECT_TRUE(d.message.empty());
  EXPECT_FALSE(d.dkim_signed);
}

TEST(MimeDowngrade, SinglePartTextBecomesQuotedPrintable) {
  std::string in =
      "DKIM-Signature: v=1; a=rsa-sha256; d=example.net; bh=x; b=y\r\n"
      "Subject: hi\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: 8bit\r\n\r\ncaf\xc3\xa9 = ok\r\n";
  auto d = downgrade_to_7bit(in);
  ASSERT_EQ(d.status, Downgrade::Status::converted) << d.reason;
  EXPECT_TRUE(d.dkim_signed);
  EXPECT_EQ(d.parts_converted, 1u);
  EXPECT_EQ(d.message,
            "DKIM-Signature: v=1; a=rsa-sha256; d=example.net; bh=x; b=y\r\n"
            "Subject: hi\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9 =3D ok\r\n");
  EXPECT_TRUE(is_7bit(d.message));
  // Decoding gives the original text back.
  Message m = parse(d.message);
  EXPECT_EQ(m.root().encoding, TransferEncoding::quoted_printable);
  EXPECT_EQ(qp::decode(m.body_bytes(m.root())), "caf\xc3\xa9 = ok\r\n");
}

TEST(MimeDowngrade, MultipartOnlyEightBitLeavesAreTouched) {
  std::string in =
      "From: a@example.net\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
      "preamble\r\n--b1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nascii only\r\n"
      "--b1\r\nContent-Type: text/html; charset=iso-8859-1\r\n\r\n<p>\xe9t\xe9</p>\r\n"
      "--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: 8bit\r\n"
      "\r\n\x01\x80\xff\r\n--b1--\r\nepilogue\r\n";
  auto d = downgrade_to_7bit(in);
  ASSERT_EQ(d.status, Downgrade::Status::converted) << d.reason;
  EXPECT_EQ(d.parts_converted, 2u);
  EXPECT_TRUE(is_7bit(d.message));
  EXPECT_NE(d.message.find("preamble\r\n--b1\r\nContent-Type: text/plain; charset=us-ascii\r\n"
                           "\r\nascii only\r\n--b1\r\n"),
            std::string::npos);
  EXPECT_NE(d.message.find("Content-Type: text/html; charset=iso-8859-1\r\n"
                           "Content-Transfer-Encoding: quoted-printable\r\n\r\n<p>=E9t=E9</p>\r\n"
                           "--b1\r\n"),
            std::string::npos)
      << d.message;
  EXPECT_NE(d.message.find("Content-Type: application/octet-stream\r\n"
                           "Content-Transfer-Encoding: base64\r\n\r\nAYD/\r\n--b1--"),
            std::string::npos)
      << d.message;
  // The structure is the same and the decoded bodies are the originals.
  Message before = parse(in), after = parse(d.message);
  ASSERT_EQ(before.parts.size(), after.parts.size());
  for (std::size_t i : {2u, 3u}) {
    std::string a, b;
    EXPECT_TRUE(decode_body(after, after.parts[i], a));
    EXPECT_TRUE(decode_body(before, before.parts[i], b));
    EXPECT_EQ(a, b) << i;
  }
}

TEST(MimeDowngrade, NonMimeMessageGetsMimeFields) {
  auto d = downgrade_to_7bit("Subject: x\r\n\r\nJ\xc3\xb6rg\r\n");
  ASSERT_EQ(d.status, Downgrade::Status::converted);
  EXPECT_EQ(d.message,
            "Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\nJ=C3=B6rg\r\n");
  auto e = downgrade_to_7bit("Subject: x\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\xe9\r\n");
  ASSERT_EQ(e.status, Downgrade::Status::converted);
  EXPECT_EQ(e.message,
            "Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=unknown-8bit\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n=E9\r\n");
}

TEST(MimeDowngrade, WhatCannotBeDowngraded) {
  // An 8-bit address, text that is not UTF-8, a field with no encoded-word form.
  for (const char* header : {"To: J\xc3\xb6rg <j\xc3\xb6rg@example.org>\r\n",
                             "Subject: caf\xe9\r\n", "X-Note: J\xc3\xb6rg\r\n"}) {
    auto h = downgrade_to_7bit(std::string(header) + "\r\nx\r\n");
    EXPECT_EQ(h.status, Downgrade::Status::impossible) << header;
    EXPECT_NE(h.reason.find("SMTPUTF8"), std::string::npos);
  }
  auto b = downgrade_to_7bit(
      "MIME-Version: 1.0\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAA\xff\r\n");
  EXPECT_EQ(b.status, Downgrade::Status::impossible);
  auto p = downgrade_to_7bit(
      "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\xe9\r\n--b\r\n"
      "\r\nx\r\n--b--\r\n");
  EXPECT_EQ(p.status, Downgrade::Status::impossible);
  EXPECT_NE(p.reason.find("preamble"), std::string::npos);
}

// PHP's mail() and mail(1) write raw UTF-8 into Subject and display names (RFC 6532): for a
// next hop without 8BITMIME they become RFC 2047 words (RFC 6857 §3.1).
TEST(MimeDowngrade, UnstructuredTextAndDisplayNamesBecomeEncodedWords) {
  auto d = downgrade_to_7bit(
      "To: J\xc3\xb6rg <j@example.org>, plain@example.org, \"A. B\" <ab@example.org>\r\n"
      "Subject: Gr\xc3\xbc\xc3\x9f\x65\r\n"
      " aus K\xc3\xb6ln\r\nFrom: <me@example.org>\r\nCc: Team \xc3\x9c: x@example.org;\r\n"
      "\r\nJ\xc3\xb6rg\r\n");
  ASSERT_EQ(d.status, Downgrade::Status::converted) << d.reason;
  EXPECT_EQ(d.fields_converted, 3u);
  EXPECT_EQ(d.parts_converted, 1u);
  EXPECT_EQ(d.message,
            "To: =?UTF-8?Q?J=C3=B6rg?= <j@example.org>, plain@example.org, \"A. B\"\r\n"
            " <ab@example.org>\r\n"
            "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= aus =?UTF-8?Q?K=C3=B6ln?=\r\n"
            "From: <me@example.org>\r\nCc: Team =?UTF-8?Q?=C3=9C?=: x@example.org;\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\nJ=C3=B6rg\r\n");
}

TEST(MimeDowngrade, EmbeddedMessage) {
  std::string in =
      "MIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n"
      "Content-Transfer-Encoding: 8bit\r\n\r\n"
      "Subject: inner\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
      "\r\n\xc3\xa9\r\n";
  auto d = downgrade_to_7bit(in);
  ASSERT_EQ(d.status, Downgrade::Status::converted) << d.reason;
  EXPECT_EQ(d.message,
            "MIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n"
            "Content-Transfer-Encoding: 7bit\r\n\r\n"
            "Subject: inner\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n=C3=A9\r\n");
}

}  // namespace
}  // namespace estafeta::mime
