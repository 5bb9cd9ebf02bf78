// imap_config: the [imap] section of estafeta.toml, owned by the IMAP server: every key with
// its range and one-line doc, and imap::Settings, what they fill. register_config() adds the
// section to config/ (config_section.hpp) and must run before the configuration is loaded,
// rendered or compared; settings_from() applies the values a file set over the defaults.
// Input: values config::load already type-checked (trusted file, every range checked here).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "config/config.hpp"

namespace estafeta::imap {

struct Settings {
  std::size_t max_connections = 1000;
  std::size_t max_connections_per_ip = 50;
  std::size_t max_connections_per_user = 20;  // sessions of one account at once
  unsigned ipv6_prefix = 64;
  unsigned stress_threshold = 80;
  // Before login: a client that says nothing for this long is disconnected.
  std::chrono::seconds login_timeout{60};
  // After login (RFC 9051 §5.4: an autologout timer of at least 30 minutes), also bounds one
  // IDLE: clients re-issue IDLE about every 29 minutes.
  std::chrono::seconds autologout{1860};
  std::uint64_t append_limit = std::uint64_t{50} * 1024 * 1024;  // APPENDLIMIT (RFC 7889)
  std::uint32_t message_limit = 1000000;                         // MESSAGELIMIT (RFC 9738)
  std::size_t max_line_length = 65536;  // one command line, literals not counted
  unsigned max_bad_commands = 20;       // BAD answers in a row before BYE
  unsigned max_auth_failures = 3;       // failed LOGIN/AUTHENTICATE per session before BYE
};

// Registers the [imap] section with config/ (once; later calls do nothing).
void register_config();

// The [imap] settings of `config`: defaults, overridden by what its file set.
Settings settings_from(const config::Config& config);

}  // namespace estafeta::imap
