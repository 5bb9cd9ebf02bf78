// pop3_config: the [pop3] section of estafeta.toml, owned by the POP3 server: every key with
// its range and one-line doc, and pop3::Settings, what they fill. register_config() adds the
// section to config/ (config_section.hpp) and must run before the configuration is loaded,
// rendered or compared; settings_from() applies the values a file set over the defaults.
// Input: values config::load already type-checked (trusted file, every range checked here).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "config/config.hpp"

namespace estafeta::pop3 {

struct Settings {
  std::size_t max_connections = 1000;
  std::size_t max_connections_per_ip = 50;
  unsigned ipv6_prefix = 64;
  unsigned stress_threshold = 80;
  // Before login: a client that says nothing for this long is disconnected.
  std::chrono::seconds login_timeout{60};
  // After login: RFC 1939 §3, an inactivity autologout timer of at least 10 minutes.
  std::chrono::seconds idle_timeout{600};
  unsigned max_bad_commands = 20;  // -ERR answers to unknown or malformed commands before close
  unsigned max_auth_failures = 3;  // failed USER/PASS or AUTH per session before close
  bool retr_sets_seen = true;      // RETR marks the message \Seen (as Dovecot)
  // Messages a session lists (the oldest first); the mailbox's real count goes to the log.
  std::size_t max_listed_messages = 100000;
};

// Registers the [pop3] section with config/ (once; later calls do nothing).
void register_config();

// The [pop3] settings of `config`: defaults, overridden by what its file set.
Settings settings_from(const config::Config& config);

}  // namespace estafeta::pop3
