// Tests for mua_draft_input: recipient lists, the editor template both ways, media types.
#include "mua/proto/mua_draft_input.hpp"

#include <gtest/gtest.h>

namespace estafeta::mua {
namespace {

TEST(ParseRecipients, ListsAndNames) {
  auto r = parse_recipients("Ann Example <ann@example.org>, bob@example.org");
  ASSERT_TRUE(r.ok()) << r.error().text;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].name, "Ann Example");
  EXPECT_EQ((*r)[0].address, "ann@example.org");
  EXPECT_EQ((*r)[1].name, "");
  r = parse_recipients("\"Doe, Jane\" <jane@example.org>");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].name, "Doe, Jane");
  r = parse_recipients("=?UTF-8?Q?J=C3=BCrgen?= <j@example.org>");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].name, "J\xC3\xBCrgen");
  EXPECT_TRUE(parse_recipients("")->empty());
}

TEST(ParseRecipients, RefusesWhatIsNotAnAddress) {
  for (const char* bad : {"bob", "bob@", "@example.org", "<bob@example.org", "a@[1.2.3.4]"}) {
    auto r = parse_recipients(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().text.find("not an address"), std::string::npos) << r.error().text;
  }
}

TEST(FormatRecipient, QuotesWhenNeeded) {
  EXPECT_EQ(format_recipient({"", "a@b.c"}), "a@b.c");
  EXPECT_EQ(format_recipient({"Ann", "a@b.c"}), "Ann <a@b.c>");
  EXPECT_EQ(format_recipient({"Doe, J. \"x\"", "a@b.c"}), "\"Doe, J. \\\"x\\\"\" <a@b.c>");
}

mime::Draft sample() {
  mime::Draft d;
  d.from = {"Alice", "alice@example.org"};
  d.to = {{"Bob", "bob@example.org"}};
  d.bcc = {{"", "carol@example.org"}};
  d.subject = "Re: plans";
  d.text = "> quoted\n";
  return d;
}

TEST(Template, RendersAndReadsBack) {
  mime::Draft d = sample();
  std::string t = render_template(d);
  EXPECT_EQ(t,
            "From: Alice <alice@example.org>\nTo: Bob <bob@example.org>\nCc: \n"
            "Bcc: carol@example.org\nReply-To: \nSubject: Re: plans\n\n> quoted\n");
  // The user adds a Cc (folded over two lines), changes the subject and writes.
  std::string edited =
      "From: Alice <alice@example.org>\nTo: Bob <bob@example.org>\nCc: dan@example.org,\n"
      " Eve <eve@example.org>\nBcc: \nReply-To: \nSubject: Re: plans (v2)\n\n> quoted\nYes.\n";
  mime::Draft out = sample();
  auto r = parse_template(edited, out);
  ASSERT_TRUE(r.ok()) << r.error().text;
  ASSERT_EQ(out.cc.size(), 2u);
  EXPECT_EQ(out.cc[1].name, "Eve");
  EXPECT_TRUE(out.bcc.empty());
  EXPECT_EQ(out.subject, "Re: plans (v2)");
  EXPECT_EQ(out.text, "> quoted\nYes.\n");
  EXPECT_EQ(out.from.address, "alice@example.org");  // From is not read back
}

TEST(Template, ErrorsAndAbort) {
  mime::Draft d = sample();
  auto r = parse_template("To: bob@example.org\nSubject: x\n\n   \n\n", d);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().text.rfind("empty message", 0), 0u) << r.error().text;
  EXPECT_EQ(d.subject, "Re: plans");  // untouched on error

  r = parse_template("To: bob@example.org\nX-Colour: red\n\nbody\n", d);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().text.find("unknown header \"X-Colour\""), std::string::npos);

  r = parse_template("To: bob\n\nbody\n", d);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().text.find("To: not an address"), std::string::npos) << r.error().text;

  r = parse_template("To: bob@example.org\nthis is not a header\n\nbody\n", d);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().text.find("line 2"), std::string::npos);

  r = parse_template("To: bob@example.org\n", d);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().text.find("no empty line"), std::string::npos);

  r = parse_template(std::string("To: a@b.c\n\nx\0y", 14), d);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().text.find("NUL"), std::string::npos);
}

TEST(MediaType, ByNameThenContent) {
  EXPECT_EQ(detect_media_type("report.pdf", ""), "application/pdf");
  EXPECT_EQ(detect_media_type("photo.JPG", "x"), "image/jpeg");
  EXPECT_EQ(detect_media_type("noext", "%PDF-1.7\n..."), "application/pdf");
  EXPECT_EQ(detect_media_type("noext", std::string("\x89PNG\r\n\x1a\n\0\0", 10)), "image/png");
  EXPECT_EQ(detect_media_type("noext", "\xff\xd8\xff\xe0"), "image/jpeg");
  EXPECT_EQ(detect_media_type("noext", "GIF89a..."), "image/gif");
  EXPECT_EQ(detect_media_type("noext", std::string("RIFF\x10\0\0\0WEBPVP8 ", 16)), "image/webp");
  EXPECT_EQ(detect_media_type("noext", "PK\x03\x04rest"), "application/zip");
  EXPECT_EQ(detect_media_type("README", "plain words, caf\xC3\xA9\n"), "text/plain");
  EXPECT_EQ(detect_media_type("blob", std::string("a\0b", 3)), "application/octet-stream");
  EXPECT_EQ(detect_media_type("blob", "\xC3\x28"), "application/octet-stream");
  EXPECT_EQ(detect_media_type("empty", ""), "application/octet-stream");
  // A long UTF-8 text whose 64 KiB prefix cuts a sequence is still text.
  std::string big(64 * 1024 - 1, 'a');
  big += "\xC3\xA9 more";
  EXPECT_EQ(detect_media_type("notes", big), "text/plain");
}

}  // namespace
}  // namespace estafeta::mua
