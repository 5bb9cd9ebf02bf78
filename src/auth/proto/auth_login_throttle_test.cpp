// Tests of the login throttle with a fake clock: growing delays, refusal per network and per
// account, IPv6 /64 grouping, reset on success, expiry, the memory bound and the log lines.
#include "auth/proto/auth_login_throttle.hpp"

#include <gtest/gtest.h>

namespace estafeta::auth {
namespace {

using namespace std::chrono_literals;
using Status = ThrottleDecision::Status;

struct FakeClock {
  LoginThrottle::TimePoint now{std::chrono::hours(1000)};
  void advance(LoginThrottle::Clock::duration d) { now += d; }
};

ThrottleLimits small() {
  ThrottleLimits l;
  l.max_failures = 4;
  l.window = 60s;
  l.first_delay = 100ms;
  l.max_delay = 1000ms;
  l.max_entries = 8;
  return l;
}

TEST(LoginThrottle, DelaysGrowThenAddressIsRefused) {
  FakeClock clock;
  LoginThrottle t(small());
  EXPECT_TRUE(t.check("192.0.2.1", "alice", clock.now).allowed());
  EXPECT_EQ(t.failed("192.0.2.1", "a1", clock.now), 100ms);
  EXPECT_EQ(t.failed("192.0.2.1", "a2", clock.now), 200ms);
  EXPECT_EQ(t.failed("192.0.2.1", "a3", clock.now), 400ms);
  EXPECT_TRUE(t.check("192.0.2.1", "a4", clock.now).allowed());
  EXPECT_EQ(t.failed("192.0.2.1", "a4", clock.now), 800ms);
  ThrottleDecision d = t.check("192.0.2.1", "someone", clock.now);
  EXPECT_EQ(d.status, Status::address_refused);
  EXPECT_EQ(d.retry_after, 60s);
  // Other addresses are not affected.
  EXPECT_TRUE(t.check("192.0.2.2", "someone", clock.now).allowed());
  clock.advance(59s);
  EXPECT_EQ(t.check("192.0.2.1", "x", clock.now).retry_after, 1s);
  clock.advance(1s);
  EXPECT_TRUE(t.check("192.0.2.1", "x", clock.now).allowed());
  // Counting starts afresh after the refusal.
  EXPECT_EQ(t.failed("192.0.2.1", "a5", clock.now), 100ms);
}

TEST(LoginThrottle, DelayIsCapped) {
  FakeClock clock;
  ThrottleLimits l = small();
  l.max_failures = 100;
  LoginThrottle t(l);
  std::chrono::milliseconds last{};
  for (int i = 0; i < 50; ++i) last = t.failed("192.0.2.1", "", clock.now);
  EXPECT_EQ(last, 1000ms);
}

TEST(LoginThrottle, AccountIsRefusedFromEveryAddress) {
  FakeClock clock;
  LoginThrottle t(small());
  const char* ips[] = {"192.0.2.1", "198.51.100.7", "203.0.113.9", "2001:db8::1"};
  for (const char* ip : ips) t.failed(ip, "Alice@Example.org", clock.now);
  ThrottleDecision d = t.check("203.0.113.200", "alice@example.ORG", clock.now);
  EXPECT_EQ(d.status, Status::account_refused);
  EXPECT_TRUE(t.check("203.0.113.200", "bob@example.org", clock.now).allowed());
}

TEST(LoginThrottle, SuccessResetsTheAccountNotTheAddress) {
  FakeClock clock;
  LoginThrottle t(small());
  for (int i = 0; i < 3; ++i) t.failed("192.0.2.1", "alice", clock.now);
  t.succeeded("ALICE");
  EXPECT_EQ(t.account_entries(), 0u);
  // The address has 3 failures: its next one is the 4th and refuses it.
  EXPECT_EQ(t.failed("192.0.2.9", "alice", clock.now), 100ms);
  EXPECT_EQ(t.failed("192.0.2.1", "carol", clock.now), 800ms);
  EXPECT_EQ(t.check("192.0.2.1", "alice", clock.now).status, Status::address_refused);
}

TEST(LoginThrottle, FailuresOutsideTheWindowAreForgotten) {
  FakeClock clock;
  LoginThrottle t(small());
  for (int i = 0; i < 3; ++i) t.failed("192.0.2.1", "alice", clock.now);
  clock.advance(61s);
  EXPECT_EQ(t.failed("192.0.2.1", "alice", clock.now), 100ms);
  EXPECT_TRUE(t.check("192.0.2.1", "alice", clock.now).allowed());
}

TEST(LoginThrottle, Ipv6CountsPerSlash64AndMappedAsIpv4) {
  EXPECT_EQ(LoginThrottle::address_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(LoginThrottle::address_key("2001:db8:1:2:ffff:1:2:3"), "2001:db8:1:2::/64");
  EXPECT_EQ(LoginThrottle::address_key("::1"), "0:0:0:0::/64");
  EXPECT_EQ(LoginThrottle::address_key("::ffff:192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(LoginThrottle::address_key("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(LoginThrottle::address_key("not an address"), "not an address");
  FakeClock clock;
  LoginThrottle t(small());
  for (int i = 0; i < 4; ++i)
    t.failed("2001:db8:1:2::" + std::to_string(i + 1), "u" + std::to_string(i), clock.now);
  EXPECT_EQ(t.check("2001:db8:1:2:dead::beef", "v", clock.now).status, Status::address_refused);
  EXPECT_TRUE(t.check("2001:db8:1:3::1", "v", clock.now).allowed());
}

TEST(LoginThrottle, MemoryIsBoundedOldestEvicted) {
  FakeClock clock;
  LoginThrottle t(small());  // 8 entries per table
  for (int i = 0; i < 1000; ++i) {
    t.failed("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256),
             "user" + std::to_string(i), clock.now);
    clock.advance(1ms);
    ASSERT_LE(t.address_entries(), 8u);
    ASSERT_LE(t.account_entries(), 8u);
  }
  // A long account name is capped in its key.
  EXPECT_EQ(LoginThrottle::account_key(std::string(10000, 'A')).size(), kMaxThrottleKey);
}

TEST(LoginThrottle, ExpiredEntriesAreDropped) {
  FakeClock clock;
  LoginThrottle t(small());
  for (int i = 0; i < 3; ++i) t.failed("10.0.0." + std::to_string(i), "", clock.now);
  clock.advance(120s);
  t.failed("10.0.1.1", "", clock.now);
  EXPECT_EQ(t.address_entries(), 1u);
}

TEST(LoginThrottle, OffWhenMaxFailuresIsZero) {
  FakeClock clock;
  ThrottleLimits l = small();
  l.max_failures = 0;
  LoginThrottle t(l);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(t.failed("192.0.2.1", "a", clock.now), 0ms);
  EXPECT_TRUE(t.check("192.0.2.1", "a", clock.now).allowed());
}

TEST(LoginThrottleLog, LinesAreFixedAndEscaped) {
  EXPECT_EQ(auth_failed_line("alice@x", "192.0.2.1", "smtp"),
            "auth failed: user=\"alice@x\" address=192.0.2.1 protocol=smtp");
  EXPECT_EQ(auth_failed_line("evil\r\n2026-01-01 fake \"line\"\\", "::1", "smtp"),
            "auth failed: user=\"evil\\x0d\\x0a2026-01-01 fake \\\"line\\\"\\\\\" address=::1 "
            "protocol=smtp");
  ThrottleDecision d{Status::account_refused, std::chrono::seconds(42)};
  EXPECT_EQ(auth_throttled_line("bob", "192.0.2.1", "imap", d),
            "auth throttled: user=\"bob\" address=192.0.2.1 protocol=imap reason=account "
            "retry_after=42s");
  std::string q = quote_log_value(std::string(1000, 'a') + "\x7f");
  EXPECT_EQ(q.size(), 256u + 5u);
  EXPECT_EQ(quote_log_value("\xc3\xa9\x01\x7f"), "\"\\xc3\\xa9\\x01\\x7f\"");
}

TEST(SharedLoginThrottle, CountsLikeTheCore) {
  ThrottleLimits l = small();
  l.max_failures = 2;
  SharedLoginThrottle t(l);
  EXPECT_TRUE(t.check("192.0.2.1", "a", "smtp").allowed());
  EXPECT_EQ(t.failed("192.0.2.1", "a", "smtp"), 100ms);
  EXPECT_EQ(t.failed("192.0.2.1", "b", "smtp"), 200ms);
  EXPECT_EQ(t.check("192.0.2.1", "c", "smtp").status, Status::address_refused);
}

}  // namespace
}  // namespace estafeta::auth
