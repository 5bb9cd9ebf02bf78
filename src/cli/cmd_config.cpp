// cmd_config: `estafeta config check`. Loads the configuration file as `serve` would, then
// checks what loading alone does not: that TLS files named in it can be read, and, when run
// as root, warns if run_as_user does not exist. Prints "OK: <file>" (exit 0) or the first problem
// as "file:line: key: message" (exit 1).
#include <fcntl.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <variant>

#include "cli/commands.hpp"

namespace estafeta::cli {

namespace {

std::string unreadable(const std::filesystem::path& p) {
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "cannot read " + p.string() + ": " + std::strerror(errno);
  ::close(fd);
  return "";
}

}  // namespace

int run_config_check(const std::optional<std::filesystem::path>& file) {
  config::Config config;
  if (file) {
    auto r = config::load(*file);
    if (auto* e = std::get_if<config::ConfigError>(&r)) return fail(e->to_string());
    config = std::get<config::Config>(std::move(r));
  } else {
    config = config::defaults();
  }
  std::string where = file ? file->string() : std::string("built-in defaults");
  auto problem = [&](const char* key, const std::string& message) {
    config::ConfigError e{file.value_or(std::filesystem::path("<defaults>")), 0, key, message};
    return fail(e.to_string());
  };
  if (!config.tls.certificate.empty()) {
    if (auto e = unreadable(config.tls.certificate); !e.empty())
      return problem("tls.certificate", e);
    if (auto e = unreadable(config.tls.private_key); !e.empty())
      return problem("tls.private_key", e);
  }
  if (::geteuid() == 0 && ::getpwnam(config.run_as_user.c_str()) == nullptr) {
    // A warning here (the file itself is fine); `serve` refuses to start.
    std::fprintf(stderr,
                 "estafeta: warning: run_as_user: no such user: %s (serve refuses to start "
                 "until it exists: useradd --system %s)\n",
                 config.run_as_user.c_str(), config.run_as_user.c_str());
  }
  std::printf("OK: %s\n", where.c_str());
  return 0;
}

}  // namespace estafeta::cli
