// net_stress_test: stress mode begins above the threshold and ends below it, each once; the
// session closed to make room is the longest-idle evictable one.
#include "net/proto/net_stress.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace estafeta::net {
namespace {

using namespace std::chrono_literals;
using TP = std::chrono::steady_clock::time_point;
using Change = StressGauge::Change;

TEST(StressGauge, EntersAboveThresholdAndLeavesOnce) {
  StressGauge g(60, 80);  // 80 % of 60 = 48
  EXPECT_EQ(g.update(48), Change::none);
  EXPECT_FALSE(g.stressed());
  EXPECT_EQ(g.update(49), Change::entered);
  EXPECT_EQ(g.update(60), Change::none);
  EXPECT_TRUE(g.stressed());
  EXPECT_EQ(g.update(49), Change::none);
  EXPECT_EQ(g.update(48), Change::left);
  EXPECT_EQ(g.update(1), Change::none);
}

TEST(StressGauge, HundredPercentOnlyPastTheLimit) {
  StressGauge g(10, 100);
  EXPECT_EQ(g.update(10), Change::none);
  EXPECT_EQ(g.update(11), Change::entered);
}

TEST(ChooseEviction, LongestIdleEvictableSession) {
  std::vector<EvictionCandidate> c = {
      {1, false, false, TP{} + 1s},  // authenticated or in a transaction: never
      {2, true, false, TP{} + 5s},  {3, true, false, TP{} + 2s},  // idle the longest
      {4, true, true, TP{} + 0s},                                 // already being closed
      {5, true, false, TP{} + 9s},
  };
  EXPECT_EQ(choose_eviction(c), 3u);
  c[2].evicting = true;
  EXPECT_EQ(choose_eviction(c), 2u);
}

TEST(ChooseEviction, TiesGoToTheOldestSessionAndNoneQualifies) {
  std::vector<EvictionCandidate> c = {{7, true, false, TP{}}, {6, true, false, TP{}}};
  EXPECT_EQ(choose_eviction(c), 6u);
  std::vector<EvictionCandidate> busy = {{1, false, false, TP{}}, {2, true, true, TP{}}};
  EXPECT_EQ(choose_eviction(busy), std::nullopt);
  EXPECT_EQ(choose_eviction({}), std::nullopt);
}

}  // namespace
}  // namespace estafeta::net
