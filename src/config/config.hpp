// config: the whole static configuration of a running Estafeta, loaded from one TOML file
// (estafeta.toml). Every key has a default, so `estafeta serve` runs with no file at all.
// Loading never throws: a bad file yields a ConfigError naming the file, line and key.
// examples/estafeta.toml documents every key; keep it, this struct and the loader in step.
// Protocol sections ([smtp]) are registered by their protocol (config_section.hpp): this
// struct keeps their values without knowing their types, and config/ includes no protocol.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/log.hpp"
#include "config/config_section.hpp"

namespace estafeta::config {

// The protocol a listener speaks ([listener.NAME] protocol).
enum class Protocol { smtp, imap, pop3 };

// How TLS begins ([listener.NAME] tls): starttls, a plaintext greeting and the protocol's
// upgrade command (SMTP STARTTLS RFC 3207, IMAP STARTTLS / POP3 STLS RFC 2595); implicit,
// TLS from the first octet (RFC 8314). There is no plaintext-only mode.
enum class TlsMode { starttls, implicit };

// What an SMTP listener is for ([listener.NAME] role): mx, mail from other servers (port 25:
// AUTH not offered unless smtp.auth_on_mx, never required); submission, mail from our users
// (RFC 6409: AUTH required; with tls = "implicit" the RFC 8314 port 465).
enum class SmtpRole { mx, submission };

// One listening socket: a plain struct the servers and the connection layer read.
struct Listener {
  std::string name;  // the TOML table name: "smtp", "submission", "imaps" ...
  Protocol protocol = Protocol::smtp;
  TlsMode tls_mode = TlsMode::starttls;
  SmtpRole role = SmtpRole::mx;  // protocol smtp only
  std::string address;           // "" = all addresses; else numeric: "127.0.0.1", "::1" ...
  uint16_t port = 25;
};

struct Tls {
  // tls.certificate / tls.private_key: PEM files. Empty: a local CA and a server certificate
  // for `hostname` are created under data_dir/tls on first start.
  std::filesystem::path certificate;
  std::filesystem::path private_key;
  std::string min_version = "TLSv1.2";  // tls.min_version: "TLSv1.2" or "TLSv1.3"
};

struct Delivery {
  // delivery.detail_separator: the character between user and detail ("user+tag").
  char detail_separator = '+';
  // delivery.detail_to_folder: deliver user+tag into the user's folder "tag" if it exists.
  bool detail_to_folder = false;
  // delivery.fsync: fsync files and directories before acknowledging (never off in production).
  bool fsync = true;
  // delivery.retry_interval: the first delay before a failed local delivery is tried again
  // from the spool; then 5, 15, 30 and 60 times that (1, 5, 15, 30, 60 minutes by default).
  std::chrono::seconds retry_interval{60};
  // delivery.encrypt: mail for a local user who has published an S/MIME certificate
  // (`estafeta user cert`) is stored encrypted to it (docs/SMIME.md, "At rest").
  bool encrypt = true;
  // delivery.encrypt_cipher: "aes-256-gcm" (authEnveloped-data, RFC 8551's MUST) or
  // "aes-256-cbc" (enveloped-data, for mail clients that cannot read the former).
  bool encrypt_cbc = false;
};

// [quota]: RFC 9208 limits for accounts without their own (`estafeta user quota` sets those,
// kept with the account's mail: docs/STORE.md). 0 = no limit.
struct Quota {
  std::uint64_t storage_kib = 0;  // quota.storage: "500M", "2G", "1024K", "none"
  std::uint64_t messages = 0;     // quota.messages
  std::uint64_t mailboxes = 0;    // quota.mailboxes
};

struct Auth {
  // auth.max_login_failures: failed logins per client network (IPv4 address, IPv6 /64) or per
  // account within auth.login_failure_window before logins from/to it are refused for that
  // long; each failure also delays the answer (auth/proto/auth_login_throttle.hpp). 0 = off.
  std::size_t max_login_failures = 10;
  std::chrono::seconds login_failure_window{900};
  // auth.allow_plaintext: IMAP LOGIN/AUTHENTICATE and POP3 USER/PASS/AUTH without TLS. Off:
  // passwords never cross the network in clear. For benchmarks and trusted loopback only.
  bool allow_plaintext = false;
  // auth.login_cache_ttl: a password that passed is not hashed again for this long when the
  // same account logs in with it (a keyed hash in memory, auth/auth_login_cache.hpp). 0 = off.
  std::chrono::seconds login_cache_ttl{600};
};

struct Config {
  std::filesystem::path source;             // the file this came from; empty when all defaults
  std::filesystem::path data_dir;           // data_dir: accounts DB, mail, tls; created if missing
  std::string hostname;                     // hostname: defaults to the machine's FQDN
  std::string run_as_user = "estafeta";     // run_as_user: used after binding when root
  log::Level log_level = log::Level::info;  // log_level
  bool trace = false;                       // trace: log every SMTP conversation as C:/S: lines
  std::size_t io_threads = 0;               // io_threads: 0 = number of cores
  std::size_t worker_threads =
      0;  // worker_threads: blocking work (fsync, SQLite); 0 = 2×cores, at least 32
  Auth auth;
  std::vector<Listener>
      listeners;  // [listener.NAME] tables; defaults: config_keys.hpp default_listeners()
  // Registered protocol sections ("smtp" -> its keys as set in the file; unset keys are
  // absent). The protocol reads them: smtp::settings_from(config).
  std::map<std::string, SectionValues, std::less<>> sections;
  Tls tls;
  Delivery delivery;
  Quota quota;
};

struct ConfigError {
  std::filesystem::path file;
  std::size_t line = 0;  // 0 when not tied to a line
  std::string key;       // dotted key, e.g. "smtp.max_recipients"
  std::string message;
  // "estafeta.toml:12: smtp.max_recipients: expected a positive integer"
  std::string to_string() const;
};

// The built-in defaults: data_dir from the environment (root: /var/lib/estafeta; otherwise
// $XDG_DATA_HOME/estafeta or ~/.local/share/estafeta), hostname from the system.
Config defaults();

// Loads `file` over the defaults. Unknown keys are errors (they are usually typos).
std::variant<Config, ConfigError> load(const std::filesystem::path& file);

}  // namespace estafeta::config
