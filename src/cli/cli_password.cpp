// cli_password: see cli_password.hpp.
#include "cli/cli_password.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "auth/auth_password.hpp"
#include "mua/mua_tty.hpp"

namespace estafeta::cli {

namespace {

// Reads one line (without its end) from fd, at most auth::kMaxPasswordLength + 1 octets.
std::string read_line(int fd, std::string& out) {
  out.clear();
  char c;
  while (true) {
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::string("read error: ") + std::strerror(errno);
    if (n == 0) {
      if (out.empty()) return "no password given (end of input)";
      break;
    }
    if (c == '\n') break;
    if (out.size() > auth::kMaxPasswordLength) return "password too long";
    out.push_back(c);
  }
  if (!out.empty() && out.back() == '\r') out.pop_back();
  return "";
}

}  // namespace

void scrub(std::string& secret) {
  volatile char* p = secret.data();
  for (std::size_t i = 0; i < secret.size(); ++i) p[i] = 0;
  secret.clear();
}

std::string prompt_new_password(std::string& password) {
  // The terminal (echo off and restored, also on SIGINT/SIGTERM): the mail client's prompt.
  if (!mua::have_tty()) return "no terminal to ask for a password: use --password-stdin or --hash";
  auto first = mua::ask_tty("Password: ", false);
  if (!first) return first.error().text;
  password = std::move(*first);
  auto again = mua::ask_tty("Retype password: ", false);
  std::string err = again ? std::string() : again.error().text;
  if (err.empty() && password != *again) err = "passwords do not match";
  if (err.empty() && password.empty()) err = "empty password";
  if (err.empty() && password.size() > auth::kMaxPasswordLength) err = "password too long";
  if (again) scrub(*again);
  if (!err.empty()) scrub(password);
  return err;
}

std::string read_password_stdin(std::string& password) {
  std::string err = read_line(STDIN_FILENO, password);
  if (err.empty() && password.empty()) err = "empty password on standard input";
  if (!err.empty()) scrub(password);
  return err;
}

}  // namespace estafeta::cli
