// imap_session_messagelimit_test: MESSAGELIMIT (RFC 9738) through the session core with the
// in-memory store and a limit of 3: advertised; UID FETCH, UID STORE, UID COPY, UID MOVE,
// UID EXPUNGE and UID SEARCH over more messages process the 3 highest UIDs and say so with
// [MESSAGELIMIT 3]; the same by message numbers is refused with NO and changes nothing;
// commands within the limit and results that do not list messages (COUNT) are untouched.
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

SessionOptions limited() {
  SessionOptions o = testing::tls_options();
  o.message_limit = 3;
  return o;
}

void fill(Driver& d, int messages) {
  d.start();
  d.send("l LOGIN alice secret\r\n");
  d.send("r ENABLE IMAP4rev2\r\n");  // no \\Recent to account for
  for (int i = 0; i < messages; ++i)
    d.send("a APPEND Drafts {11+}\r\nSubject: v" + std::to_string(i) + "\r\n");
  d.send("s SELECT Drafts\r\n");
}

TEST(ImapSessionMessageLimit, Advertised) {
  Driver d(limited());
  EXPECT_TRUE(contains(d.start(), " MESSAGELIMIT=3")) << "capability";
  Driver big;
  EXPECT_TRUE(contains(big.start(), " MESSAGELIMIT=1000000")) << "default";
}

TEST(ImapSessionMessageLimit, UidCommandsProcessTheHighestUids) {
  Driver d(limited());
  fill(d, 5);
  EXPECT_EQ(d.send("a UID FETCH 1:* (FLAGS)\r\n"),
            "* 3 FETCH (UID 3 FLAGS ())\r\n* 4 FETCH (UID 4 FLAGS ())\r\n"
            "* 5 FETCH (UID 5 FLAGS ())\r\n"
            "a OK [MESSAGELIMIT 3] UID FETCH completed. Only the messages with the highest UIDs "
            "were processed.\r\n");
  // Within the limit: no response code.
  EXPECT_EQ(d.send("b UID FETCH 1:2 (FLAGS)\r\n"),
            "* 1 FETCH (UID 1 FLAGS ())\r\n* 2 FETCH (UID 2 FLAGS ())\r\n"
            "b OK UID FETCH completed.\r\n");
  const std::string stored = d.send("c UID STORE 1:5 +FLAGS.SILENT (\\Flagged)\r\n");
  EXPECT_TRUE(contains(stored, "c OK [MESSAGELIMIT 3] ")) << stored;
  EXPECT_TRUE(contains(d.send("d FETCH 1:5 (FLAGS)\r\n"), "NO [MESSAGELIMIT 3]"));
  EXPECT_EQ(d.send("e UID SEARCH FLAGGED\r\n"),
            "* ESEARCH (TAG \"e\") UID ALL 3:5\r\ne OK UID SEARCH completed.\r\n");
  EXPECT_EQ(d.send("f UID SEARCH ALL\r\n"),
            "* ESEARCH (TAG \"f\") UID ALL 3:5\r\nf OK [MESSAGELIMIT 3] UID SEARCH completed. "
            "Only the messages with the highest UIDs were processed.\r\n");
  // COUNT lists no message: the whole mailbox counts.
  EXPECT_EQ(d.send("g UID SEARCH RETURN (COUNT) ALL\r\n"),
            "* ESEARCH (TAG \"g\") UID COUNT 5\r\ng OK UID SEARCH completed.\r\n");
  // COPYUID keeps the tagged OK; the limit is said in an untagged OK before it.
  const std::string copied = d.send("h UID COPY 1:* INBOX\r\n");
  EXPECT_TRUE(contains(copied, "* OK [MESSAGELIMIT 3] ")) << copied;
  EXPECT_TRUE(contains(copied, "h OK [COPYUID ")) << copied;
  EXPECT_TRUE(contains(copied, " 3:5 1:3] Copy completed.")) << copied;
  d.send("i UID STORE 1:2 +FLAGS.SILENT (\\Deleted)\r\n");
  d.send("j UID STORE 4:5 +FLAGS.SILENT (\\Deleted)\r\n");
  // UID EXPUNGE 1:5 names 5 messages: only 3:5 are processed, so UID 1 and 2 stay.
  const std::string expunged = d.send("k UID EXPUNGE 1:5\r\n");
  EXPECT_TRUE(contains(expunged, "k OK [MESSAGELIMIT 3] Expunge completed.")) << expunged;
  EXPECT_EQ(d.send("m UID SEARCH RETURN (ALL) DELETED\r\n"),
            "* ESEARCH (TAG \"m\") UID ALL 1:2\r\nm OK UID SEARCH completed.\r\n");
}

TEST(ImapSessionMessageLimit, SequenceNumbersOverTheLimitAreRefused) {
  Driver d(limited());
  fill(d, 4);
  for (std::string cmd : {"FETCH 1:4 (FLAGS)", "STORE 1:* +FLAGS (\\Seen)", "COPY 1:4 INBOX",
                          "MOVE 1:4 INBOX", "SEARCH ALL"}) {
    const std::string out = d.send("n " + cmd + "\r\n");
    EXPECT_TRUE(contains(out, "n NO [MESSAGELIMIT 3] ")) << cmd << ": " << out;
  }
  // Nothing was changed by the refused commands.
  EXPECT_EQ(d.send("o UID SEARCH RETURN (COUNT) SEEN\r\n"),
            "* ESEARCH (TAG \"o\") UID COUNT 0\r\no OK UID SEARCH completed.\r\n");
  EXPECT_TRUE(contains(d.send("p STATUS INBOX (MESSAGES)\r\n"), "(MESSAGES 0)"));
  EXPECT_TRUE(contains(d.send("q FETCH 2:4 (FLAGS)\r\n"), "q OK Fetch completed."));
}

}  // namespace
}  // namespace estafeta::imap
