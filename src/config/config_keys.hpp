// config_keys: the description table of every configuration key (name, type, one-line doc,
// how to set it from a checked value and how to print it back), in the spirit of mox's
// sconf-doc. The loader (config_load.cpp) applies values through this table, the example file
// examples/estafeta.toml is rendered from it (render_example), and tests compare configs
// through it, so struct, loader, example and docs cannot drift apart. Listener tables
// ([listener.NAME]) are described by listener_keys() and handled by the loader directly;
// protocol sections ([smtp]) come from their protocol (config_section.hpp).
// Trusted input (the administrator's file), but every value is type- and range-checked.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "config/config.hpp"

namespace estafeta::config {

struct KeySpec {
  std::string_view name;  // dotted: "data_dir", "smtp.max_recipients"
  KeyType type;
  std::string_view doc;  // one line, shown in examples/estafeta.toml and docs/CONFIG.md
  // Applies `v` to `c`. Returns "" or what is wrong ("expected a port number 1-65535").
  // `base` is the config file's directory (relative paths are taken from there).
  std::string (*set)(Config& c, const Value& v, const std::filesystem::path& base);
  // The current value as TOML text ("2048", "\"TLSv1.2\"", "true").
  std::string (*get)(const Config& c);
  // Non-empty when the default depends on the machine: the example shows this value
  // commented out instead of the computed default.
  std::string_view machine_default = {};
};

// Every key of config's own (not listener, not registered protocol sections), top-level keys
// first, then by section, in example-file order.
std::span<const KeySpec> keys();
const KeySpec* find_key(std::string_view dotted);

// The keys of one [listener.NAME] table, for the docs (type, doc).
struct ListenerKeyDoc {
  std::string_view name;
  KeyType type;
  std::string_view doc;
};
std::span<const ListenerKeyDoc> listener_keys();

std::string_view to_string(Protocol protocol);  // "smtp", "imap", "pop3"
std::string_view to_string(TlsMode mode);       // "starttls", "implicit"
std::string_view to_string(SmtpRole role);      // "mx", "submission"
bool parse_protocol(std::string_view text, Protocol& out);
bool parse_tls_mode(std::string_view text, TlsMode& out);
bool parse_smtp_role(std::string_view text, SmtpRole& out);
// The well-known port: SMTP 25 (mx), 587 (submission), 465 (submission, implicit TLS);
// IMAP 143 / 993; POP3 110 / 995. 0 for an MX with implicit TLS (no such port).
uint16_t default_port(Protocol protocol, TlsMode mode, SmtpRole role);
// "smtp mx starttls", "imap implicit": for logs.
std::string describe(const Listener& listener);
// The listeners used when no [listener.*] table is present: SMTP 25 (mx), 587 (submission)
// and 465 (submission, implicit TLS); IMAP 143 (STARTTLS) and 993; POP3 110 (STLS) and 995.
std::vector<Listener> default_listeners();

// A TOML basic string: quotes, backslashes and control characters escaped.
std::string toml_quote(std::string_view s);

// The text of examples/estafeta.toml: every key with its doc and default.
std::string render_example();

// True when both configs hold the same settings (every key and every listener; `source`
// is ignored). Used by tests and `config check`.
bool same_settings(const Config& a, const Config& b);

}  // namespace estafeta::config
