// config_connection_keys: the keys that bound a mail-access server's connections and
// sessions, shared by the [imap] and [pop3] tables (imap/imap_config.cpp,
// pop3/pop3_config.cpp): max_connections, max_connections_per_ip, ipv6_prefix,
// stress_threshold, login_timeout, max_bad_commands and max_auth_failures. Each function
// returns one TableRow (config_table_section.hpp) holding the key's name, its one range and,
// where the protocols word it alike, its doc, for any settings struct with a field of the
// key's name; a protocol lists these rows in its own table, in its own order, between its own
// keys, and passes the doc where it names the protocol or its replies. Header-only templates;
// no allocation. Input: values config::load already type-checked (trusted file); every range
// is checked here.
#pragma once

#include <cstdint>
#include <string_view>

#include "config/config_section.hpp"
#include "config/config_table_section.hpp"

namespace estafeta::config {

// "Concurrent IMAP sessions in total.": 1-1000000.
template <class Settings>
constexpr TableRow<Settings> max_connections_row(std::string_view doc) {
  return {{"max_connections", KeyType::integer, doc},
          [](Settings& s, const Value& v) { return set_int(s.max_connections, v, 1, 1000000); },
          [](const Settings& s) -> Value { return int_value(s.max_connections); }};
}

// Sessions from one client address (an IPv6 prefix of ipv6_prefix bits): 1-1000000.
template <class Settings>
constexpr TableRow<Settings> max_connections_per_ip_row(std::string_view doc) {
  return {
      {"max_connections_per_ip", KeyType::integer, doc},
      [](Settings& s, const Value& v) { return set_int(s.max_connections_per_ip, v, 1, 1000000); },
      [](const Settings& s) -> Value { return int_value(s.max_connections_per_ip); }};
}

template <class Settings>
constexpr TableRow<Settings> ipv6_prefix_row() {
  return {{"ipv6_prefix", KeyType::integer,
           "IPv6 clients are counted per prefix of this length for max_connections_per_ip."},
          [](Settings& s, const Value& v) { return set_int(s.ipv6_prefix, v, 32, 128); },
          [](const Settings& s) -> Value { return int_value(s.ipv6_prefix); }};
}

// Stress mode as the login servers apply it (SMTP words and applies its own).
template <class Settings>
constexpr TableRow<Settings> stress_threshold_row() {
  return {{"stress_threshold", KeyType::integer,
           "Percent of max_connections in use above which sessions not logged in get a short "
           "timeout and the longest-idle of them is closed to make room."},
          [](Settings& s, const Value& v) { return set_int(s.stress_threshold, v, 1, 100); },
          [](const Settings& s) -> Value { return int_value(s.stress_threshold); }};
}

template <class Settings>
constexpr TableRow<Settings> login_timeout_row() {
  return {{"login_timeout", KeyType::integer,
           "Seconds a session that has not logged in may wait between commands."},
          [](Settings& s, const Value& v) { return set_seconds(s.login_timeout, v, 5, 3600); },
          [](const Settings& s) -> Value { return int_value(s.login_timeout.count()); }};
}

// Malformed or unknown commands before the session is closed: 1-1000.
template <class Settings>
constexpr TableRow<Settings> max_bad_commands_row(std::string_view doc) {
  return {{"max_bad_commands", KeyType::integer, doc},
          [](Settings& s, const Value& v) { return set_int(s.max_bad_commands, v, 1, 1000); },
          [](const Settings& s) -> Value { return int_value(s.max_bad_commands); }};
}

// Failed logins per session before it is closed: 1-100.
template <class Settings>
constexpr TableRow<Settings> max_auth_failures_row(std::string_view doc) {
  return {{"max_auth_failures", KeyType::integer, doc},
          [](Settings& s, const Value& v) { return set_int(s.max_auth_failures, v, 1, 100); },
          [](const Settings& s) -> Value { return int_value(s.max_auth_failures); }};
}

}  // namespace estafeta::config
