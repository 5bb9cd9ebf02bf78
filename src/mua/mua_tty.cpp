// mua_tty: see mua_tty.hpp.
#include "mua/mua_tty.hpp"

#include <fcntl.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

namespace estafeta::mua {

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

PeerError error(std::string text) {
  return PeerError{0, "", std::move(text)};
}

Result<std::string> read_line(int fd) {
  std::string out;
  char c;
  while (true) {
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return error(std::string("reading the terminal: ") + std::strerror(errno));
    if (n == 0) {
      if (out.empty()) return error("no answer (end of input on the terminal)");
      break;
    }
    if (c == '\n') break;
    if (out.size() >= kMaxAnswer) return error("answer longer than 4096 octets");
    out.push_back(c);
  }
  if (!out.empty() && out.back() == '\r') out.pop_back();
  return out;
}

}  // namespace

bool have_tty() {
  int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

Result<std::string> ask_tty(std::string_view question, bool echo) {
  int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return error("no terminal to ask on");
  (void)!::write(fd, question.data(), question.size());
  struct sigaction sa {
  }, old_int{}, old_term{};
  bool hide = false;
  if (!echo && ::tcgetattr(fd, &g_saved) == 0) {
    hide = true;
    g_tty_fd = fd;
    sa.sa_handler = restore_and_reraise;
    ::sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &old_int);
    ::sigaction(SIGTERM, &sa, &old_term);
    struct termios t = g_saved;
    t.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    t.c_lflag |= ECHONL;
    g_echo_off = 1;
    ::tcsetattr(fd, TCSAFLUSH, &t);
  }
  Result<std::string> answer = read_line(fd);
  if (hide) {
    ::tcsetattr(fd, TCSAFLUSH, &g_saved);
    g_echo_off = 0;
    ::sigaction(SIGINT, &old_int, nullptr);
    ::sigaction(SIGTERM, &old_term, nullptr);
  }
  ::close(fd);
  return answer;
}

}  // namespace estafeta::mua
