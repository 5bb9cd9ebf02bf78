// imap_session_metadata_test: METADATA / METADATA-SERVER (RFC 5464) through the session core
// with the in-memory store: advertised, SETMETADATA and GETMETADATA on a mailbox and on the
// server, NIL removing, private entries per user, DEPTH, MAXSIZE with LONGENTRIES, the
// MAXSIZE and TOOMANY response codes, the read-only /shared/admin server entry, RENAME keeping
// and DELETE dropping entries, and binary values as literal8.
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

TEST(ImapSessionMetadata, AdvertisedAfterLogin) {
  Driver d;
  d.start();
  std::string r = d.send("l LOGIN alice secret\r\n");
  EXPECT_TRUE(contains(r, " METADATA METADATA-SERVER")) << r;
}

TEST(ImapSessionMetadata, MailboxEntries) {
  Driver d;
  d.start();
  d.send("l LOGIN alice secret\r\n");
  EXPECT_EQ(d.send("a SETMETADATA INBOX (/private/comment \"My own\" /shared/comment {6+}\r\n"
                   "Shared)\r\n"),
            "a OK Setmetadata completed.\r\n");
  EXPECT_EQ(d.send("b GETMETADATA INBOX (/shared/comment /private/comment /private/none)\r\n"),
            "* METADATA INBOX (/shared/comment \"Shared\" /private/comment \"My own\" "
            "/private/none NIL)\r\nb OK Getmetadata completed.\r\n");
  // Entry names are case-insensitive.
  EXPECT_EQ(d.send("c GETMETADATA INBOX /Private/Comment\r\n"),
            "* METADATA INBOX (/private/comment \"My own\")\r\nc OK Getmetadata completed.\r\n");
  // DEPTH.
  d.send(
      "d SETMETADATA INBOX (/private/a/b \"1\" /private/a/b/c \"2\" /private/a/b/c/d \"3\")\r\n");
  EXPECT_EQ(d.send("e GETMETADATA (DEPTH 1) INBOX /private/a/b\r\n"),
            "* METADATA INBOX (/private/a/b \"1\" /private/a/b/c \"2\")\r\n"
            "e OK Getmetadata completed.\r\n");
  EXPECT_EQ(d.send("f GETMETADATA (DEPTH infinity) INBOX /private/a\r\n"),
            "* METADATA INBOX (/private/a/b \"1\" /private/a/b/c \"2\" /private/a/b/c/d \"3\")\r\n"
            "f OK Getmetadata completed.\r\n");
  EXPECT_EQ(d.send("g GETMETADATA (DEPTH 0) INBOX /private/a\r\n"),
            "* METADATA INBOX (/private/a NIL)\r\ng OK Getmetadata completed.\r\n");
  // MAXSIZE leaves out the longer values and names the longest (§4.2.1).
  EXPECT_EQ(d.send("h GETMETADATA (MAXSIZE 5) INBOX (/private/a/b /shared/comment)\r\n"),
            "* METADATA INBOX (/private/a/b \"1\")\r\n"
            "h OK [METADATA LONGENTRIES 6] Getmetadata completed.\r\n");
  EXPECT_EQ(d.send("h2 GETMETADATA (MAXSIZE 1) INBOX /private/comment\r\n"),
            "h2 OK [METADATA LONGENTRIES 6] Getmetadata completed.\r\n");
  // NIL removes; removing what is not there is fine.
  EXPECT_EQ(d.send("i SETMETADATA INBOX (/private/comment NIL /private/nothing NIL)\r\n"),
            "i OK Setmetadata completed.\r\n");
  EXPECT_EQ(d.send("j GETMETADATA INBOX /private/comment\r\n"),
            "* METADATA INBOX (/private/comment NIL)\r\nj OK Getmetadata completed.\r\n");
  // Values: an empty string, a literal for CR LF, a literal8 for NUL.
  EXPECT_EQ(d.send(std::string("k SETMETADATA INBOX (/shared/e \"\" /shared/l {4+}\r\na\r\nb "
                               "/shared/z ~{3+}\r\nx\0y)\r\n",
                               78)),
            "k OK Setmetadata completed.\r\n");
  EXPECT_EQ(
      d.send("m GETMETADATA INBOX (/shared/e /shared/l /shared/z)\r\n"),
      std::string("* METADATA INBOX (/shared/e \"\" /shared/l {4}\r\na\r\nb /shared/z ~{3}\r\n"
                  "x\0y)\r\nm OK Getmetadata completed.\r\n",
                  102));
  EXPECT_EQ(d.send("n GETMETADATA Nope /shared/comment\r\n"),
            "n NO [NONEXISTENT] Mailbox doesn't exist.\r\n");
  EXPECT_EQ(d.send("o SETMETADATA Nope (/shared/comment \"x\")\r\n"),
            "o NO [NONEXISTENT] Mailbox doesn't exist.\r\n");
}

TEST(ImapSessionMetadata, LimitsGiveResponseCodes) {
  Driver d;
  d.start();
  d.send("l LOGIN alice secret\r\n");
  std::string big(store::kMaxMetadataValue + 1, 'v');
  EXPECT_EQ(d.send("a SETMETADATA INBOX (/private/big {" + std::to_string(big.size()) + "+}\r\n" +
                   big + ")\r\n"),
            "a NO [METADATA MAXSIZE " + std::to_string(store::kMaxMetadataValue) +
                "] Metadata value too large.\r\n");
  std::string ok(store::kMaxMetadataValue, 'v');
  EXPECT_EQ(d.send("b SETMETADATA INBOX (/private/big {" + std::to_string(ok.size()) + "+}\r\n" +
                   ok + ")\r\n"),
            "b OK Setmetadata completed.\r\n");
  // 1 + 99 + 99 entries fit; one more does not, and nothing of that command is kept.
  for (int round = 0; round < 2; ++round) {
    std::string cmd = "c SETMETADATA INBOX (";
    for (int i = 0; i < 99; ++i)
      cmd += (i ? " " : "") + std::string("/shared/r") + std::to_string(round) + "/" +
             std::to_string(i) + " \"x\"";
    EXPECT_EQ(d.send(cmd + ")\r\n"), "c OK Setmetadata completed.\r\n");
  }
  EXPECT_EQ(d.send("d SETMETADATA INBOX (/shared/one \"x\" /shared/two \"y\")\r\n"),
            "d NO [METADATA TOOMANY] Too many metadata entries.\r\n");
  EXPECT_EQ(d.send("e SETMETADATA INBOX (/private/big NIL /shared/one \"x\")\r\n"),
            "e OK Setmetadata completed.\r\n");
}

TEST(ImapSessionMetadata, ServerEntries) {
  Driver d;
  d.start();
  d.send("l LOGIN alice secret\r\n");
  EXPECT_EQ(d.send("a GETMETADATA \"\" /shared/admin\r\n"),
            "* METADATA \"\" (/shared/admin \"mailto:postmaster@example.org\")\r\n"
            "a OK Getmetadata completed.\r\n");
  EXPECT_EQ(d.send("b SETMETADATA \"\" (/shared/admin \"mailto:me@example.org\")\r\n"),
            "b NO [NOPERM] Shared server metadata is read-only.\r\n");
  EXPECT_EQ(d.send("c SETMETADATA \"\" (/private/vendor/x/motd \"hello\")\r\n"),
            "c OK Setmetadata completed.\r\n");
  EXPECT_EQ(d.send("d GETMETADATA (DEPTH infinity) \"\" (/private /shared)\r\n"),
            "* METADATA \"\" (/private/vendor/x/motd \"hello\" /shared/admin "
            "\"mailto:postmaster@example.org\")\r\nd OK Getmetadata completed.\r\n");
  // Another user sees none of alice's private server entries.
  Driver bob;
  bob.start();
  bob.send("l LOGIN bob secret\r\n");
  EXPECT_EQ(bob.send("a GETMETADATA (DEPTH infinity) \"\" /private\r\n"),
            "a OK Getmetadata completed.\r\n");
}

TEST(ImapSessionMetadata, RenameKeepsDeleteDrops) {
  Driver d;
  d.start();
  d.send("l LOGIN alice secret\r\n");
  d.send("a CREATE Work\r\n");
  d.send("b SETMETADATA Work (/shared/comment \"work stuff\")\r\n");
  d.send("c RENAME Work Job\r\n");
  EXPECT_EQ(d.send("d GETMETADATA Job /shared/comment\r\n"),
            "* METADATA Job (/shared/comment \"work stuff\")\r\nd OK Getmetadata completed.\r\n");
  d.send("e DELETE Job\r\n");
  d.send("f CREATE Job\r\n");
  EXPECT_EQ(d.send("g GETMETADATA Job /shared/comment\r\n"),
            "* METADATA Job (/shared/comment NIL)\r\ng OK Getmetadata completed.\r\n");
  EXPECT_EQ(d.send("h GETMETADATA Job\r\n"), "h BAD Missing metadata entries\r\n");
}

}  // namespace
}  // namespace estafeta::imap
