// config_defaults: the built-in configuration (config::defaults) and ConfigError formatting.
// Reads the process environment (euid, XDG_DATA_HOME, HOME, passwd entry) and the system host
// name; getaddrinfo(AI_CANONNAME) normally answers from /etc/hosts, but may ask DNS.
#include <netdb.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <string>

#include "config/config.hpp"
#include "config/config_keys.hpp"

namespace estafeta::config {

namespace {

std::filesystem::path default_data_dir() {
  if (::geteuid() == 0) return "/var/lib/estafeta";
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && xdg[0] == '/')
    return std::filesystem::path(xdg) / "estafeta";
  std::string home;
  if (const char* h = std::getenv("HOME"); h && h[0] == '/') {
    home = h;
  } else if (const struct passwd* pw = ::getpwuid(::geteuid()); pw && pw->pw_dir) {
    home = pw->pw_dir;
  }
  if (home.empty()) return "/var/lib/estafeta";
  return std::filesystem::path(home) / ".local/share/estafeta";
}

// The FQDN: gethostname(), then the canonical name getaddrinfo gives for it when that is
// longer (e.g. "mail" -> "mail.example.org").
std::string default_hostname() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  std::string name = buf;
  struct addrinfo hints {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_flags = AI_CANONNAME;
  struct addrinfo* res = nullptr;
  if (::getaddrinfo(name.c_str(), nullptr, &hints, &res) == 0 && res) {
    if (res->ai_canonname && res->ai_canonname[0] != '\0') {
      std::string canon = res->ai_canonname;
      if (canon.find('.') != std::string::npos || name.find('.') == std::string::npos) name = canon;
    }
    ::freeaddrinfo(res);
  }
  return name;
}

}  // namespace

Config defaults() {
  Config c;
  c.data_dir = default_data_dir();
  static const std::string host = default_hostname();  // the system name does not change
  c.hostname = host;
  c.listeners = default_listeners();
  return c;
}

std::string ConfigError::to_string() const {
  std::string out = file.empty() ? std::string("<config>") : file.string();
  if (line) out += ":" + std::to_string(line);
  out += ": ";
  if (!key.empty()) out += key + ": ";
  return out + message;
}

}  // namespace estafeta::config
