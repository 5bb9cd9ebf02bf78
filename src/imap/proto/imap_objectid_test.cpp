// imap_objectid_test: OBJECTID (RFC 8474) through a session and the in-memory store: MAILBOXID
// in SELECT/EXAMINE, CREATE and STATUS, the same after RENAME, a new one for a re-created
// mailbox; EMAILID kept by COPY and MOVE and found by SEARCH EMAILID; THREADID shared by a
// reply and its parent, another for an unrelated message, kept by COPY and MOVE, found by
// SEARCH THREADID.
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

void add(Driver& d, const std::string& box, const std::string& subject,
         const std::string& headers = "") {
  auto a = d.account("alice@example.org");
  std::string msg = "Subject: " + subject + "\r\n" + headers + "\r\nbody\r\n";
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
  std::string r = d.send("a FETCH 1:2 (EMAILID)\r\n");
  const std::string id1 = match(r, "\\* 1 FETCH \\(EMAILID \\(([A-Za-z0-9_-]+)\\)\\)");
  const std::string id2 = match(r, "\\* 2 FETCH \\(EMAILID \\(([A-Za-z0-9_-]+)\\)\\)");
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

// RFC 8474 §5.2 FETCH THREADID and §6 SEARCH THREADID, with the store's threads: a reply
// joins its parent's thread (by In-Reply-To or References), an unrelated message of the same
// subject does not; COPY and MOVE keep the id.
TEST(ImapObjectId, ThreadIds) {
  Driver d;
  add(d, "INBOX", "Plans", "Message-ID: <p@x>\r\n");
  add(d, "INBOX", "Re: Plans", "Message-ID: <r@x>\r\nIn-Reply-To: <p@x>\r\n");
  add(d, "INBOX", "Plans", "Message-ID: <u@x>\r\n");
  add(d, "INBOX", "Re: Plans", "Message-ID: <s@x>\r\nReferences: <p@x> <r@x>\r\n");
  d.start();
  d.send("l LOGIN alice secret\r\n");
  d.send("s SELECT INBOX\r\n");
  std::string r = d.send("a FETCH 1:4 (THREADID EMAILID)\r\n");
  auto thread = [&](int seq) {
    return match(r,
                 "\\* " + std::to_string(seq) +
                     " FETCH \\(THREADID \\(([A-Za-z0-9_-]+)\\) EMAILID \\([A-Za-z0-9_-]+\\)\\)");
  };
  const std::string t = thread(1);
  ASSERT_FALSE(t.empty()) << r;
  EXPECT_EQ(thread(2), t) << r;
  EXPECT_EQ(thread(4), t) << r;
  const std::string u = thread(3);
  ASSERT_FALSE(u.empty()) << r;
  EXPECT_NE(u, t);
  EXPECT_EQ(d.send("b SEARCH THREADID " + t + "\r\n"),
            "* SEARCH 1 2 4\r\nb OK Search completed.\r\n");
  EXPECT_EQ(d.send("c UID SEARCH THREADID " + u + " OR SEEN UNSEEN\r\n"),
            "* SEARCH 3\r\nc OK UID SEARCH completed.\r\n");
  EXPECT_EQ(d.send("d SEARCH NOT THREADID " + t + "\r\n"),
            "* SEARCH 3\r\nd OK Search completed.\r\n");
  d.send("e COPY 2 Archive\r\n");
  d.send("f MOVE 3 Archive\r\n");
  d.send("g SELECT Archive\r\n");
  r = d.send("h FETCH 1:2 (THREADID)\r\n");
  EXPECT_EQ(match(r, "\\* 1 FETCH \\(THREADID \\(([A-Za-z0-9_-]+)\\)\\)"), t) << r;
  EXPECT_EQ(match(r, "\\* 2 FETCH \\(THREADID \\(([A-Za-z0-9_-]+)\\)\\)"), u) << r;
  EXPECT_EQ(d.send("i SEARCH THREADID " + t + "\r\n"), "* SEARCH 1\r\ni OK Search completed.\r\n");
}

}  // namespace
}  // namespace estafeta::imap
