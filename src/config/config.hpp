// config: the whole static configuration of a running Estafeta, loaded from one TOML file
// (estafeta.toml). Every key has a default, so `estafeta serve` runs with no file at all.
// Loading never throws: a bad file yields a ConfigError naming the file, line and key.
// examples/estafeta.toml documents every key; keep it, this struct and the loader in step.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/log.hpp"
#include "smtp/proto/smtp_limits.hpp"

namespace estafeta::config {

// What a listener speaks. mx: port 25, STARTTLS offered, AUTH only after TLS and not
// required. submission: 587, STARTTLS, AUTH required (RFC 6409). submissions: 465, implicit
// TLS (RFC 8314), AUTH required.
enum class ListenerKind { mx, submission, submissions };

struct Listener {
  std::string name;  // "smtp", "submission", "submissions": the TOML table name
  ListenerKind kind = ListenerKind::mx;
  std::string address;  // "" = all addresses; else numeric: "127.0.0.1", "::1" ...
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
};

struct Auth {
  // auth.max_login_failures: failed logins per client network (IPv4 address, IPv6 /64) or per
  // account within auth.login_failure_window before logins from/to it are refused for that
  // long; each failure also delays the answer (auth/proto/auth_login_throttle.hpp). 0 = off.
  std::size_t max_login_failures = 10;
  std::chrono::seconds login_failure_window{900};
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
  // smtp.allow_plain_auth_on_loopback: allow AUTH without TLS from 127.0.0.0/8 and ::1.
  bool allow_plain_auth_on_loopback = false;
  // smtp.auth_on_mx: offer AUTH on the MX listener (port 25) too.
  bool auth_on_mx = false;
  Auth auth;
  std::vector<Listener>
      listeners;  // [listener.NAME] tables; defaults: smtp, submission, submissions
  smtp::Limits smtp;
  Tls tls;
  Delivery delivery;
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
