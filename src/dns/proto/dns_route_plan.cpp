// dns_route_plan: the route planner (rules and bounds in dns_route_plan.hpp).
#include "dns/proto/dns_route_plan.hpp"

#include <algorithm>
#include <utility>

namespace estafeta::dns {

std::optional<AddressFamilies> parse_address_families(std::string_view text) {
  if (text == "ipv4-only") return AddressFamilies::ipv4_only;
  if (text == "ipv6-only") return AddressFamilies::ipv6_only;
  if (text == "both" || text == "both-ipv6-first") return AddressFamilies::both_ipv6_first;
  if (text == "both-ipv4-first") return AddressFamilies::both_ipv4_first;
  return std::nullopt;
}

namespace {

std::string describe(const Answer& a) {
  std::string s(answer_status_name(a.status));
  if (!a.error.empty()) s += ": " + a.error;
  return s;
}

}  // namespace

RoutePlanner::RoutePlanner(std::string_view domain, RouteOptions options, const RouteTarget* route)
    : options_(std::move(options)), port_(options_.port), rng_(options_.seed) {
  for (auto& n : options_.local_names) n = normalize_name(n);
  plan_.domain = normalize_name(domain);
  if (options_.max_mx_hosts == 0) options_.max_mx_hosts = 1;
  if (options_.max_addresses == 0) options_.max_addresses = 1;

  // RFC 5321 §4.1.3: an address literal names the host directly; no DNS. A static route
  // still wins (a smarthost "*" carries all mail, as Postfix's relayhost does).
  auto literal = parse_address_literal(domain);
  if (literal && !route) {
    plan_.outcome = RouteOutcome::deliver;
    plan_.attempts.push_back({literal->to_string(), *literal, port_, 0, false, false});
    return;
  }
  if (route) {
    plan_.static_route = true;
    port_ = route->port;
    if (route->literal) {
      plan_.outcome = RouteOutcome::deliver;
      plan_.attempts.push_back({route->host, *route->literal, port_, 0, false, false});
      return;
    }
    if (!route->mx_lookup) {
      // "[host]": the host itself, no MX (Postfix's brackets).
      hosts_.push_back(Host{route->host, 0});
      plan_.mx_domain = route->host;
      if (is_local(route->host)) {
        fail(true, 554, "5.4.6",
             "route for " + plan_.domain + " loops back to myself (" + route->host + ")");
        return;
      }
      want_addresses();
      return;
    }
    plan_.mx_domain = route->host;
  } else {
    if (!is_host_name(plan_.domain)) {
      fail(true, 550, "5.1.2", "bad destination domain '" + plan_.domain + "'");
      return;
    }
    plan_.mx_domain = plan_.domain;
  }
  queued_.push_back({plan_.mx_domain, RecordType::mx});
}

std::vector<Query> RoutePlanner::take_queries() {
  std::vector<Query> out;
  out.swap(queued_);
  asked_.insert(asked_.end(), out.begin(), out.end());
  return out;
}

void RoutePlanner::answer(const Query& query, const Answer& answer) {
  auto it = std::find(asked_.begin(), asked_.end(), query);
  if (it == asked_.end() || done()) return;
  asked_.erase(it);
  if (query.type == RecordType::mx) {
    on_mx(answer);
    return;
  }
  for (auto& h : hosts_) {
    if (h.name != query.name) continue;
    on_address(h, query.type, answer);
  }
  if (asked_.empty() && queued_.empty()) finish_addresses();
}

void RoutePlanner::fail(bool permanent, int code, std::string_view enhanced, std::string text) {
  plan_.outcome = permanent ? RouteOutcome::permanent_failure : RouteOutcome::temporary_failure;
  plan_.error = PeerError{code, std::string(enhanced), std::move(text)};
  plan_.attempts.clear();
  queued_.clear();
  asked_.clear();
}

bool RoutePlanner::is_local(std::string_view host) const {
  return std::find(options_.local_names.begin(), options_.local_names.end(), host) !=
         options_.local_names.end();
}

std::uint64_t RoutePlanner::next_random() {
  // splitmix64: the same sequence on every platform for a given seed (std::shuffle's use of
  // its generator is unspecified, so tests could not fix the order with it).
  std::uint64_t z = (rng_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

void RoutePlanner::on_mx(const Answer& answer) {
  plan_.mx_secure = answer.secure;
  if (!answer.canonical_name.empty()) {
    auto canon = normalize_name(answer.canonical_name);
    if (canon != plan_.mx_domain) plan_.canonical_name = canon;
  }
  const std::string& name = plan_.mx_domain;
  switch (answer.status) {
    case AnswerStatus::temporary:
      fail(false, 451, "4.4.3", "MX lookup for " + name + " failed: " + describe(answer));
      return;
    case AnswerStatus::bogus:
      fail(false, 451, "4.4.3",
           "MX lookup for " + name + " failed DNSSEC validation: " + describe(answer));
      return;
    case AnswerStatus::nxdomain:
      fail(true, 550, "5.1.2", "domain " + name + " does not exist (NXDOMAIN)");
      return;
    case AnswerStatus::nodata:
      // RFC 5321 §5.1: no MX, the domain itself is the implicit MX at preference 0.
      plan_.implicit_mx = true;
      if (is_local(name)) {
        fail(true, 554, "5.4.6", "mail for " + plan_.domain + " loops back to myself");
        return;
      }
      hosts_.push_back(Host{name, 0});
      want_addresses();
      return;
    case AnswerStatus::data:
      break;
  }

  std::vector<MxRecord> records;
  bool null_mx = false;
  for (auto& rd : answer.rdata) {
    auto mx = parse_mx(rd);
    if (!mx) {
      plan_.notes.push_back("malformed MX record for " + name + " skipped");
      continue;
    }
    if (mx->is_null_mx()) {
      null_mx = true;
      continue;
    }
    if (IpAddress::parse(mx->exchange)) {
      plan_.notes.push_back("MX " + mx->exchange + " of " + name +
                            " is an IP address, not a host name: skipped (RFC 5321 §5.1)");
      continue;
    }
    if (!is_host_name(mx->exchange)) {
      plan_.notes.push_back("MX " + mx->exchange + " of " + name + " is not a host name: skipped");
      continue;
    }
    records.push_back(std::move(*mx));
  }
  if (null_mx && records.empty()) {
    // RFC 7505 §3: "0 ." means the domain accepts no mail: a permanent failure, 556 (RFC
    // 7504) with 5.1.10 (RFC 7505).
    fail(true, 556, "5.1.10", "domain " + name + " does not accept mail (null MX, RFC 7505)");
    return;
  }
  if (null_mx) {
    plan_.notes.push_back("null MX of " + name + " mixed with other MX records: ignored");
  }
  if (records.empty()) {
    fail(false, 451, "4.4.3", "no usable MX record for " + name);
    return;
  }

  std::stable_sort(records.begin(), records.end(), [](const MxRecord& a, const MxRecord& b) {
    return a.preference < b.preference;
  });
  // RFC 5321 §5.1: if we are one of the MX hosts, only hosts strictly more preferred than
  // our own lowest preference may be used.
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (is_local(records[i].exchange)) {
      std::uint16_t ours = records[i].preference;
      std::erase_if(records, [&](const MxRecord& r) { return r.preference >= ours; });
      if (records.empty()) {
        fail(true, 554, "5.4.6",
             "mail for " + plan_.domain + " loops back to myself (MX " + name + ")");
        return;
      }
      break;
    }
  }
  // Duplicate exchanges: the first (most preferred) stays.
  std::vector<MxRecord> unique;
  for (auto& r : records) {
    bool seen = std::any_of(unique.begin(), unique.end(),
                            [&](const MxRecord& u) { return u.exchange == r.exchange; });
    if (!seen) unique.push_back(std::move(r));
  }
  // RFC 5321 §5.1: shuffle among equal preferences (Fisher-Yates within each run).
  for (std::size_t begin = 0; begin < unique.size();) {
    std::size_t end = begin;
    while (end < unique.size() && unique[end].preference == unique[begin].preference) ++end;
    for (std::size_t i = end - begin; i > 1; --i) {
      std::size_t j = static_cast<std::size_t>(next_random() % i);
      std::swap(unique[begin + i - 1], unique[begin + j]);
    }
    begin = end;
  }
  if (unique.size() > options_.max_mx_hosts) {
    plan_.notes.push_back(std::to_string(unique.size() - options_.max_mx_hosts) + " MX hosts of " +
                          name + " beyond the limit of " + std::to_string(options_.max_mx_hosts) +
                          " not tried");
    unique.resize(options_.max_mx_hosts);
  }
  for (auto& r : unique) hosts_.push_back(Host{std::move(r.exchange), r.preference});
  want_addresses();
}

void RoutePlanner::want_addresses() {
  bool v4 = options_.families != AddressFamilies::ipv6_only;
  bool v6 = options_.families != AddressFamilies::ipv4_only;
  for (auto& h : hosts_) {
    if (v6) {
      h.aaaa_wanted = true;
      queued_.push_back({h.name, RecordType::aaaa});
    }
    if (v4) {
      h.a_wanted = true;
      queued_.push_back({h.name, RecordType::a});
    }
  }
}

void RoutePlanner::on_address(Host& host, RecordType type, const Answer& answer) {
  bool v6 = type == RecordType::aaaa;
  if (v6 ? host.aaaa_done : host.a_done) return;
  (v6 ? host.aaaa_done : host.a_done) = true;
  auto& list = v6 ? host.v6 : host.v4;
  if (answer.status == AnswerStatus::data) {
    (v6 ? host.v6_secure : host.v4_secure) = answer.secure;
    for (auto& rd : answer.rdata) {
      auto a = v6 ? parse_aaaa(rd) : parse_a(rd);
      if (!a) {
        plan_.notes.push_back("malformed " + std::string(record_type_name(type)) + " record for " +
                              host.name + " skipped");
        continue;
      }
      if (a->is_unspecified()) {
        plan_.notes.push_back("unspecified address " + a->to_string() + " of " + host.name +
                              " skipped");
        continue;
      }
      if (std::find(list.begin(), list.end(), *a) == list.end() && list.size() < kMaxRecords)
        list.push_back(*a);
    }
    return;
  }
  if (answer.status == AnswerStatus::temporary || answer.status == AnswerStatus::bogus) {
    host.temporary = true;
  }
  if (answer.status != AnswerStatus::nodata) {
    std::string what =
        std::string(record_type_name(type)) + " lookup for " + host.name + ": " + describe(answer);
    plan_.notes.push_back(what);
    if (host.failure.empty()) host.failure = std::move(what);
  }
}

void RoutePlanner::finish_addresses() {
  bool six_first = options_.families != AddressFamilies::both_ipv4_first;
  bool any_temporary = false;
  std::string first_failure;
  for (auto& h : hosts_) {
    if (h.temporary) any_temporary = true;
    if (first_failure.empty() && !h.failure.empty()) first_failure = h.failure;
    // Shuffle each family's addresses (Postfix smtp_randomize_addresses), then alternate.
    for (auto* list : {&h.v6, &h.v4}) {
      for (std::size_t i = list->size(); i > 1; --i) {
        std::size_t j = static_cast<std::size_t>(next_random() % i);
        std::swap((*list)[i - 1], (*list)[j]);
      }
    }
    auto& first = six_first ? h.v6 : h.v4;
    auto& second = six_first ? h.v4 : h.v6;
    bool first_secure = six_first ? h.v6_secure : h.v4_secure;
    bool second_secure = six_first ? h.v4_secure : h.v6_secure;
    std::size_t n = std::max(first.size(), second.size());
    for (std::size_t i = 0; i < n; ++i) {
      for (int k = 0; k < 2; ++k) {
        auto& list = k == 0 ? first : second;
        if (i >= list.size()) continue;
        if (plan_.attempts.size() >= options_.max_addresses) continue;
        plan_.attempts.push_back({h.name, list[i], port_, h.preference, plan_.mx_secure,
                                  k == 0 ? first_secure : second_secure});
      }
    }
  }
  if (!plan_.attempts.empty()) {
    plan_.outcome = RouteOutcome::deliver;
    return;
  }
  std::string where = plan_.implicit_mx || hosts_.size() == 1
                          ? hosts_.empty() ? plan_.mx_domain : hosts_.front().name
                          : "any mail exchanger of " + plan_.mx_domain;
  std::string families;
  if (options_.families == AddressFamilies::ipv4_only) families = " (IPv4 only)";
  if (options_.families == AddressFamilies::ipv6_only) families = " (IPv6 only)";
  if (any_temporary) {
    fail(false, 451, "4.4.3", "no address for " + where + " yet: " + first_failure);
  } else {
    // RFC 3463 X.4.4: unable to route.
    fail(true, 550, "5.4.4", "no address found for " + where + families);
  }
}

}  // namespace estafeta::dns
