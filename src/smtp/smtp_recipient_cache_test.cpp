// smtp_recipient_cache_test: "local" verdicts are kept while the stamp of the account
// database is unchanged and the TTL has not passed; a write to the database (or its log)
// drops them; "not our domain" is kept per domain (not for postmaster); other refusals and
// temporary failures are never kept; the table is bounded. The same
// for the senders an authenticated user may use.
#include "smtp/smtp_recipient_cache.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <thread>

#include "base/test_temp_dir.hpp"

namespace estafeta::smtp {
namespace {

using namespace std::chrono_literals;
using Stamp = RecipientCache::Stamp;

Stamp stamp(std::uint64_t n) {
  Stamp s;
  s.db_ino = 1;
  s.db_mtime = n;
  s.valid = true;
  return s;
}

TEST(RecipientCache, KeepsLocalVerdictsWhileNothingChanged) {
  RecipientCache cache(1s);
  RecipientCache::Clock::time_point t0{};
  EXPECT_FALSE(cache.find("a@x", stamp(1), t0));
  cache.remember("a@x", RecipientVerdict::local, stamp(1), t0);
  EXPECT_EQ(cache.find("a@x", stamp(1), t0 + 500ms), RecipientVerdict::local);
  EXPECT_FALSE(cache.find("a@x", stamp(2), t0 + 500ms));  // the database changed
  EXPECT_FALSE(cache.find("a@x", stamp(1), t0 + 500ms));  // and the entry is gone
  cache.remember("b@x", RecipientVerdict::local, stamp(1), t0);
  EXPECT_FALSE(cache.find("b@x", stamp(1), t0 + 1s));  // expired
  EXPECT_FALSE(cache.find("B@x", stamp(1), t0));       // another spelling, another entry
}

TEST(RecipientCache, KeepsOnlyLocalVerdictsAndOtherDomains) {
  RecipientCache cache(1s);
  RecipientCache::Clock::time_point t0{};
  cache.remember("t@x", RecipientVerdict::temporary_failure, stamp(1), t0);
  cache.remember("u@x", RecipientVerdict::unknown_user, stamp(1), t0);
  cache.remember("f@x", RecipientVerdict::mailbox_full, stamp(1), t0);
  EXPECT_FALSE(cache.find("t@x", stamp(1), t0));
  EXPECT_FALSE(cache.find("u@x", stamp(1), t0));
  EXPECT_FALSE(cache.find("f@x", stamp(1), t0));
  // Not our domain: kept for the whole domain (any spelling of it), never for postmaster.
  cache.remember("r@Y.example", RecipientVerdict::not_local_domain, stamp(1), t0);
  EXPECT_EQ(cache.find("r@y.example", stamp(1), t0), RecipientVerdict::not_local_domain);
  EXPECT_EQ(cache.find("other@Y.EXAMPLE", stamp(1), t0), RecipientVerdict::not_local_domain);
  EXPECT_FALSE(cache.find("PostMaster@y.example", stamp(1), t0));
  EXPECT_FALSE(cache.find("r@z.example", stamp(1), t0));
  EXPECT_FALSE(cache.find("r@y.example", stamp(2), t0));  // the database changed
  cache.remember("postmaster@host.example", RecipientVerdict::not_local_domain, stamp(1), t0);
  EXPECT_FALSE(cache.find("a@host.example", stamp(1), t0));
  cache.remember("postmaster", RecipientVerdict::not_local_domain, stamp(1), t0);
  EXPECT_FALSE(cache.find("postmaster", stamp(1), t0));
  cache.remember("l@x", RecipientVerdict::local, Stamp{}, t0);  // no stamp: nothing kept
  EXPECT_FALSE(cache.find("l@x", Stamp{}, t0));
}

TEST(RecipientCache, KeepsAllowedSendersWhileNothingChanged) {
  RecipientCache cache(1s);
  RecipientCache::Clock::time_point t0{};
  EXPECT_FALSE(cache.sender_allowed("u@x", "u@x", stamp(1), t0));
  cache.remember_sender("u@x", "u@x", true, stamp(1), t0);
  cache.remember_sender("u@x", "boss@x", false, stamp(1), t0);  // a no is never kept
  cache.remember_sender("v@x", "v@x", true, Stamp{}, t0);       // no stamp: nothing kept
  EXPECT_TRUE(cache.sender_allowed("u@x", "u@x", stamp(1), t0 + 500ms));
  EXPECT_FALSE(cache.sender_allowed("u@x", "boss@x", stamp(1), t0));
  EXPECT_FALSE(cache.sender_allowed("w@x", "u@x", stamp(1), t0));  // another user
  EXPECT_FALSE(cache.sender_allowed("v@x", "v@x", Stamp{}, t0));
  EXPECT_FALSE(cache.find("u@x", stamp(1), t0));                   // apart from the recipients
  EXPECT_FALSE(cache.sender_allowed("u@x", "u@x", stamp(2), t0));  // the database changed
  EXPECT_FALSE(cache.sender_allowed("u@x", "u@x", stamp(1), t0));  // and the entry is gone
  cache.remember_sender("u@x", "u@x", true, stamp(1), t0);
  EXPECT_FALSE(cache.sender_allowed("u@x", "u@x", stamp(1), t0 + 1s));  // expired
}

TEST(RecipientCache, IsBounded) {
  RecipientCache cache(1h);
  RecipientCache::Clock::time_point t0{};
  for (std::size_t i = 0; i <= RecipientCache::kMaxEntries; ++i)
    cache.remember("u" + std::to_string(i) + "@x", RecipientVerdict::local, stamp(1), t0);
  EXPECT_FALSE(cache.find("u0@x", stamp(1), t0));
  EXPECT_TRUE(cache.find("u" + std::to_string(RecipientCache::kMaxEntries) + "@x", stamp(1), t0));
}

TEST(RecipientCache, AWriteToTheDatabaseOrItsLogChangesTheStamp) {
  estafeta::testing::TempDir dir;
  auto db = dir.path() / "accounts.db";
  EXPECT_FALSE(RecipientCache::stamp_of(db).valid);  // no database: nothing is kept
  std::ofstream(db) << "one";
  Stamp a = RecipientCache::stamp_of(db);
  ASSERT_TRUE(a.valid);
  EXPECT_EQ(RecipientCache::stamp_of(db), a);
  std::ofstream(db.string() + "-wal") << "frame";
  Stamp b = RecipientCache::stamp_of(db);
  EXPECT_FALSE(b == a);
  std::this_thread::sleep_for(2ms);
  std::ofstream(db.string() + "-wal", std::ios::app) << "frame";
  EXPECT_FALSE(RecipientCache::stamp_of(db) == b);
}

}  // namespace
}  // namespace estafeta::smtp
