// imap_session_acl_test: ACL commands (RFC 4314 §3) on one's own mailboxes and the shared
// namespace: the rights each command needs (§4, NOPERM / NONEXISTENT), LIST with and
// without "l" and RETURN (MYRIGHTS) (RFC 8440), SELECT/FETCH/STORE/APPEND/COPY/MOVE/EXPUNGE/
// CREATE/DELETE/STATUS on another user's mailbox, and a user of another domain seeing nothing.
#include <gtest/gtest.h>

#include "imap/proto/imap_session_test_harness.hpp"

namespace estafeta::imap {
namespace {

using testing::Driver;

bool has(const std::string& out, std::string_view what) {
  return out.find(what) != std::string::npos;
}

class SessionAcl : public ::testing::Test {
 protected:
  void SetUp() override {
    alice.start();
    bob.start();
    eve.start();
    ASSERT_TRUE(has(alice.send("l LOGIN alice secret\r\n"), "l OK"));
    ASSERT_TRUE(has(bob.send("l LOGIN bob secret\r\n"), "l OK"));
    ASSERT_TRUE(has(eve.send("l LOGIN eve secret\r\n"), "l OK"));
    ASSERT_TRUE(has(alice.send("c CREATE Team/Plans\r\n"), "c OK"));
    ASSERT_TRUE(has(alice.send("a APPEND Team {21}\r\nSubject: hi\r\n\r\nhello\r\n"), "a OK"));
  }
  std::shared_ptr<store::Store> store = store::make_memory_store();
  std::shared_ptr<RecentClaims> recent = std::make_shared<RecentClaims>();
  Driver alice{testing::tls_options(), store, {}, recent};
  Driver bob{testing::tls_options(), store, {}, recent};
  Driver eve{testing::tls_options(), store, {}, recent};
};

TEST_F(SessionAcl, OwnMailboxes) {
  EXPECT_EQ(alice.send("1 MYRIGHTS Team\r\n"),
            "* MYRIGHTS Team lrswipkxteacd\r\n1 OK Myrights completed.\r\n");
  EXPECT_EQ(alice.send("2 GETACL Team\r\n"),
            "* ACL Team alice@example.org lrswipkxteacd\r\n2 OK Getacl completed.\r\n");
  EXPECT_EQ(alice.send("3 SETACL Team bob@example.org lr\r\n"), "3 OK Setacl completed.\r\n");
  EXPECT_EQ(alice.send("4 SETACL Team Bob@Example.org +sc\r\n"), "4 OK Setacl completed.\r\n");
  EXPECT_EQ(alice.send("5 SETACL Team -anyone w\r\n"), "5 OK Setacl completed.\r\n");
  EXPECT_EQ(alice.send("6 GETACL Team\r\n"),
            "* ACL Team alice@example.org lrswipkxteacd -anyone w bob@example.org lrskxc\r\n"
            "6 OK Getacl completed.\r\n");
  EXPECT_EQ(alice.send("7 SETACL Team bob@example.org -kx\r\n"), "7 OK Setacl completed.\r\n");
  EXPECT_EQ(alice.send("8 DELETEACL Team -anyone\r\n"), "8 OK Deleteacl completed.\r\n");
  EXPECT_EQ(alice.send("9 GETACL Team\r\n"),
            "* ACL Team alice@example.org lrswipkxteacd bob@example.org lrs\r\n"
            "9 OK Getacl completed.\r\n");
  EXPECT_EQ(alice.send("10 LISTRIGHTS Team bob@example.org\r\n"),
            "* LISTRIGHTS Team bob@example.org \"\" l r s w i p k x t e a\r\n"
            "10 OK Listrights completed.\r\n");
  EXPECT_EQ(alice.send("11 LISTRIGHTS Team alice@example.org\r\n"),
            "* LISTRIGHTS Team alice@example.org lrswipkxtea\r\n11 OK Listrights completed.\r\n");
  // Refusals: unknown right (BAD, §3.1), another domain, the owner, a missing mailbox.
  EXPECT_EQ(alice.send("12 SETACL Team bob@example.org lrz\r\n"), "12 BAD Unknown right 'z'.\r\n");
  EXPECT_TRUE(has(alice.send("13 SETACL Team eve@example.net lr\r\n"), "13 NO [CANNOT]"));
  EXPECT_TRUE(has(alice.send("14 SETACL Team alice@example.org lr\r\n"), "14 NO [CANNOT]"));
  EXPECT_TRUE(has(alice.send("15 SETACL Nope bob@example.org lr\r\n"), "15 NO [NONEXISTENT]"));
  EXPECT_TRUE(has(alice.send("16 GETACL Nope\r\n"), "16 NO [NONEXISTENT]"));
  EXPECT_EQ(alice.send("17 LIST \"\" Team RETURN (MYRIGHTS)\r\n"),
            "* LIST (\\HasChildren) \"/\" Team\r\n* MYRIGHTS Team lrswipkxteacd\r\n"
            "17 OK List completed.\r\n");
}

TEST_F(SessionAcl, SharedNamespace) {
  EXPECT_EQ(bob.send("1 LIST \"\" \"Shared/*\"\r\n"), "1 OK List completed.\r\n");
  EXPECT_TRUE(has(bob.send("2 SELECT Shared/alice@example.org/Team\r\n"), "2 NO [NONEXISTENT]"));
  ASSERT_TRUE(has(alice.send("3 SETACL Team/Plans bob@example.org lr\r\n"), "3 OK"));
  // Only Team/Plans has "l": its parents are \Noselect levels.
  EXPECT_EQ(bob.send("4 LIST \"\" \"Shared*\"\r\n"),
            "* LIST (\\Noselect \\HasChildren) \"/\" Shared\r\n"
            "* LIST (\\Noselect \\HasChildren) \"/\" Shared/alice@example.org\r\n"
            "* LIST (\\Noselect \\HasChildren) \"/\" Shared/alice@example.org/Team\r\n"
            "* LIST (\\HasNoChildren) \"/\" Shared/alice@example.org/Team/Plans\r\n"
            "4 OK List completed.\r\n");
  ASSERT_TRUE(has(alice.send("5 SETACL Team bob@example.org lrsi\r\n"), "5 OK"));
  std::string list = bob.send("6 LIST \"\" \"Shared/%/%\" RETURN (MYRIGHTS)\r\n");
  EXPECT_EQ(list,
            "* LIST (\\HasChildren) \"/\" Shared/alice@example.org/Team\r\n"
            "* MYRIGHTS Shared/alice@example.org/Team lrsi\r\n6 OK List completed.\r\n");
  EXPECT_EQ(bob.send("7 MYRIGHTS Shared/alice@example.org/Team\r\n"),
            "* MYRIGHTS Shared/alice@example.org/Team lrsi\r\n7 OK Myrights completed.\r\n");
  EXPECT_TRUE(has(bob.send("8 GETACL Shared/alice@example.org/Team\r\n"), "8 NO [NOPERM]"));
  std::string sel = bob.send("9 SELECT Shared/alice@example.org/Team\r\n");
  EXPECT_TRUE(has(sel, "* 1 EXISTS")) << sel;
  EXPECT_TRUE(has(sel, "9 OK [READ-WRITE]")) << sel;
  // s: \Seen may be set, by FETCH and STORE; w and t not.
  std::string f = bob.send("10 FETCH 1 BODY[TEXT]\r\n");
  EXPECT_TRUE(has(f, "FLAGS (\\Seen")) << f;
  EXPECT_TRUE(has(bob.send("11 STORE 1 +FLAGS (\\Flagged)\r\n"), "11 NO [NOPERM]"));
  EXPECT_TRUE(has(bob.send("12 STORE 1 +FLAGS (\\Deleted)\r\n"), "12 NO [NOPERM]"));
  std::string st = bob.send("13 STORE 1 -FLAGS (\\Seen)\r\n");
  EXPECT_TRUE(has(st, "13 OK")) << st;
  EXPECT_TRUE(has(bob.send("14 EXPUNGE\r\n"), "14 NO [NOPERM]"));
  EXPECT_TRUE(has(bob.send("15 MOVE 1 INBOX\r\n"), "15 NO [NOPERM]"));
  // COPY out of it (into bob's own INBOX), APPEND into it ("i"), with flags bob may not set
  // dropped silently.
  EXPECT_TRUE(has(bob.send("16 COPY 1 INBOX\r\n"), "16 OK [COPYUID"));
  EXPECT_TRUE(has(bob.send("17 STATUS INBOX (MESSAGES)\r\n"), "(MESSAGES 1)"));
  std::string ap = bob.send(
      "18 APPEND Shared/alice@example.org/Team (\\Flagged \\Seen) {12}\r\nSubject: b\r\n\r\n");
  EXPECT_TRUE(has(ap, "18 OK [APPENDUID")) << ap;
  EXPECT_TRUE(has(ap, "* 2 EXISTS")) << ap;
  std::string f2 = bob.send("19 FETCH 2 FLAGS\r\n");
  EXPECT_TRUE(has(f2, "* 2 FETCH (FLAGS (\\Seen")) << f2;
  EXPECT_FALSE(has(f2, "Flagged")) << f2;
  EXPECT_TRUE(has(alice.send("20 STATUS Team (MESSAGES)\r\n"), "(MESSAGES 2)"));
  // COPY into it from bob's INBOX.
  ASSERT_TRUE(has(bob.send("21 SELECT INBOX\r\n"), "21 OK"));
  EXPECT_TRUE(has(bob.send("22 COPY 1 Shared/alice@example.org/Team\r\n"), "22 OK [COPYUID"));
  EXPECT_TRUE(has(bob.send("23 STATUS Shared/alice@example.org/Team (MESSAGES)\r\n"),
                  "* STATUS Shared/alice@example.org/Team (MESSAGES 3)"));
  // No "k" / "x": CREATE and DELETE refused.
  EXPECT_TRUE(has(bob.send("24 CREATE Shared/alice@example.org/Team/New\r\n"), "24 NO [NOPERM]"));
  EXPECT_TRUE(has(bob.send("25 DELETE Shared/alice@example.org/Team\r\n"), "25 NO [NOPERM]"));
  EXPECT_TRUE(has(bob.send("26 CREATE Shared/alice@example.org/Top\r\n"), "26 NO"));
  ASSERT_TRUE(has(alice.send("27 SETACL Team bob@example.org +kxte\r\n"), "27 OK"));
  EXPECT_TRUE(has(bob.send("28 CREATE Shared/alice@example.org/Team/New\r\n"), "28 OK"));
  EXPECT_TRUE(has(bob.send("29 MYRIGHTS Shared/alice@example.org/Team/New\r\n"),
                  "* MYRIGHTS Shared/alice@example.org/Team/New lrsikxtecd"));
  EXPECT_TRUE(has(bob.send("30 DELETE Shared/alice@example.org/Team/New\r\n"), "30 OK"));
  EXPECT_TRUE(has(alice.send("31 LIST \"\" Team/*\r\n"), "Team/Plans"));
  // Revoked: gone from LIST, SELECT says it does not exist.
  ASSERT_TRUE(has(alice.send("32 DELETEACL Team bob@example.org\r\n"), "32 OK"));
  EXPECT_TRUE(has(bob.send("33 LIST \"\" \"Shared/*\"\r\n"),
                  "(\\Noselect \\HasChildren) \"/\" Shared/alice@example.org/Team\r\n"));
  EXPECT_TRUE(has(bob.send("34 SELECT Shared/alice@example.org/Team\r\n"), "34 NO [NONEXISTENT]"));
  // "l" alone: listed, but not selectable.
  ASSERT_TRUE(has(alice.send("35 SETACL Team anyone l\r\n"), "35 OK"));
  EXPECT_TRUE(has(bob.send("36 SELECT Shared/alice@example.org/Team\r\n"), "36 NO [NOPERM]"));
  EXPECT_TRUE(
      has(bob.send("37 STATUS Shared/alice@example.org/Team (MESSAGES)\r\n"), "37 NO [NOPERM]"));
}

TEST_F(SessionAcl, AnotherDomainSeesNothing) {
  ASSERT_TRUE(has(alice.send("1 SETACL Team anyone lrswipkxtea\r\n"), "1 OK"));
  EXPECT_EQ(eve.send("2 LIST \"\" \"*\"\r\n").find("Shared"), std::string::npos);
  EXPECT_TRUE(has(eve.send("3 SELECT Shared/alice@example.org/Team\r\n"), "3 NO [NONEXISTENT]"));
  EXPECT_TRUE(has(eve.send("4 MYRIGHTS Shared/alice@example.org/Team\r\n"), "4 NO [NONEXISTENT]"));
  EXPECT_TRUE(has(eve.send("5 APPEND Shared/alice@example.org/Team {1}\r\nx\r\n"), "5 NO"));
  // bob gets it through "anyone"; shown with its special-use attribute where it has one.
  ASSERT_TRUE(has(alice.send("6 SETACL Sent anyone lr\r\n"), "6 OK"));
  EXPECT_TRUE(has(bob.send("7 LIST \"\" \"Shared/*\"\r\n"),
                  "* LIST (\\HasNoChildren \\Sent) \"/\" Shared/alice@example.org/Sent\r\n"));
}

TEST_F(SessionAcl, OwnerChangesReachTheSharedSelection) {
  ASSERT_TRUE(has(alice.send("1 SETACL Team bob@example.org lr\r\n"), "1 OK"));
  std::string sel = bob.send("2 EXAMINE Shared/alice@example.org/Team\r\n");
  ASSERT_TRUE(has(sel, "2 OK [READ-ONLY]")) << sel;
  EXPECT_EQ(bob.session().selected_account(), bob.account("alice@example.org"));
  EXPECT_EQ(bob.send("3 IDLE\r\n"), "+ idling\r\n");
  ASSERT_TRUE(has(alice.send("4 APPEND Team {12}\r\nSubject: c\r\n\r\n"), "4 OK"));
  EXPECT_TRUE(has(bob.changed(), "* 2 EXISTS\r\n"));
  EXPECT_EQ(bob.send("DONE\r\n"), "3 OK Idle completed.\r\n");
}

// A right the owner takes away stops working at the user's next command; without "r" the
// selection is closed.
TEST_F(SessionAcl, RevokedRightsTakeEffectInTheSelection) {
  ASSERT_TRUE(has(alice.send("1 SETACL Team bob@example.org lrst\r\n"), "1 OK"));
  ASSERT_TRUE(has(bob.send("2 SELECT Shared/alice@example.org/Team\r\n"), "2 OK [READ-WRITE]"));
  EXPECT_TRUE(has(bob.send("3 STORE 1 +FLAGS (\\Deleted)\r\n"), "3 OK"));
  ASSERT_TRUE(has(alice.send("4 SETACL Team bob@example.org -t\r\n"), "4 OK"));
  EXPECT_TRUE(has(bob.send("5 STORE 1 -FLAGS (\\Deleted)\r\n"), "5 NO [NOPERM]"));
  EXPECT_TRUE(has(bob.send("6 STORE 1 +FLAGS (\\Seen)\r\n"), "6 OK"));
  ASSERT_TRUE(has(alice.send("7 SETACL Team bob@example.org l\r\n"), "7 OK"));
  const std::string out = bob.send("8 FETCH 1 FLAGS\r\n");
  EXPECT_TRUE(has(out, "* OK [CLOSED]")) << out;
  EXPECT_TRUE(has(out, "8 BAD")) << out;
  EXPECT_TRUE(has(bob.send("9 SELECT Shared/alice@example.org/Team\r\n"), "9 NO [NOPERM]"));
}

}  // namespace
}  // namespace estafeta::imap

namespace estafeta::imap {
namespace {

// RFC 9208 on a shared mailbox: it counts against its owner's quota, in the root
// "Shared/<owner>", which the users it is shared with may read (and nobody else).
TEST_F(SessionAcl, QuotaOfSharedMailboxIsTheOwners) {
  ASSERT_FALSE(alice.account("alice@example.org")->set_quota({store::kQuotaDefault, 100, 0}));
  ASSERT_TRUE(has(alice.send("1 SETACL Team bob@example.org lr\r\n"), "1 OK"));
  EXPECT_EQ(bob.send("2 GETQUOTAROOT Shared/alice@example.org/Team\r\n"),
            "* QUOTAROOT Shared/alice@example.org/Team \"Shared/alice@example.org\"\r\n"
            "* QUOTA \"Shared/alice@example.org\" (MESSAGE 1 100)\r\n"
            "2 OK Getquotaroot completed.\r\n");
  EXPECT_EQ(bob.send("3 GETQUOTA \"Shared/alice@example.org\"\r\n"),
            "* QUOTA \"Shared/alice@example.org\" (MESSAGE 1 100)\r\n3 OK Getquota completed.\r\n");
  EXPECT_TRUE(has(eve.send("4 GETQUOTA \"Shared/alice@example.org\"\r\n"), "4 NO [NONEXISTENT]"));
  EXPECT_TRUE(
      has(eve.send("5 GETQUOTAROOT Shared/alice@example.org/Team\r\n"), "5 NO [NONEXISTENT]"));
}

// RFC 5464 §3.3 with ACL: reading and writing /private entries of a shared mailbox needs "lr";
// writing /shared ones also "w". Private entries stay the user's own.
TEST_F(SessionAcl, MetadataOnSharedMailboxes) {
  const std::string box = "Shared/alice@example.org/Team";
  EXPECT_TRUE(has(bob.send("1 GETMETADATA " + box + " /shared/comment\r\n"), "1 NO [NONEXISTENT]"));
  ASSERT_TRUE(has(alice.send("2 SETACL Team bob@example.org l\r\n"), "2 OK"));
  EXPECT_TRUE(has(bob.send("3 GETMETADATA " + box + " /shared/comment\r\n"), "3 NO [NOPERM]"));
  ASSERT_TRUE(has(alice.send("4 SETACL Team bob@example.org lr\r\n"), "4 OK"));
  ASSERT_TRUE(has(alice.send("5 SETMETADATA Team (/shared/comment \"team box\" /private/x "
                             "\"alice's\")\r\n"),
                  "5 OK"));
  EXPECT_EQ(
      bob.send("6 GETMETADATA " + box + " (/shared/comment /private/x)\r\n"),
      "* METADATA " + box +
          " (/shared/comment \"team box\" /private/x NIL)\r\n6 OK Getmetadata completed.\r\n");
  EXPECT_EQ(bob.send("7 SETMETADATA " + box + " (/private/x \"bob's\")\r\n"),
            "7 OK Setmetadata completed.\r\n");
  EXPECT_TRUE(
      has(bob.send("8 SETMETADATA " + box + " (/shared/comment \"mine\")\r\n"), "8 NO [NOPERM]"));
  ASSERT_TRUE(has(alice.send("9 SETACL Team bob@example.org lrw\r\n"), "9 OK"));
  EXPECT_EQ(bob.send("10 SETMETADATA " + box + " (/shared/comment \"ours\")\r\n"),
            "10 OK Setmetadata completed.\r\n");
  EXPECT_EQ(alice.send("11 GETMETADATA Team (/shared/comment /private/x)\r\n"),
            "* METADATA Team (/shared/comment \"ours\" /private/x \"alice's\")\r\n"
            "11 OK Getmetadata completed.\r\n");
  EXPECT_EQ(bob.send("12 GETMETADATA " + box + " /private/x\r\n"),
            "* METADATA " + box + " (/private/x \"bob's\")\r\n12 OK Getmetadata completed.\r\n");
}

}  // namespace
}  // namespace estafeta::imap
