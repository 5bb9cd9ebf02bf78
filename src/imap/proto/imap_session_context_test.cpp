// imap_session_context_test: CONTEXT=SEARCH (RFC 5267 §4.3) in the session core: RETURN
// (UPDATE) answers, ADDTO / REMOVEFROM after the session's own STORE, APPEND and EXPUNGE and
// after other sessions' changes, UID contexts, the order against FETCH / EXISTS / EXPUNGE,
// CANCELUPDATE, tag reuse (BAD) and the NOUPDATE limit.
#include <gtest/gtest.h>

#include "imap/proto/imap_session.hpp"
#include "imap/proto/imap_session_test_harness.hpp"

namespace estafeta::imap {
namespace {

using testing::Driver;

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

void deliver(Driver& d, std::string_view subject, std::string_view body = "body text\r\n") {
  auto a = d.account("alice@example.org");
  std::string msg = "From: Bob <bob@example.org>\r\nSubject: " + std::string(subject) + "\r\n\r\n" +
                    std::string(body);
  store::NewMessage m;
  m.bytes = msg;
  m.internal_date = 1796000000;
  store::AppendResult r;
  EXPECT_FALSE(a->deliver("INBOX", m, "", false, r));
}

// Five messages in INBOX, selected, IMAP4rev2 (no RECENT lines).
void setup(Driver& d) {
  for (int i = 1; i <= 5; ++i) deliver(d, "s" + std::to_string(i));
  d.start();
  d.send("l LOGIN alice secret\r\ne ENABLE IMAP4rev2\r\ns SELECT INBOX\r\n");
}

TEST(ImapSessionContext, Advertised) {
  Driver d;
  EXPECT_TRUE(contains(d.start(), " CONTEXT=SEARCH ")) << "greeting";
}

TEST(ImapSessionContext, UpdatesAfterOwnStoreExpungeAndAppend) {
  Driver d;
  setup(d);
  EXPECT_EQ(d.send("a SEARCH RETURN (UPDATE) BODY body SEEN\r\n"),
            "* ESEARCH (TAG \"a\")\r\na OK Search completed.\r\n");
  std::string r = d.send("b STORE 1,2,4 +FLAGS (\\Seen)\r\n");
  EXPECT_TRUE(
      contains(r, "* 4 FETCH (FLAGS (\\Seen))\r\n* ESEARCH (TAG \"a\") ADDTO (0 1:2,4)\r\n"))
      << r;
  r = d.send("c STORE 1,2 -FLAGS (\\Seen)\r\n");
  EXPECT_TRUE(contains(r, "* ESEARCH (TAG \"a\") REMOVEFROM (0 1:2)\r\n")) << r;
  d.send("d STORE 3:5 +FLAGS.SILENT (\\Deleted)\r\n");
  r = d.send("e EXPUNGE\r\n");
  // REMOVEFROM with the number before the EXPUNGEs, and before them.
  EXPECT_EQ(r.find("* ESEARCH (TAG \"a\") REMOVEFROM (0 4)\r\n"), 0u) << r;
  EXPECT_TRUE(contains(r, "* 3 EXPUNGE\r\n")) << r;
  std::string msg = "Subject: new\r\n\r\nbody\r\n";
  r = d.send("f APPEND INBOX (\\Seen) {" + std::to_string(msg.size()) + "+}\r\n" + msg + "\r\n");
  const auto exists = r.find("* 3 EXISTS\r\n");
  const auto addto = r.find("* ESEARCH (TAG \"a\") ADDTO (0 3)\r\n");
  EXPECT_NE(exists, std::string::npos) << r;
  EXPECT_NE(addto, std::string::npos) << r;
  EXPECT_LT(exists, addto);
  EXPECT_EQ(d.send("g CANCELUPDATE \"a\"\r\n"), "g OK Updates cancelled.\r\n");
  r = d.send("h STORE 1 +FLAGS (\\Seen)\r\n");
  EXPECT_FALSE(contains(r, "ESEARCH")) << r;
}

TEST(ImapSessionContext, UidContextAndReturnAll) {
  Driver d;
  setup(d);
  d.send("a STORE 1 +FLAGS (\\Deleted)\r\nb EXPUNGE\r\nc STORE 1,2 +FLAGS (\\Seen)\r\n");
  EXPECT_EQ(d.send("s UID SEARCH RETURN (UPDATE ALL) OR SEEN SUBJECT s33\r\n"),
            "* ESEARCH (TAG \"s\") UID ALL 2:3\r\ns OK UID SEARCH completed.\r\n");
  std::string r = d.send("d STORE 3:4 +FLAGS (\\Seen)\r\n");
  EXPECT_TRUE(contains(r, "* ESEARCH (TAG \"s\") UID ADDTO (0 4:5)\r\n")) << r;
  r = d.send("e STORE 1:4 -FLAGS (\\Seen)\r\n");
  EXPECT_TRUE(contains(r, "* ESEARCH (TAG \"s\") UID REMOVEFROM (0 2:5)\r\n")) << r;
}

TEST(ImapSessionContext, OtherSessionsChanges) {
  Driver d;
  setup(d);
  d.send("a SEARCH RETURN (UPDATE COUNT) SUBJECT late\r\n");
  deliver(d, "late arrival");
  EXPECT_EQ(d.changed(), "");  // the server tells the session; reported at the next command
  std::string r = d.send("n NOOP\r\n");
  EXPECT_EQ(r, "* 6 EXISTS\r\n* ESEARCH (TAG \"a\") ADDTO (0 6)\r\nn OK NOOP completed.\r\n");
  // Expunged by another session: REMOVEFROM, then the EXPUNGE.
  auto a = d.account("alice@example.org");
  store::MailboxInfo inbox;
  ASSERT_FALSE(a->find("INBOX", inbox));
  std::vector<store::Uid> gone;
  ASSERT_FALSE(a->expunge(inbox.id, {6}, gone));
  d.changed();
  r = d.send("n2 NOOP\r\n");
  EXPECT_EQ(r,
            "* ESEARCH (TAG \"a\") REMOVEFROM (0 6)\r\n* 6 EXPUNGE\r\nn2 OK NOOP completed.\r\n");
}

TEST(ImapSessionContext, TagReuseLimitAndCancel) {
  Driver d;
  setup(d);
  d.send("a SEARCH RETURN (UPDATE) SEEN\r\n");
  EXPECT_EQ(d.send("a SEARCH RETURN (UPDATE) ALL\r\n"), "a BAD Tag reuse.\r\n");
  EXPECT_EQ(d.send("z CANCELUPDATE \"nope\"\r\n"), "z NO Unknown tag.\r\n");
  for (int i = 0; i < 9; ++i) d.send("t" + std::to_string(i) + " SEARCH RETURN (UPDATE) SEEN\r\n");
  EXPECT_EQ(d.send("x SEARCH RETURN (UPDATE COUNT) SEEN\r\n"),
            "* ESEARCH (TAG \"x\") COUNT 0\r\n* NO [NOUPDATE \"x\"] Too many update contexts.\r\n"
            "x OK Search completed.\r\n");
  EXPECT_EQ(d.send("c CANCELUPDATE \"a\" \"t0\"\r\n"), "c OK Updates cancelled.\r\n");
  EXPECT_EQ(d.send("y SEARCH RETURN (UPDATE) SEEN\r\n"),
            "* ESEARCH (TAG \"y\")\r\ny OK Search completed.\r\n");
  // The contexts end with the selection.
  d.send("u UNSELECT\r\ns SELECT INBOX\r\n");
  std::string r = d.send("b STORE 1 +FLAGS (\\Seen)\r\n");
  EXPECT_FALSE(contains(r, "ESEARCH")) << r;
  EXPECT_EQ(d.send("c2 CANCELUPDATE \"y\"\r\n"), "c2 NO Unknown tag.\r\n");
}

}  // namespace
}  // namespace estafeta::imap

namespace estafeta::imap {
namespace {

// CONTEXT=SORT (RFC 5267 §4.3): SORT RETURN (UPDATE) keeps the sorted result; ADDTO gives each
// new match its position in the sort order (first position first), REMOVEFROM each removed
// one's position (last first).
TEST(ImapSessionContext, SortUpdatesCarryPositions) {
  Driver d;
  deliver(d, "delta");
  deliver(d, "bravo");
  deliver(d, "foxtrot");
  d.start();
  d.send("l LOGIN alice secret\r\ne ENABLE IMAP4rev2\r\ns SELECT INBOX\r\n");
  EXPECT_TRUE(contains(d.send("c CAPABILITY\r\n"), " CONTEXT=SORT"));
  EXPECT_EQ(d.send("a UID SORT RETURN (UPDATE) (SUBJECT) UTF-8 UNSEEN\r\n"),
            "* ESEARCH (TAG \"a\") UID ALL 2,1,3\r\na OK UID SORT completed.\r\n");
  deliver(d, "alpha");    // UID 4: first in order
  deliver(d, "echo");     // UID 5: between delta and foxtrot
  deliver(d, "charlie");  // UID 6: between bravo and delta
  d.session().changed();
  std::string r = d.send("n NOOP\r\n");
  // Final order: alpha(4) bravo(2) charlie(6) delta(1) echo(5) foxtrot(3).
  EXPECT_TRUE(contains(r, "* ESEARCH (TAG \"a\") UID ADDTO (1 4 3 6 5 5)\r\n")) << r;
  r = d.send("b UID STORE 6,3 +FLAGS (\\Seen)\r\n");
  EXPECT_TRUE(contains(r, "* ESEARCH (TAG \"a\") UID REMOVEFROM (6 3 3 6)\r\n")) << r;
  EXPECT_EQ(d.send("t SORT RETURN (UPDATE) (SUBJECT) UTF-8 ALL\r\n"),
            "* ESEARCH (TAG \"t\") ALL 4,2,6,1,5,3\r\nt OK Sort completed.\r\n");
  EXPECT_EQ(d.send("t SORT RETURN (UPDATE) (SUBJECT) UTF-8 ALL\r\n"), "t BAD Tag reuse.\r\n");
  // Message numbers: a sequence-number context reports them, with positions.
  r = d.send("x STORE 1 +FLAGS.SILENT (\\Deleted)\r\ny EXPUNGE\r\n");
  EXPECT_TRUE(contains(r, "* ESEARCH (TAG \"t\") REMOVEFROM (4 1)\r\n")) << r;
  EXPECT_TRUE(contains(r, "* ESEARCH (TAG \"a\") UID REMOVEFROM (3 1)\r\n")) << r;
}

}  // namespace
}  // namespace estafeta::imap
