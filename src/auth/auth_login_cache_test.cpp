// Tests of auth_login_cache: what passes is remembered for the TTL, per stored hash and
// password, and nothing else.
#include "auth/auth_login_cache.hpp"

#include <gtest/gtest.h>

namespace estafeta::auth {
namespace {

using namespace std::chrono_literals;

TEST(LoginCache, RemembersOnlyWhatPassedUntilTheTtl) {
  LoginCache cache(60s);
  const auto t0 = LoginCache::Clock::now();
  EXPECT_FALSE(cache.contains("$y$hash1", "secret", t0));
  cache.remember("$y$hash1", "secret", t0);
  EXPECT_TRUE(cache.contains("$y$hash1", "secret", t0 + 59s));
  EXPECT_FALSE(cache.contains("$y$hash1", "Secret", t0));        // another password
  EXPECT_FALSE(cache.contains("$y$hash2", "secret", t0));        // the password was changed
  EXPECT_FALSE(cache.contains("", "secret", t0));                // no such account
  EXPECT_FALSE(cache.contains("$y$hash1", "secret", t0 + 60s));  // expired (and dropped)
  EXPECT_EQ(cache.size(), 0u);
  // The stored hash and the password are kept apart: "a" + "bc" is not "ab" + "c".
  cache.remember("a", "bc", t0);
  EXPECT_FALSE(cache.contains("ab", "c", t0));
}

TEST(LoginCache, OffWithZeroTtl) {
  LoginCache cache(0s);
  const auto t0 = LoginCache::Clock::now();
  cache.remember("$y$hash1", "secret", t0);
  EXPECT_FALSE(cache.contains("$y$hash1", "secret", t0));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(LoginCache, BoundedWhenFull) {
  LoginCache cache(3600s, 100);
  const auto t0 = LoginCache::Clock::now();
  for (int i = 0; i < 1000; ++i)
    cache.remember("$y$h" + std::to_string(i), "pw", t0 + std::chrono::seconds(i));
  EXPECT_LE(cache.size(), 100u);
  // The newest are the ones kept.
  EXPECT_TRUE(cache.contains("$y$h999", "pw", t0 + 1000s));
  EXPECT_FALSE(cache.contains("$y$h0", "pw", t0 + 1000s));
}

}  // namespace
}  // namespace estafeta::auth
