// imap_session_uidonly_test: UIDONLY (RFC 9586) through the session core with the in-memory
// store: advertised and enabled, UIDFETCH instead of FETCH (UID FETCH, UID STORE, flag
// changes of another session), VANISHED instead of EXPUNGE, BAD [UIDREQUIRED] for every
// command and search key with message numbers, and QRESYNC's message-number pair refused.
#include <gtest/gtest.h>

#include <string>

#include "imap/proto/imap_session.hpp"
#include "imap/proto/imap_session_test_harness.hpp"

namespace estafeta::imap {
namespace {

using testing::Driver;

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

void fill(Driver& d) {
  d.start();
  d.send("l LOGIN alice secret\r\n");
  d.send("r ENABLE IMAP4rev2\r\n");  // no \\Recent to account for
  for (int i = 0; i < 3; ++i)
    d.send("a APPEND Drafts {11+}\r\nSubject: v" + std::to_string(i) + "\r\n");
}

TEST(ImapSessionUidOnly, EnabledAndAdvertised) {
  Driver d;
  EXPECT_TRUE(contains(d.start(), " UIDONLY")) << "capability";
  d.send("l LOGIN alice secret\r\n");
  EXPECT_EQ(d.send("e ENABLE UIDONLY\r\n"), "* ENABLED UIDONLY\r\ne OK Enabled.\r\n");
  EXPECT_EQ(d.send("f ENABLE UIDONLY\r\n"), "* ENABLED\r\nf OK Enabled.\r\n");
}

TEST(ImapSessionUidOnly, UidFetchVanishedAndRefusals) {
  Driver d;
  fill(d);
  d.send("e ENABLE UIDONLY\r\n");
  d.send("s SELECT Drafts\r\n");
  EXPECT_EQ(d.send("a UID FETCH 1:* (FLAGS)\r\n"),
            "* 1 UIDFETCH (FLAGS ())\r\n* 2 UIDFETCH (FLAGS ())\r\n* 3 UIDFETCH (FLAGS ())\r\n"
            "a OK UID FETCH completed.\r\n");
  EXPECT_EQ(d.send("b UID FETCH 2 (UID RFC822.SIZE)\r\n"),
            "* 2 UIDFETCH (UID 2 RFC822.SIZE 11)\r\nb OK UID FETCH completed.\r\n");
  EXPECT_EQ(d.send("c UID STORE 2:3 +FLAGS (\\Deleted)\r\n"),
            "* 2 UIDFETCH (FLAGS (\\Deleted))\r\n* 3 UIDFETCH (FLAGS (\\Deleted))\r\n"
            "c OK Store completed.\r\n");
  EXPECT_EQ(d.send("d UID EXPUNGE 3\r\n"), "* VANISHED 3\r\nd OK Expunge completed.\r\n");
  EXPECT_EQ(d.send("g EXPUNGE\r\n"), "* VANISHED 2\r\ng OK Expunge completed.\r\n");
  EXPECT_EQ(d.send("h UID SEARCH ALL\r\n"),
            "* ESEARCH (TAG \"h\") UID ALL 1\r\nh OK UID SEARCH completed.\r\n");
  const std::string refused =
      " BAD [UIDREQUIRED] Message sequence numbers are not allowed with UIDONLY.\r\n";
  for (std::string cmd :
       {"FETCH 1 FLAGS", "STORE 1 +FLAGS (\\Seen)", "COPY 1 INBOX", "MOVE 1 INBOX", "SEARCH ALL",
        "UID SEARCH 1:*", "UID SEARCH NOT 1", "REPLACE 1 INBOX {3+}\r\nx\r\n"}) {
    EXPECT_EQ(d.send("r " + cmd + "\r\n"), "r" + refused) << cmd;
  }
  EXPECT_EQ(d.send("i UID COPY 1 INBOX\r\n").rfind("i OK [COPYUID ", 0), 0u);
}

TEST(ImapSessionUidOnly, OtherSessionsChangesAndQresync) {
  auto store = store::make_memory_store();
  Driver a(testing::tls_options(), store);
  Driver b(testing::tls_options(), store);
  fill(a);
  b.start();
  b.send("l LOGIN alice secret\r\n");
  b.send("r ENABLE IMAP4rev2\r\n");
  a.send("e ENABLE UIDONLY\r\n");
  a.send("s SELECT Drafts\r\n");
  b.send("s SELECT Drafts\r\n");
  b.send("t STORE 2 +FLAGS (\\Flagged)\r\n");
  b.send("u STORE 1 +FLAGS (\\Deleted)\r\n");
  b.send("v EXPUNGE\r\n");
  a.changed();
  EXPECT_EQ(a.send("n NOOP\r\n"),
            "* 2 UIDFETCH (FLAGS (\\Flagged))\r\n* VANISHED 1\r\nn OK NOOP completed.\r\n");
  a.send("q ENABLE QRESYNC\r\n");
  EXPECT_EQ(a.send("x SELECT Drafts (QRESYNC (1 1 1:3 (1:2 1:2)))\r\n"),
            "x BAD [UIDREQUIRED] Message sequence numbers are not allowed with UIDONLY.\r\n");
}

}  // namespace
}  // namespace estafeta::imap
