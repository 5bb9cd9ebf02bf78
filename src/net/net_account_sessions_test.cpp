// net_account_sessions_test: the per-account session count: up to the limit and not past it,
// a refusal counts nothing, leave() frees a place, an account never entered is ignored, a
// limit of one (POP3's maildrop lock), and concurrent enter/leave from several threads.
#include "net/net_account_sessions.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace estafeta::net {
namespace {

TEST(AccountSessions, CountsUpToTheLimit) {
  AccountSessions s;
  EXPECT_TRUE(s.enter("alice", 2));
  EXPECT_TRUE(s.enter("alice", 2));
  EXPECT_FALSE(s.enter("alice", 2));
  EXPECT_TRUE(s.enter("bob", 2));  // per account
  s.leave("alice");
  EXPECT_TRUE(s.enter("alice", 2));
  EXPECT_FALSE(s.enter("alice", 2));
}

TEST(AccountSessions, LimitOfOneIsALock) {
  AccountSessions s;
  EXPECT_TRUE(s.enter("alice", 1));
  EXPECT_FALSE(s.enter("alice", 1));
  EXPECT_FALSE(s.enter("alice", 1));  // a refusal counted nothing
  s.leave("alice");
  EXPECT_TRUE(s.enter("alice", 1));
}

TEST(AccountSessions, LeaveWithoutEnterIsIgnored) {
  AccountSessions s;
  s.leave("nobody");
  EXPECT_TRUE(s.enter("nobody", 1));
  s.leave("nobody");
  s.leave("nobody");  // one leave too many: still nothing below zero
  EXPECT_TRUE(s.enter("nobody", 1));
  EXPECT_FALSE(s.enter("nobody", 1));
}

TEST(AccountSessions, ZeroLimitRefusesAll) {
  AccountSessions s;
  EXPECT_FALSE(s.enter("alice", 0));
  EXPECT_TRUE(s.enter("alice", 1));  // the refusal left no entry behind
}

TEST(AccountSessions, ConcurrentEnterNeverPassesTheLimit) {
  AccountSessions s;
  constexpr int kThreads = 8;
  constexpr int kRounds = 2000;
  constexpr std::size_t kLimit = 3;
  std::atomic<int> inside{0};
  std::atomic<bool> over{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kRounds; ++i) {
        if (!s.enter("shared", kLimit)) continue;
        if (inside.fetch_add(1) + 1 > static_cast<int>(kLimit)) over = true;
        inside.fetch_sub(1);
        s.leave("shared");
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_FALSE(over.load());
  for (std::size_t i = 0; i < kLimit; ++i) EXPECT_TRUE(s.enter("shared", kLimit));
  EXPECT_FALSE(s.enter("shared", kLimit));
}

}  // namespace
}  // namespace estafeta::net
