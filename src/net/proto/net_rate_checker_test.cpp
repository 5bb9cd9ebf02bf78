// net_rate_checker_test: smtp.min_data_rate applies only after smtp.data_rate_grace, measures
// the whole transfer, and is off when the rate is 0 or outside the data phase.
#include "net/proto/net_rate_checker.hpp"

#include <gtest/gtest.h>

namespace estafeta::net {
namespace {

using namespace std::chrono_literals;
using Clock = RateChecker::Clock;

TEST(RateChecker, GraceThenRate) {
  RateChecker r(1000, 30s);
  Clock::time_point t0{};
  r.start(t0);
  EXPECT_FALSE(r.too_slow(t0 + 29s));  // nothing sent, but still in the grace period
  EXPECT_TRUE(r.too_slow(t0 + 31s));
  EXPECT_EQ(r.deadline(), t0 + 30s);
}

TEST(RateChecker, FastEnoughClientIsNotSlow) {
  RateChecker r(1000, 30s);
  Clock::time_point t0{};
  r.start(t0);
  r.add(50'000);  // 50 s worth at the minimum rate
  EXPECT_FALSE(r.too_slow(t0 + 49s));
  EXPECT_TRUE(r.too_slow(t0 + 51s));
  EXPECT_EQ(r.deadline(), t0 + 50s);
}

TEST(RateChecker, StopAndRestartForget) {
  RateChecker r(1000, 30s);
  Clock::time_point t0{};
  r.start(t0);
  r.stop();
  EXPECT_FALSE(r.too_slow(t0 + 1000s));
  EXPECT_EQ(r.deadline(), Clock::time_point::max());
  r.add(1);
  r.start(t0 + 1000s);
  EXPECT_FALSE(r.too_slow(t0 + 1029s));
  EXPECT_TRUE(r.too_slow(t0 + 1031s));
}

TEST(RateChecker, ZeroRateDisables) {
  RateChecker r(0, 30s);
  Clock::time_point t0{};
  r.start(t0);
  EXPECT_FALSE(r.too_slow(t0 + 100000s));
  EXPECT_EQ(r.deadline(), Clock::time_point::max());
}

}  // namespace
}  // namespace estafeta::net
