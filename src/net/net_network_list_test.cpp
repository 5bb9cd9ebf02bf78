// net_network_list_test: parsing of smtp.relay_networks-style lists and address matching.
#include "net/net_network_list.hpp"

#include <gtest/gtest.h>

namespace estafeta::net {
namespace {

NetworkList parse_ok(std::string_view text) {
  std::string error;
  auto list = NetworkList::parse(text, error);
  EXPECT_TRUE(list) << error;
  return list ? *list : NetworkList{};
}

TEST(NetworkList, EmptyTextIsEmptyListMatchingNothing) {
  NetworkList list = parse_ok("");
  EXPECT_TRUE(list.empty());
  EXPECT_FALSE(list.contains("127.0.0.1"));
}

TEST(NetworkList, MatchesInsideIPv4Network) {
  NetworkList list = parse_ok("127.0.0.0/8, 192.168.1.0/24");
  EXPECT_TRUE(list.contains("127.0.0.1"));
  EXPECT_TRUE(list.contains("127.255.0.9"));
  EXPECT_TRUE(list.contains("192.168.1.200"));
  EXPECT_FALSE(list.contains("192.168.2.1"));
  EXPECT_FALSE(list.contains("10.0.0.1"));
}

TEST(NetworkList, BareAddressIsOneHost) {
  NetworkList list = parse_ok("192.0.2.7 ::1");
  EXPECT_TRUE(list.contains("192.0.2.7"));
  EXPECT_FALSE(list.contains("192.0.2.8"));
  EXPECT_TRUE(list.contains("::1"));
  EXPECT_FALSE(list.contains("::2"));
}

TEST(NetworkList, MatchesIPv6Prefix) {
  NetworkList list = parse_ok("2001:db8:1::/48");
  EXPECT_TRUE(list.contains("2001:db8:1:2::5"));
  EXPECT_FALSE(list.contains("2001:db8:2::1"));
  EXPECT_FALSE(list.contains("192.0.2.1"));
}

TEST(NetworkList, IPv4MappedAddressIsMatchedAsIPv4) {
  NetworkList list = parse_ok("127.0.0.0/8");
  EXPECT_TRUE(list.contains("::ffff:127.0.0.1"));
  EXPECT_FALSE(list.contains("::ffff:10.0.0.1"));
}

TEST(NetworkList, WholeAddressSpace) {
  NetworkList list = parse_ok("0.0.0.0/0");
  EXPECT_TRUE(list.contains("203.0.113.9"));
  EXPECT_FALSE(list.contains("2001:db8::1"));
}

TEST(NetworkList, ErrorNamesTheBadEntry) {
  std::string error;
  EXPECT_FALSE(NetworkList::parse("127.0.0.0/8, example.org", error));
  EXPECT_NE(error.find("'example.org'"), std::string::npos) << error;
  EXPECT_FALSE(NetworkList::parse("10.0.0.0/33", error));
  EXPECT_NE(error.find("'10.0.0.0/33'"), std::string::npos) << error;
  EXPECT_FALSE(NetworkList::parse("::1/129", error));
  EXPECT_NE(error.find("'::1/129'"), std::string::npos) << error;
}

TEST(NetworkList, HostBitsAreRefusedWithTheNetworkToWrite) {
  std::string error;
  EXPECT_FALSE(NetworkList::parse("192.168.1.5/24", error));
  EXPECT_NE(error.find("192.168.1.0/24"), std::string::npos) << error;
}

TEST(NetworkList, UnparsableAddressIsNotContained) {
  NetworkList list = parse_ok("0.0.0.0/0");
  EXPECT_FALSE(list.contains("not an address"));
}

TEST(NetworkList, CanonicalText) {
  EXPECT_EQ(parse_ok("127.0.0.0/8,::1").to_string(), "127.0.0.0/8, ::1/128");
}

}  // namespace
}  // namespace estafeta::net
