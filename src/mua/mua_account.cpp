// mua_account: load_client_config and the account helpers (mua_account.hpp). The file is the
// user's own but is read with the server config's bounds: at most 256 KiB and 64 accounts,
// every value type- and range-checked, unknown keys refused; all problems are collected and
// the one earliest in the file is returned ("client.toml:12: account.work.imap.port: ...").
// The file names a command to run, so one writable by group or others is refused.
#include <arpa/inet.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "config/config.hpp"
#include "mua/mua_account.hpp"

namespace estafeta::mua {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxFileSize = 256 * 1024;
constexpr std::size_t kMaxAccounts = 64;
constexpr std::size_t kMaxValue = 4096;

fs::path home_dir() {
  if (const char* h = std::getenv("HOME"); h && h[0] == '/') return h;
  if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_dir) return pw->pw_dir;
  return "/";
}

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return c < 0x20 || c == 0x7f;
  });
}

bool valid_host(std::string_view h) {
  if (h.empty() || h.size() > 253) return false;
  for (char c : h)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '.' || c == ':' || c == '_'))
      return false;
  return true;
}

class Loader {
 public:
  Loader(fs::path file, ClientConfig& out) : file_(std::move(file)), out_(out) {
    base_ = file_.parent_path();
    if (base_.empty()) base_ = ".";
    std::error_code ec;
    auto abs = fs::absolute(base_, ec);
    if (!ec) base_ = abs.lexically_normal();
  }

  void run(const toml::table& root) {
    const toml::node* default_node = nullptr;
    for (auto&& [k, node] : root) {
      std::string key(k.str());
      if (key == "default") {
        default_node = &node;
        if (auto s = string(node, key)) out_.default_account = *s;
      } else if (key == "account") {
        accounts(node);
      } else {
        fail(node, key, "unknown key (expected default or [account.NAME] tables)");
      }
    }
    if (out_.accounts.empty() && errors_.empty())
      add(0, "account", "no [account.NAME] table: at least one account is needed");
    if (default_node && !out_.default_account.empty() && !out_.find(out_.default_account))
      fail(*default_node, "default", "no account called \"" + out_.default_account + "\"");
  }

  std::optional<config::ConfigError> first_error() const {
    if (errors_.empty()) return std::nullopt;
    return *std::min_element(errors_.begin(), errors_.end(), [](const auto& a, const auto& b) {
      return (a.line ? a.line : SIZE_MAX) < (b.line ? b.line : SIZE_MAX);
    });
  }

 private:
  static std::size_t line(const toml::node& n) { return n.source().begin.line; }
  void add(std::size_t line, std::string key, std::string message) {
    errors_.push_back(config::ConfigError{file_, line, std::move(key), std::move(message)});
  }
  void fail(const toml::node& n, std::string key, std::string message) {
    add(line(n), std::move(key), std::move(message));
  }

  std::optional<std::string> string(const toml::node& n, const std::string& key) {
    auto v = n.as_string();
    if (!v) {
      fail(n, key, "expected a string");
      return std::nullopt;
    }
    const std::string& s = v->get();
    if (s.size() > kMaxValue) {
      fail(n, key, "longer than 4096 octets");
      return std::nullopt;
    }
    if (has_control(s)) {
      fail(n, key, "contains control characters");
      return std::nullopt;
    }
    return s;
  }

  std::optional<fs::path> path(const toml::node& n, const std::string& key) {
    auto s = string(n, key);
    if (!s) return std::nullopt;
    if (s->empty()) {
      fail(n, key, "expected a non-empty path");
      return std::nullopt;
    }
    fs::path p;
    if (*s == "~" || s->rfind("~/", 0) == 0)
      p = home_dir() / s->substr(s->size() > 1 ? 2 : 1);
    else
      p = *s;
    if (p.is_relative()) p = base_ / p;
    return p.lexically_normal();
  }

  void accounts(const toml::node& node) {
    const toml::table* t = node.as_table();
    if (!t) {
      fail(node, "account", "expected [account.NAME] tables");
      return;
    }
    for (auto&& [k, n] : *t) {
      std::string name(k.str());
      std::string prefix = "account." + name;
      if (out_.accounts.size() >= kMaxAccounts) {
        fail(n, prefix, "more than 64 accounts");
        return;
      }
      if (!valid_account_name(name))
        fail(n, prefix, "account names are 1-64 letters, digits, '-' and '_'");
      const toml::table* at = n.as_table();
      if (!at) {
        fail(n, prefix, "expected a table");
        continue;
      }
      account(*at, n, name, prefix);
    }
    // toml++ iterates tables in key order; the file's order decides the default account.
    std::stable_sort(order_.begin(), order_.end());
    std::vector<Account> sorted;
    for (auto& [ln, index] : order_) sorted.push_back(std::move(out_.accounts[index]));
    out_.accounts = std::move(sorted);
  }

  void account(const toml::table& t, const toml::node& node, const std::string& name,
               const std::string& prefix) {
    Account a;
    a.name = name;
    bool have_address = false, have_outbox = false, have_maildir = false, have_store = false;
    const toml::node* password_node = nullptr;
    std::string password_key;
    for (auto&& [k, n] : t) {
      std::string leaf(k.str());
      std::string key = prefix + "." + leaf;
      if (leaf == "address") {
        have_address = true;
        if (auto s = string(n, key)) {
          auto at = s->rfind('@');
          if (at == std::string::npos || at == 0 || at + 1 == s->size() ||
              s->find_first_of(" <>\"") != std::string::npos)
            fail(n, key, "expected an address like alice@example.org");
          a.address = *s;
        }
      } else if (leaf == "name") {
        if (auto s = string(n, key)) a.display_name = *s;
      } else if (leaf == "user") {
        if (auto s = string(n, key)) a.user = *s;
      } else if (leaf == "password_command" || leaf == "password_env") {
        if (password_node) {
          // Reported on whichever of the two comes later in the file.
          const toml::node& later = line(n) > line(*password_node) ? n : *password_node;
          std::string later_key = &later == &n ? key : password_key;
          fail(later, later_key, "give only one of password_command and password_env");
          continue;
        }
        password_node = &n;
        password_key = key;
        if (auto s = string(n, key)) {
          if (s->empty()) fail(n, key, "expected a non-empty string");
          a.password.kind = leaf == "password_command" ? PasswordSource::Kind::command
                                                       : PasswordSource::Kind::env;
          a.password.value = *s;
        }
      } else if (leaf == "ca_file") {
        if (auto p = path(n, key)) {
          std::error_code ec;
          if (!fs::is_regular_file(*p, ec)) fail(n, key, "no such file: " + p->string());
          a.ca_file = p->string();
        }
      } else if (leaf == "sent_mailbox") {
        if (auto s = string(n, key)) {
          if (s->empty()) fail(n, key, "expected a mailbox name");
          a.sent_mailbox = *s;
        }
      } else if (leaf == "outbox") {
        if (auto p = path(n, key)) a.outbox = *p, have_outbox = true;
      } else if (leaf == "maildir") {
        if (auto p = path(n, key)) a.maildir = *p, have_maildir = true;
      } else if (leaf == "smime_store") {
        if (auto p = path(n, key)) a.smime_store = *p, have_store = true;
      } else if (leaf == "submission") {
        endpoint(n, key, Service::submission, a.submission);
      } else if (leaf == "imap") {
        endpoint(n, key, Service::imap, a.imap);
      } else if (leaf == "pop3") {
        endpoint(n, key, Service::pop3, a.pop3);
      } else {
        fail(n, key, "unknown key");
      }
    }
    if (!have_address) fail(node, prefix + ".address", "missing (the account's From address)");
    if (!have_outbox) a.outbox = default_outbox(name);
    if (!have_maildir) a.maildir = home_dir() / "Maildir";
    if (!have_store) a.smime_store = data_home() / "smime";  // `estafeta cert`'s store
    order_.emplace_back(line(node), out_.accounts.size());
    out_.accounts.push_back(std::move(a));
  }

  void endpoint(const toml::node& node, const std::string& prefix, Service service, Endpoint& e) {
    const toml::table* t = node.as_table();
    if (!t) {
      fail(node, prefix, "expected a table with host, port and security");
      return;
    }
    std::optional<std::int64_t> port;
    std::optional<Security> security;
    const toml::node* host_node = &node;
    for (auto&& [k, n] : *t) {
      std::string leaf(k.str());
      std::string key = prefix + "." + leaf;
      if (leaf == "host") {
        host_node = &n;
        if (auto s = string(n, key)) {
          if (!valid_host(*s)) fail(n, key, "expected a host name or IP address");
          e.host = *s;
        }
      } else if (leaf == "port") {
        auto v = n.as_integer();
        if (!v || v->get() < 1 || v->get() > 65535)
          fail(n, key, "expected a port number (1-65535)");
        else
          port = v->get();
      } else if (leaf == "security") {
        Security s;
        auto text = string(n, key);
        if (text && !parse_security(*text, s))
          fail(n, key, "expected \"tls\", \"starttls\" or \"none\"");
        else if (text)
          security = s;
      } else {
        fail(n, key, "unknown key (host, port, security)");
      }
    }
    if (e.host.empty()) {
      fail(node, prefix + ".host", "missing");
      return;
    }
    // Without `security`, the well-known plain ports mean STARTTLS and anything else TLS.
    if (!security) {
      bool plain_port = port && (*port == 587 || *port == 25 || *port == 143 || *port == 110);
      security = plain_port ? Security::starttls : Security::tls;
    }
    e.security = *security;
    e.port = port ? static_cast<std::uint16_t>(*port) : default_port(service, e.security);
    if (e.security == Security::none && !is_loopback_host(e.host))
      fail(*host_node, prefix + ".security",
           "\"none\" (no TLS) is only allowed to localhost, 127.0.0.0/8 or ::1");
  }

  fs::path file_;
  fs::path base_;
  ClientConfig& out_;
  std::vector<config::ConfigError> errors_;
  std::vector<std::pair<std::size_t, std::size_t>> order_;  // (line, index in accounts)
};

PeerError error(std::string text) {
  return PeerError{0, "", std::move(text)};
}

}  // namespace

fs::path default_outbox(const std::string& account_name) {
  return data_home() / "outbox" / account_name;
}

const char* security_name(Security s) {
  switch (s) {
    case Security::tls:
      return "tls";
    case Security::starttls:
      return "starttls";
    case Security::none:
      return "none";
  }
  return "tls";
}

bool parse_security(std::string_view text, Security& out) {
  if (text == "tls")
    out = Security::tls;
  else if (text == "starttls")
    out = Security::starttls;
  else if (text == "none")
    out = Security::none;
  else
    return false;
  return true;
}

std::uint16_t default_port(Service service, Security security) {
  bool tls = security == Security::tls;
  switch (service) {
    case Service::submission:
      return tls ? 465 : 587;  // RFC 8314 §3.3, RFC 6409 §3.1
    case Service::imap:
      return tls ? 993 : 143;
    case Service::pop3:
      return tls ? 995 : 110;
  }
  return 0;
}

bool is_loopback_host(std::string_view host) {
  if (host == "localhost") return true;
  std::string h(host);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  unsigned char buf[16];
  if (::inet_pton(AF_INET, h.c_str(), buf) == 1) return buf[0] == 127;
  if (::inet_pton(AF_INET6, h.c_str(), buf) == 1) {
    static const unsigned char loop[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    return std::memcmp(buf, loop, 16) == 0;
  }
  return false;
}

bool valid_account_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

fs::path default_config_path() {
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && x[0] == '/')
    return fs::path(x) / "estafeta" / "client.toml";
  return home_dir() / ".config" / "estafeta" / "client.toml";
}

fs::path data_home() {
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && x[0] == '/')
    return fs::path(x) / "estafeta";
  return home_dir() / ".local" / "share" / "estafeta";
}

const Account* ClientConfig::find(const std::string& name) const {
  const std::string& want = name.empty() ? default_account : name;
  if (want.empty()) return accounts.empty() ? nullptr : &accounts.front();
  for (const auto& a : accounts)
    if (a.name == want) return &a;
  return nullptr;
}

Result<ClientConfig> load_client_config(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    int e = errno;
    if (e == ENOENT)
      return error(file.string() + ": no such file (run `estafeta mail setup` to write one)");
    return error(file.string() + ": cannot open: " + std::strerror(e));
  }
  struct stat st {};
  if (::stat(file.c_str(), &st) == 0 && (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
    return error(file.string() +
                 ": writable by group or others, and it may name a command to run: "
                 "chmod go-w it");
  std::string text;
  text.resize(kMaxFileSize + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (in.bad()) return error(file.string() + ": read error");
  if (text.size() > kMaxFileSize) return error(file.string() + ": larger than 256 KiB");

  toml::parse_result parsed = toml::parse(text, file.string());
  if (!parsed) {
    const auto& e = parsed.error();
    return error(config::ConfigError{file, e.source().begin.line, "", std::string(e.description())}
                     .to_string());
  }
  ClientConfig config;
  config.file = file;
  Loader loader(file, config);
  loader.run(parsed.table());
  if (auto e = loader.first_error()) return error(e->to_string());
  return config;
}

}  // namespace estafeta::mua
