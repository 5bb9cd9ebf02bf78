// smtp_config: the [smtp] section of estafeta.toml, owned by the SMTP server: every key with
// its range and one-line doc, and smtp::Settings, what they fill (the limits of
// smtp_limits.hpp plus the AUTH and relay policy switches). register_config() adds the section to
// config/ (config_section.hpp) and must run before the configuration is loaded, rendered or
// compared; settings_from() applies the values a file set over the defaults.
// Input: values config::load already type-checked (trusted file, every range checked here).
#pragma once

#include "config/config.hpp"
#include "net/net_network_list.hpp"
#include "smtp/proto/smtp_limits.hpp"

namespace estafeta::smtp {

struct Settings {
  Limits limits;
  // smtp.allow_plain_auth_on_loopback: allow AUTH without TLS from 127.0.0.0/8 and ::1.
  bool allow_plain_auth_on_loopback = false;
  // smtp.auth_on_mx: offer AUTH on the MX listener (port 25) too.
  bool auth_on_mx = false;
  // smtp.relay_networks: clients that may relay through the MX listener without AUTH.
  net::NetworkList relay_networks;
};

// Registers the [smtp] section with config/ (once; later calls do nothing).
void register_config();

// The [smtp] settings of `config`: defaults, overridden by what its file set.
Settings settings_from(const config::Config& config);

}  // namespace estafeta::smtp
