// pop3_config: the [pop3] key table (see the header). To add a key: the field in Settings, a
// row here, then regenerate examples/estafeta.toml (the config unit test says how) and add a
// line to docs/CONFIG.md. The keys shared with [imap] are config_connection_keys.hpp rows.
#include "pop3/pop3_config.hpp"

#include <array>
#include <cstdint>
#include <string>

#include "config/config_connection_keys.hpp"
#include "config/config_table_section.hpp"

namespace estafeta::pop3 {
namespace {

using config::int_value;
using config::KeyType;
using config::set_bool;
using config::set_int;
using config::set_seconds;
using config::Value;
using Row = config::TableRow<Settings>;

const std::array kRows = {
    config::max_connections_row<Settings>("Concurrent POP3 sessions in total."),
    config::max_connections_per_ip_row<Settings>(
        "Concurrent POP3 sessions from one client address (IPv6: per ipv6_prefix)."),
    config::ipv6_prefix_row<Settings>(),
    config::stress_threshold_row<Settings>(),
    config::login_timeout_row<Settings>(),
    Row{{"idle_timeout", KeyType::integer,
         "Seconds a logged-in session may stay silent (RFC 1939 3: at least 600); a session "
         "that times out deletes nothing."},
        [](Settings& s, const Value& v) { return set_seconds(s.idle_timeout, v, 600, 86400); },
        [](const Settings& s) -> Value { return int_value(s.idle_timeout.count()); }},
    config::max_bad_commands_row<Settings>(
        "Unknown or malformed commands per session before -ERR and close."),
    config::max_auth_failures_row<Settings>(
        "Failed USER/PASS or AUTH per session before -ERR and close."),
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
