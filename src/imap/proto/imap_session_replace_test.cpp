// imap_session_replace_test: REPLACE and UID REPLACE (RFC 8508) through the session core with
// the in-memory store: the replacement appended with its APPENDUID in an untagged OK before
// the source's EXPUNGE, into another mailbox and into the selected one, \Deleted not needed,
// a failed append expunging nothing, EXAMINE refusing, bad numbers and missing UIDs, and
// VANISHED instead of EXPUNGE under QRESYNC.
#include <gtest/gtest.h>

#include <string>

#include "imap/proto/imap_parser.hpp"
#include "imap/proto/imap_session.hpp"
#include "imap/proto/imap_session_test_harness.hpp"

namespace estafeta::imap {
namespace {

using testing::Driver;

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

std::uint32_t validity(Driver& d, const std::string& box) {
  store::MailboxInfo i;
  d.account("alice@example.org")->find(box, i);
  return i.uid_validity;
}

void fill(Driver& d) {
  d.start();
  d.send("l LOGIN alice secret\r\n");
  d.send("r ENABLE IMAP4rev2\r\n");  // no \\Recent to account for
  for (int i = 0; i < 3; ++i)
    d.send("a APPEND Drafts (\\Draft) {11+}\r\nSubject: v" + std::to_string(i) + "\r\n");
}

// RFC 8508 §6 grammar: REPLACE seq-number mailbox append-message; UID REPLACE uniqueid ...
TEST(ImapParserReplace, Grammar) {
  ParseResult r =
      parse_command("a REPLACE 4 Drafts (\\Draft) \"01-Jan-2026 10:00:00 +0000\" {3+}\r\nabc");
  ASSERT_TRUE(r) << r.error.text;
  const auto& rp = std::get<Replace>(r.command->body);
  EXPECT_FALSE(rp.uid);
  EXPECT_EQ(rp.number, 4u);
  EXPECT_EQ(rp.mailbox, "Drafts");
  EXPECT_EQ(rp.message.flags, (FlagList{"\\Draft"}));
  EXPECT_TRUE(rp.message.internal_date);
  EXPECT_EQ(rp.message.data, "abc");
  r = parse_command("a UID REPLACE 99 INBOX ~{2+}\r\nab");
  ASSERT_TRUE(r) << r.error.text;
  EXPECT_TRUE(std::get<Replace>(r.command->body).uid);
  EXPECT_TRUE(std::get<Replace>(r.command->body).message.binary);
  r = parse_command("a REPLACE * INBOX {1+}\r\nx");
  ASSERT_TRUE(r);
  EXPECT_EQ(std::get<Replace>(r.command->body).number, 0u);
  for (const char* bad : {"a REPLACE", "a REPLACE 0 INBOX {1+}\r\nx",
                          "a UID REPLACE * INBOX {1+}\r\nx", "a REPLACE 1 INBOX",
                          "a REPLACE 1:2 INBOX {1+}\r\nx", "a REPLACE 1 INBOX {1+}\r\nx {1+}\r\ny"})
    EXPECT_FALSE(parse_command(bad)) << bad;
}

TEST(ImapSessionReplace, Advertised) {
  Driver d;
  EXPECT_TRUE(contains(d.start(), " REPLACE")) << "capability";
}

TEST(ImapSessionReplace, IntoTheSelectedMailbox) {
  Driver d;
  fill(d);
  d.send("s SELECT Drafts\r\n");
  const std::string v = std::to_string(validity(d, "Drafts"));
  // RFC 8508 §3.3 example shape: APPENDUID untagged, EXISTS for the new one, EXPUNGE.
  EXPECT_EQ(d.send("r REPLACE 2 Drafts (\\Draft) {11+}\r\nSubject: v9\r\n"),
            "* OK [APPENDUID " + v +
                " 4] Replacement Message ID\r\n"
                "* 2 EXPUNGE\r\n* 3 EXISTS\r\nr OK Replace completed.\r\n");
  EXPECT_EQ(d.send("f UID FETCH 1:* (UID FLAGS)\r\n"),
            "* 1 FETCH (UID 1 FLAGS (\\Draft))\r\n* 2 FETCH (UID 3 FLAGS (\\Draft))\r\n"
            "* 3 FETCH (UID 4 FLAGS (\\Draft))\r\nf OK UID FETCH completed.\r\n");
  EXPECT_EQ(d.send("u UID REPLACE 3 Drafts {11+}\r\nSubject: vA\r\n"),
            "* OK [APPENDUID " + v +
                " 5] Replacement Message ID\r\n"
                "* 2 EXPUNGE\r\n* 3 EXISTS\r\nu OK Replace completed.\r\n");
}

TEST(ImapSessionReplace, IntoAnotherMailboxAndErrors) {
  Driver d;
  fill(d);
  d.send("s SELECT Drafts\r\n");
  const std::string v = std::to_string(validity(d, "Archive"));
  EXPECT_EQ(d.send("r UID REPLACE 1 Archive {11+}\r\nSubject: v9\r\n"),
            "* OK [APPENDUID " + v +
                " 1] Replacement Message ID\r\n"
                "* 1 EXPUNGE\r\nr OK Replace completed.\r\n");
  // A missing target: nothing expunged.
  EXPECT_EQ(d.send("a REPLACE 1 Nope {11+}\r\nSubject: v9\r\n"),
            "a NO [TRYCREATE] Mailbox doesn't exist.\r\n");
  EXPECT_EQ(d.send("b FETCH 1:* UID\r\n"),
            "* 1 FETCH (UID 2)\r\n* 2 FETCH (UID 3)\r\nb OK Fetch completed.\r\n");
  EXPECT_EQ(d.send("c REPLACE 3 Drafts {11+}\r\nSubject: v9\r\n"),
            "c BAD Error in IMAP command REPLACE: Invalid messageset\r\n");
  EXPECT_EQ(d.send("e UID REPLACE 99 Drafts {11+}\r\nSubject: v9\r\n"),
            "e NO Message doesn't exist.\r\n");
  EXPECT_EQ(d.send("g REPLACE 1 Drafts (\\Bogus) {11+}\r\nSubject: v9\r\n"),
            "g BAD Invalid system flag.\r\n");
  d.send("x EXAMINE Drafts\r\n");
  EXPECT_EQ(d.send("h REPLACE 1 Drafts {11+}\r\nSubject: v9\r\n"),
            "h NO [READ-ONLY] Mailbox is read-only.\r\n");
  d.send("y UNSELECT\r\n");
  EXPECT_EQ(d.send("i REPLACE 1 Drafts {11+}\r\nSubject: v9\r\n"),
            "i BAD No mailbox selected.\r\n");
}

TEST(ImapSessionReplace, VanishedUnderQresync) {
  Driver d;
  fill(d);
  d.send("e ENABLE QRESYNC\r\n");
  d.send("s SELECT Drafts\r\n");
  std::string r = d.send("r REPLACE 1 Drafts {11+}\r\nSubject: v9\r\n");
  EXPECT_TRUE(contains(r, "* VANISHED 1\r\n")) << r;
  EXPECT_FALSE(contains(r, "EXPUNGE")) << r;
}

}  // namespace
}  // namespace estafeta::imap
