// net_network_list: a list of IP networks ("127.0.0.0/8, ::1/128, 192.168.1.0/24") and the
// question whether a client address lies in one of them. Used for smtp.relay_networks (the
// clients allowed to relay without AUTH, Postfix's mynetworks). An IPv4-mapped IPv6 address
// (a dual-stack listener's view of an IPv4 client) is matched as the IPv4 address it is; a bare
// address without "/bits" is a single host. Input: configuration text (trusted but checked:
// every entry must parse, and the error names the one that does not) and peer addresses.
#pragma once

#include <asio/ip/address.hpp>
#include <asio/ip/network_v4.hpp>
#include <asio/ip/network_v6.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace estafeta::net {

class NetworkList {
 public:
  // Comma- or space-separated networks; empty text is the empty list. nullopt with `error`
  // naming the first entry that is not an address or network.
  static std::optional<NetworkList> parse(std::string_view text, std::string& error);

  bool empty() const { return v4_.empty() && v6_.empty(); }
  bool contains(const asio::ip::address& address) const;
  // The text form of an address ("192.0.2.1", "::1"); false when it does not parse.
  bool contains(std::string_view address) const;
  // The list as configuration text, networks in canonical form.
  std::string to_string() const;

 private:
  std::vector<asio::ip::network_v4> v4_;
  std::vector<asio::ip::network_v6> v6_;
};

}  // namespace estafeta::net
