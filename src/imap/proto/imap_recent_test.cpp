// imap_recent_test: RecentClaims on its own: where claims begin on the first look at a
// mailbox (save dates since the start), claim versus peek, one claimant per UID, and a new
// UIDVALIDITY starting afresh.
#include "imap/proto/imap_recent.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace estafeta::imap {
namespace {

std::vector<store::MessageInfo> saved(std::vector<std::pair<store::Uid, std::int64_t>> v) {
  std::vector<store::MessageInfo> out;
  for (auto [uid, date] : v) {
    store::MessageInfo m;
    m.uid = uid;
    m.save_date = date;
    out.push_back(m);
  }
  return out;
}

TEST(ImapRecent, FirstLookStartsAtTheFirstMessageSavedSinceStart) {
  RecentClaims r(1000);
  EXPECT_EQ(r.started(), 1000);
  auto msgs = saved({{1, 10}, {2, 999}, {4, 1000}, {7, 1500}});
  EXPECT_EQ(r.first_saved_since_start(msgs, 8), 4u);  // the start's own second counts
  EXPECT_EQ(r.first_saved_since_start(saved({{1, 10}, {2, 999}}), 3), 3u);  // none new
  EXPECT_EQ(r.first_saved_since_start({}, 1), 1u);
  EXPECT_EQ(r.first_saved_since_start(saved({{1, 1000}, {2, 2000}}), 3), 1u);  // all new
}

TEST(ImapRecent, ClaimTakesOncePeekOnlyLooks) {
  RecentClaims r(1000);
  EXPECT_FALSE(r.known("a", 1, 77));
  EXPECT_EQ(r.peek("a", 1, 77, 8, 4), 4u);  // the first look fixes where claims begin
  EXPECT_TRUE(r.known("a", 1, 77));
  EXPECT_EQ(r.peek("a", 1, 77, 8, 1), 4u);   // later first_new values are ignored
  EXPECT_EQ(r.claim("a", 1, 77, 8, 1), 4u);  // UIDs 4..7 for this claimant
  EXPECT_EQ(r.claim("a", 1, 77, 8, 1), 8u);  // nothing left
  EXPECT_EQ(r.peek("a", 1, 77, 8, 1), 8u);
  EXPECT_EQ(r.claim("a", 1, 77, 10, 10), 8u);  // UIDs 8, 9 arrived since
  // Other mailboxes and accounts are apart.
  EXPECT_EQ(r.claim("a", 2, 77, 5, 5), 5u);
  EXPECT_EQ(r.claim("b", 1, 77, 5, 2), 2u);
}

TEST(ImapRecent, NewUidValidityStartsAfresh) {
  RecentClaims r(1000);
  EXPECT_EQ(r.claim("a", 1, 77, 8, 8), 8u);
  EXPECT_FALSE(r.known("a", 1, 78));
  EXPECT_EQ(r.claim("a", 1, 78, 3, 1), 1u);
  EXPECT_EQ(r.claim("a", 1, 78, 3, 1), 3u);
}

TEST(ImapRecent, FirstNewAboveUidNextClaimsNothing) {
  RecentClaims r(1000);
  EXPECT_EQ(r.claim("a", 1, 77, 5, 9), 5u);
  EXPECT_EQ(r.claim("a", 1, 77, 6, 9), 5u);
}

}  // namespace
}  // namespace estafeta::imap
