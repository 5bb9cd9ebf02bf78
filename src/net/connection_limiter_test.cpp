// connection_limiter_test: smtp.max_connections and smtp.max_connections_per_ip each
// refuse the connection past the limit, and released tickets free their slot.
#include "net/connection_limiter.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace estafeta::net {
namespace {

using Admission = ConnectionLimiter::Admission;

TEST(ConnectionLimiter, PerAddressLimit) {
  ConnectionLimiter limiter(100, 2);
  ConnectionLimiter::Ticket a, b, c, d;
  EXPECT_EQ(limiter.try_admit("192.0.2.1", a), Admission::admitted);
  EXPECT_EQ(limiter.try_admit("192.0.2.1", b), Admission::admitted);
  EXPECT_EQ(limiter.try_admit("192.0.2.1", c), Admission::too_many_from_address);
  EXPECT_FALSE(c.valid());
  EXPECT_EQ(limiter.try_admit("192.0.2.2", d), Admission::admitted);
  EXPECT_EQ(limiter.from_address("192.0.2.1"), 2u);
  a = ConnectionLimiter::Ticket();  // releases
  EXPECT_EQ(limiter.from_address("192.0.2.1"), 1u);
  EXPECT_EQ(limiter.try_admit("192.0.2.1", c), Admission::admitted);
}

TEST(ConnectionLimiter, TotalLimit) {
  ConnectionLimiter limiter(3, 10);
  std::vector<ConnectionLimiter::Ticket> tickets(4);
  EXPECT_EQ(limiter.try_admit("2001:db8::1", tickets[0]), Admission::admitted);
  EXPECT_EQ(limiter.try_admit("2001:db8::2", tickets[1]), Admission::admitted);
  EXPECT_EQ(limiter.try_admit("2001:db8::3", tickets[2]), Admission::admitted);
  EXPECT_EQ(limiter.try_admit("2001:db8::4", tickets[3]), Admission::too_many_total);
  EXPECT_EQ(limiter.total(), 3u);
  tickets.clear();
  EXPECT_EQ(limiter.total(), 0u);
  EXPECT_EQ(limiter.from_address("2001:db8::1"), 0u);
}

TEST(ConnectionLimiter, MovedTicketReleasesOnce) {
  ConnectionLimiter limiter(10, 10);
  ConnectionLimiter::Ticket a;
  ASSERT_EQ(limiter.try_admit("198.51.100.7", a), Admission::admitted);
  {
    ConnectionLimiter::Ticket b(std::move(a));
    EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): checking the moved-from state
    EXPECT_EQ(limiter.total(), 1u);
  }
  EXPECT_EQ(limiter.total(), 0u);
}

}  // namespace
}  // namespace estafeta::net
