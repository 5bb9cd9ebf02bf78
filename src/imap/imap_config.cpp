// imap_config: the [imap] key table (see the header). To add a key: the field in Settings, a
// row here, then regenerate examples/estafeta.toml (the config unit test says how) and add a
// line to docs/CONFIG.md. The keys shared with [pop3] are config_connection_keys.hpp rows.
#include "imap/imap_config.hpp"

#include <array>
#include <cstdint>
#include <string>

#include "config/config_connection_keys.hpp"
#include "config/config_table_section.hpp"

namespace estafeta::imap {
namespace {

using config::int_value;
using config::KeyType;
using config::set_int;
using config::set_seconds;
using config::Value;
using Row = config::TableRow<Settings>;

constexpr int64_t kMiB = int64_t{1024} * 1024;

const std::array kRows = {
    config::max_connections_row<Settings>("Concurrent IMAP sessions in total."),
    config::max_connections_per_ip_row<Settings>(
        "Concurrent IMAP sessions from one client address (IPv6: per ipv6_prefix)."),
    Row{{"max_connections_per_user", KeyType::integer,
         "Concurrent IMAP sessions of one account; one more is refused at login."},
        [](Settings& s, const Value& v) {
          return set_int(s.max_connections_per_user, v, 1, 100000);
        },
        [](const Settings& s) -> Value { return int_value(s.max_connections_per_user); }},
    config::ipv6_prefix_row<Settings>(),
    config::stress_threshold_row<Settings>(),
    config::login_timeout_row<Settings>(),
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
    Row{{"message_limit", KeyType::integer,
         "Messages one FETCH, SEARCH, STORE, COPY, MOVE or UID EXPUNGE processes (advertised as "
         "MESSAGELIMIT, RFC 9738); a UID command over it processes the highest UIDs, one by "
         "message numbers is refused."},
        [](Settings& s, const Value& v) { return set_int(s.message_limit, v, 1000, 100000000); },
        [](const Settings& s) -> Value { return int_value(s.message_limit); }},
    Row{{"max_line_length", KeyType::integer, "Octets in one command line, literals not counted."},
        [](Settings& s, const Value& v) { return set_int(s.max_line_length, v, 1000, 16 * kMiB); },
        [](const Settings& s) -> Value { return int_value(s.max_line_length); }},
    config::max_bad_commands_row<Settings>(
        "Commands answered BAD in a row (as Dovecot counts) before BYE and close."),
    config::max_auth_failures_row<Settings>(
        "Failed LOGIN/AUTHENTICATE per session before BYE and close."),
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
