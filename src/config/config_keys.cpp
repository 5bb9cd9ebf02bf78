// config_keys: the key table (see config_keys.hpp). To add a key: add the field to
// config.hpp, a row here, then regenerate examples/estafeta.toml (the config unit test prints
// how) and add a line to docs/CONFIG.md.
#include "config/config_keys.hpp"

#include <fmt/format.h>

#include <array>

namespace estafeta::config {

namespace {

namespace fs = std::filesystem;

std::string range_message(int64_t lo, int64_t hi) {
  return fmt::format("expected an integer {}-{}", lo, hi);
}

template <class T>
std::string set_int(T& dst, const Value& v, int64_t lo, int64_t hi) {
  int64_t n = std::get<int64_t>(v);
  if (n < lo || n > hi) return range_message(lo, hi);
  dst = static_cast<T>(n);
  return "";
}

std::string set_seconds(std::chrono::seconds& dst, const Value& v, int64_t lo, int64_t hi) {
  int64_t n = std::get<int64_t>(v);
  if (n < lo || n > hi) return fmt::format("expected a number of seconds {}-{}", lo, hi);
  dst = std::chrono::seconds(n);
  return "";
}

std::string set_bool(bool& dst, const Value& v) {
  dst = std::get<bool>(v);
  return "";
}

bool has_control(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

std::string set_path(fs::path& dst, const Value& v, const fs::path& base, bool allow_empty) {
  const auto& s = std::get<std::string>(v);
  if (s.empty()) {
    if (!allow_empty) return "expected a non-empty path";
    dst.clear();
    return "";
  }
  if (has_control(s)) return "path contains control characters";
  fs::path p(s);
  dst = (p.is_relative() && !base.empty()) ? (base / p).lexically_normal() : p;
  return "";
}

bool valid_hostname(std::string_view h) {
  if (h.empty() || h.size() > 253 || h.front() == '.' || h.back() == '.') return false;
  std::size_t label = 0;
  char prev = '.';
  for (char c : h) {
    if (c == '.') {
      if (label == 0 || prev == '-') return false;
      label = 0;
    } else {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                (c == '-' && label > 0) || c == '_';
      if (!ok || ++label > 63) return false;
    }
    prev = c;
  }
  return prev != '-';
}

std::string quote_path(const fs::path& p) {
  return toml_quote(p.string());
}
std::string num(std::size_t n) {
  return std::to_string(n);
}
std::string yes_no(bool b) {
  return b ? "true" : "false";
}

constexpr int64_t kMiB = int64_t{1024} * 1024;

const std::array kKeys = {
    KeySpec{"data_dir", KeyType::string,
            "Directory for accounts.db, mail/<domain>/<user>/ and tls/; created if missing. "
            "Default: /var/lib/estafeta as root, else $XDG_DATA_HOME/estafeta or "
            "~/.local/share/estafeta.",
            [](Config& c, const Value& v, const fs::path& b) {
              return set_path(c.data_dir, v, b, false);
            },
            [](const Config& c) { return quote_path(c.data_dir); }, "\"/var/lib/estafeta\""},
    KeySpec{"hostname", KeyType::string,
            "Name in the SMTP banner, EHLO and Received fields, and in the generated "
            "certificate. Default: this machine's FQDN.",
            [](Config& c, const Value& v, const fs::path&) -> std::string {
              const auto& s = std::get<std::string>(v);
              if (!valid_hostname(s)) return "expected a host name such as \"mail.example.org\"";
              c.hostname = s;
              return "";
            },
            [](const Config& c) { return toml_quote(c.hostname); }, "\"mail.example.org\""},
    KeySpec{"run_as_user", KeyType::string,
            "When started as root: the user to switch to after binding the listeners.",
            [](Config& c, const Value& v, const fs::path&) -> std::string {
              const auto& s = std::get<std::string>(v);
              if (s.empty() || s.size() > 64 || has_control(s) ||
                  s.find_first_of(" :/") != std::string::npos)
                return "expected a user name";
              c.run_as_user = s;
              return "";
            },
            [](const Config& c) { return toml_quote(c.run_as_user); }},
    KeySpec{
        "log_level", KeyType::string,
        "Least severe log level written: trace, debug, info, warn or error.",
        [](Config& c, const Value& v, const fs::path&) -> std::string {
          if (!log::parse_level(std::get<std::string>(v), c.log_level))
            return "expected one of trace, debug, info, warn, error";
          return "";
        },
        [](const Config& c) -> std::string {
          static constexpr std::string_view names[] = {"trace", "debug", "info", "warn", "error"};
          return toml_quote(names[static_cast<int>(c.log_level)]);
        }},
    KeySpec{"trace", KeyType::boolean,
            "Log every SMTP conversation as C:/S: lines (AUTH secrets redacted); same as "
            "`serve --trace`.",
            [](Config& c, const Value& v, const fs::path&) { return set_bool(c.trace, v); },
            [](const Config& c) { return yes_no(c.trace); }},
    KeySpec{"io_threads", KeyType::integer, "Network threads; 0 = one per core.",
            [](Config& c, const Value& v, const fs::path&) {
              return set_int(c.io_threads, v, 0, 1024);
            },
            [](const Config& c) { return num(c.io_threads); }},
    KeySpec{"worker_threads", KeyType::integer,
            "Threads for blocking work (fsync, SQLite); 0 = two per core, at least 32.",
            [](Config& c, const Value& v, const fs::path&) {
              return set_int(c.worker_threads, v, 0, 1024);
            },
            [](const Config& c) { return num(c.worker_threads); }},

    KeySpec{"smtp.allow_plain_auth_on_loopback", KeyType::boolean,
            "Allow AUTH without TLS from 127.0.0.0/8 and ::1 (for local tools and tests).",
            [](Config& c, const Value& v, const fs::path&) {
              return set_bool(c.allow_plain_auth_on_loopback, v);
            },
            [](const Config& c) { return yes_no(c.allow_plain_auth_on_loopback); }},
    KeySpec{"smtp.auth_on_mx", KeyType::boolean,
            "Offer AUTH on the MX listener (port 25) too; submission is the place for it.",
            [](Config& c, const Value& v, const fs::path&) { return set_bool(c.auth_on_mx, v); },
            [](const Config& c) { return yes_no(c.auth_on_mx); }},
    KeySpec{"smtp.max_command_line", KeyType::integer,
            "Octets in one command line incl. CRLF (RFC 5321 4.5.3.1.4: at least 512).",
            [](Config& c, const Value& v, const fs::path&) {
              return set_int(c.smtp.max_command_line, v, 512, 65536);
            },
            [](const Config& c) { return num(c.smtp.max_command_line); }},
    KeySpec{"smtp.max_line_length", KeyType::integer,
            "Octets in one message line incl. CRLF (RFC 5321 4.5.3.1.6: at least 1000).",
            [](Config& c, const Value& v, const fs::path&) {
              return set_int(c.smtp.max_line_length, v, 1000, 16 * kMiB);
            },
            [](const Config& c) { return num(c.smtp.max_line_length); }},
    KeySpec{"smtp.max_message_size", KeyType::integer,
            "Octets of message data accepted (advertised as SIZE, RFC 1870).",
            [](Config& c, const Value& v, const fs::path&) {
              return set_int(c.smtp.max_message_size, v, 1024, int64_t{4096} * kMiB);
            },
            [](const Config& c) { return num(c.smtp.max_message_size); }},
    KeySpec{"smtp.max_recipients", KeyType::integer,
            "RCPT TO per transaction; more get 452 4.5.3 (RFC 5321 4.5.3.1.8).",
            [](Config& c, const Value& v, const fs::path&) {
              return set_int(c.smtp.max_recipients, v, 1, 100000);
            },
            [](const Config& c) { return num(c.smtp.max_recipients); }},
    KeySpec{"smtp.max_errors", KeyType::integer,
            "Failed commands per session before 421 4.7.0 and close.",
            [](Config& c, const Value& v, const fs::path&) {
              return set_int(c.smtp.max_errors, v, 1, 1000);
            },
            [](const Config& c) { return num(c.smtp.max_errors); }},
    KeySpec{"smtp.max_junk_commands", KeyType::integer,
            "Commands that move no mail (EHLO, HELO, NOOP, RSET, HELP, VRFY, EXPN) per session "
            "before 421 4.7.0 and close; each accepted message starts the count again (Postfix "
            "smtpd_junk_command_limit).",
            [](Config& c, const Value& v, const fs::path&) {
              return set_int(c.smtp.max_junk_commands, v, 1, 1000000);
            },
            [](const Config& c) { return num(c.smtp.max_junk_commands); }},
    KeySpec{"smtp.max_received_headers", KeyType::integer,
            "Received fields in a message before it is refused as a loop (554 5.4.6).",
            [](Config& c, const Value& v, const fs::path&) {
              return set_int(c.smtp.max_received_headers, v, 1, 1000);
            },
            [](const Config& c) { return num(c.smtp.max_received_headers); }},
    KeySpec{"smtp.max_connections", KeyType::integer, "Concurrent SMTP sessions in total.",
            [](Config& c, const Value& v, const fs::path&) {
              return set_int(c.smtp.max_connections, v, 1, 1000000);
            },
            [](const Config& c) { return num(c.smtp.max_connections); }},
    KeySpec{"smtp.max_connections_per_ip", KeyType::integer,
            "Concurrent SMTP sessions from one client address.",
            [](Config& c, const Value& v, const fs::path&) {
              return set_int(c.smtp.max_connections_per_ip, v, 1, 1000000);
            },
            [](const Config& c) { return num(c.smtp.max_connections_per_ip); }},
    KeySpec{"smtp.max_auth_failures", KeyType::integer,
            "Failed AUTH attempts per session before 421 and close.",
            [](Config& c, const Value& v, const fs::path&) {
              return set_int(c.smtp.max_auth_failures, v, 1, 100);
            },
            [](const Config& c) { return num(c.smtp.max_auth_failures); }},
    KeySpec{"smtp.command_timeout", KeyType::integer,
            "Seconds to wait for a command (RFC 5321 4.5.3.2.7 asks for 300).",
            [](Config& c, const Value& v, const fs::path&) {
              return set_seconds(c.smtp.command_timeout, v, 1, 86400);
            },
            [](const Config& c) { return std::to_string(c.smtp.command_timeout.count()); }},
    KeySpec{"smtp.data_timeout", KeyType::integer,
            "Seconds to wait for the next DATA/BDAT chunk (RFC 5321 4.5.3.2.6 asks for 180).",
            [](Config& c, const Value& v, const fs::path&) {
              return set_seconds(c.smtp.data_timeout, v, 1, 86400);
            },
            [](const Config& c) { return std::to_string(c.smtp.data_timeout.count()); }},
    KeySpec{"smtp.min_data_rate", KeyType::integer,
            "Octets/second a client must sustain during DATA/BDAT; 0 = no minimum.",
            [](Config& c, const Value& v, const fs::path&) {
              return set_int(c.smtp.min_data_rate, v, 0, 1024 * kMiB);
            },
            [](const Config& c) { return num(c.smtp.min_data_rate); }},
    KeySpec{"smtp.data_rate_grace", KeyType::integer,
            "Seconds into DATA/BDAT before min_data_rate applies.",
            [](Config& c, const Value& v, const fs::path&) {
              return set_seconds(c.smtp.data_rate_grace, v, 0, 86400);
            },
            [](const Config& c) { return std::to_string(c.smtp.data_rate_grace.count()); }},

    KeySpec{"tls.certificate", KeyType::string,
            "PEM certificate chain; empty = a local CA and server certificate are generated "
            "in data_dir/tls.",
            [](Config& c, const Value& v, const fs::path& b) {
              return set_path(c.tls.certificate, v, b, true);
            },
            [](const Config& c) { return quote_path(c.tls.certificate); }},
    KeySpec{"tls.private_key", KeyType::string,
            "PEM private key of tls.certificate; set both or neither.",
            [](Config& c, const Value& v, const fs::path& b) {
              return set_path(c.tls.private_key, v, b, true);
            },
            [](const Config& c) { return quote_path(c.tls.private_key); }},
    KeySpec{"tls.min_version", KeyType::string, "Oldest TLS version offered: TLSv1.2 or TLSv1.3.",
            [](Config& c, const Value& v, const fs::path&) -> std::string {
              const auto& s = std::get<std::string>(v);
              if (s != "TLSv1.2" && s != "TLSv1.3") return "expected \"TLSv1.2\" or \"TLSv1.3\"";
              c.tls.min_version = s;
              return "";
            },
            [](const Config& c) { return toml_quote(c.tls.min_version); }},

    KeySpec{"delivery.detail_separator", KeyType::string,
            "Character between user and detail in user+tag@domain; \"\" turns detail "
            "addressing off.",
            [](Config& c, const Value& v, const fs::path&) -> std::string {
              const auto& s = std::get<std::string>(v);
              if (s.empty()) {
                c.delivery.detail_separator = '\0';
                return "";
              }
              static constexpr std::string_view allowed = "+-_=#%&~!$^";
              if (s.size() != 1 || allowed.find(s[0]) == std::string_view::npos)
                return "expected one of + - _ = # % & ~ ! $ ^, or \"\" for none";
              c.delivery.detail_separator = s[0];
              return "";
            },
            [](const Config& c) {
              return c.delivery.detail_separator == '\0'
                         ? std::string("\"\"")
                         : toml_quote(std::string(1, c.delivery.detail_separator));
            }},
    KeySpec{"delivery.detail_to_folder", KeyType::boolean,
            "Deliver user+tag@domain into the user's folder \"tag\" when that folder exists.",
            [](Config& c, const Value& v, const fs::path&) {
              return set_bool(c.delivery.detail_to_folder, v);
            },
            [](const Config& c) { return yes_no(c.delivery.detail_to_folder); }},
    KeySpec{
        "delivery.fsync", KeyType::boolean,
        "fsync message files and directories before acknowledging (keep on in production).",
        [](Config& c, const Value& v, const fs::path&) { return set_bool(c.delivery.fsync, v); },
        [](const Config& c) { return yes_no(c.delivery.fsync); }},

    KeySpec{"auth.max_login_failures", KeyType::integer,
            "Failed logins per client network (IPv6 /64) or account within "
            "login_failure_window before its logins are refused for that long; 0 = off.",
            [](Config& c, const Value& v, const fs::path&) {
              return set_int(c.auth.max_login_failures, v, 0, 100000);
            },
            [](const Config& c) { return num(c.auth.max_login_failures); }},
    KeySpec{"auth.login_failure_window", KeyType::integer,
            "Seconds over which failed logins are counted, and how long a refusal lasts.",
            [](Config& c, const Value& v, const fs::path&) {
              return set_seconds(c.auth.login_failure_window, v, 1, 86400);
            },
            [](const Config& c) { return std::to_string(c.auth.login_failure_window.count()); }},
};

const std::array kListenerKeys = {
    ListenerKeyDoc{"kind", KeyType::string,
                   "mx (STARTTLS, AUTH optional), submission (STARTTLS, AUTH required, RFC "
                   "6409) or submissions (implicit TLS, RFC 8314); defaults from the table "
                   "name smtp/submission/submissions, otherwise required."},
    ListenerKeyDoc{"address", KeyType::string,
                   "IP address to bind; \"\" = all addresses ([::] dual-stack, else 0.0.0.0)."},
    ListenerKeyDoc{"port", KeyType::integer, "TCP port 1-65535; default 25, 587 or 465 by kind."},
};

std::string_view section_of(std::string_view name) {
  auto dot = name.find('.');
  return dot == std::string_view::npos ? std::string_view{} : name.substr(0, dot);
}

// Wraps `text` into "# " comment lines of at most 96 columns.
void comment(std::string& out, std::string_view text) {
  std::string line = "#";
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto sp = text.find(' ', pos);
    std::string_view word = text.substr(pos, sp == std::string_view::npos ? text.npos : sp - pos);
    if (line.size() + 1 + word.size() > 96 && line.size() > 1) {
      out += line + "\n";
      line = "#";
    }
    line += " ";
    line += word;
    if (sp == std::string_view::npos) break;
    pos = sp + 1;
  }
  out += line + "\n";
}

}  // namespace

std::span<const KeySpec> keys() {
  return kKeys;
}

const KeySpec* find_key(std::string_view dotted) {
  for (const auto& k : kKeys)
    if (k.name == dotted) return &k;
  return nullptr;
}

std::span<const ListenerKeyDoc> listener_keys() {
  return kListenerKeys;
}

std::string_view to_string(ListenerKind kind) {
  switch (kind) {
    case ListenerKind::mx:
      return "mx";
    case ListenerKind::submission:
      return "submission";
    case ListenerKind::submissions:
      return "submissions";
  }
  return "mx";
}

bool parse_listener_kind(std::string_view text, ListenerKind& out) {
  for (auto k : {ListenerKind::mx, ListenerKind::submission, ListenerKind::submissions}) {
    if (text == to_string(k)) {
      out = k;
      return true;
    }
  }
  return false;
}

uint16_t default_port(ListenerKind kind) {
  switch (kind) {
    case ListenerKind::mx:
      return 25;
    case ListenerKind::submission:
      return 587;
    case ListenerKind::submissions:
      return 465;
  }
  return 25;
}

std::vector<Listener> default_listeners() {
  return {
      Listener{"smtp", ListenerKind::mx, "", 25},
      Listener{"submission", ListenerKind::submission, "", 587},
      Listener{"submissions", ListenerKind::submissions, "", 465},
  };
}

std::string toml_quote(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f)
          out += fmt::format("\\u{:04X}", static_cast<unsigned>(c));
        else
          out += ch;
    }
  }
  return out + "\"";
}

std::string render_example() {
  Config d = defaults();
  std::string out;
  comment(out,
          "Estafeta configuration (estafeta.toml). Every key is optional and shown here with "
          "its default; unknown keys are errors. Keys whose default depends on the machine "
          "are commented out, with a sample value. Check a file with `estafeta config check`.");
  comment(out,
          "This file is generated from src/config/config_keys.cpp (render_example) and "
          "checked by the config unit test: edit that table, not this file.");
  std::string_view section = "";
  auto emit_listeners = [&] {
    out += "\n";
    comment(out,
            "Listeners: if any [listener.NAME] table is present, exactly those run; "
            "otherwise the three below.");
    for (const auto& k : kListenerKeys) {
      std::string line = std::string(k.name) + ": " + std::string(k.doc);
      comment(out, line);
    }
    for (const auto& l : d.listeners) {
      if (&l != &d.listeners.front()) out += "\n";
      out += "[listener." + l.name + "]\n";
      out += "kind = " + toml_quote(to_string(l.kind)) + "\n";
      out += "address = " + toml_quote(l.address) + "\n";
      out += "port = " + std::to_string(l.port) + "\n";
    }
  };
  for (const auto& k : kKeys) {
    std::string_view s = section_of(k.name);
    if (s != section) {
      if (section == "smtp") emit_listeners();
      section = s;
      out += "\n[" + std::string(s) + "]\n";
    } else {
      out += "\n";
    }
    comment(out, k.doc);
    std::string_view leaf = s.empty() ? k.name : k.name.substr(s.size() + 1);
    if (!k.machine_default.empty())
      out += "#" + std::string(leaf) + " = " + std::string(k.machine_default) + "\n";
    else
      out += std::string(leaf) + " = " + k.get(d) + "\n";
  }
  return out;
}

bool same_settings(const Config& a, const Config& b) {
  for (const auto& k : kKeys)
    if (k.get(a) != k.get(b)) return false;
  if (a.listeners.size() != b.listeners.size()) return false;
  for (std::size_t i = 0; i < a.listeners.size(); ++i) {
    const auto& x = a.listeners[i];
    const auto& y = b.listeners[i];
    if (x.name != y.name || x.kind != y.kind || x.address != y.address || x.port != y.port)
      return false;
  }
  return true;
}

}  // namespace estafeta::config
