// net_protocol_server: what every protocol server (smtp_server, imap_server, pop3_server)
// does the same way when it puts itself on net::Server: it takes its connection limits from
// its own settings, whose fields carry the names of the shared config keys
// (max_connections, max_connections_per_ip, ipv6_prefix, stress_threshold;
// config/config_connection_keys.hpp), and it gives each listener the protocol's refusal lines,
// sent only where the client speaks plain text first (an implicit-TLS client would read them
// as garbage, so it is just closed). Header-only, no state; the refusal lines are the
// protocol's own constant text, never the peer's.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "net/net_server.hpp"

namespace estafeta::net {

// The net::Server limits of a protocol's settings (any struct with the four fields).
template <class Settings>
ServerLimits server_limits(const Settings& s) {
  ServerLimits n;
  n.max_connections = s.max_connections;
  n.max_connections_per_ip = s.max_connections_per_ip;
  n.ipv6_prefix = s.ipv6_prefix;
  n.stress_threshold_percent = s.stress_threshold;
  return n;
}

// A listener named `name` (for the log); the refusal lines (with their CRLF) apply unless
// `implicit_tls`. The caller sets make_adapter.
inline ListenerOptions listener_options(std::string name, bool implicit_tls,
                                        std::string_view refuse_total,
                                        std::string_view refuse_per_address) {
  ListenerOptions listener;
  listener.name = std::move(name);
  listener.implicit_tls = implicit_tls;
  if (!implicit_tls) {
    listener.refuse_total = refuse_total;
    listener.refuse_per_address = refuse_per_address;
  }
  return listener;
}

}  // namespace estafeta::net
