// smtp_config: the [smtp] key table (see the header). To add a key: the field in
// smtp_limits.hpp (or Settings), a row here, then regenerate examples/estafeta.toml (the
// config unit test says how) and add a line to docs/CONFIG.md.
#include "smtp/smtp_config.hpp"

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <string>

#include "config/config_table_section.hpp"

namespace estafeta::smtp {
namespace {

using config::int_value;
using config::set_bool;
using config::set_int;
using config::set_seconds;

using config::KeyType;
using config::Value;

constexpr int64_t kMiB = int64_t{1024} * 1024;

using Row = config::TableRow<Settings>;

const std::array kRows = {
    Row{{"allow_plain_auth_on_loopback", KeyType::boolean,
         "Allow AUTH without TLS from 127.0.0.0/8 and ::1 (for local tools and tests)."},
        [](Settings& cfg, const Value& v) { return set_bool(cfg.allow_plain_auth_on_loopback, v); },
        [](const Settings& cfg) -> Value { return Value(cfg.allow_plain_auth_on_loopback); }},
    Row{{"auth_on_mx", KeyType::boolean,
         "Offer AUTH on the MX listener (port 25) too; submission is the place for it."},
        [](Settings& cfg, const Value& v) { return set_bool(cfg.auth_on_mx, v); },
        [](const Settings& cfg) -> Value { return Value(cfg.auth_on_mx); }},
    Row{{"relay_networks", KeyType::string,
         "Clients that may relay through the MX listener without AUTH (Postfix's mynetworks): "
         "\"127.0.0.0/8, ::1, 192.168.1.0/24\". Empty: nobody."},
        [](Settings& cfg, const Value& v) -> std::string {
          std::string error;
          auto list = net::NetworkList::parse(std::get<std::string>(v), error);
          if (!list) return error;
          if (list->contains("0.0.0.0") && list->contains("255.255.255.255"))
            return "that is every IPv4 address: an open relay";
          if (list->contains("::") && list->contains("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))
            return "that is every IPv6 address: an open relay";
          cfg.relay_networks = std::move(*list);
          return "";
        },
        [](const Settings& cfg) -> Value { return cfg.relay_networks.to_string(); }},
    Row{{"max_command_line", KeyType::integer,
         "Octets in one command line incl. CRLF (RFC 5321 4.5.3.1.4: at least 512)."},
        [](Settings& cfg, const Value& v) {
          return set_int(cfg.limits.max_command_line, v, 512, 65536);
        },
        [](const Settings& cfg) -> Value { return int_value(cfg.limits.max_command_line); }},
    Row{{"max_line_length", KeyType::integer,
         "Octets in one message line incl. CRLF (RFC 5321 4.5.3.1.6: at least 1000)."},
        [](Settings& cfg, const Value& v) {
          return set_int(cfg.limits.max_line_length, v, 1000, 16 * kMiB);
        },
        [](const Settings& cfg) -> Value { return int_value(cfg.limits.max_line_length); }},
    Row{{"max_message_size", KeyType::integer,
         "Octets of message data accepted (advertised as SIZE, RFC 1870)."},
        [](Settings& cfg, const Value& v) {
          return set_int(cfg.limits.max_message_size, v, 1024, int64_t{4096} * kMiB);
        },
        [](const Settings& cfg) -> Value { return int_value(cfg.limits.max_message_size); }},
    Row{{"max_recipients", KeyType::integer,
         "RCPT TO per transaction; more get 452 4.5.3 (RFC 5321 4.5.3.1.8)."},
        [](Settings& cfg, const Value& v) {
          return set_int(cfg.limits.max_recipients, v, 1, 100000);
        },
        [](const Settings& cfg) -> Value { return int_value(cfg.limits.max_recipients); }},
    Row{{"bare_lf", KeyType::string,
         "A lone LF in message data: \"reject\" (550 5.6.2) or \"normalize\" (stored as "
         "CRLF; only CRLF.CRLF ends DATA, so smuggling stays impossible)."},
        [](Settings& cfg, const Value& v) -> std::string {
          const auto& s = std::get<std::string>(v);
          if (s == "reject") {
            cfg.limits.bare_lf = Limits::BareLf::reject;
          } else if (s == "normalize") {
            cfg.limits.bare_lf = Limits::BareLf::normalize;
          } else {
            return "expected \"reject\" or \"normalize\"";
          }
          return "";
        },
        [](const Settings& cfg) -> Value {
          return std::string(cfg.limits.bare_lf == Limits::BareLf::normalize ? "normalize"
                                                                             : "reject");
        }},
    Row{{"max_errors", KeyType::integer, "Failed commands per session before 421 4.7.0 and close."},
        [](Settings& cfg, const Value& v) { return set_int(cfg.limits.max_errors, v, 1, 1000); },
        [](const Settings& cfg) -> Value { return int_value(cfg.limits.max_errors); }},
    Row{{"max_junk_commands", KeyType::integer,
         "Commands that move no mail (EHLO, HELO, NOOP, RSET, HELP, VRFY, EXPN) per session "
         "before 421 4.7.0 and close; each accepted message starts the count again (Postfix "
         "smtpd_junk_command_limit)."},
        [](Settings& cfg, const Value& v) {
          return set_int(cfg.limits.max_junk_commands, v, 1, 1000000);
        },
        [](const Settings& cfg) -> Value { return int_value(cfg.limits.max_junk_commands); }},
    Row{{"max_received_headers", KeyType::integer,
         "Received fields in a message before it is refused as a loop (554 5.4.6)."},
        [](Settings& cfg, const Value& v) {
          return set_int(cfg.limits.max_received_headers, v, 1, 1000);
        },
        [](const Settings& cfg) -> Value { return int_value(cfg.limits.max_received_headers); }},
    Row{{"max_connections", KeyType::integer, "Concurrent SMTP sessions in total."},
        [](Settings& cfg, const Value& v) {
          return set_int(cfg.limits.max_connections, v, 1, 1000000);
        },
        [](const Settings& cfg) -> Value { return int_value(cfg.limits.max_connections); }},
    Row{{"max_connections_per_ip", KeyType::integer,
         "Concurrent SMTP sessions from one client address."},
        [](Settings& cfg, const Value& v) {
          return set_int(cfg.limits.max_connections_per_ip, v, 1, 1000000);
        },
        [](const Settings& cfg) -> Value { return int_value(cfg.limits.max_connections_per_ip); }},
    Row{{"ipv6_prefix", KeyType::integer,
         "IPv6 clients are counted per prefix of this length for max_connections_per_ip."},
        [](Settings& cfg, const Value& v) { return set_int(cfg.limits.ipv6_prefix, v, 32, 128); },
        [](const Settings& cfg) -> Value { return int_value(cfg.limits.ipv6_prefix); }},
    Row{{"stress_threshold", KeyType::integer,
         "Percent of max_connections in use above which stress mode begins: short "
         "timeouts before MAIL, the longest-idle such session closed to make room."},
        [](Settings& cfg, const Value& v) {
          return set_int(cfg.limits.stress_threshold, v, 1, 100);
        },
        [](const Settings& cfg) -> Value { return int_value(cfg.limits.stress_threshold); }},
    Row{{"stress_command_timeout", KeyType::integer,
         "Seconds to wait for a command before MAIL (unauthenticated) in stress mode."},
        [](Settings& cfg, const Value& v) {
          return set_seconds(cfg.limits.stress_command_timeout, v, 1, 86400);
        },
        [](const Settings& cfg) -> Value {
          return int_value(cfg.limits.stress_command_timeout.count());
        }},
    Row{{"max_auth_failures", KeyType::integer,
         "Failed AUTH attempts per session before 421 and close."},
        [](Settings& cfg, const Value& v) {
          return set_int(cfg.limits.max_auth_failures, v, 1, 100);
        },
        [](const Settings& cfg) -> Value { return int_value(cfg.limits.max_auth_failures); }},
    Row{{"command_timeout", KeyType::integer,
         "Seconds to wait for a command (RFC 5321 4.5.3.2.7 asks for 300)."},
        [](Settings& cfg, const Value& v) {
          return set_seconds(cfg.limits.command_timeout, v, 1, 86400);
        },
        [](const Settings& cfg) -> Value { return int_value(cfg.limits.command_timeout.count()); }},
    Row{{"data_timeout", KeyType::integer,
         "Seconds to wait for the next DATA/BDAT chunk (RFC 5321 4.5.3.2.6 asks for 180)."},
        [](Settings& cfg, const Value& v) {
          return set_seconds(cfg.limits.data_timeout, v, 1, 86400);
        },
        [](const Settings& cfg) -> Value { return int_value(cfg.limits.data_timeout.count()); }},
    Row{{"min_data_rate", KeyType::integer,
         "Octets/second a client must sustain during DATA/BDAT; 0 = no minimum."},
        [](Settings& cfg, const Value& v) {
          return set_int(cfg.limits.min_data_rate, v, 0, 1024 * kMiB);
        },
        [](const Settings& cfg) -> Value { return int_value(cfg.limits.min_data_rate); }},
    Row{{"data_rate_grace", KeyType::integer,
         "Seconds into DATA/BDAT before min_data_rate applies."},
        [](Settings& cfg, const Value& v) {
          return set_seconds(cfg.limits.data_rate_grace, v, 0, 86400);
        },
        [](const Settings& cfg) -> Value { return int_value(cfg.limits.data_rate_grace.count()); }},
};

const config::TableSection<Settings>& section() {
  static const config::TableSection<Settings> table("smtp", kRows);
  return table;
}

}  // namespace

void register_config() {
  config::register_section(section());
}

Settings settings_from(const config::Config& config) {
  return section().settings_from(config);
}

}  // namespace estafeta::smtp
