// imap_session_savedate_test: SAVEDATE (RFC 8514) and WITHIN (RFC 5032) through the session
// core with the in-memory store: the capabilities, FETCH SAVEDATE, the SAVED* search keys
// against the save date rather than the internal date, a COPY's new save date, and
// OLDER/YOUNGER against the session's clock (tls_options: 1796000000).
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

TEST(ImapSessionSaveDate, Advertised) {
  Driver d;
  std::string g = d.start();
  EXPECT_TRUE(contains(g, " SAVEDATE ")) << g;
  EXPECT_TRUE(contains(g, " WITHIN")) << g;
}

TEST(ImapSessionSaveDate, FetchAndSearchUseTheSaveDateNotTheInternalDate) {
  Driver d;
  d.start();
  d.send("l LOGIN alice secret\r\n");
  // Internal date in 1999: the save date is now (the store's clock, after 2020).
  ASSERT_TRUE(contains(
      d.send("a APPEND INBOX \"01-Jan-1999 00:00:00 +0000\" {8+}\r\nSubj: x\n\r\n"), "a OK"));
  d.send("s SELECT INBOX\r\n");
  std::string r = d.send("f FETCH 1 (SAVEDATE INTERNALDATE)\r\n");
  EXPECT_TRUE(contains(r, "INTERNALDATE \"01-Jan-1999 00:00:00 +0000\"")) << r;
  EXPECT_TRUE(contains(r, "SAVEDATE \"")) << r;
  EXPECT_FALSE(contains(r, "SAVEDATE \"01-Jan-1999")) << r;
  EXPECT_EQ(d.send("b SEARCH SAVEDSINCE 1-Jan-2020\r\n"),
            "* SEARCH 1\r\nb OK Search completed.\r\n");
  EXPECT_EQ(d.send("c SEARCH SAVEDBEFORE 1-Jan-2020\r\n"),
            "* SEARCH\r\nc OK Search completed.\r\n");
  EXPECT_EQ(d.send("d SEARCH SAVEDON 1-Jan-1999\r\n"), "* SEARCH\r\nd OK Search completed.\r\n");
  EXPECT_EQ(d.send("e SEARCH ON 1-Jan-1999\r\n"), "* SEARCH 1\r\ne OK Search completed.\r\n");
  EXPECT_EQ(d.send("g SEARCH SAVEDATESUPPORTED\r\n"), "* SEARCH 1\r\ng OK Search completed.\r\n");
  EXPECT_EQ(d.send("h SEARCH NOT SAVEDATESUPPORTED\r\n"), "* SEARCH\r\nh OK Search completed.\r\n");
  EXPECT_EQ(d.send("i SEARCH SAVEDBEFORE 1-Foo-2020\r\n").rfind("i BAD ", 0), 0u);
  // A copy is saved now in its new mailbox; its internal date stays (RFC 8514 §1).
  d.send("j COPY 1 Archive\r\n");
  d.send("k SELECT Archive\r\n");
  r = d.send("m FETCH 1 (SAVEDATE INTERNALDATE)\r\n");
  EXPECT_TRUE(contains(r, "INTERNALDATE \"01-Jan-1999 00:00:00 +0000\"")) << r;
  EXPECT_FALSE(contains(r, "SAVEDATE \"01-Jan-1999")) << r;
}

TEST(ImapSessionWithin, OlderAndYoungerCountSecondsBackFromNow) {
  Driver d;  // now = 1796000000 = 2026-11-30 00:53:20 UTC
  d.start();
  d.send("l LOGIN alice secret\r\n");
  // 100 s and 10000 s before now.
  d.send("a APPEND INBOX \"30-Nov-2026 00:51:40 +0000\" {3+}\r\nx\r\n\r\n");
  d.send("b APPEND INBOX \"29-Nov-2026 22:06:40 +0000\" {3+}\r\ny\r\n\r\n");
  d.send("s SELECT INBOX\r\n");
  EXPECT_EQ(d.send("c SEARCH YOUNGER 101\r\n"), "* SEARCH 1\r\nc OK Search completed.\r\n");
  EXPECT_EQ(d.send("d SEARCH YOUNGER 100\r\n"), "* SEARCH\r\nd OK Search completed.\r\n");
  EXPECT_EQ(d.send("e SEARCH OLDER 100\r\n"), "* SEARCH 1 2\r\ne OK Search completed.\r\n");
  EXPECT_EQ(d.send("f SEARCH OLDER 5000\r\n"), "* SEARCH 2\r\nf OK Search completed.\r\n");
  EXPECT_EQ(d.send("g SEARCH OLDER 5000 YOUNGER 20000\r\n"),
            "* SEARCH 2\r\ng OK Search completed.\r\n");
  EXPECT_EQ(d.send("h UID SEARCH RETURN (COUNT) YOUNGER 20000\r\n"),
            "* ESEARCH (TAG \"h\") UID COUNT 2\r\nh OK UID SEARCH completed.\r\n");
  // RFC 5032 §4: interval = 1*DIGIT, and 0 is not an interval (nz-number as Dovecot).
  EXPECT_EQ(d.send("i SEARCH OLDER 0\r\n").rfind("i BAD ", 0), 0u);
  EXPECT_EQ(d.send("j SEARCH YOUNGER\r\n").rfind("j BAD ", 0), 0u);
  EXPECT_EQ(d.send("k SEARCH OLDER -5\r\n").rfind("k BAD ", 0), 0u);
}

}  // namespace
}  // namespace estafeta::imap
