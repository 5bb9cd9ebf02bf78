// mua_imap_parse_test: typed readings of server responses (CAPABILITY, LIST with
// SPECIAL-USE and modified UTF-7, STATUS, SEARCH, ESEARCH, FETCH, VANISHED, sequence sets),
// each with malformed variants.
#include "mua/proto/mua_imap_parse.hpp"

#include <gtest/gtest.h>

namespace estafeta::mua {
namespace {

ImapResponse one(const std::string& line) {
  ImapResponseReader r;
  r.receive(line + "\r\n");
  auto x = r.next();
  EXPECT_TRUE(x) << line << ": " << r.error();
  return x ? *x : ImapResponse{};
}

TEST(MuaImapParse, Capabilities) {
  auto r = one("* CAPABILITY IMAP4rev1 imap4rev2 LITERAL+ AUTH=PLAIN Move");
  auto caps = parse_capabilities(r.values);
  EXPECT_EQ(caps,
            (std::vector<std::string>{"IMAP4REV1", "IMAP4REV2", "LITERAL+", "AUTH=PLAIN", "MOVE"}));
}

TEST(MuaImapParse, ListSpecialUseAndNames) {
  auto m = parse_list(one("* LIST (\\HasNoChildren \\Sent) \"/\" Sent"), false);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->name, "Sent");
  EXPECT_EQ(m->delimiter, '/');
  EXPECT_EQ(m->special_use(), "\\Sent");
  EXPECT_TRUE(m->selectable());
  m = parse_list(one("* LIST (\\Noselect) \".\" \"Entw&APw-rfe\""), false);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->name, "Entw\xc3\xbcrfe");
  EXPECT_EQ(m->raw_name, "Entw&APw-rfe");
  EXPECT_FALSE(m->selectable());
  EXPECT_EQ(m->special_use(), "");
  m = parse_list(one("* LIST () NIL inbox"), false);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->name, "INBOX");
  EXPECT_EQ(m->delimiter, 0);
  // UTF8=ACCEPT: the name is UTF-8 as sent.
  m = parse_list(one("* LIST (\\Trash) \"/\" \"Papierkorb \xc3\xbc\""), true);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->name, "Papierkorb \xc3\xbc");
  EXPECT_EQ(m->special_use(), "\\Trash");
  // Invalid modified UTF-7 is shown as sent.
  m = parse_list(one("* LIST () \"/\" \"a&b\""), false);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->name, "a&b");
  // LIST-EXTENDED trailing data is ignored.
  m = parse_list(one("* LIST (\\Drafts) \"/\" Drafts (\"CHILDINFO\" (\"SUBSCRIBED\"))"), false);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->special_use(), "\\Drafts");
  EXPECT_FALSE(parse_list(one("* LIST \\Sent \"/\" Sent"), false));
  EXPECT_FALSE(parse_list(one("* LIST () \"//\" Sent"), false));
  EXPECT_FALSE(parse_list(one("* LIST () \"/\""), false));
}

TEST(MuaImapParse, Status) {
  auto s = parse_status(one("* STATUS \"Sent\" (MESSAGES 3 UNSEEN 1 UIDNEXT 44 UIDVALIDITY 9)"));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->raw_name, "Sent");
  EXPECT_EQ(s->messages, 3u);
  EXPECT_EQ(s->unseen, 1u);
  EXPECT_EQ(s->uidnext, 44u);
  EXPECT_EQ(s->uidvalidity, 9u);
  EXPECT_FALSE(s->recent);
  EXPECT_FALSE(parse_status(one("* STATUS x (MESSAGES)")));
  EXPECT_FALSE(parse_status(one("* STATUS x (MESSAGES y)")));
}

TEST(MuaImapParse, SequenceSets) {
  EXPECT_EQ(parse_sequence_set("1:3,7,9:8", 100, 100),
            (std::vector<std::uint32_t>{1, 2, 3, 7, 8, 9}));
  EXPECT_EQ(parse_sequence_set("5:*", 7, 100), (std::vector<std::uint32_t>{5, 6, 7}));
  EXPECT_FALSE(parse_sequence_set("1:100000", 0, 1000));  // bounded
  EXPECT_FALSE(parse_sequence_set("0", 0, 10));
  EXPECT_FALSE(parse_sequence_set("1,", 0, 10));
  EXPECT_FALSE(parse_sequence_set("", 0, 10));
  EXPECT_FALSE(parse_sequence_set("a", 0, 10));
  EXPECT_FALSE(parse_sequence_set("4294967296", 0, 10));
}

TEST(MuaImapParse, SearchAndEsearch) {
  EXPECT_EQ(parse_search(one("* SEARCH 2 84 882"), 10), (std::vector<std::uint32_t>{2, 84, 882}));
  EXPECT_EQ(parse_search(one("* SEARCH"), 10), std::vector<std::uint32_t>{});
  EXPECT_EQ(parse_search(one("* SEARCH 1 (MODSEQ 917162500)"), 10), std::vector<std::uint32_t>{1});
  EXPECT_FALSE(parse_search(one("* SEARCH 1 2 3"), 2));
  EXPECT_FALSE(parse_search(one("* SEARCH x"), 2));
  auto e = parse_esearch(one("* ESEARCH (TAG \"a5\") UID COUNT 4 ALL 4:6,9 MIN 4"), 100);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->tag, "a5");
  EXPECT_TRUE(e->uid);
  EXPECT_EQ(e->count, 4u);
  EXPECT_EQ(e->min, 4u);
  EXPECT_EQ(e->all, (std::vector<std::uint32_t>{4, 5, 6, 9}));
  e = parse_esearch(one("* ESEARCH (TAG \"a6\")"), 100);
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->all.empty());
  EXPECT_FALSE(parse_esearch(one("* ESEARCH UID ALL 1:1000"), 10));
}

TEST(MuaImapParse, Fetch) {
  ImapResponseReader r;
  r.receive(
      "* 12 FETCH (UID 4827313 FLAGS (\\Seen $Junk) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" "
      "RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" "
      "\"=?utf-8?q?Gr=C3=BC=C3=9Fe?=\" ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
      "NIL NIL ((NIL NIL \"imap\" \"cac.washington.edu\")) ((NIL NIL \"undisclosed\" NIL)(NIL NIL "
      "NIL NIL)) "
      "NIL NIL \"<B27397-0100000@cac.washington.edu>\") "
      "BODYSTRUCTURE (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92) "
      "BODY[]<0> {5}\r\nhello BODY[HEADER.FIELDS (FROM)] NIL X-GM-MSGID 123)\r\n");
  auto resp = r.next();
  ASSERT_TRUE(resp);
  auto f = parse_fetch(*resp);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->seq, 12u);
  EXPECT_EQ(f->uid, 4827313u);
  EXPECT_EQ(*f->flags, (std::vector<std::string>{"\\Seen", "$Junk"}));
  EXPECT_EQ(f->internal_date, "17-Jul-1996 02:44:25 -0700");
  EXPECT_EQ(parse_internal_date(f->internal_date), 837596665);
  EXPECT_EQ(f->size, 4286u);
  ASSERT_TRUE(f->envelope);
  EXPECT_EQ(f->envelope->subject, "=?utf-8?q?Gr=C3=BC=C3=9Fe?=");
  ASSERT_EQ(f->envelope->from.size(), 1u);
  EXPECT_EQ(f->envelope->from[0].name, "Terry Gray");
  EXPECT_EQ(f->envelope->from[0].addr_spec(), "gray@cac.washington.edu");
  EXPECT_EQ(f->envelope->to.size(), 1u);
  EXPECT_TRUE(f->envelope->cc.empty());  // a group's markers only
  EXPECT_EQ(f->envelope->message_id, "<B27397-0100000@cac.washington.edu>");
  ASSERT_TRUE(f->bodystructure);
  EXPECT_EQ(f->bodystructure->items[0].text, "TEXT");
  ASSERT_NE(f->section("BODY[]"), nullptr);
  EXPECT_EQ(*f->section("BODY[]"), "hello");
  ASSERT_NE(f->section("BODY[HEADER.FIELDS"), nullptr);
  EXPECT_EQ(*f->section("BODY[HEADER.FIELDS"), "");
  EXPECT_EQ(f->section("BINARY["), nullptr);

  EXPECT_FALSE(parse_fetch(one("* 1 FETCH (UID)")));
  EXPECT_FALSE(parse_fetch(one("* 1 FETCH (UID x)")));
  EXPECT_FALSE(parse_fetch(one("* 1 FETCH (FLAGS \\Seen)")));
  EXPECT_FALSE(parse_fetch(one("* 1 FETCH (ENVELOPE (NIL))")));
  EXPECT_FALSE(parse_fetch(one("* FETCH (UID 1)")));
  EXPECT_FALSE(parse_internal_date("yesterday"));
}

TEST(MuaImapParse, Vanished) {
  bool earlier = false;
  EXPECT_EQ(parse_vanished(one("* VANISHED (EARLIER) 300:302,405"), 100, &earlier),
            (std::vector<std::uint32_t>{300, 301, 302, 405}));
  EXPECT_TRUE(earlier);
  EXPECT_EQ(parse_vanished(one("* VANISHED 7"), 100, &earlier), std::vector<std::uint32_t>{7});
  EXPECT_FALSE(earlier);
  EXPECT_FALSE(parse_vanished(one("* VANISHED"), 100));
}

}  // namespace
}  // namespace estafeta::mua
