// imap_objectid_test: OBJECTID (RFC 8474) through a session and the in-memory store: MAILBOXID
// in SELECT/EXAMINE, CREATE and STATUS, the same after RENAME, a new one for a re-created
// mailbox; EMAILID kept by COPY and MOVE and found by SEARCH EMAILID; THREADID NIL.
#include <gtest/gtest.h>

#include <regex>

#include "imap/proto/imap_session_test_harness.hpp"

namespace estafeta::imap {
namespace {

using testing::Driver;

std::string match(const std::string& text, const std::string& re) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(re))) return "";
  return m[1];
}

void add(Driver& d, const std::string& box, const std::string& subject) {
  auto a = d.account("alice@example.org");
  std::string msg = "Subject: " + subject + "\r\n\r\nbody\r\n";
  store::NewMessage m;
  m.bytes = msg;
  store::AppendResult r;
  ASSERT_FALSE(a->deliver(box, m, "", false, r));
}

TEST(ImapObjectId, MailboxIds) {
  Driver d;
  std::string caps = d.start();
  EXPECT_NE(caps.find(" OBJECTID"), std::string::npos) << caps;
  d.send("l LOGIN alice secret\r\n");
  std::string r = d.send("a CREATE Projects\r\n");
  const std::string created = match(r, "^a OK \\[MAILBOXID \\((F[0-9]+)\\)\\] Create completed");
  ASSERT_FALSE(created.empty()) << r;
  r = d.send("b STATUS Projects (MAILBOXID MESSAGES)\r\n");
  EXPECT_EQ(match(r, "MAILBOXID \\((F[0-9]+)\\)"), created) << r;
  r = d.send("c SELECT Projects\r\n");
  EXPECT_EQ(match(r, "\\* OK \\[MAILBOXID \\((F[0-9]+)\\)\\] Ok\r\n"), created) << r;
  r = d.send("d EXAMINE INBOX\r\n");
  const std::string inbox = match(r, "\\* OK \\[MAILBOXID \\((F[0-9]+)\\)\\]");
  ASSERT_FALSE(inbox.empty()) << r;
  EXPECT_NE(inbox, created);
  d.send("e UNSELECT\r\n");
  // RFC 8474 §4.1: RENAME keeps the id; a mailbox created again under the name gets another.
  d.send("f RENAME Projects Archive/Projects\r\n");
  r = d.send("g STATUS Archive/Projects (MAILBOXID)\r\n");
  EXPECT_EQ(match(r, "MAILBOXID \\((F[0-9]+)\\)"), created) << r;
  r = d.send("h CREATE Projects\r\n");
  const std::string again = match(r, "MAILBOXID \\((F[0-9]+)\\)");
  ASSERT_FALSE(again.empty()) << r;
  EXPECT_NE(again, created);
}

TEST(ImapObjectId, EmailIdsAcrossCopyAndMove) {
  Driver d;
  add(d, "INBOX", "one");
  add(d, "INBOX", "two");
  d.start();
  d.send("l LOGIN alice secret\r\n");
  d.send("s SELECT INBOX\r\n");
  std::string r = d.send("a FETCH 1:2 (EMAILID THREADID)\r\n");
  const std::string id1 = match(r, "\\* 1 FETCH \\(EMAILID \\(([A-Za-z0-9_-]+)\\) THREADID NIL\\)");
  const std::string id2 = match(r, "\\* 2 FETCH \\(EMAILID \\(([A-Za-z0-9_-]+)\\) THREADID NIL\\)");
  ASSERT_FALSE(id1.empty()) << r;
  ASSERT_FALSE(id2.empty()) << r;
  EXPECT_NE(id1, id2);
  EXPECT_EQ(d.send("b SEARCH EMAILID " + id2 + "\r\n"), "* SEARCH 2\r\nb OK Search completed.\r\n");
  d.send("c COPY 1 Archive\r\n");
  d.send("d MOVE 2 Archive\r\n");
  d.send("e SELECT Archive\r\n");
  r = d.send("f FETCH 1:2 (EMAILID)\r\n");
  EXPECT_EQ(match(r, "\\* 1 FETCH \\(EMAILID \\(([A-Za-z0-9_-]+)\\)\\)"), id1) << r;
  EXPECT_EQ(match(r, "\\* 2 FETCH \\(EMAILID \\(([A-Za-z0-9_-]+)\\)\\)"), id2) << r;
  EXPECT_EQ(d.send("g UID SEARCH EMAILID " + id1 + "\r\n"),
            "* SEARCH 1\r\ng OK UID SEARCH completed.\r\n");
  EXPECT_EQ(d.send("h SEARCH THREADID T1\r\n"), "* SEARCH\r\nh OK Search completed.\r\n");
}

}  // namespace
}  // namespace estafeta::imap
