// dns_static_route_test: route targets in every spelling (host, host:port, [host]:port, IPv4
// and IPv6 literals), bad targets and patterns refused with a reason, lookup order (exact,
// longest .parent, *), the table bound, envelope address literals.
#include "dns/proto/dns_static_route.hpp"

#include <gtest/gtest.h>

namespace estafeta::dns {
namespace {

RouteTarget target(std::string_view text) {
  std::string error;
  auto t = parse_route_target(text, error);
  EXPECT_TRUE(t) << text << ": " << error;
  return t.value_or(RouteTarget{});
}

std::string target_error(std::string_view text) {
  std::string error;
  auto t = parse_route_target(text, error);
  EXPECT_FALSE(t) << text;
  return error;
}

TEST(DnsStaticRoute, Targets) {
  auto t = target("Relay.Example.NET");
  EXPECT_EQ(t.host, "relay.example.net");
  EXPECT_EQ(t.port, 25);
  EXPECT_TRUE(t.mx_lookup);
  EXPECT_FALSE(t.literal);
  EXPECT_EQ(t.to_string(), "relay.example.net");

  t = target("relay.example.net:2525");
  EXPECT_EQ(t.port, 2525);
  EXPECT_TRUE(t.mx_lookup);

  t = target("[smtp.provider.example]:587");
  EXPECT_EQ(t.host, "smtp.provider.example");
  EXPECT_EQ(t.port, 587);
  EXPECT_FALSE(t.mx_lookup);
  EXPECT_EQ(t.to_string(), "[smtp.provider.example]:587");

  t = target("[192.0.2.7]");
  ASSERT_TRUE(t.literal);
  EXPECT_EQ(t.host, "192.0.2.7");
  EXPECT_EQ(t.port, 25);
  EXPECT_FALSE(t.mx_lookup);

  t = target("[IPv6:2001:db8::25]:2525");
  ASSERT_TRUE(t.literal);
  EXPECT_TRUE(t.literal->is_v6());
  EXPECT_EQ(t.host, "2001:db8::25");
  EXPECT_EQ(t.port, 2525);
  EXPECT_EQ(t.to_string(), "[IPv6:2001:db8::25]:2525");

  t = target("[::1]:25");
  ASSERT_TRUE(t.literal);
  EXPECT_EQ(t.host, "::1");
}

TEST(DnsStaticRoute, BadTargets) {
  EXPECT_NE(target_error("").find("bad host name"), std::string::npos);
  EXPECT_NE(target_error("[relay.example").find("unterminated"), std::string::npos);
  EXPECT_NE(target_error("[relay.example]x").find("after ']'"), std::string::npos);
  EXPECT_NE(target_error("relay.example:0").find("bad port"), std::string::npos);
  EXPECT_NE(target_error("relay.example:65536").find("bad port"), std::string::npos);
  EXPECT_NE(target_error("relay.example:25x").find("bad port"), std::string::npos);
  EXPECT_NE(target_error("relay.example:").find("empty port"), std::string::npos);
  EXPECT_NE(target_error("[relay.example]:").find("empty port"), std::string::npos);
  EXPECT_NE(target_error("192.0.2.1").find("must be bracketed"), std::string::npos);
  EXPECT_NE(target_error("relay example").find("bad host name"), std::string::npos);
  EXPECT_NE(target_error("[IPv6:nonsense]").find("bad host name"), std::string::npos);
}

TEST(DnsStaticRoute, LookupOrder) {
  RouteTable table;
  std::string error;
  ASSERT_TRUE(table.add("example.com", "[exact.example]", error)) << error;
  ASSERT_TRUE(table.add(".example.com", "[sub.example]", error)) << error;
  ASSERT_TRUE(table.add(".deep.example.com", "[deep.example]", error)) << error;
  EXPECT_EQ(table.find("example.org"), nullptr);
  ASSERT_TRUE(table.add("*", "[smarthost.example]:587", error)) << error;
  EXPECT_EQ(table.size(), 4u);

  EXPECT_EQ(table.find("Example.COM.")->host, "exact.example");
  EXPECT_EQ(table.find("a.example.com")->host, "sub.example");
  EXPECT_EQ(table.find("x.a.example.com")->host, "sub.example");
  EXPECT_EQ(table.find("x.deep.example.com")->host, "deep.example");
  EXPECT_EQ(table.find("deep.example.com")->host, "sub.example");
  EXPECT_EQ(table.find("example.org")->host, "smarthost.example");
  EXPECT_EQ(table.find("example.org")->port, 587);
  EXPECT_EQ(table.find("notexample.com")->host, "smarthost.example");
}

TEST(DnsStaticRoute, BadPatterns) {
  RouteTable table;
  std::string error;
  EXPECT_FALSE(table.add("", "relay.example", error));
  EXPECT_NE(error.find("bad route pattern"), std::string::npos);
  EXPECT_FALSE(table.add("*.example.com", "relay.example", error));
  EXPECT_FALSE(table.add("example.com", "relay.example:99999", error));
  EXPECT_NE(error.find("bad port"), std::string::npos);
  ASSERT_TRUE(table.add("example.com", "relay.example", error));
  EXPECT_FALSE(table.add("EXAMPLE.com", "relay2.example", error));
  EXPECT_NE(error.find("duplicate"), std::string::npos);
  ASSERT_TRUE(table.add("*", "relay.example", error));
  EXPECT_FALSE(table.add("*", "relay.example", error));
  EXPECT_EQ(table.size(), 2u);
}

TEST(DnsStaticRoute, TableBound) {
  RouteTable table;
  std::string error;
  for (std::size_t i = 0; i < kMaxStaticRoutes; ++i)
    ASSERT_TRUE(table.add("d" + std::to_string(i) + ".example", "relay.example", error));
  EXPECT_FALSE(table.add("one-more.example", "relay.example", error));
  EXPECT_NE(error.find("too many routes"), std::string::npos);
}

TEST(DnsStaticRoute, AddressLiterals) {
  EXPECT_EQ(parse_address_literal("[192.0.2.1]")->to_string(), "192.0.2.1");
  EXPECT_EQ(parse_address_literal("[IPv6:2001:db8::1]")->to_string(), "2001:db8::1");
  EXPECT_EQ(parse_address_literal("[ipv6:::1]")->to_string(), "::1");
  EXPECT_FALSE(parse_address_literal("[2001:db8::1]"));  // RFC 5321 §4.1.3 wants the tag
  EXPECT_FALSE(parse_address_literal("[IPv6:192.0.2.1]"));
  EXPECT_FALSE(parse_address_literal("example.com"));
  EXPECT_FALSE(parse_address_literal("[]"));
  EXPECT_FALSE(parse_address_literal("[300.1.1.1]"));
}

}  // namespace
}  // namespace estafeta::dns
