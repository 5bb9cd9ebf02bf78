// smtp_outbound_config: the [relay], [dns] and [routing] key tables and their parsing (see the
// header). To add a key: the field in its settings struct, a row here, then regenerate
// examples/estafeta.toml (the config unit test says how) and add a line to docs/CONFIG.md.
#include "smtp/smtp_outbound_config.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <cctype>
#include <fstream>
#include <string>

#include "config/config_table_section.hpp"

namespace estafeta::smtp {
namespace {

using config::int_value;
using config::KeyType;
using config::set_bool;
using config::set_int;
using config::set_seconds;
using config::Value;

std::string set_string(std::string& dst, const Value& v, std::size_t max = 4096) {
  const auto& s = std::get<std::string>(v);
  if (s.size() > max) return "longer than " + std::to_string(max) + " octets";
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return "control characters are not allowed";
  dst = s;
  return "";
}

// ---- [relay]

// An address literal of `family` (AF_INET, AF_INET6) or "".
std::string set_bind_address(std::string& dst, const Value& v, int family) {
  std::string text;
  if (auto e = set_string(text, v, 64); !e.empty()) return e;
  unsigned char buf[sizeof(in6_addr)];
  if (!text.empty() && ::inet_pton(family, text.c_str(), buf) != 1)
    return family == AF_INET ? "expected an IPv4 address such as 192.0.2.25, or \"\""
                             : "expected an IPv6 address such as 2001:db8::25, or \"\"";
  dst = text;
  return "";
}

using RelayRow = config::TableRow<RelaySettings>;

const std::array kRelayRows = {
    RelayRow{{"ehlo_name", KeyType::string,
              "Name we give in EHLO/HELO to other servers; empty: the top-level hostname."},
             [](RelaySettings& s, const Value& v) { return set_string(s.ehlo_name, v, 255); },
             [](const RelaySettings& s) -> Value { return s.ehlo_name; }},
    RelayRow{{"smarthost", KeyType::string,
              "Send all outgoing mail through this server, \"host:port\" (MX lookup on host) or "
              "\"[host]:port\" (no MX lookup); port 465 is implicit TLS, others STARTTLS "
              "(required, certificate verified). Empty: deliver by MX."},
             [](RelaySettings& s, const Value& v) {
               std::string text;
               if (auto e = set_string(text, v, 300); !e.empty()) return e;
               std::string error;
               if (!text.empty() && !dns::parse_route_target(text, error)) return error;
               s.smarthost = text;
               return std::string();
             },
             [](const RelaySettings& s) -> Value { return s.smarthost; }},
    RelayRow{{"smarthost_user", KeyType::string,
              "User name for AUTH at the smarthost (only over TLS); empty: no AUTH."},
             [](RelaySettings& s, const Value& v) { return set_string(s.smarthost_user, v, 512); },
             [](const RelaySettings& s) -> Value { return s.smarthost_user; }},
    RelayRow{
        {"smarthost_password_file", KeyType::string,
         "File whose first line is the smarthost password (read once at start; keep it "
         "mode 0600)."},
        [](RelaySettings& s, const Value& v) { return set_string(s.smarthost_password_file, v); },
        [](const RelaySettings& s) -> Value { return s.smarthost_password_file; }},
    RelayRow{{"smarthost_ca_file", KeyType::string,
              "Extra CA certificates (PEM) trusted for the smarthost, besides the system's."},
             [](RelaySettings& s, const Value& v) { return set_string(s.smarthost_ca_file, v); },
             [](const RelaySettings& s) -> Value { return s.smarthost_ca_file; }},
    RelayRow{{"tls_required_domains", KeyType::string,
              "Comma-separated destinations (\".example.org\" = its subdomains) that get "
              "STARTTLS required with a verified certificate; others use STARTTLS when offered "
              "(RFC 7435)."},
             [](RelaySettings& s, const Value& v) {
               return set_string(s.tls_required_domains, v, 65536);
             },
             [](const RelaySettings& s) -> Value { return s.tls_required_domains; }},
    RelayRow{{"dane", KeyType::boolean,
              "DANE (RFC 7672) for MX delivery: a host with DNSSEC-secure TLSA records gets "
              "STARTTLS required and its certificate checked against them; a failed TLSA lookup "
              "defers that host. Needs [dns] dnssec."},
             [](RelaySettings& s, const Value& v) { return set_bool(s.dane, v); },
             [](const RelaySettings& s) -> Value { return s.dane; }},
    RelayRow{{"mta_sts", KeyType::boolean,
              "MTA-STS (RFC 8461) for MX delivery: a destination publishing a policy in "
              "enforce mode gets mail only through its listed MX hosts with a verified "
              "certificate; the policy is fetched over HTTPS and cached."},
             [](RelaySettings& s, const Value& v) { return set_bool(s.mta_sts, v); },
             [](const RelaySettings& s) -> Value { return s.mta_sts; }},
    RelayRow{{"mta_sts_ca_file", KeyType::string,
              "Extra CA certificates (PEM) trusted for MTA-STS policy servers (tests, private "
              "CAs), besides the system's."},
             [](RelaySettings& s, const Value& v) { return set_string(s.mta_sts_ca_file, v); },
             [](const RelaySettings& s) -> Value { return s.mta_sts_ca_file; }},
    RelayRow{
        {"max_connections", KeyType::integer, "Outgoing SMTP connections at once, in all."},
        [](RelaySettings& s, const Value& v) { return set_int(s.max_connections, v, 1, 10000); },
        [](const RelaySettings& s) -> Value { return int_value(s.max_connections); }},
    RelayRow{{"max_connections_per_destination", KeyType::integer,
              "Outgoing SMTP connections at once to one destination (domain, or the "
              "smarthost)."},
             [](RelaySettings& s, const Value& v) {
               return set_int(s.max_connections_per_destination, v, 1, 10000);
             },
             [](const RelaySettings& s) -> Value {
               return int_value(s.max_connections_per_destination);
             }},
    RelayRow{
        {"connection_cache_time", KeyType::integer,
         "Seconds a connection left idle by a delivery stays open for the next delivery "
         "to the same server (reused after an RSET; Postfix "
         "smtp_connection_cache_time_limit); 0 closes it at once."},
        [](RelaySettings& s, const Value& v) {
          return set_seconds(s.connection_cache_time, v, 0, 300);
        },
        [](const RelaySettings& s) -> Value { return int_value(s.connection_cache_time.count()); }},
    RelayRow{
        {"connect_timeout", KeyType::integer,
         "Seconds to wait for a TCP connection to a server before trying the next one."},
        [](RelaySettings& s, const Value& v) { return set_seconds(s.connect_timeout, v, 1, 600); },
        [](const RelaySettings& s) -> Value { return int_value(s.connect_timeout.count()); }},
    RelayRow{{"command_timeout", KeyType::integer,
              "Seconds to wait for the greeting and each reply (RFC 5321 4.5.3.2: 300), and "
              "for each write of message content."},
             [](RelaySettings& s, const Value& v) {
               return set_seconds(s.command_timeout, v, 10, 3600);
             },
             [](const RelaySettings& s) -> Value { return int_value(s.command_timeout.count()); }},
    RelayRow{
        {"data_timeout", KeyType::integer,
         "Seconds to wait for the reply to the end of a message (RFC 5321 4.5.3.2.6: 600)."},
        [](RelaySettings& s, const Value& v) { return set_seconds(s.data_timeout, v, 10, 3600); },
        [](const RelaySettings& s) -> Value { return int_value(s.data_timeout.count()); }},
    RelayRow{{"tls_rpt_interval", KeyType::integer,
              "Seconds between runs sending TLS reports (RFC 8460) to the domains that ask for "
              "them (_smtp._tls TXT, mailto: rua); each run reports the complete UTC days not "
              "yet reported. 0: only `estafeta queue tls-report`."},
             [](RelaySettings& s, const Value& v) {
               const int64_t n = std::get<int64_t>(v);
               if (n != 0 && (n < 3600 || n > 7 * 86400))
                 return std::string("expected 0 or a number of seconds 3600-604800");
               s.tls_rpt_interval = std::chrono::seconds(n);
               return std::string();
             },
             [](const RelaySettings& s) -> Value { return int_value(s.tls_rpt_interval.count()); }},
    RelayRow{{"bind_address", KeyType::string,
              "IPv4 address outgoing SMTP connections are made from (Postfix "
              "smtp_bind_address); empty: the system's choice."},
             [](RelaySettings& s, const Value& v) {
               return set_bind_address(s.bind_address, v, AF_INET);
             },
             [](const RelaySettings& s) -> Value { return s.bind_address; }},
    RelayRow{{"bind_address6", KeyType::string,
              "IPv6 address outgoing SMTP connections are made from (Postfix "
              "smtp_bind_address6); empty: the system's choice."},
             [](RelaySettings& s, const Value& v) {
               return set_bind_address(s.bind_address6, v, AF_INET6);
             },
             [](const RelaySettings& s) -> Value { return s.bind_address6; }},
    RelayRow{
        {"tls_rpt_organization", KeyType::string,
         "\"organization-name\" of our TLS reports; empty: the hostname."},
        [](RelaySettings& s, const Value& v) { return set_string(s.tls_rpt_organization, v, 256); },
        [](const RelaySettings& s) -> Value { return s.tls_rpt_organization; }},
    RelayRow{{"tls_rpt_contact", KeyType::string,
              "\"contact-info\" of our TLS reports; empty: mailto:postmaster@<hostname>."},
             [](RelaySettings& s, const Value& v) { return set_string(s.tls_rpt_contact, v, 256); },
             [](const RelaySettings& s) -> Value { return s.tls_rpt_contact; }},
};

// ---- [dns]

using DnsRow = config::TableRow<DnsSettings>;

const std::array kDnsRows = {
    DnsRow{{"forwarders", KeyType::string,
            "Comma-separated DNS servers to send every query to (\"127.0.0.1@5353, ::1\"); "
            "empty: resolv.conf (use_resolv_conf) or full recursion."},
           [](DnsSettings& s, const Value& v) { return set_string(s.forwarders, v); },
           [](const DnsSettings& s) -> Value { return s.forwarders; }},
    DnsRow{{"use_resolv_conf", KeyType::boolean,
            "Forward to /etc/resolv.conf's nameservers when forwarders is empty."},
           [](DnsSettings& s, const Value& v) { return set_bool(s.use_resolv_conf, v); },
           [](const DnsSettings& s) -> Value { return s.use_resolv_conf; }},
    DnsRow{{"dnssec", KeyType::boolean, "Validate DNSSEC; off, DANE never applies."},
           [](DnsSettings& s, const Value& v) { return set_bool(s.dnssec, v); },
           [](const DnsSettings& s) -> Value { return s.dnssec; }},
    DnsRow{{"trust_anchor_file", KeyType::string,
            "Root trust anchor; empty: /var/lib/unbound/root.key, else "
            "/usr/share/dns/root.key."},
           [](DnsSettings& s, const Value& v) { return set_string(s.trust_anchor_file, v); },
           [](const DnsSettings& s) -> Value { return s.trust_anchor_file; }},
    DnsRow{{"insecure_domains", KeyType::string,
            "Comma-separated zones taken without DNSSEC validation (private zones)."},
           [](DnsSettings& s, const Value& v) { return set_string(s.insecure_domains, v); },
           [](const DnsSettings& s) -> Value { return s.insecure_domains; }},
    DnsRow{{"timeout", KeyType::integer, "Seconds one DNS lookup may take."},
           [](DnsSettings& s, const Value& v) { return set_seconds(s.timeout, v, 1, 120); },
           [](const DnsSettings& s) -> Value { return int_value(s.timeout.count()); }},
};

// ---- [routing]

using RoutingRow = config::TableRow<RoutingSettings>;

const std::array kRoutingRows = {
    RoutingRow{{"address_families", KeyType::string,
                "\"both\" (IPv6 first), \"both-ipv4-first\", \"ipv4-only\" or \"ipv6-only\"."},
               [](RoutingSettings& s, const Value& v) {
                 const auto& t = std::get<std::string>(v);
                 if (!dns::parse_address_families(t))
                   return std::string(
                       "expected \"both\", \"both-ipv4-first\", \"ipv4-only\" or \"ipv6-only\"");
                 s.address_families = t;
                 return std::string();
               },
               [](const RoutingSettings& s) -> Value { return s.address_families; }},
    RoutingRow{
        {"max_mx_hosts", KeyType::integer, "MX hosts whose addresses are looked up."},
        [](RoutingSettings& s, const Value& v) { return set_int(s.max_mx_hosts, v, 1, 100); },
        [](const RoutingSettings& s) -> Value { return int_value(s.max_mx_hosts); }},
    RoutingRow{
        {"max_addresses", KeyType::integer,
         "Server addresses tried per delivery (Postfix smtp_mx_address_limit)."},
        [](RoutingSettings& s, const Value& v) { return set_int(s.max_addresses, v, 1, 100); },
        [](const RoutingSettings& s) -> Value { return int_value(s.max_addresses); }},
    RoutingRow{{"routes", KeyType::string,
                "Static routes, comma-separated \"destination = next hop\": \"example.org = "
                "[192.0.2.7]:2525, .corp.example = mx.corp.example\" (\".d\" = subdomains of "
                "d, \"*\" = everything else; \"[host]\" = no MX lookup)."},
               [](RoutingSettings& s, const Value& v) {
                 std::string text;
                 if (auto e = set_string(text, v, 1 << 20); !e.empty()) return e;
                 dns::RouteTable table;
                 std::string error;
                 if (!parse_routes(text, table, error)) return error;
                 s.routes = text;
                 return std::string();
               },
               [](const RoutingSettings& s) -> Value { return s.routes; }},
};

const config::TableSection<RelaySettings>& relay_section() {
  static const config::TableSection<RelaySettings> table("relay", kRelayRows);
  return table;
}
const config::TableSection<DnsSettings>& dns_section() {
  static const config::TableSection<DnsSettings> table("dns", kDnsRows);
  return table;
}
const config::TableSection<RoutingSettings>& routing_section() {
  static const config::TableSection<RoutingSettings> table("routing", kRoutingRows);
  return table;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::vector<std::string> split_list(std::string_view text, bool to_lower) {
  std::vector<std::string> out;
  while (!text.empty()) {
    auto comma = text.find(',');
    std::string_view item = trim(text.substr(0, comma));
    if (!item.empty()) out.push_back(to_lower ? lower(item) : std::string(item));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

bool parse_routes(std::string_view text, dns::RouteTable& table, std::string& error) {
  for (const auto& entry : split_list(text, false)) {
    auto eq = entry.find('=');
    if (eq == std::string::npos) {
      error = "route \"" + entry + "\": expected \"destination = next hop\"";
      return false;
    }
    std::string e;
    if (!table.add(trim(std::string_view(entry).substr(0, eq)),
                   trim(std::string_view(entry).substr(eq + 1)), e)) {
      error = "route \"" + entry + "\": " + e;
      return false;
    }
  }
  return true;
}

bool OutboundOptions::tls_required(std::string_view domain) const {
  std::string d = lower(domain);
  if (tls_required_domains.count(d)) return true;
  for (auto dot = d.find('.'); dot != std::string::npos; dot = d.find('.', dot + 1))
    if (tls_required_domains.count(std::string_view(d).substr(dot))) return true;
  return false;
}

void register_outbound_config() {
  config::register_section(relay_section());
  config::register_section(dns_section());
  config::register_section(routing_section());
}

RelaySettings relay_settings_from(const config::Config& config) {
  return relay_section().settings_from(config);
}
DnsSettings dns_settings_from(const config::Config& config) {
  return dns_section().settings_from(config);
}
RoutingSettings routing_settings_from(const config::Config& config) {
  return routing_section().settings_from(config);
}

std::optional<OutboundOptions> outbound_options_from(const config::Config& config,
                                                     std::string& error) {
  const RelaySettings relay = relay_settings_from(config);
  const DnsSettings dns = dns_settings_from(config);
  const RoutingSettings routing = routing_settings_from(config);
  OutboundOptions o;
  o.ehlo_name = relay.ehlo_name.empty() ? config.hostname : relay.ehlo_name;
  if (o.ehlo_name.empty()) {
    error = "relay.ehlo_name: empty, and no hostname";
    return std::nullopt;
  }
  if (!relay.smarthost.empty()) {
    o.smarthost = dns::parse_route_target(relay.smarthost, error);
    if (!o.smarthost) {
      error = "relay.smarthost: " + error;
      return std::nullopt;
    }
  }
  if (!relay.smarthost_user.empty()) {
    if (relay.smarthost_password_file.empty()) {
      error = "relay.smarthost_password_file: needed with relay.smarthost_user";
      return std::nullopt;
    }
    std::ifstream in(relay.smarthost_password_file, std::ios::binary);
    std::string line;
    if (!in || !std::getline(in, line)) {
      error = "relay.smarthost_password_file: cannot read " + relay.smarthost_password_file;
      return std::nullopt;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.size() > 1024) {
      error = "relay.smarthost_password_file: " + relay.smarthost_password_file +
              (line.empty() ? " has an empty first line" : " has a line over 1024 octets");
      return std::nullopt;
    }
    o.smarthost_credentials = ClientCredentials{relay.smarthost_user, std::move(line)};
  }
  o.smarthost_ca_file = relay.smarthost_ca_file;
  o.dane = relay.dane;
  o.mta_sts = relay.mta_sts;
  o.mta_sts_ca_file = relay.mta_sts_ca_file;
  for (auto& d : split_list(relay.tls_required_domains, true))
    o.tls_required_domains.insert(std::move(d));
  if (!parse_routes(routing.routes, o.routes, error)) {
    error = "routing.routes: " + error;
    return std::nullopt;
  }
  for (const auto& entry : split_list(routing.routes, false))
    if (o.smarthost && trim(std::string_view(entry).substr(0, entry.find('='))) == "*") {
      error = "routing.routes: a \"*\" route and relay.smarthost cannot both be set";
      return std::nullopt;
    }
  o.resolver.forwarders = split_list(dns.forwarders, false);
  o.resolver.use_resolv_conf = dns.use_resolv_conf;
  o.resolver.dnssec = dns.dnssec;
  o.resolver.trust_anchor_file = dns.trust_anchor_file;
  o.resolver.insecure_domains = split_list(dns.insecure_domains, true);
  o.resolver.timeout = dns.timeout;
  o.route.families =
      dns::parse_address_families(routing.address_families).value_or(o.route.families);
  o.route.max_mx_hosts = routing.max_mx_hosts;
  o.route.max_addresses = routing.max_addresses;
  o.route.local_names = {lower(o.ehlo_name)};
  if (!config.hostname.empty() && lower(config.hostname) != o.route.local_names[0])
    o.route.local_names.push_back(lower(config.hostname));
  o.max_connections = relay.max_connections;
  o.max_connections_per_destination = relay.max_connections_per_destination;
  o.connection_cache_time = relay.connection_cache_time;
  o.connect_timeout = relay.connect_timeout;
  o.bind_address = relay.bind_address;
  o.bind_address6 = relay.bind_address6;
  o.timeouts.greeting = o.timeouts.command = o.timeouts.mail = o.timeouts.rcpt =
      o.timeouts.data_block = relay.command_timeout;
  o.timeouts.data_init = std::min(relay.command_timeout, std::chrono::seconds(120));
  o.timeouts.data_done = relay.data_timeout;
  return o;
}

}  // namespace estafeta::smtp
