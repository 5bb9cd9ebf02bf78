// dns_static_route: the routing table from the configuration that overrides MX lookup, in the
// manner of Postfix's transport_maps and relayhost. An entry maps a destination pattern to a
// next hop:
//   pattern  "example.com"   that domain only
//            ".example.com"  every subdomain of example.com (not example.com itself)
//            "*"             every domain not matched otherwise: the smarthost
//   target   "host" or "host:port"        MX lookup on host, then its addresses (Postfix
//                                          "relayhost = host")
//            "[host]" or "[host]:port"    no MX lookup: the addresses of host itself
//            "[192.0.2.1]:587", "[2001:db8::1]:25", "[IPv6:2001:db8::1]"   that address
// The port defaults to 25. Lookup is case-insensitive: exact domain first, then the longest
// ".parent" pattern, then "*".
// Trust: patterns and targets come from the administrator's configuration (errors are
// reported with the offending text); destination domains come from envelopes (untrusted,
// only compared). Memory: at most kMaxStaticRoutes entries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "dns/proto/dns_rdata.hpp"

namespace estafeta::dns {

inline constexpr std::size_t kMaxStaticRoutes = 10000;

// Where a static route sends mail.
struct RouteTarget {
  std::string host;                  // normalized host name, or the literal's text
  std::uint16_t port = 25;           // RFC 5321 §4.5.4.2 / RFC 6409 §3.1 for 587
  bool mx_lookup = true;             // false for the bracketed forms
  std::optional<IpAddress> literal;  // set for an address literal (no DNS at all)
  // The target as the configuration would spell it ("[smtp.example.net]:587").
  std::string to_string() const;
  bool operator==(const RouteTarget&) const = default;
};

// Parses a target; nullopt with `error` set on a malformed one.
std::optional<RouteTarget> parse_route_target(std::string_view text, std::string& error);

// Parses an address literal domain of an envelope address (RFC 5321 §4.1.3:
// "[192.0.2.1]", "[IPv6:2001:db8::1]"); nullopt when `domain` is not one.
std::optional<IpAddress> parse_address_literal(std::string_view domain);

class RouteTable {
 public:
  // Adds pattern -> target; false with `error` set on a bad pattern or target, a duplicate
  // pattern or a full table.
  bool add(std::string_view pattern, std::string_view target, std::string& error);
  // The route for `domain`, or nullptr when mail for it goes by MX lookup.
  const RouteTarget* find(std::string_view domain) const;
  std::size_t size() const { return exact_.size() + suffix_.size() + (any_ ? 1 : 0); }
  bool empty() const { return size() == 0; }

 private:
  std::unordered_map<std::string, RouteTarget> exact_;   // "example.com"
  std::unordered_map<std::string, RouteTarget> suffix_;  // "example.com" for ".example.com"
  std::optional<RouteTarget> any_;                       // "*"
};

}  // namespace estafeta::dns
