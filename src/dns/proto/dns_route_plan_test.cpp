// dns_route_plan_test: the route planner against a table of answers: MX preference order and
// the seeded shuffle among equals, implicit MX, null MX, NXDOMAIN vs SERVFAIL vs bogus, MX
// naming an IP or ourselves, IPv6/IPv4 interleaving and the family setting, the host and
// address caps, static routes and smarthosts (bracketed, literal, with MX lookup), address
// literal domains, partial failures, and the query protocol (each query once, batches).
#include "dns/proto/dns_route_plan.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace estafeta::dns {
namespace {

std::string mx_rdata(std::uint16_t pref, std::string_view host) {
  std::string out;
  out += static_cast<char>(pref >> 8);
  out += static_cast<char>(pref & 0xff);
  if (host.size() > 1 && host.back() == '.') host.remove_suffix(1);
  if (host != ".") {
    std::size_t start = 0;
    while (start <= host.size()) {
      auto dot = host.find('.', start);
      if (dot == std::string_view::npos) dot = host.size();
      out += static_cast<char>(dot - start);
      out += host.substr(start, dot - start);
      start = dot + 1;
    }
  }
  out += '\0';
  return out;
}

std::string addr_rdata(std::string_view text) {
  auto a = IpAddress::parse(text);
  EXPECT_TRUE(a) << text;
  return std::string(reinterpret_cast<const char*>(a->bytes.data()), a->is_v6() ? 16 : 4);
}

// A fake DNS: name/type -> answer; anything missing is NXDOMAIN.
struct FakeDns {
  std::map<std::pair<std::string, RecordType>, Answer> table;
  std::vector<Query> asked;

  void mx(std::string name, std::vector<std::pair<std::uint16_t, std::string>> records) {
    Answer a;
    a.status = AnswerStatus::data;
    for (auto& [p, h] : records) a.rdata.push_back(mx_rdata(p, h));
    table[{name, RecordType::mx}] = a;
    nodata_if_missing(name);
  }
  void status(std::string name, RecordType type, AnswerStatus s, std::string error = "") {
    Answer a;
    a.status = s;
    a.error = std::move(error);
    table[{name, type}] = a;
  }
  void host(std::string name, std::vector<std::string> addrs) {
    Answer v4, v6;
    v4.status = v6.status = AnswerStatus::nodata;
    for (auto& t : addrs) {
      auto& ans = IpAddress::parse(t)->is_v6() ? v6 : v4;
      ans.status = AnswerStatus::data;
      ans.rdata.push_back(addr_rdata(t));
    }
    table[{name, RecordType::a}] = v4;
    table[{name, RecordType::aaaa}] = v6;
    nodata_if_missing(name);
  }
  void nodata_if_missing(const std::string& name) {
    for (auto t : {RecordType::mx, RecordType::a, RecordType::aaaa}) {
      if (!table.count({name, t})) status(name, t, AnswerStatus::nodata);
    }
  }
  Answer operator()(const Query& q) {
    asked.push_back(q);
    auto it = table.find({q.name, q.type});
    if (it == table.end()) {
      Answer a;
      a.status = AnswerStatus::nxdomain;
      return a;
    }
    return it->second;
  }
};

std::vector<std::string> hosts_of(const RoutePlan& p) {
  std::vector<std::string> out;
  for (auto& a : p.attempts) out.push_back(a.host);
  return out;
}

std::vector<std::string> addrs_of(const RoutePlan& p) {
  std::vector<std::string> out;
  for (auto& a : p.attempts) out.push_back(a.address.to_string());
  return out;
}

RouteOptions opts(std::size_t max_addresses = 20) {
  RouteOptions o;
  o.max_addresses = max_addresses;
  o.seed = 1;
  return o;
}

TEST(DnsRoutePlan, MxPreferenceOrder) {
  FakeDns dns;
  dns.mx("example.com",
         {{20, "mx2.example.com"}, {10, "MX1.example.com."}, {30, "mx3.example.net"}});
  dns.host("mx1.example.com", {"192.0.2.1"});
  dns.host("mx2.example.com", {"192.0.2.2"});
  dns.host("mx3.example.net", {"192.0.2.3"});
  auto p = plan_route("Example.COM", opts(), nullptr, dns);
  ASSERT_EQ(p.outcome, RouteOutcome::deliver) << p.error.text;
  EXPECT_EQ(hosts_of(p),
            (std::vector<std::string>{"mx1.example.com", "mx2.example.com", "mx3.example.net"}));
  EXPECT_EQ(addrs_of(p), (std::vector<std::string>{"192.0.2.1", "192.0.2.2", "192.0.2.3"}));
  EXPECT_EQ(p.attempts[0].preference, 10);
  EXPECT_EQ(p.attempts[2].preference, 30);
  EXPECT_EQ(p.attempts[0].port, 25);
  EXPECT_FALSE(p.implicit_mx);
  EXPECT_EQ(p.mx_domain, "example.com");
  EXPECT_TRUE(p.error.text.empty());
}

TEST(DnsRoutePlan, EqualPreferencesShuffledBySeed) {
  FakeDns dns;
  std::vector<std::pair<std::uint16_t, std::string>> mxs;
  for (int i = 0; i < 6; ++i) {
    std::string h = "mx" + std::to_string(i) + ".example.com";
    mxs.push_back({10, h});
    dns.host(h, {"192.0.2." + std::to_string(i + 1)});
  }
  mxs.push_back({5, "first.example.com"});
  mxs.push_back({50, "last.example.com"});
  dns.host("first.example.com", {"198.51.100.1"});
  dns.host("last.example.com", {"198.51.100.2"});
  dns.mx("example.com", mxs);
  std::set<std::vector<std::string>> orders;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    auto o = opts();
    o.seed = seed;
    auto p = plan_route("example.com", o, nullptr, dns);
    ASSERT_EQ(p.attempts.size(), 8u);
    auto h = hosts_of(p);
    EXPECT_EQ(h.front(), "first.example.com");
    EXPECT_EQ(h.back(), "last.example.com");
    std::set<std::string> middle(h.begin() + 1, h.end() - 1);
    EXPECT_EQ(middle.size(), 6u);
    orders.insert(h);
    // Same seed, same order.
    EXPECT_EQ(hosts_of(plan_route("example.com", o, nullptr, dns)), h);
  }
  EXPECT_GT(orders.size(), 10u);  // the seed really shuffles
}

TEST(DnsRoutePlan, ImplicitMx) {
  FakeDns dns;
  dns.host("example.org", {"192.0.2.9", "2001:db8::9"});
  auto p = plan_route("example.org", opts(), nullptr, dns);
  ASSERT_EQ(p.outcome, RouteOutcome::deliver) << p.error.text;
  EXPECT_TRUE(p.implicit_mx);
  EXPECT_EQ(addrs_of(p), (std::vector<std::string>{"2001:db8::9", "192.0.2.9"}));
  EXPECT_EQ(hosts_of(p), (std::vector<std::string>{"example.org", "example.org"}));
  EXPECT_EQ(p.attempts[0].preference, 0);
}

TEST(DnsRoutePlan, ImplicitMxWithoutAddressIsPermanent) {
  FakeDns dns;
  dns.nodata_if_missing("example.org");
  auto p = plan_route("example.org", opts(), nullptr, dns);
  EXPECT_EQ(p.outcome, RouteOutcome::permanent_failure);
  EXPECT_EQ(p.error.code, 550);
  EXPECT_EQ(p.error.enhanced, "5.4.4");
  EXPECT_NE(p.error.text.find("example.org"), std::string::npos);
}

TEST(DnsRoutePlan, NullMx) {
  FakeDns dns;
  dns.mx("nomail.example", {{0, "."}});
  auto p = plan_route("nomail.example", opts(), nullptr, dns);
  EXPECT_EQ(p.outcome, RouteOutcome::permanent_failure);
  EXPECT_EQ(p.error.code, 556);
  EXPECT_EQ(p.error.enhanced, "5.1.10");
  EXPECT_NE(p.error.text.find("null MX"), std::string::npos);
  EXPECT_EQ(dns.asked.size(), 1u);  // no address lookups after a null MX
}

TEST(DnsRoutePlan, NullMxAmongOthersIgnored) {
  FakeDns dns;
  dns.mx("odd.example", {{0, "."}, {10, "mx.odd.example"}});
  dns.host("mx.odd.example", {"192.0.2.4"});
  auto p = plan_route("odd.example", opts(), nullptr, dns);
  ASSERT_EQ(p.outcome, RouteOutcome::deliver);
  EXPECT_EQ(hosts_of(p), std::vector<std::string>{"mx.odd.example"});
  ASSERT_FALSE(p.notes.empty());
}

TEST(DnsRoutePlan, NxdomainIsPermanentServfailTemporary) {
  FakeDns dns;
  auto p = plan_route("missing.example", opts(), nullptr, dns);
  EXPECT_EQ(p.outcome, RouteOutcome::permanent_failure);
  EXPECT_EQ(p.error.code, 550);
  EXPECT_EQ(p.error.enhanced, "5.1.2");
  EXPECT_NE(p.error.text.find("NXDOMAIN"), std::string::npos);

  dns.status("broken.example", RecordType::mx, AnswerStatus::temporary, "SERVFAIL");
  p = plan_route("broken.example", opts(), nullptr, dns);
  EXPECT_EQ(p.outcome, RouteOutcome::temporary_failure);
  EXPECT_EQ(p.error.code, 451);
  EXPECT_EQ(p.error.enhanced, "4.4.3");
  EXPECT_NE(p.error.text.find("SERVFAIL"), std::string::npos);

  dns.status("bogus.example", RecordType::mx, AnswerStatus::bogus, "signature expired");
  p = plan_route("bogus.example", opts(), nullptr, dns);
  EXPECT_EQ(p.outcome, RouteOutcome::temporary_failure);
  EXPECT_NE(p.error.text.find("DNSSEC"), std::string::npos);
}

TEST(DnsRoutePlan, BadDomain) {
  FakeDns dns;
  auto p = plan_route("not a domain", opts(), nullptr, dns);
  EXPECT_EQ(p.outcome, RouteOutcome::permanent_failure);
  EXPECT_EQ(p.error.enhanced, "5.1.2");
  EXPECT_TRUE(dns.asked.empty());
}

TEST(DnsRoutePlan, MxIpLiteralSkipped) {
  FakeDns dns;
  dns.mx("lit.example", {{10, "192.0.2.1"}, {20, "mx.lit.example"}});
  dns.host("mx.lit.example", {"192.0.2.2"});
  auto p = plan_route("lit.example", opts(), nullptr, dns);
  ASSERT_EQ(p.outcome, RouteOutcome::deliver);
  EXPECT_EQ(addrs_of(p), std::vector<std::string>{"192.0.2.2"});
  ASSERT_EQ(p.notes.size(), 1u);
  EXPECT_NE(p.notes[0].find("IP address"), std::string::npos);

  dns.mx("onlylit.example", {{10, "192.0.2.1"}});
  p = plan_route("onlylit.example", opts(), nullptr, dns);
  EXPECT_EQ(p.outcome, RouteOutcome::temporary_failure);
  EXPECT_NE(p.error.text.find("no usable MX"), std::string::npos);
}

TEST(DnsRoutePlan, OwnHostAsMx) {
  FakeDns dns;
  dns.mx(
      "ours.example",
      {{10, "primary.example"}, {20, "me.example"}, {20, "peer.example"}, {30, "backup.example"}});
  dns.host("primary.example", {"192.0.2.1"});
  dns.host("peer.example", {"192.0.2.2"});
  dns.host("backup.example", {"192.0.2.3"});
  auto o = opts();
  o.local_names = {"ME.example"};
  auto p = plan_route("ours.example", o, nullptr, dns);
  ASSERT_EQ(p.outcome, RouteOutcome::deliver);
  // RFC 5321 §5.1: only hosts strictly more preferred than us.
  EXPECT_EQ(hosts_of(p), std::vector<std::string>{"primary.example"});

  dns.mx("mine.example", {{10, "me.example"}, {20, "other.example"}});
  p = plan_route("mine.example", o, nullptr, dns);
  EXPECT_EQ(p.outcome, RouteOutcome::permanent_failure);
  EXPECT_EQ(p.error.enhanced, "5.4.6");
  EXPECT_NE(p.error.text.find("loops back to myself"), std::string::npos);

  dns.host("me.example", {"192.0.2.50"});
  p = plan_route("me.example", o, nullptr, dns);  // implicit MX = us
  EXPECT_EQ(p.outcome, RouteOutcome::permanent_failure);
  EXPECT_EQ(p.error.enhanced, "5.4.6");
}

TEST(DnsRoutePlan, FamiliesInterleaved) {
  FakeDns dns;
  dns.mx("dual.example", {{10, "a.dual.example"}, {20, "b.dual.example"}});
  dns.host("a.dual.example", {"192.0.2.1", "2001:db8::1", "192.0.2.11"});
  dns.host("b.dual.example", {"2001:db8::2", "2001:db8::22"});
  auto o = opts();
  auto p = plan_route("dual.example", o, nullptr, dns);
  ASSERT_EQ(p.attempts.size(), 5u);
  auto a = addrs_of(p);
  EXPECT_TRUE(p.attempts[0].address.is_v6());
  EXPECT_FALSE(p.attempts[1].address.is_v6());
  EXPECT_FALSE(p.attempts[2].address.is_v6());  // a.dual has one v6, two v4
  EXPECT_EQ(p.attempts[3].host, "b.dual.example");

  o.families = AddressFamilies::both_ipv4_first;
  p = plan_route("dual.example", o, nullptr, dns);
  EXPECT_FALSE(p.attempts[0].address.is_v6());
  EXPECT_TRUE(p.attempts[1].address.is_v6());

  o.families = AddressFamilies::ipv4_only;
  dns.asked.clear();
  p = plan_route("dual.example", o, nullptr, dns);
  EXPECT_EQ(p.attempts.size(), 2u);
  for (auto& at : p.attempts) EXPECT_FALSE(at.address.is_v6());
  for (auto& q : dns.asked) EXPECT_NE(q.type, RecordType::aaaa);

  o.families = AddressFamilies::ipv6_only;
  p = plan_route("dual.example", o, nullptr, dns);
  EXPECT_EQ(p.attempts.size(), 3u);
  for (auto& at : p.attempts) EXPECT_TRUE(at.address.is_v6());

  dns.host("v6only.example", {"2001:db8::5"});
  o.families = AddressFamilies::ipv4_only;
  p = plan_route("v6only.example", o, nullptr, dns);
  EXPECT_EQ(p.outcome, RouteOutcome::permanent_failure);
  EXPECT_NE(p.error.text.find("IPv4 only"), std::string::npos);
}

TEST(DnsRoutePlan, Caps) {
  FakeDns dns;
  std::vector<std::pair<std::uint16_t, std::string>> mxs;
  for (int i = 0; i < 30; ++i) {
    std::string h = "mx" + std::to_string(i) + ".big.example";
    mxs.push_back({static_cast<std::uint16_t>(i), h});
    dns.host(h, {"192.0.2." + std::to_string(i + 1), "198.51.100." + std::to_string(i + 1)});
  }
  dns.mx("big.example", mxs);
  RouteOptions o;
  o.max_mx_hosts = 3;
  o.max_addresses = 4;
  auto p = plan_route("big.example", o, nullptr, dns);
  ASSERT_EQ(p.attempts.size(), 4u);
  EXPECT_EQ(p.attempts[3].host, "mx1.big.example");
  EXPECT_EQ(dns.asked.size(), 1u + 3 * 2);  // the MX query, AAAA and A of three hosts
  bool noted = false;
  for (auto& n : p.notes) noted = noted || n.find("beyond the limit") != std::string::npos;
  EXPECT_TRUE(noted);
}

TEST(DnsRoutePlan, PartialAddressFailures) {
  FakeDns dns;
  dns.mx("part.example", {{10, "down.part.example"}, {20, "up.part.example"}});
  dns.status("down.part.example", RecordType::a, AnswerStatus::temporary, "timeout");
  dns.status("down.part.example", RecordType::aaaa, AnswerStatus::temporary, "timeout");
  dns.host("up.part.example", {"192.0.2.8"});
  auto p = plan_route("part.example", opts(), nullptr, dns);
  ASSERT_EQ(p.outcome, RouteOutcome::deliver);
  EXPECT_EQ(hosts_of(p), std::vector<std::string>{"up.part.example"});
  EXPECT_FALSE(p.notes.empty());

  // Every host failing temporarily: temporary.
  dns.status("up.part.example", RecordType::a, AnswerStatus::temporary, "SERVFAIL");
  p = plan_route("part.example", opts(), nullptr, dns);
  EXPECT_EQ(p.outcome, RouteOutcome::temporary_failure);
  EXPECT_EQ(p.error.enhanced, "4.4.3");

  // Hosts that do not exist: permanent.
  dns.mx("ghost.example", {{10, "nx1.ghost.example"}, {10, "nx2.ghost.example"}});
  p = plan_route("ghost.example", opts(), nullptr, dns);
  EXPECT_EQ(p.outcome, RouteOutcome::permanent_failure);
  EXPECT_EQ(p.error.enhanced, "5.4.4");
  EXPECT_NE(p.error.text.find("any mail exchanger"), std::string::npos);
}

TEST(DnsRoutePlan, UnspecifiedAndDuplicateAddressesDropped) {
  FakeDns dns;
  dns.mx("dup.example", {{10, "mx.dup.example"}, {20, "mx.dup.example"}});
  dns.host("mx.dup.example", {"0.0.0.0", "192.0.2.1", "::"});
  dns.table[{"mx.dup.example", RecordType::a}].rdata.push_back(addr_rdata("192.0.2.1"));
  auto p = plan_route("dup.example", opts(), nullptr, dns);
  ASSERT_EQ(p.outcome, RouteOutcome::deliver);
  EXPECT_EQ(addrs_of(p), std::vector<std::string>{"192.0.2.1"});
  EXPECT_EQ(p.attempts[0].preference, 10);
}

TEST(DnsRoutePlan, MalformedRecordsSkipped) {
  FakeDns dns;
  dns.mx("mal.example", {{10, "mx.mal.example"}});
  dns.table[{"mal.example", RecordType::mx}].rdata.push_back("\x00");
  dns.host("mx.mal.example", {"192.0.2.1"});
  dns.table[{"mx.mal.example", RecordType::a}].rdata.push_back("abc");
  auto p = plan_route("mal.example", opts(), nullptr, dns);
  ASSERT_EQ(p.outcome, RouteOutcome::deliver);
  EXPECT_EQ(addrs_of(p), std::vector<std::string>{"192.0.2.1"});
  EXPECT_EQ(p.notes.size(), 2u);
}

TEST(DnsRoutePlan, CanonicalNameAndSecurity) {
  FakeDns dns;
  dns.mx("alias.example", {{10, "mx.real.example"}});
  dns.table[{"alias.example", RecordType::mx}].canonical_name = "Real.Example.";
  dns.table[{"alias.example", RecordType::mx}].secure = true;
  dns.host("mx.real.example", {"192.0.2.1", "2001:db8::1"});
  dns.table[{"mx.real.example", RecordType::aaaa}].secure = true;
  auto p = plan_route("alias.example", opts(), nullptr, dns);
  ASSERT_EQ(p.outcome, RouteOutcome::deliver);
  EXPECT_EQ(p.canonical_name, "real.example");
  EXPECT_TRUE(p.mx_secure);
  EXPECT_TRUE(p.attempts[0].mx_secure);
  EXPECT_TRUE(p.attempts[0].address_secure);   // the AAAA
  EXPECT_FALSE(p.attempts[1].address_secure);  // the A
}

TEST(DnsRoutePlan, AddressLiteralDomain) {
  FakeDns dns;
  auto p = plan_route("[IPv6:2001:db8::7]", opts(), nullptr, dns);
  ASSERT_EQ(p.outcome, RouteOutcome::deliver);
  EXPECT_EQ(addrs_of(p), std::vector<std::string>{"2001:db8::7"});
  p = plan_route("[192.0.2.7]", opts(), nullptr, dns);
  EXPECT_EQ(addrs_of(p), std::vector<std::string>{"192.0.2.7"});
  EXPECT_EQ(p.attempts[0].port, 25);
  EXPECT_TRUE(dns.asked.empty());
  // A smarthost carries literal destinations too.
  RouteTable table;
  std::string error;
  ASSERT_TRUE(table.add("*", "[198.51.100.25]:587", error));
  p = plan_route("[192.0.2.7]", opts(), table.find("[192.0.2.7]"), dns);
  EXPECT_EQ(addrs_of(p), std::vector<std::string>{"198.51.100.25"});
  EXPECT_EQ(p.attempts[0].port, 587);
}

TEST(DnsRoutePlan, StaticRoutes) {
  FakeDns dns;
  dns.mx("example.com", {{10, "mx.example.com"}});
  dns.host("mx.example.com", {"192.0.2.1"});
  dns.host("smtp.provider.example", {"198.51.100.5", "2001:db8::5"});
  dns.mx("relay.example", {{10, "mx.relay.example"}});
  dns.host("mx.relay.example", {"198.51.100.6"});

  RouteTable table;
  std::string error;
  ASSERT_TRUE(table.add("example.com", "[192.0.2.99]:2525", error));
  ASSERT_TRUE(table.add("relayed.example", "relay.example:26", error));
  ASSERT_TRUE(table.add("*", "[smtp.provider.example]:587", error));

  // A literal: no DNS at all.
  auto p = plan_route("example.com", opts(), table.find("example.com"), dns);
  ASSERT_EQ(p.outcome, RouteOutcome::deliver);
  EXPECT_TRUE(p.static_route);
  EXPECT_EQ(addrs_of(p), std::vector<std::string>{"192.0.2.99"});
  EXPECT_EQ(p.attempts[0].port, 2525);
  EXPECT_TRUE(dns.asked.empty());

  // The smarthost: brackets, so no MX lookup, only its addresses.
  p = plan_route("anywhere.example", opts(), table.find("anywhere.example"), dns);
  ASSERT_EQ(p.outcome, RouteOutcome::deliver);
  EXPECT_EQ(hosts_of(p),
            (std::vector<std::string>{"smtp.provider.example", "smtp.provider.example"}));
  EXPECT_EQ(p.attempts[0].port, 587);
  for (auto& q : dns.asked) EXPECT_NE(q.type, RecordType::mx);

  // Without brackets: MX lookup on the route's host, the route's port.
  dns.asked.clear();
  p = plan_route("relayed.example", opts(), table.find("relayed.example"), dns);
  ASSERT_EQ(p.outcome, RouteOutcome::deliver);
  EXPECT_EQ(p.mx_domain, "relay.example");
  EXPECT_EQ(hosts_of(p), std::vector<std::string>{"mx.relay.example"});
  EXPECT_EQ(p.attempts[0].port, 26);
  EXPECT_EQ(dns.asked.front(), (Query{"relay.example", RecordType::mx}));

  // A route to ourselves is a loop.
  auto o = opts();
  o.local_names = {"smtp.provider.example"};
  p = plan_route("anywhere.example", o, table.find("anywhere.example"), dns);
  EXPECT_EQ(p.outcome, RouteOutcome::permanent_failure);
  EXPECT_EQ(p.error.enhanced, "5.4.6");
}

TEST(DnsRoutePlan, QueryProtocol) {
  FakeDns dns;
  dns.mx("example.com", {{10, "a.example.com"}, {20, "b.example.com"}});
  dns.host("a.example.com", {"192.0.2.1"});
  dns.host("b.example.com", {"192.0.2.2"});
  RoutePlanner p("example.com", opts());
  auto q1 = p.take_queries();
  ASSERT_EQ(q1.size(), 1u);
  EXPECT_EQ(q1[0], (Query{"example.com", RecordType::mx}));
  EXPECT_TRUE(p.take_queries().empty());                       // each query once
  p.answer(Query{"other.example", RecordType::mx}, Answer{});  // not asked: ignored
  EXPECT_FALSE(p.done());
  p.answer(q1[0], dns(q1[0]));
  auto q2 = p.take_queries();
  ASSERT_EQ(q2.size(), 4u);  // AAAA and A of both hosts, all at once
  // Answers in any order; a repeated answer is ignored.
  for (auto it = q2.rbegin(); it != q2.rend(); ++it) {
    EXPECT_FALSE(p.done());
    p.answer(*it, dns(*it));
    p.answer(*it, dns(*it));
  }
  ASSERT_TRUE(p.done());
  EXPECT_EQ(addrs_of(p.plan()), (std::vector<std::string>{"192.0.2.1", "192.0.2.2"}));
}

TEST(DnsRoutePlan, AddressFamiliesText) {
  EXPECT_EQ(parse_address_families("ipv4-only"), AddressFamilies::ipv4_only);
  EXPECT_EQ(parse_address_families("ipv6-only"), AddressFamilies::ipv6_only);
  EXPECT_EQ(parse_address_families("both"), AddressFamilies::both_ipv6_first);
  EXPECT_EQ(parse_address_families("both-ipv4-first"), AddressFamilies::both_ipv4_first);
  EXPECT_FALSE(parse_address_families("v4"));
}

}  // namespace
}  // namespace estafeta::dns
