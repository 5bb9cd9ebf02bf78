// cli_password: see cli_password.hpp.
#include "cli/cli_password.hpp"

#include <fcntl.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

#include "auth/auth_password.hpp"

namespace estafeta::cli {

namespace {

// The terminal state to restore if a signal arrives while echo is off.
int g_tty_fd = -1;
struct termios g_saved {};
volatile sig_atomic_t g_echo_off = 0;

void restore_and_reraise(int sig) {
  if (g_echo_off) ::tcsetattr(g_tty_fd, TCSAFLUSH, &g_saved);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

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

std::string ask(int fd, const char* question, std::string& answer) {
  (void)!::write(fd, question, std::strlen(question));
  struct termios t {};
  bool is_tty = ::tcgetattr(fd, &g_saved) == 0;
  if (is_tty) {
    g_tty_fd = fd;
    t = g_saved;
    t.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    t.c_lflag |= ECHONL;
    g_echo_off = 1;
    ::tcsetattr(fd, TCSAFLUSH, &t);
  }
  std::string err = read_line(fd, answer);
  if (is_tty) {
    ::tcsetattr(fd, TCSAFLUSH, &g_saved);
    g_echo_off = 0;
  }
  return err;
}

}  // namespace

void scrub(std::string& secret) {
  volatile char* p = secret.data();
  for (std::size_t i = 0; i < secret.size(); ++i) p[i] = 0;
  secret.clear();
}

std::string prompt_new_password(std::string& password) {
  int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return "no terminal to ask for a password: use --password-stdin or --hash";
  struct sigaction sa {
  }, old_int{}, old_term{};
  sa.sa_handler = restore_and_reraise;
  ::sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, &old_int);
  ::sigaction(SIGTERM, &sa, &old_term);
  std::string again;
  std::string err = ask(fd, "Password: ", password);
  if (err.empty()) err = ask(fd, "Retype password: ", again);
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGTERM, &old_term, nullptr);
  ::close(fd);
  if (err.empty() && password != again) err = "passwords do not match";
  if (err.empty() && password.empty()) err = "empty password";
  scrub(again);
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
