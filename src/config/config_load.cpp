// config_load: config::load, reading estafeta.toml over the defaults through the key table
// (config_keys.hpp). The file is the administrator's, but is checked as if hostile: at most
// kMaxFileSize octets, every value type- and range-checked, unknown keys refused. All problems
// are collected and the one earliest in the file is returned, so fixing errors top to bottom
// works. TOML syntax errors carry toml++'s line and description.
#include <arpa/inet.h>
#include <sys/socket.h>

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "config/config.hpp"
#include "config/config_keys.hpp"

namespace estafeta::config {

namespace {

constexpr std::size_t kMaxFileSize = std::size_t{1024} * 1024;

class Loader {
 public:
  Loader(std::filesystem::path file, Config& config) : file_(std::move(file)), config_(config) {
    base_ = file_.parent_path();
    if (base_.empty()) base_ = ".";
    std::error_code ec;
    auto abs = std::filesystem::absolute(base_, ec);
    if (!ec) base_ = abs.lexically_normal();
  }

  void run(const toml::table& root) {
    bool have_listeners = false;
    for (auto&& [k, node] : root) {
      std::string key(k.str());
      if (key == "listener") {
        have_listeners = true;
        listeners(node);
      } else if (const Section* sec = find_section(key)) {
        section(node, *sec);
      } else if (is_own_section(key)) {
        const toml::table* t = node.as_table();
        if (!t) {
          fail(node, key, "expected a table");
          continue;
        }
        for (auto&& [k2, n2] : *t) scalar(n2, key + "." + std::string(k2.str()));
      } else {
        scalar(node, key);
      }
    }
    if (have_listeners) {
      std::sort(found_.begin(), found_.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      config_.listeners.clear();
      for (auto& [line, l] : found_) config_.listeners.push_back(std::move(l));
    }
    // Cross-key checks.
    if (config_.tls.certificate.empty() != config_.tls.private_key.empty()) {
      const char* missing = config_.tls.certificate.empty() ? "tls.certificate" : "tls.private_key";
      const char* given = config_.tls.certificate.empty() ? "tls.private_key" : "tls.certificate";
      add(line_of_[given], missing, std::string("must be set together with ") + given);
    }
  }

  std::optional<ConfigError> first_error() const {
    if (errors_.empty()) return std::nullopt;
    return *std::min_element(errors_.begin(), errors_.end(), [](const auto& a, const auto& b) {
      return (a.line ? a.line : SIZE_MAX) < (b.line ? b.line : SIZE_MAX);
    });
  }

 private:
  static std::size_t line(const toml::node& n) { return n.source().begin.line; }

  void add(std::size_t line, std::string key, std::string message) {
    errors_.push_back(ConfigError{file_, line, std::move(key), std::move(message)});
  }
  void fail(const toml::node& n, std::string key, std::string message) {
    add(line(n), std::move(key), std::move(message));
  }

  static const char* type_message(KeyType t) {
    switch (t) {
      case KeyType::boolean:
        return "expected a boolean (true or false)";
      case KeyType::integer:
        return "expected an integer";
      case KeyType::string:
        return "expected a string";
    }
    return "wrong type";
  }

  static std::optional<Value> value_of(const toml::node& n, KeyType t) {
    switch (t) {
      case KeyType::boolean:
        if (auto v = n.as_boolean()) return Value(v->get());
        break;
      case KeyType::integer:
        if (auto v = n.as_integer()) return Value(v->get());
        break;
      case KeyType::string:
        if (auto v = n.as_string()) return Value(v->get());
        break;
    }
    return std::nullopt;
  }

  void scalar(const toml::node& node, const std::string& key) {
    const KeySpec* spec = find_key(key);
    if (!spec) {
      fail(node, key, "unknown key");
      return;
    }
    line_of_[key] = line(node);
    auto v = value_of(node, spec->type);
    if (!v) {
      fail(node, key, type_message(spec->type));
      return;
    }
    if (std::string why = spec->set(config_, *v, base_); !why.empty()) fail(node, key, why);
  }

  // True when some key of config's own table is "name.something" ([tls], [delivery] ...).
  static bool is_own_section(std::string_view name) {
    for (const auto& k : keys())
      if (k.name.size() > name.size() && k.name[name.size()] == '.' &&
          k.name.substr(0, name.size()) == name)
        return true;
    return false;
  }

  // A registered protocol section: each value type-checked, then checked by its protocol,
  // and kept as written (the protocol applies it, e.g. smtp::settings_from).
  void section(const toml::node& node, const Section& sec) {
    std::string name(sec.name());
    const toml::table* t = node.as_table();
    if (!t) {
      fail(node, name, "expected a table");
      return;
    }
    SectionValues& values = config_.sections[name];
    for (auto&& [k, n] : *t) {
      std::string leaf(k.str());
      std::string key = name + "." + leaf;
      const SectionKey* spec = nullptr;
      for (const auto& candidate : sec.keys())
        if (candidate.name == leaf) spec = &candidate;
      if (!spec) {
        fail(n, key, "unknown key");
        continue;
      }
      auto v = value_of(n, spec->type);
      if (!v) {
        fail(n, key, type_message(spec->type));
        continue;
      }
      if (std::string why = sec.check(leaf, *v); !why.empty()) {
        fail(n, key, why);
        continue;
      }
      values[leaf] = std::move(*v);
    }
  }

  void listeners(const toml::node& node) {
    const toml::table* t = node.as_table();
    if (!t) {
      fail(node, "listener", "expected [listener.NAME] tables");
      return;
    }
    if (t->empty()) fail(node, "listener", "at least one [listener.NAME] table is needed");
    for (auto&& [k, n] : *t) {
      std::string name(k.str());
      std::string prefix = "listener." + name;
      const toml::table* lt = n.as_table();
      if (!lt) {
        fail(n, prefix, "expected a table");
        continue;
      }
      bool name_ok = !name.empty() && name.size() <= 64;
      for (char c : name)
        name_ok = name_ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                              (c >= '0' && c <= '9') || c == '-' || c == '_');
      if (!name_ok) fail(n, prefix, "listener names use letters, digits, '-' and '_'");
      Listener l;
      l.name = name;
      // What the table name implies; explicit keys override it.
      std::optional<Protocol> protocol;
      std::optional<SmtpRole> role;
      std::optional<TlsMode> tls;
      implied_by_name(name, protocol, role, tls);
      const toml::node* kind_node = nullptr;
      const toml::node* new_key_node = nullptr;  // the first of protocol/role/tls given
      const toml::node* role_node = nullptr;
      const toml::node* tls_node = nullptr;
      bool protocol_given = false, role_given = false;
      std::optional<int64_t> port;
      std::size_t port_line = line(n);
      bool bad = false;
      for (auto&& [k2, v] : *lt) {
        std::string key = prefix + "." + std::string(k2.str());
        auto text = v.as_string();
        if (k2 == "protocol" || k2 == "role" || k2 == "tls") {
          if (!new_key_node) new_key_node = &v;
          if (k2 == "role") role_node = &v;
          if (k2 == "tls") tls_node = &v;
        }
        if (k2 == "protocol") {
          protocol_given = true;  // even when invalid: that error is reported, not "required"
          Protocol p{};
          if (!text || !parse_protocol(text->get(), p)) {
            fail(v, key, "expected \"smtp\", \"imap\" or \"pop3\"");
            bad = true;
            continue;
          }
          protocol = p;
          if (p != Protocol::smtp) role.reset();
        } else if (k2 == "role") {
          role_given = true;
          SmtpRole r{};
          if (!text || !parse_smtp_role(text->get(), r)) {
            fail(v, key, "expected \"mx\" or \"submission\"");
            bad = true;
            continue;
          }
          role = r;
        } else if (k2 == "tls") {
          TlsMode m{};
          if (!text || !parse_tls_mode(text->get(), m)) {
            fail(v, key, "expected \"starttls\" or \"implicit\"");
            bad = true;
            continue;
          }
          tls = m;
        } else if (k2 == "kind") {
          kind_node = &v;
          protocol_given = role_given = true;
          if (!text || !parse_kind(text->get(), protocol, role, tls)) {
            fail(v, key, "expected \"mx\", \"submission\" or \"submissions\"");
            bad = true;
            continue;
          }
        } else if (k2 == "address") {
          if (!text) {
            fail(v, key, "expected a string (an IP address, or \"\" for all)");
            continue;
          }
          if (!valid_address(text->get())) {
            fail(v, key, "expected an IPv4 or IPv6 address, or \"\" for all");
            continue;
          }
          l.address = text->get();
        } else if (k2 == "port") {
          auto i = v.as_integer();
          port_line = line(v);
          if (!i || i->get() < 1 || i->get() > 65535) {
            fail(v, key, "expected a port number 1-65535");
            continue;
          }
          port = i->get();
        } else {
          fail(v, key, "unknown key");
        }
      }
      if (kind_node && new_key_node) {
        fail(*kind_node, prefix + ".kind",
             "kind is the older spelling of protocol + role + tls; give one or the other");
        continue;
      }
      if (bad) continue;
      if (!protocol) {
        if (!protocol_given)
          fail(n, prefix + ".protocol", "required (\"smtp\", \"imap\" or \"pop3\")");
        continue;
      }
      l.protocol = *protocol;
      l.tls_mode = tls.value_or(TlsMode::starttls);
      if (l.protocol == Protocol::smtp) {
        if (!role) {
          if (!role_given)
            fail(n, prefix + ".role", "required for protocol \"smtp\" (\"mx\" or \"submission\")");
          continue;
        }
        l.role = *role;
        if (l.role == SmtpRole::mx && l.tls_mode == TlsMode::implicit) {
          fail(tls_node ? *tls_node : n, prefix + ".tls",
               "an mx listener takes tls = \"starttls\" (servers sending mail connect in "
               "plaintext, RFC 3207); use role = \"submission\" for implicit TLS");
          continue;
        }
      } else if (role_node) {
        fail(*role_node, prefix + ".role", "applies to protocol \"smtp\" only");
        continue;
      }
      l.port = port ? static_cast<uint16_t>(*port) : default_port(l.protocol, l.tls_mode, l.role);
      for (const auto& [other_line, other] : found_) {
        if (other.port == l.port &&
            (other.address == l.address || other.address.empty() || l.address.empty())) {
          add(port_line, prefix + ".port",
              "port " + std::to_string(l.port) + " is already used by listener." + other.name);
        }
      }
      found_.emplace_back(line(n), std::move(l));
    }
  }

  // Table names that say what they are: smtp, submission, submissions, imap(s), pop3(s).
  static void implied_by_name(std::string_view name, std::optional<Protocol>& protocol,
                              std::optional<SmtpRole>& role, std::optional<TlsMode>& tls) {
    if (name == "smtp") {
      protocol = Protocol::smtp;
      role = SmtpRole::mx;
    } else if (name == "submission" || name == "submissions") {
      protocol = Protocol::smtp;
      role = SmtpRole::submission;
      if (name == "submissions") tls = TlsMode::implicit;
    } else if (name == "imap" || name == "imaps") {
      protocol = Protocol::imap;
      if (name == "imaps") tls = TlsMode::implicit;
    } else if (name == "pop3" || name == "pop3s") {
      protocol = Protocol::pop3;
      if (name == "pop3s") tls = TlsMode::implicit;
    }
  }

  // The older `kind` key: mx, submission (STARTTLS) or submissions (implicit TLS).
  static bool parse_kind(std::string_view text, std::optional<Protocol>& protocol,
                         std::optional<SmtpRole>& role, std::optional<TlsMode>& tls) {
    if (text != "mx" && text != "submission" && text != "submissions") return false;
    protocol = Protocol::smtp;
    role = text == "mx" ? SmtpRole::mx : SmtpRole::submission;
    tls = text == "submissions" ? TlsMode::implicit : TlsMode::starttls;
    return true;
  }

  // A numeric IPv4 or IPv6 address (no names: binding must not depend on DNS).
  static bool valid_address(const std::string& s) {
    if (s.empty()) return true;
    unsigned char buf[16];
    return ::inet_pton(AF_INET, s.c_str(), buf) == 1 || ::inet_pton(AF_INET6, s.c_str(), buf) == 1;
  }

  std::filesystem::path file_;
  std::filesystem::path base_;
  Config& config_;
  std::vector<ConfigError> errors_;
  std::vector<std::pair<std::size_t, Listener>> found_;
  std::map<std::string, std::size_t> line_of_;
};

}  // namespace

std::variant<Config, ConfigError> load(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return ConfigError{file, 0, "", std::string("cannot open: ") + std::strerror(errno)};
  std::string text;
  text.resize(kMaxFileSize + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (in.bad()) return ConfigError{file, 0, "", "read error"};
  if (text.size() > kMaxFileSize) return ConfigError{file, 0, "", "file larger than 1 MiB"};

  toml::parse_result parsed = toml::parse(text, file.string());
  if (!parsed) {
    const auto& e = parsed.error();
    return ConfigError{file, e.source().begin.line, "", std::string(e.description())};
  }
  Config config = defaults();
  config.source = file;
  Loader loader(file, config);
  loader.run(parsed.table());
  if (auto e = loader.first_error()) return *e;
  return config;
}

}  // namespace estafeta::config
