// dns_resolver: DNS lookups for the sending MTA through libunbound, validating DNSSEC
// (RFC 4033-4035) so that DANE (RFC 7672) can trust TLSA answers. This file holds the
// configuration shared by both forms and the blocking form (Resolver: CLI tools, tests, a
// worker thread); dns_async_resolver.hpp is the form for the Asio event loop.
// Where queries go: to `forwarders` when set (a local validating resolver, or the test's
// unbound); else to the nameservers of resolv.conf when `use_resolv_conf`; else libunbound
// resolves recursively from the root itself. The trust anchor is the root key of Debian's
// dns-root-data (/usr/share/dns/root.key) or the file unbound-anchor keeps up to date
// (/var/lib/unbound/root.key), or `trust_anchor_file`.
// Trust: answers come from the network; libunbound validates them, and dns_rdata parses the
// records defensively. Bounds: every lookup ends within `timeout` (a deadline of ours, the
// query is cancelled in libunbound); at most kMaxRecords records are kept per answer.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "dns/proto/dns_answer.hpp"
#include "dns/proto/dns_rdata.hpp"
#include "dns/proto/dns_route_plan.hpp"

struct ub_ctx;

namespace estafeta::dns {

struct ResolverConfig {
  // Servers to forward every query to, "192.0.2.53", "::1" or with a port "127.0.0.1@5353"
  // (libunbound's spelling). Empty: see use_resolv_conf.
  std::vector<std::string> forwarders;
  // Forward to the nameservers listed in resolv_conf_path (when forwarders is empty).
  bool use_resolv_conf = false;
  std::string resolv_conf_path = "/etc/resolv.conf";
  // DNSSEC validation. Off, every answer is insecure (DANE never applies).
  bool dnssec = true;
  // Root trust anchor (DS or DNSKEY records in zone-file format); empty: the first readable of
  // /var/lib/unbound/root.key and /usr/share/dns/root.key.
  std::string trust_anchor_file;
  // More trust anchors, each one DS or DNSKEY record in zone-file form ("corp.example. IN DS
  // 12345 13 2 ..."): signed private zones, tests. With these, the root anchor is optional.
  std::vector<std::string> trust_anchors;
  // Zones whose answers are taken without validation (private zones under a signed parent).
  std::vector<std::string> insecure_domains;
  // Deadline of one lookup; past it the answer is temporary ("timeout").
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};
  // Lookups in flight at once in an AsyncResolver; more are answered "temporary" at once.
  std::size_t max_in_flight = 1000;
};

// The default trust anchor file on this machine, or "" when neither is readable.
std::string default_trust_anchor_file();

// Blocking lookups on a context of its own. Thread-safe (one lookup at a time; callers on
// several threads wait for each other); meant for the CLI, tests and worker threads, never a
// network thread.
class Resolver {
 public:
  // nullptr with `error` set when libunbound refuses the configuration (bad forwarder
  // address, unreadable resolv.conf or trust anchor, DNSSEC on without any anchor).
  static std::unique_ptr<Resolver> create(const ResolverConfig& config, std::string& error);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // One lookup, at most config.timeout long.
  Answer lookup(std::string_view name, RecordType type);

  MxAnswer lookup_mx(std::string_view domain) { return to_mx(lookup(domain, RecordType::mx)); }
  AddressAnswer lookup_a(std::string_view host) {
    return to_addresses(lookup(host, RecordType::a), RecordType::a);
  }
  AddressAnswer lookup_aaaa(std::string_view host) {
    return to_addresses(lookup(host, RecordType::aaaa), RecordType::aaaa);
  }
  // TLSA of an SMTP server, "_port._tcp.host" (RFC 7672 §2.2.3); check .secure / dane_state.
  TlsaAnswer lookup_tlsa(std::string_view host, std::uint16_t port = 25) {
    return to_tlsa(lookup(tlsa_name(host, port), RecordType::tlsa));
  }
  // TXT, e.g. "_mta-sts." + domain (RFC 8461 §3.1).
  TxtAnswer lookup_txt(std::string_view name) { return to_txt(lookup(name, RecordType::txt)); }

  // The route for `domain` (dns_route_plan.hpp), its queries sent one after another.
  RoutePlan plan_route(std::string_view domain, const RouteOptions& options,
                       const RouteTarget* route = nullptr);

 private:
  Resolver(ub_ctx* ctx, std::chrono::milliseconds timeout) : ctx_(ctx), timeout_(timeout) {}
  ub_ctx* ctx_;
  std::chrono::milliseconds timeout_;
  std::mutex mutex_;
};

}  // namespace estafeta::dns
