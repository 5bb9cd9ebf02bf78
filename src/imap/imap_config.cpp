// imap_config: the [imap] key table (see the header). To add a key: the field in Settings, a
// row here, then regenerate examples/estafeta.toml (the config unit test says how) and add a
// line to docs/CONFIG.md.
#include "imap/imap_config.hpp"

#include <array>
#include <cstdint>
#include <string>

#include "config/config_table_section.hpp"

namespace estafeta::imap {
namespace {

using config::KeyType;
using config::set_int;
using config::set_seconds;
using config::Value;
using Row = config::TableRow<Settings>;

constexpr int64_t kMiB = int64_t{1024} * 1024;

template <class T>
Value int_value(T n) {
  return Value(static_cast<int64_t>(n));
}

const std::array kRows = {
    Row{{"max_connections", KeyType::integer, "Concurrent IMAP sessions in total."},
        [](Settings& s, const Value& v) { return set_int(s.max_connections, v, 1, 1000000); },
        [](const Settings& s) -> Value { return int_value(s.max_connections); }},
    Row{{"max_connections_per_ip", KeyType::integer,
         "Concurrent IMAP sessions from one client address (IPv6: per ipv6_prefix)."},
        [](Settings& s, const Value& v) {
          return set_int(s.max_connections_per_ip, v, 1, 1000000);
        },
        [](const Settings& s) -> Value { return int_value(s.max_connections_per_ip); }},
    Row{{"max_connections_per_user", KeyType::integer,
         "Concurrent IMAP sessions of one account; one more is refused at login."},
        [](Settings& s, const Value& v) {
          return set_int(s.max_connections_per_user, v, 1, 100000);
        },
        [](const Settings& s) -> Value { return int_value(s.max_connections_per_user); }},
    Row{{"ipv6_prefix", KeyType::integer,
         "IPv6 clients are counted per prefix of this length for max_connections_per_ip."},
        [](Settings& s, const Value& v) { return set_int(s.ipv6_prefix, v, 32, 128); },
        [](const Settings& s) -> Value { return int_value(s.ipv6_prefix); }},
    Row{{"stress_threshold", KeyType::integer,
         "Percent of max_connections in use above which sessions not logged in get a short "
         "timeout and the longest-idle of them is closed to make room."},
        [](Settings& s, const Value& v) { return set_int(s.stress_threshold, v, 1, 100); },
        [](const Settings& s) -> Value { return int_value(s.stress_threshold); }},
    Row{{"login_timeout", KeyType::integer,
         "Seconds a session that has not logged in may wait between commands."},
        [](Settings& s, const Value& v) { return set_seconds(s.login_timeout, v, 5, 3600); },
        [](const Settings& s) -> Value { return int_value(s.login_timeout.count()); }},
    Row{{"autologout", KeyType::integer,
         "Seconds a logged-in session (or one IDLE) may stay silent (RFC 9051 5.4: at least "
         "1800)."},
        [](Settings& s, const Value& v) { return set_seconds(s.autologout, v, 1800, 86400); },
        [](const Settings& s) -> Value { return int_value(s.autologout.count()); }},
    Row{{"append_limit", KeyType::integer,
         "Octets of one APPENDed message (advertised as APPENDLIMIT, RFC 7889)."},
        [](Settings& s, const Value& v) {
          return set_int(s.append_limit, v, 1024, int64_t{4096} * kMiB);
        },
        [](const Settings& s) -> Value { return int_value(s.append_limit); }},
    Row{{"max_line_length", KeyType::integer, "Octets in one command line, literals not counted."},
        [](Settings& s, const Value& v) { return set_int(s.max_line_length, v, 1000, 16 * kMiB); },
        [](const Settings& s) -> Value { return int_value(s.max_line_length); }},
    Row{{"max_bad_commands", KeyType::integer,
         "Commands answered BAD in a row (as Dovecot counts) before BYE and close."},
        [](Settings& s, const Value& v) { return set_int(s.max_bad_commands, v, 1, 1000); },
        [](const Settings& s) -> Value { return int_value(s.max_bad_commands); }},
    Row{{"max_auth_failures", KeyType::integer,
         "Failed LOGIN/AUTHENTICATE per session before BYE and close."},
        [](Settings& s, const Value& v) { return set_int(s.max_auth_failures, v, 1, 100); },
        [](const Settings& s) -> Value { return int_value(s.max_auth_failures); }},
};

const config::TableSection<Settings>& section() {
  static const config::TableSection<Settings> table("imap", kRows);
  return table;
}

}  // namespace

void register_config() {
  config::register_section(section());
}

Settings settings_from(const config::Config& config) {
  return section().settings_from(config);
}

}  // namespace estafeta::imap
