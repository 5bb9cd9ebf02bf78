// smtp_outbound_config: what the sending MTA (smtp::OutboundTransport) is configured with.
// Three sections of estafeta.toml, registered with config/ like [smtp]: [relay] (our EHLO name,
// the smarthost with its AUTH user and password file, STARTTLS policy, connection limits and
// timeouts), [dns] (the resolver: forwarders or resolv.conf, DNSSEC) and [routing] (address
// families, MX limits, static routes), the last two as docs/ROUTING.md proposed. Lists are
// comma-separated strings (the config loader has no arrays): routes = "example.org =
// [192.0.2.7]:2525, .corp.example = mx.corp.example". outbound_options_from() turns the
// sections into OutboundOptions, reading the smarthost password file once (at start).
// Nothing here changes the server's behaviour: the defaults deliver by MX with opportunistic
// STARTTLS and nothing reads these keys until the queue's remote runner is wired in.
// Input: values config::load already type-checked (trusted file; every value checked here,
// routes parsed at load time). Memory: at most dns::kMaxStaticRoutes routes.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "dns/dns_resolver.hpp"
#include "dns/proto/dns_route_plan.hpp"
#include "dns/proto/dns_static_route.hpp"
#include "smtp/proto/smtp_client_session.hpp"

namespace estafeta::smtp {

// [relay] as written (strings not parsed yet).
struct RelaySettings {
  std::string ehlo_name;                // "" = the top-level hostname
  std::string smarthost;                // "host:port", "[host]:port", "" = none
  std::string smarthost_user;           // AUTH user, "" = no AUTH
  std::string smarthost_password_file;  // the password's file (first line), read at start
  std::string smarthost_ca_file;        // extra CA (PEM) to verify the smarthost with
  std::string tls_required_domains;     // "a.example, .b.example": STARTTLS + a valid cert
  bool dane = true;                     // RFC 7672 for MX hosts with secure TLSA records
  bool mta_sts = true;                  // RFC 8461 for MX delivery without DANE
  std::string mta_sts_ca_file;          // extra CA (PEM) for the policy's HTTPS server
  std::size_t max_connections = 100;    // Postfix default_process_limit
  std::size_t max_connections_per_destination = 20;  // default_destination_concurrency_limit
  // An idle connection is kept this long for the next delivery to the same next hop
  // (Postfix smtp_connection_cache_time_limit); 0 = QUIT at once.
  std::chrono::seconds connection_cache_time{2};
  std::chrono::seconds connect_timeout{30};      // Postfix smtp_connect_timeout
  std::chrono::seconds command_timeout{300};     // RFC 5321 §4.5.3.2 (5 min)
  std::chrono::seconds data_timeout{600};        // reply to the final dot (10 min)
  std::chrono::seconds tls_rpt_interval{86400};  // TLS reports (RFC 8460); 0 = on request
  std::string tls_rpt_organization;              // "" = the hostname
  std::string tls_rpt_contact;                   // "" = mailto:postmaster@<hostname>
  std::string bind_address;   // IPv4 source address of outgoing SMTP connections, "" = any
  std::string bind_address6;  // IPv6 source address of outgoing SMTP connections, "" = any
};

// [dns] as written.
struct DnsSettings {
  std::string forwarders;  // "127.0.0.1@5353, ::1"
  bool use_resolv_conf = false;
  bool dnssec = true;
  std::string trust_anchor_file;
  std::string insecure_domains;  // "corp.example, lab.example"
  std::chrono::seconds timeout{10};
};

// [routing] as written.
struct RoutingSettings {
  std::string address_families = "both";
  std::size_t max_mx_hosts = 10;
  std::size_t max_addresses = 5;
  std::string routes;  // "pattern = target, ..."
};

// Everything the transport needs, parsed.
struct OutboundOptions {
  std::string ehlo_name;  // required
  // Every destination without a static route goes here, with AUTH when credentials are
  // set, STARTTLS required and the certificate verified (system store + smarthost_ca_file).
  std::optional<dns::RouteTarget> smarthost;
  std::optional<ClientCredentials> smarthost_credentials;
  std::string smarthost_ca_file;
  dns::RouteTable routes;  // static routes, before the smarthost
  // Destinations ("example.org", or ".example.org" for its subdomains) that get STARTTLS
  // required and a verified certificate matching the MX name; others are opportunistic
  // (RFC 7435: any certificate, cleartext when STARTTLS is absent).
  std::set<std::string, std::less<>> tls_required_domains;
  // DANE (RFC 7672): for MX delivery, an MX host whose MX and address answers were
  // DNSSEC-secure has its TLSA records looked up; secure usable ones make STARTTLS mandatory
  // and authenticate the certificate; a bogus or failed TLSA lookup defers that host.
  bool dane = true;
  // TLS-RPT (RFC 8460) data: when set, one JSON line per MX connection attempt goes to a day
  // file here (smtp_tls_report_writer.hpp); "" = not recorded. Serve sets <data_dir>/tls-rpt.
  std::string tls_report_dir;
  // MTA-STS (RFC 8461): for MX delivery, the _mta-sts TXT record is looked up and the policy
  // fetched over HTTPS (system store + mta_sts_ca_file), cached in memory and, when
  // mta_sts_cache_dir is set (serve: <data_dir>/mta-sts), in one file per domain; enforce
  // mode allows only matching MX hosts with a PKIX-verified certificate (others deferred).
  bool mta_sts = true;
  std::string mta_sts_ca_file;
  std::string mta_sts_cache_dir;
  std::uint16_t mta_sts_port = 443;  // the policy server's port (tests)
  std::chrono::milliseconds mta_sts_timeout{std::chrono::seconds(10)};
  dns::ResolverConfig resolver;
  dns::RouteOptions route;  // families, MX limits, our own names; the seed is set per plan
  std::size_t max_connections = 100;
  std::size_t max_connections_per_destination = 20;
  // The connection cache: a connection left idle by a delivery is kept this long (then
  // QUIT) and reused, after an RSET probe, by the next delivery to the same next hop with
  // the same security setup; at most max_connections idle ones in all. 0 = none kept.
  std::chrono::milliseconds connection_cache_time{std::chrono::seconds(2)};
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(30)};
  // Source addresses of outgoing SMTP connections (Postfix smtp_bind_address and
  // smtp_bind_address6): each connection binds to the one of its family; "" = the kernel's
  // choice. Checked at load time (an IPv4 and an IPv6 literal).
  std::string bind_address, bind_address6;
  ClientTimeouts timeouts;
  ClientReplyLimits reply_limits;
  // Octets of a message held whole for an 8-bit to 7-bit downgrade; larger ones are deferred.
  std::size_t max_downgrade_size = std::size_t{64} << 20;

  // Whether `domain` is in tls_required_domains (exactly, or under a ".parent" entry).
  bool tls_required(std::string_view domain) const;
};

// Registers [relay], [dns] and [routing] with config/ (once; later calls do nothing).
void register_outbound_config();

RelaySettings relay_settings_from(const config::Config& config);
DnsSettings dns_settings_from(const config::Config& config);
RoutingSettings routing_settings_from(const config::Config& config);

// The options of `config` (its hostname is the EHLO name unless [relay] ehlo_name is set);
// reads the smarthost password file. nullopt with `error` ("relay.smarthost_password_file:
// cannot read /etc/...") when something cannot be used.
std::optional<OutboundOptions> outbound_options_from(const config::Config& config,
                                                     std::string& error);

// Comma-separated list -> trimmed non-empty items (lower case when `lower`).
std::vector<std::string> split_list(std::string_view text, bool lower);

// Parses "pattern = target, ..." into `table`; false with `error` naming the bad entry.
bool parse_routes(std::string_view text, dns::RouteTable& table, std::string& error);

}  // namespace estafeta::smtp
