// dns_route_plan: turns a destination domain and its DNS answers into the ordered list of
// (host, address, port) attempts the SMTP client works through, or a failure with the reply
// the sender's bounce or the queue's deferral will quote. Sans-I/O: the planner says which
// queries it needs (take_queries), the caller resolves them however it likes (dns_resolver,
// a test table) and hands each Answer back (answer); when done() the plan() is final.
//
// Rules, in order:
//  - a static route (RouteTable, Postfix transport/relayhost) replaces the domain's MX: a
//    literal target is used as is, "[host]" skips MX and resolves host, "host" does MX on
//    host; the route's port applies to every attempt;
//  - else an address-literal domain ("[192.0.2.1]", RFC 5321 §4.1.3) is that one address;
//  - MX RRset (RFC 5321 §5.1): sorted by preference, hosts of equal preference shuffled with
//    a seeded generator (tests fix the seed), duplicates kept once, at most max_mx_hosts;
//    a host that is one of our own names drops itself and every MX of equal or greater
//    preference ("loops back to myself" when none is left, 554 5.4.6); an exchange that is
//    an IP literal or not a host name is skipped with a note (RFC 5321 §5.1 wants names;
//    Postfix does the same);
//  - null MX (RFC 7505 §3, "0 ." as the only MX) is a permanent failure, 556 5.1.10
//    (reply code of RFC 7504, enhanced code of RFC 7505); a "." among real MX records is
//    ignored with a note;
//  - NODATA for MX: implicit MX, the domain itself at preference 0 (RFC 5321 §5.1);
//  - NXDOMAIN for the domain (or a route's host): permanent, 550 5.1.2;
//  - SERVFAIL, timeout, DNSSEC bogus: temporary, 451 4.4.3, retried by the queue;
//  - each host's AAAA and A (as `families` asks) give its addresses; per host IPv6 and IPv4
//    alternate (RFC 8305 §4, preferred family first), so a destination that refuses one
//    family is retried over the other; unspecified addresses are dropped; at most
//    max_addresses attempts in all;
//  - no address at all: temporary (451 4.4.3) if any address lookup failed temporarily,
//    otherwise permanent (550 5.4.4, unable to route).
// Trust: answers come from the network (only counted, compared and copied, never trusted
// for sizes); options and routes from the configuration. Memory: at most max_mx_hosts hosts,
// each with at most kMaxRecords addresses per family, and max_addresses attempts; at most
// 1 + 2 * max_mx_hosts queries per plan.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "dns/proto/dns_rdata.hpp"
#include "dns/proto/dns_static_route.hpp"

namespace estafeta::dns {

// Which address families are tried, and which first.
enum class AddressFamilies : std::uint8_t {
  ipv4_only,
  ipv6_only,
  both_ipv6_first,
  both_ipv4_first
};
// "ipv4-only", "ipv6-only", "both" (= both_ipv6_first), "both-ipv4-first"; nullopt otherwise.
std::optional<AddressFamilies> parse_address_families(std::string_view text);

struct RouteOptions {
  AddressFamilies families = AddressFamilies::both_ipv6_first;
  std::size_t max_mx_hosts = 10;  // MX hosts whose addresses are looked up
  std::size_t max_addresses = 5;  // attempts in all (Postfix smtp_mx_address_limit)
  // Our own host names (myhostname, listener names): an MX naming one of them is a loop.
  std::vector<std::string> local_names;
  // Seed of the shuffle among equal preferences; the caller passes a random value per plan
  // (RFC 5321 §5.1 "SHOULD ... randomize"), tests a fixed one.
  std::uint64_t seed = 0;
  std::uint16_t port = 25;  // port of MX delivery (static routes carry their own)
};

// One connection attempt.
struct RouteAttempt {
  std::string host;  // the MX exchange (or route host) as looked up; the literal's text for one
  IpAddress address;
  std::uint16_t port = 25;
  std::uint16_t preference = 0;  // MX preference (0 for implicit MX, routes and literals)
  bool mx_secure = false;        // the MX answer (or route) was DNSSEC-secure (RFC 7672 §2.2.1)
  bool address_secure = false;   // this address's A/AAAA answer was DNSSEC-secure
  bool operator==(const RouteAttempt&) const = default;
};

enum class RouteOutcome : std::uint8_t { pending, deliver, temporary_failure, permanent_failure };

struct RoutePlan {
  RouteOutcome outcome = RouteOutcome::pending;
  std::vector<RouteAttempt> attempts;  // non-empty exactly when outcome == deliver
  PeerError error;        // the reply for a failure, e.g. {556, "5.1.10", "..."}; empty on deliver
  std::string domain;     // the destination as asked (normalized)
  std::string mx_domain;  // the name whose MX was looked up (the domain or the route's host)
  std::string canonical_name;      // mx_domain after CNAMEs (RFC 5321 §5.1), when it differs
  bool implicit_mx = false;        // no MX: the domain's own addresses (RFC 5321 §5.1)
  bool static_route = false;       // a RouteTable entry applied
  bool mx_secure = false;          // the MX RRset (or its denial) was DNSSEC-secure
  std::vector<std::string> notes;  // things worth a log line (skipped MX, failed host lookups)
};

// A DNS question the planner needs answered.
struct Query {
  std::string name;
  RecordType type = RecordType::mx;
  bool operator==(const Query&) const = default;
};

class RoutePlanner {
 public:
  // `domain` is the recipient domain (untrusted text; an address literal is accepted).
  // `route` is the RouteTable match for it, if any (copied).
  RoutePlanner(std::string_view domain, RouteOptions options, const RouteTarget* route = nullptr);

  // The queries to send now (all may be sent at once); each is returned once. Empty when
  // waiting for answers or done.
  std::vector<Query> take_queries();
  // The answer to a query returned by take_queries (others are ignored).
  void answer(const Query& query, const Answer& answer);

  bool done() const { return plan_.outcome != RouteOutcome::pending; }
  const RoutePlan& plan() const { return plan_; }
  RoutePlan take_plan() { return std::move(plan_); }

 private:
  struct Host {
    std::string name;
    std::uint16_t preference = 0;
    bool a_wanted = false, aaaa_wanted = false;
    bool a_done = false, aaaa_done = false;
    std::vector<IpAddress> v4, v6;
    bool v4_secure = false, v6_secure = false;
    bool temporary = false;  // an address lookup failed temporarily
    std::string failure;     // the first failure, for the notes
  };

  void on_mx(const Answer& answer);
  void on_address(Host& host, RecordType type, const Answer& answer);
  void want_addresses();
  void finish_addresses();
  void fail(bool permanent, int code, std::string_view enhanced, std::string text);
  bool is_local(std::string_view host) const;
  std::uint64_t next_random();

  RouteOptions options_;
  std::uint16_t port_ = 25;
  std::uint64_t rng_ = 0;
  std::vector<Query> queued_;  // to hand out by take_queries
  std::vector<Query> asked_;   // handed out, not answered yet
  std::vector<Host> hosts_;
  RoutePlan plan_;
};

// Convenience for tests and simple callers: drives a planner with a lookup function
// `Answer lookup(const Query&)` until done.
template <class Lookup>
RoutePlan plan_route(std::string_view domain, const RouteOptions& options, const RouteTarget* route,
                     Lookup&& lookup) {
  RoutePlanner p(domain, options, route);
  while (!p.done()) {
    auto queries = p.take_queries();
    if (queries.empty()) break;  // cannot happen: a pending planner always has a query out
    for (auto& q : queries) p.answer(q, lookup(q));
  }
  return p.take_plan();
}

}  // namespace estafeta::dns
