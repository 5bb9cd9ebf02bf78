// pop3_config: the [pop3] key table (see the header). To add a key: the field in Settings, a
// row here, then regenerate examples/estafeta.toml (the config unit test says how) and add a
// line to docs/CONFIG.md.
#include "pop3/pop3_config.hpp"

#include <array>
#include <cstdint>
#include <string>

#include "config/config_table_section.hpp"

namespace estafeta::pop3 {
namespace {

using config::KeyType;
using config::set_bool;
using config::set_int;
using config::set_seconds;
using config::Value;
using Row = config::TableRow<Settings>;

template <class T>
Value int_value(T n) {
  return Value(static_cast<int64_t>(n));
}

const std::array kRows = {
    Row{{"max_connections", KeyType::integer, "Concurrent POP3 sessions in total."},
        [](Settings& s, const Value& v) { return set_int(s.max_connections, v, 1, 1000000); },
        [](const Settings& s) -> Value { return int_value(s.max_connections); }},
    Row{{"max_connections_per_ip", KeyType::integer,
         "Concurrent POP3 sessions from one client address (IPv6: per ipv6_prefix)."},
        [](Settings& s, const Value& v) {
          return set_int(s.max_connections_per_ip, v, 1, 1000000);
        },
        [](const Settings& s) -> Value { return int_value(s.max_connections_per_ip); }},
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
    Row{{"idle_timeout", KeyType::integer,
         "Seconds a logged-in session may stay silent (RFC 1939 3: at least 600); a session "
         "that times out deletes nothing."},
        [](Settings& s, const Value& v) { return set_seconds(s.idle_timeout, v, 600, 86400); },
        [](const Settings& s) -> Value { return int_value(s.idle_timeout.count()); }},
    Row{{"max_bad_commands", KeyType::integer,
         "Unknown or malformed commands per session before -ERR and close."},
        [](Settings& s, const Value& v) { return set_int(s.max_bad_commands, v, 1, 1000); },
        [](const Settings& s) -> Value { return int_value(s.max_bad_commands); }},
    Row{{"max_auth_failures", KeyType::integer,
         "Failed USER/PASS or AUTH per session before -ERR and close."},
        [](Settings& s, const Value& v) { return set_int(s.max_auth_failures, v, 1, 100); },
        [](const Settings& s) -> Value { return int_value(s.max_auth_failures); }},
    Row{{"retr_sets_seen", KeyType::boolean,
         "RETR marks the message \\Seen, as IMAP shows it (as Dovecot does); TOP never does."},
        [](Settings& s, const Value& v) { return set_bool(s.retr_sets_seen, v); },
        [](const Settings& s) -> Value { return Value(s.retr_sets_seen); }},
    Row{{"max_listed_messages", KeyType::integer,
         "Messages one session sees (the oldest first) in a huge mailbox; the real count is "
         "logged. Clients download, delete and come back for the rest."},
        [](Settings& s, const Value& v) { return set_int(s.max_listed_messages, v, 1, 100000000); },
        [](const Settings& s) -> Value { return int_value(s.max_listed_messages); }},
};

const config::TableSection<Settings>& section() {
  static const config::TableSection<Settings> table("pop3", kRows);
  return table;
}

}  // namespace

void register_config() {
  config::register_section(section());
}

Settings settings_from(const config::Config& config) {
  return section().settings_from(config);
}

}  // namespace estafeta::pop3
