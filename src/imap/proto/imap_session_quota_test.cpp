// imap_session_quota_test: QUOTA (RFC 9208) in the session core over the in-memory store:
// GETQUOTAROOT/GETQUOTA responses with and without limits, SETQUOTA refused with NOPERM,
// NO [OVERQUOTA] from APPEND, MULTIAPPEND (all or nothing), COPY and CREATE, MOVE at the
// limit, STATUS DELETED-STORAGE, and the capability words.
#include <gtest/gtest.h>

#include "imap/proto/imap_session.hpp"
#include "imap/proto/imap_session_test_harness.hpp"

namespace estafeta::imap {
namespace {

using testing::Driver;

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string login(Driver& d) {
  d.start();
  return d.send("l1 LOGIN alice@example.org secret\r\n");
}

std::string append_cmd(std::string_view tag, std::string_view box, std::string_view text) {
  return std::string(tag) + " APPEND " + std::string(box) + " {" + std::to_string(text.size()) +
         "+}\r\n" + std::string(text) + "\r\n";
}

const std::string kMsg = "Subject: q\r\n\r\nhello\r\n";  // 21 octets

TEST(ImapSessionQuota, CapabilityWords) {
  Driver d;
  login(d);
  EXPECT_TRUE(contains(d.send("c CAPABILITY\r\n"),
                       " QUOTA QUOTA=RES-STORAGE QUOTA=RES-MESSAGE QUOTA=RES-MAILBOX"));
  EXPECT_FALSE(contains(d.send("c CAPABILITY\r\n"), "QUOTASET"));
}

TEST(ImapSessionQuota, NoLimitsNoRoot) {
  Driver d;
  login(d);
  EXPECT_EQ(d.send("a GETQUOTAROOT INBOX\r\n"),
            "* QUOTAROOT INBOX\r\na OK Getquotaroot completed.\r\n");
  EXPECT_EQ(d.send("b GETQUOTA \"\"\r\n"), "b NO [NONEXISTENT] Quota root doesn't exist.\r\n");
  EXPECT_EQ(d.send("c GETQUOTAROOT Nope\r\n"), "c NO [NONEXISTENT] Mailbox doesn't exist.\r\n");
}

TEST(ImapSessionQuota, RootAndResources) {
  Driver d;
  login(d);
  ASSERT_FALSE(d.account("alice@example.org")->set_quota({10, 100, 20}));
  d.send(append_cmd("p", "INBOX", kMsg));
  EXPECT_EQ(d.send("a GETQUOTAROOT inbox\r\n"),
            "* QUOTAROOT INBOX \"\"\r\n* QUOTA \"\" (STORAGE 1 10 MESSAGE 1 100 MAILBOX 6 20)\r\n"
            "a OK Getquotaroot completed.\r\n");
  EXPECT_EQ(
      d.send("b GETQUOTA \"\"\r\n"),
      "* QUOTA \"\" (STORAGE 1 10 MESSAGE 1 100 MAILBOX 6 20)\r\nb OK Getquota completed.\r\n");
  EXPECT_EQ(d.send("c GETQUOTA other\r\n"), "c NO [NONEXISTENT] Quota root doesn't exist.\r\n");
  // Only the resources with a limit.
  ASSERT_FALSE(d.account("alice@example.org")->set_quota({0, 100, store::kQuotaDefault}));
  EXPECT_EQ(d.send("e GETQUOTA \"\"\r\n"),
            "* QUOTA \"\" (MESSAGE 1 100)\r\ne OK Getquota completed.\r\n");
  // SETQUOTA is the administrator's.
  EXPECT_EQ(d.send("f SETQUOTA \"\" (STORAGE 5)\r\n"),
            "f NO [NOPERM] Quota can be changed only by the administrator (estafeta user "
            "quota).\r\n");
  EXPECT_TRUE(contains(d.send("g GETQUOTA \"\"\r\n"), "(MESSAGE 1 100)"));
}

TEST(ImapSessionQuota, AppendCopyCreateOverQuota) {
  Driver d;
  login(d);
  auto a = d.account("alice@example.org");
  ASSERT_FALSE(a->set_quota({store::kQuotaDefault, 3, 7}));
  EXPECT_TRUE(contains(d.send(append_cmd("a1", "Archive", kMsg)), "a1 OK [APPENDUID"));
  EXPECT_TRUE(contains(d.send(append_cmd("a2", "Archive", kMsg)), "a2 OK [APPENDUID"));
  // MULTIAPPEND of two: 4 of 3, none stored.
  std::string multi = "m APPEND Archive {21+}\r\n" + kMsg + " {21+}\r\n" + kMsg + "\r\n";
  EXPECT_EQ(d.send(multi), "m NO [OVERQUOTA] Quota exceeded.\r\n");
  store::QuotaState q;
  ASSERT_FALSE(a->quota(q));
  EXPECT_EQ(q.usage.messages, 2u);
  // COPY of both: refused, nothing copied; MOVE of both: allowed (usage unchanged).
  d.send("s SELECT Archive\r\n");
  EXPECT_EQ(d.send("c COPY 1:2 Trash\r\n"), "c NO [OVERQUOTA] Quota exceeded.\r\n");
  EXPECT_TRUE(contains(d.send("s2 STATUS Trash (MESSAGES)\r\n"), "(MESSAGES 0)"));
  EXPECT_TRUE(contains(d.send("v MOVE 1:2 Trash\r\n"), "v OK"));
  // The third fits exactly (and brings the 90 % warning into INBOX); the next does not.
  EXPECT_TRUE(contains(d.send(append_cmd("a3", "Trash", kMsg)), "a3 OK [APPENDUID"));
  EXPECT_EQ(d.send(append_cmd("a4", "Trash", kMsg)), "a4 NO [OVERQUOTA] Quota exceeded.\r\n");
  EXPECT_TRUE(contains(d.send("s3 STATUS INBOX (MESSAGES)\r\n"), "(MESSAGES 1)"));
  // CREATE past the MAILBOX limit (6 exist, limit 7): one fits, the next does not.
  // RFC 8474 §4.1: CREATE's OK carries the new mailbox's MAILBOXID.
  EXPECT_EQ(d.send("k1 CREATE one\r\n").rfind("k1 OK [MAILBOXID (F", 0), 0u);
  EXPECT_EQ(d.send("k2 CREATE two\r\n"), "k2 NO [OVERQUOTA] Quota exceeded.\r\n");
  EXPECT_EQ(d.send("k3 CREATE a/b\r\n"), "k3 NO [OVERQUOTA] Quota exceeded.\r\n");
}

TEST(ImapSessionQuota, StatusDeletedStorage) {
  Driver d;
  login(d);
  d.send(append_cmd("a1", "INBOX", kMsg));
  d.send(append_cmd("a2", "INBOX", kMsg));
  d.send("s SELECT INBOX\r\n");
  EXPECT_TRUE(contains(d.send("t STATUS INBOX (DELETED DELETED-STORAGE)\r\n"),
                       "* STATUS INBOX (DELETED 0 DELETED-STORAGE 0)"));
  d.send("f STORE 1:2 +FLAGS.SILENT (\\Deleted)\r\n");
  EXPECT_TRUE(contains(d.send("t2 STATUS INBOX (DELETED DELETED-STORAGE)\r\n"),
                       "* STATUS INBOX (DELETED 2 DELETED-STORAGE 1)"));
}

}  // namespace
}  // namespace estafeta::imap
