// config_keys: the key table (see config_keys.hpp). To add a key: add the field to
// config.hpp, a row here, then regenerate examples/estafeta.toml (the config unit test prints
// how) and add a line to docs/CONFIG.md. A protocol's own keys ([smtp]) are not here: see
// config_section.hpp and the protocol's *_config.cpp (smtp/smtp_config.cpp).
#include "config/config_keys.hpp"

#include <fmt/format.h>

#include <array>

namespace estafeta::config {

namespace {

namespace fs = std::filesystem;

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

// "500M", "2G", "1024K", "300" (KiB), "none"/"0" -> KiB (what store::parse_quota_size reads).
std::string set_size_kib(std::uint64_t& dst, const Value& v) {
  std::string_view s = std::get<std::string>(v);
  if (s == "none") {
    dst = 0;
    return "";
  }
  std::uint64_t mult = 1;
  if (!s.empty()) {
    switch (s.back()) {
      case 'k':
      case 'K':
        mult = 1;
        s.remove_suffix(1);
        break;
      case 'm':
      case 'M':
        mult = 1024;
        s.remove_suffix(1);
        break;
      case 'g':
      case 'G':
        mult = 1024ULL * 1024;
        s.remove_suffix(1);
        break;
      case 't':
      case 'T':
        mult = 1024ULL * 1024 * 1024;
        s.remove_suffix(1);
        break;
      default:
        break;
    }
  }
  if (s.empty() || s.size() > 12) return "expected a size such as \"500M\", \"2G\" or \"none\"";
  std::uint64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return "expected a size such as \"500M\", \"2G\" or \"none\"";
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (n > (1ULL << 40) / mult) return "size too large";
  dst = n * mult;
  return "";
}

std::string size_text(std::uint64_t kib) {
  if (kib == 0) return "\"none\"";
  const char* units[] = {"K", "M", "G", "T"};
  int u = 0;
  while (u < 3 && kib % 1024 == 0) {
    kib /= 1024;
    ++u;
  }
  return "\"" + std::to_string(kib) + units[u] + "\"";
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
    KeySpec{"delivery.retry_interval", KeyType::integer,
            "Seconds before a failed local delivery is tried again from the spool; later "
            "tries wait 5, 15, 30 and then 60 times as long.",
            [](Config& c, const Value& v, const fs::path&) {
              return set_seconds(c.delivery.retry_interval, v, 1, 3600);
            },
            [](const Config& c) {
              return num(static_cast<std::size_t>(c.delivery.retry_interval.count()));
            }},
    KeySpec{
        "delivery.encrypt", KeyType::boolean,
        "Store mail for a local user who has published an S/MIME certificate (estafeta user "
        "cert) encrypted to that certificate: header fields stay readable, the content is "
        "enveloped; only the user's key opens it.",
        [](Config& c, const Value& v, const fs::path&) { return set_bool(c.delivery.encrypt, v); },
        [](const Config& c) { return yes_no(c.delivery.encrypt); }},
    KeySpec{"delivery.encrypt_cipher", KeyType::string,
            "Cipher of encryption at rest: \"aes-256-gcm\" (authEnveloped-data, RFC 8551) or "
            "\"aes-256-cbc\" (enveloped-data, for mail clients that cannot read the former).",
            [](Config& c, const Value& v, const fs::path&) -> std::string {
              const auto& s = std::get<std::string>(v);
              if (s != "aes-256-gcm" && s != "aes-256-cbc")
                return "expected \"aes-256-gcm\" or \"aes-256-cbc\"";
              c.delivery.encrypt_cbc = s == "aes-256-cbc";
              return "";
            },
            [](const Config& c) {
              return toml_quote(c.delivery.encrypt_cbc ? "aes-256-cbc" : "aes-256-gcm");
            }},

    KeySpec{"quota.storage", KeyType::string,
            "Storage limit (RFC 9208 STORAGE) of accounts without their own (estafeta user "
            "quota): \"500M\", \"2G\", \"1024K\"; \"none\" = no limit.",
            [](Config& c, const Value& v, const fs::path&) {
              return set_size_kib(c.quota.storage_kib, v);
            },
            [](const Config& c) { return size_text(c.quota.storage_kib); }},
    KeySpec{"quota.messages", KeyType::integer,
            "Message limit (RFC 9208 MESSAGE) of accounts without their own; 0 = no limit.",
            [](Config& c, const Value& v, const fs::path&) {
              return set_int(c.quota.messages, v, 0, 1000000000);
            },
            [](const Config& c) { return num(c.quota.messages); }},
    KeySpec{"quota.mailboxes", KeyType::integer,
            "Mailbox limit (RFC 9208 MAILBOX) of accounts without their own; 0 = no limit.",
            [](Config& c, const Value& v, const fs::path&) {
              return set_int(c.quota.mailboxes, v, 0, 1000000);
            },
            [](const Config& c) { return num(c.quota.mailboxes); }},

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
    KeySpec{"auth.login_cache_ttl", KeyType::integer,
            "Seconds a password that passed is remembered (as a keyed hash in memory), so "
            "that the same account logging in again with it costs no password hash; 0 = off.",
            [](Config& c, const Value& v, const fs::path&) {
              return set_seconds(c.auth.login_cache_ttl, v, 0, 86400);
            },
            [](const Config& c) { return std::to_string(c.auth.login_cache_ttl.count()); }},
    KeySpec{"auth.allow_plaintext", KeyType::boolean,
            "Let IMAP and POP3 clients log in without TLS (passwords in clear); for "
            "benchmarks and trusted loopback only. SMTP AUTH always needs TLS.",
            [](Config& c, const Value& v, const fs::path&) {
              return set_bool(c.auth.allow_plaintext, v);
            },
            [](const Config& c) { return yes_no(c.auth.allow_plaintext); }},
};

const std::array kListenerKeys = {
    ListenerKeyDoc{"protocol", KeyType::string,
                   "smtp, imap or pop3; defaults from the table name "
                   "smtp/submission/submissions, imap/imaps, pop3/pop3s, otherwise required."},
    ListenerKeyDoc{"role", KeyType::string,
                   "smtp only: mx (mail from other servers; AUTH off unless smtp.auth_on_mx) or "
                   "submission (AUTH required, RFC 6409); from the table name, otherwise "
                   "required."},
    ListenerKeyDoc{"tls", KeyType::string,
                   "starttls (plaintext, then STARTTLS/STLS) or implicit (TLS from the first "
                   "octet, RFC 8314); default implicit for tables named submissions, imaps, "
                   "pop3s, else starttls. An mx is starttls only."},
    ListenerKeyDoc{"address", KeyType::string,
                   "IP address to bind; \"\" = all addresses ([::] dual-stack, else 0.0.0.0)."},
    ListenerKeyDoc{"port", KeyType::integer,
                   "TCP port 1-65535; default the protocol's: 25, 587, 465 (smtp), 143, 993 "
                   "(imap), 110, 995 (pop3)."},
    ListenerKeyDoc{"kind", KeyType::string,
                   "Older spelling, still read: mx, submission or submissions = protocol smtp "
                   "with that role (submissions: tls implicit); not together with "
                   "protocol/role/tls."},
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

std::string_view to_string(Protocol protocol) {
  switch (protocol) {
    case Protocol::smtp:
      return "smtp";
    case Protocol::imap:
      return "imap";
    case Protocol::pop3:
      return "pop3";
  }
  return "smtp";
}

std::string_view to_string(TlsMode mode) {
  return mode == TlsMode::implicit ? "implicit" : "starttls";
}

std::string_view to_string(SmtpRole role) {
  return role == SmtpRole::submission ? "submission" : "mx";
}

bool parse_protocol(std::string_view text, Protocol& out) {
  for (auto p : {Protocol::smtp, Protocol::imap, Protocol::pop3}) {
    if (text == to_string(p)) {
      out = p;
      return true;
    }
  }
  return false;
}

bool parse_tls_mode(std::string_view text, TlsMode& out) {
  for (auto m : {TlsMode::starttls, TlsMode::implicit}) {
    if (text == to_string(m)) {
      out = m;
      return true;
    }
  }
  return false;
}

bool parse_smtp_role(std::string_view text, SmtpRole& out) {
  for (auto r : {SmtpRole::mx, SmtpRole::submission}) {
    if (text == to_string(r)) {
      out = r;
      return true;
    }
  }
  return false;
}

uint16_t default_port(Protocol protocol, TlsMode mode, SmtpRole role) {
  bool implicit = mode == TlsMode::implicit;
  switch (protocol) {
    case Protocol::smtp:
      if (role == SmtpRole::mx) return implicit ? 0 : 25;
      return implicit ? 465 : 587;
    case Protocol::imap:
      return implicit ? 993 : 143;
    case Protocol::pop3:
      return implicit ? 995 : 110;
  }
  return 0;
}

std::string describe(const Listener& l) {
  std::string out(to_string(l.protocol));
  if (l.protocol == Protocol::smtp) out += " " + std::string(to_string(l.role));
  return out + " " + std::string(to_string(l.tls_mode));
}

std::vector<Listener> default_listeners() {
  return {
      Listener{"smtp", Protocol::smtp, TlsMode::starttls, SmtpRole::mx, "", 25},
      Listener{"submission", Protocol::smtp, TlsMode::starttls, SmtpRole::submission, "", 587},
      Listener{"submissions", Protocol::smtp, TlsMode::implicit, SmtpRole::submission, "", 465},
      Listener{"imap", Protocol::imap, TlsMode::starttls, SmtpRole::submission, "", 143},
      Listener{"imaps", Protocol::imap, TlsMode::implicit, SmtpRole::submission, "", 993},
      Listener{"pop3", Protocol::pop3, TlsMode::starttls, SmtpRole::submission, "", 110},
      Listener{"pop3s", Protocol::pop3, TlsMode::implicit, SmtpRole::submission, "", 995},
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
  auto emit_listeners = [&] {
    out += "\n";
    comment(out,
            "Listeners: if any [listener.NAME] table is present, exactly those run; "
            "otherwise the seven below.");
    for (const auto& k : kListenerKeys) {
      std::string line = std::string(k.name) + ": " + std::string(k.doc);
      comment(out, line);
    }
    for (const auto& l : d.listeners) {
      if (&l != &d.listeners.front()) out += "\n";
      out += "[listener." + l.name + "]\n";
      out += "protocol = " + toml_quote(to_string(l.protocol)) + "\n";
      if (l.protocol == Protocol::smtp) out += "role = " + toml_quote(to_string(l.role)) + "\n";
      out += "tls = " + toml_quote(to_string(l.tls_mode)) + "\n";
      out += "address = " + toml_quote(l.address) + "\n";
      out += "port = " + std::to_string(l.port) + "\n";
    }
  };
  // Top-level keys, the protocol sections, the listeners, then config's other sections.
  std::string_view section = "";
  auto emit_own = [&](bool top_level) {
    for (const auto& k : kKeys) {
      std::string_view s = section_of(k.name);
      if (s.empty() != top_level) continue;
      if (s != section) {
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
  };
  emit_own(true);
  for (const Section* sec : sections()) {
    out += "\n[" + std::string(sec->name()) + "]\n";
    for (const auto& k : sec->keys()) {
      if (&k != &sec->keys().front()) out += "\n";
      comment(out, k.doc);
      out += std::string(k.name) + " = " + toml_text(sec->default_value(k.name)) + "\n";
    }
  }
  emit_listeners();
  emit_own(false);
  return out;
}

// A registered section's key as `c` has it: the value its file set, else the default.
static Value section_value(const Config& c, const Section& sec, std::string_view key) {
  if (auto it = c.sections.find(sec.name()); it != c.sections.end())
    if (auto v = it->second.find(key); v != it->second.end()) return v->second;
  return sec.default_value(key);
}

bool same_settings(const Config& a, const Config& b) {
  for (const auto& k : kKeys)
    if (k.get(a) != k.get(b)) return false;
  for (const Section* sec : sections())
    for (const auto& k : sec->keys())
      if (section_value(a, *sec, k.name) != section_value(b, *sec, k.name)) return false;
  if (a.listeners.size() != b.listeners.size()) return false;
  for (std::size_t i = 0; i < a.listeners.size(); ++i) {
    const auto& x = a.listeners[i];
    const auto& y = b.listeners[i];
    if (x.name != y.name || x.protocol != y.protocol || x.tls_mode != y.tls_mode ||
        (x.protocol == Protocol::smtp && x.role != y.role) || x.address != y.address ||
        x.port != y.port)
      return false;
  }
  return true;
}

}  // namespace estafeta::config
