// connection_limiter_test: smtp.max_connections and smtp.max_connections_per_ip each
// refuse the connection past the limit, and released tickets free their slot; IPv6 clients
// are counted per smtp.ipv6_prefix (/64), so the addresses of one /64 share one count.
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

TEST(ConnectionLimiter, ClientKeyIsTheAddressOrTheIpv6Prefix) {
  auto key = [](const char* a, unsigned prefix = 64) {
    return client_key(asio::ip::make_address(a), prefix);
  };
  EXPECT_EQ(key("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(key("::ffff:192.0.2.7"), "192.0.2.7");  // from a dual-stack socket
  EXPECT_EQ(key("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(key("2001:db8:1:2::1"), "2001:db8:1:2::/64");
  EXPECT_NE(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
  EXPECT_EQ(key("2001:db8:1:2:ff00::1", 56), "2001:db8:1::/56");
  EXPECT_EQ(key("2001:db8:1:2::ff", 127), "2001:db8:1:2::fe/127");
  EXPECT_EQ(key("2001:db8::1", 128), "2001:db8::1");
  EXPECT_EQ(key("::1"), "::/64");
}

TEST(ConnectionLimiter, OneIpv6Slash64SharesThePerAddressCount) {
  ConnectionLimiter limiter(100, 2);
  ConnectionLimiter::Ticket a, b, c, d;
  auto key = [](const char* a) { return client_key(asio::ip::make_address(a), 64); };
  EXPECT_EQ(limiter.try_admit(key("2001:db8::1"), a), Admission::admitted);
  EXPECT_EQ(limiter.try_admit(key("2001:db8::2:3"), b), Admission::admitted);
  EXPECT_EQ(limiter.try_admit(key("2001:db8::ffff:1:2:3"), c), Admission::too_many_from_address);
  EXPECT_EQ(limiter.try_admit(key("2001:db8:0:1::1"), d), Admission::admitted);  // next /64
  EXPECT_EQ(limiter.from_address(key("2001:db8::9")), 2u);
}

TEST(ConnectionLimiter, AdmitOverTotalKeepsThePerAddressLimit) {
  ConnectionLimiter limiter(1, 1);
  ConnectionLimiter::Ticket a, b, c;
  EXPECT_EQ(limiter.try_admit("192.0.2.1", a), Admission::admitted);
  EXPECT_EQ(limiter.try_admit("192.0.2.2", b), Admission::too_many_total);
  EXPECT_EQ(limiter.admit_over_total("192.0.2.2", b), Admission::admitted);
  EXPECT_EQ(limiter.total(), 2u);
  EXPECT_EQ(limiter.admit_over_total("192.0.2.1", c), Admission::too_many_from_address);
}

}  // namespace
}  // namespace estafeta::net
