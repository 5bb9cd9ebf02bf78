// Tests for mua_reply: subjects, quoting, recipients, threading headers, forwards.
#include "mua/proto/mua_reply.hpp"

#include <gtest/gtest.h>

#include "mime/mime_parser.hpp"

namespace estafeta::mua {
namespace {

const mime::DraftAddress kMe{"Alice", "alice@example.org"};

std::string header(const mime::Draft& d, const std::string& name) {
  for (const auto& [n, v] : d.headers)
    if (n == name) return v;
  return "";
}

std::vector<std::string> addrs(const std::vector<mime::DraftAddress>& l) {
  std::vector<std::string> out;
  for (const auto& a : l) out.push_back(a.address);
  return out;
}

TEST(Subjects, NoPilingUp) {
  EXPECT_EQ(reply_subject("Lunch"), "Re: Lunch");
  EXPECT_EQ(reply_subject("Re: Lunch"), "Re: Lunch");
  EXPECT_EQ(reply_subject("RE: re: Lunch"), "Re: Lunch");
  EXPECT_EQ(reply_subject("Re[2]: Lunch"), "Re: Lunch");
  EXPECT_EQ(reply_subject("AW: Lunch"), "Re: Lunch");
  EXPECT_EQ(reply_subject("Fwd: Lunch"), "Re: Fwd: Lunch");
  EXPECT_EQ(reply_subject("Regarding: x"), "Re: Regarding: x");
  EXPECT_EQ(reply_subject(""), "Re: ");
  EXPECT_EQ(forward_subject("Lunch"), "Fwd: Lunch");
  EXPECT_EQ(forward_subject("Fwd: Lunch"), "Fwd: Lunch");
  EXPECT_EQ(forward_subject("FW: Lunch"), "FW: Lunch");
  EXPECT_EQ(forward_subject("Re: Lunch"), "Fwd: Re: Lunch");
  EXPECT_EQ(forward_subject("Re: RE: Lunch"), "Fwd: Re: Lunch");
}

TEST(Quote, LinesAndFlowed) {
  EXPECT_EQ(quote_text("hello\r\n\r\n> earlier\nbye"), "> hello\n>\n>> earlier\n> bye\n");
  // format=flowed: soft breaks joined, space-stuffing undone; the signature line stays.
  EXPECT_EQ(quote_text("one two \nthree\n From here\n-- \nsig", true),
            "> one two three\n> From here\n> -- \n> sig\n");
  EXPECT_EQ(quote_text("abc \ndef\n", true, true), "> abcdef\n");
}

const char* kOriginal =
    "From: Bob Example <bob@example.org>\r\n"
    "To: Alice <alice@example.org>, Carol <carol@example.org>\r\n"
    "Cc: dan@example.org, ALICE@example.org\r\n"
    "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n"
    "Date: Tue, 1 Dec 2026 10:00:00 +0100\r\n"
    "Message-ID: <m2@example.org>\r\n"
    "In-Reply-To: <m1@example.org>\r\n"
    "References: <m0@example.org> <m1@example.org>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Hi Alice,\r\nsee you.\r\n";

TEST(Reply, ToSenderWithThreading) {
  mime::Draft d = build_reply(kOriginal, kMe, {false, "alice@example.org", {}});
  EXPECT_EQ(addrs(d.to), std::vector<std::string>{"bob@example.org"});
  EXPECT_EQ(d.to[0].name, "Bob Example");
  EXPECT_TRUE(d.cc.empty());
  EXPECT_EQ(d.subject,
            "Re: Gr\xC3\xBC\xC3\x9F"
            "e");
  EXPECT_EQ(header(d, "In-Reply-To"), "<m2@example.org>");
  EXPECT_EQ(header(d, "References"), "<m0@example.org> <m1@example.org> <m2@example.org>");
  EXPECT_EQ(d.text,
            "\nOn Tue, 1 Dec 2026 10:00:00 +0100, Bob Example wrote:\n> Hi Alice,\n> see you.\n");
}

TEST(Reply, AllWithoutMyselfAndDuplicates) {
  mime::Draft d = build_reply(kOriginal, kMe, {true, "alice@example.org", {}});
  EXPECT_EQ(addrs(d.to), (std::vector<std::string>{"bob@example.org", "carol@example.org"}));
  EXPECT_EQ(addrs(d.cc), std::vector<std::string>{"dan@example.org"});
}

TEST(Reply, ReplyToWinsAndInReplyToAlone) {
  std::string msg =
      "From: list-member@example.org\r\nReply-To: list@example.org\r\nTo: list@example.org\r\n"
      "Subject: Re: Re: topic\r\nMessage-ID: <x9@example.org>\r\nIn-Reply-To: <x8@example.org>\r\n"
      "\r\nbody\r\n";
  mime::Draft d = build_reply(msg, kMe, {true, "alice@example.org", {}});
  EXPECT_EQ(addrs(d.to), std::vector<std::string>{"list@example.org"});
  EXPECT_EQ(d.subject, "Re: topic");
  EXPECT_EQ(header(d, "References"), "<x8@example.org> <x9@example.org>");
  // No Message-ID: no In-Reply-To, no References.
  mime::Draft e = build_reply("From: b@example.org\r\nSubject: s\r\n\r\nx\r\n", kMe,
                              {false, "alice@example.org", {}});
  EXPECT_EQ(header(e, "In-Reply-To"), "");
  EXPECT_EQ(header(e, "References"), "");
  EXPECT_EQ(e.text, "\nb@example.org wrote:\n> x\n");
}

TEST(Reply, ToOwnMessageGoesToItsRecipients) {
  std::string msg =
      "From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: s\r\n"
      "Message-ID: <a1@example.org>\r\n\r\nmine\r\n";
  mime::Draft d = build_reply(msg, kMe, {false, "alice@example.org", {}});
  EXPECT_EQ(addrs(d.to), std::vector<std::string>{"bob@example.org"});
}

TEST(Reply, LongReferenceChainsAreTrimmed) {
  std::string refs;
  for (int i = 0; i < 50; ++i) refs += "<r" + std::to_string(i) + "@x> ";
  std::string msg =
      "From: b@x.org\r\nMessage-ID: <last@x>\r\nReferences: " + refs + "\r\n\r\nbody\r\n";
  mime::Draft d = build_reply(msg, kMe, {false, "alice@example.org", {}});
  std::string r = header(d, "References");
  EXPECT_EQ(r.rfind("<r0@x> <r32@x>", 0), 0u) << r;
  EXPECT_NE(r.find("<r49@x> <last@x>"), std::string::npos);
  EXPECT_EQ(std::count(r.begin(), r.end(), '<'), static_cast<long>(kMaxReferences));
}

TEST(Reply, HtmlOnlyAndMultipart) {
  std::string msg =
      "From: b@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n"
      "\r\n--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hello <b>there</b></p>\r\n"
      "--b\r\nContent-Type: text/plain; name=notes.txt\r\nContent-Disposition: attachment; "
      "filename=notes.txt\r\n\r\nnot quoted\r\n--b--\r\n";
  mime::Draft d = build_reply(msg, kMe, {false, "alice@example.org", {}});
  EXPECT_NE(d.text.find("> Hello there"), std::string::npos) << d.text;
  EXPECT_EQ(d.text.find("not quoted"), std::string::npos);
}

TEST(Forward, InlineWithHeadersAndAttachments) {
  std::string msg =
      "From: Bob <bob@example.org>\r\nTo: alice@example.org\r\nSubject: Plan\r\n"
      "Date: Tue, 1 Dec 2026 10:00:00 +0100\r\nMessage-ID: <p1@example.org>\r\n"
      "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
      "--b\r\nContent-Type: text/plain\r\n\r\nThe plan.\r\n"
      "--b\r\nContent-Type: application/pdf; name=plan.pdf\r\nContent-Transfer-Encoding: base64\r\n"
      "Content-Disposition: attachment; filename=plan.pdf\r\n\r\nJVBERi0=\r\n--b--\r\n";
  mime::Draft d = build_forward(msg, kMe, false);
  EXPECT_TRUE(d.to.empty());
  EXPECT_EQ(d.subject, "Fwd: Plan");
  EXPECT_NE(d.text.find("-------- Forwarded Message --------\nSubject: Plan\n"
                        "Date: Tue, 1 Dec 2026 10:00:00 +0100\nFrom: Bob <bob@example.org>\n"
                        "To: alice@example.org\n\nThe plan.\n"),
            std::string::npos)
      << d.text;
  ASSERT_EQ(d.attachments.size(), 1u);
  EXPECT_EQ(d.attachments[0].filename, "plan.pdf");
  EXPECT_EQ(d.attachments[0].media_type, "application/pdf");
  EXPECT_EQ(d.attachments[0].content, "%PDF-");
  EXPECT_EQ(header(d, "References"), "<p1@example.org>");
}

TEST(Forward, AsAttachmentSevenBit) {
  std::string msg =
      "From: bob@example.org\r\nSubject: =?UTF-8?Q?Caf=C3=A9?= plan\r\nMIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
      "Caf\xC3\xA9\r\n";
  mime::Draft d = build_forward(msg, kMe, true);
  ASSERT_EQ(d.attachments.size(), 1u);
  EXPECT_EQ(d.attachments[0].media_type, "message/rfc822");
  EXPECT_EQ(d.attachments[0].filename, "Caf\xC3\xA9 plan.eml");
  for (char c : d.attachments[0].content) ASSERT_LT(static_cast<unsigned char>(c), 0x80);
  std::string composed = mime::compose(d);
  EXPECT_NE(composed.find("Content-Type: message/rfc822"), std::string::npos);
  EXPECT_EQ(composed.find("Content-Transfer-Encoding: base64"), std::string::npos) << composed;
  // Raw UTF-8 in the Subject has a 7-bit form (RFC 2047 words, RFC 6857 §3.1): message/rfc822.
  d = build_forward("From: b@example.org\r\nSubject: Caf\xC3\xA9\r\n\r\nx\r\n", kMe, true);
  ASSERT_EQ(d.attachments.size(), 1u);
  EXPECT_EQ(d.attachments[0].media_type, "message/rfc822");
  EXPECT_NE(d.attachments[0].content.find("=?"), std::string::npos) << d.attachments[0].content;
  // A UTF-8 address (RFC 6532) has none: message/global, the original as it is.
  d = build_forward("From: j\xC3\xB6rg@example.org\r\nSubject: hi\r\n\r\nx\r\n", kMe, true);
  ASSERT_EQ(d.attachments.size(), 1u);
  EXPECT_EQ(d.attachments[0].media_type, "message/global");
}

}  // namespace
}  // namespace estafeta::mua
