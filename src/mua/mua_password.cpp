// mua_password: read_password and run_password_command (mua_account.hpp). The command is the
// user's own (from their client.toml) and runs as them with /bin/sh -c; its output is read
// up to 64 KiB within the timeout, then it is killed (by its process id) if still running.
// The password never goes to a log or an error text.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "mua/mua_account.hpp"
#include "mua/mua_tty.hpp"

namespace estafeta::mua {

namespace {

constexpr std::size_t kMaxOutput = 64 * 1024;
constexpr std::size_t kMaxPassword = 4096;
constexpr std::chrono::seconds kCommandTimeout{60};  // a pinentry may be waiting for the user

PeerError error(std::string text) {
  return PeerError{0, "", std::move(text)};
}

void scrub(std::string& s) {
  volatile char* p = s.data();
  for (std::size_t i = 0; i < s.size(); ++i) p[i] = 0;
  s.clear();
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
  return "ended abnormally";
}

}  // namespace

Result<std::string> run_password_command(const std::string& command,
                                         std::chrono::milliseconds timeout) {
  using clock = std::chrono::steady_clock;
  const std::string what = "password command `" + command + "`";
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return error(what + ": pipe: " + std::strerror(errno));
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return error(what + ": fork: " + std::strerror(errno));
  }
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  const auto deadline = clock::now() + timeout;
  std::string out;
  bool timed_out = false;
  char buf[4096];
  while (out.size() < kMaxOutput) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      timed_out = true;
      break;
    }
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // end of output
    out.append(buf, static_cast<std::size_t>(std::min<std::size_t>(static_cast<std::size_t>(n),
                                                                   kMaxOutput - out.size())));
  }
  ::close(fds[0]);
  // The shell may still run (it closed its output, or we stopped reading): give it until the
  // deadline, then kill it.
  int status = 0;
  while (true) {
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) break;
    if (timed_out || clock::now() >= deadline) {
      timed_out = true;
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    ::usleep(10 * 1000);
  }
  if (timed_out) {
    scrub(out);
    return error(what + " gave no answer within " +
                 std::to_string(std::chrono::duration_cast<std::chrono::seconds>(timeout).count()) +
                 " s and was stopped");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    scrub(out);
    return error(what + " " + describe_status(status));
  }
  std::string first = out.substr(0, out.find('\n'));
  scrub(out);
  if (!first.empty() && first.back() == '\r') first.pop_back();
  if (first.empty()) return error(what + " printed no password (its first line is empty)");
  if (first.size() > kMaxPassword) {
    scrub(first);
    return error(what + " printed a first line longer than 4096 octets");
  }
  return first;
}

Result<std::string> read_password(const Account& account) {
  switch (account.password.kind) {
    case PasswordSource::Kind::command:
      return run_password_command(account.password.value, kCommandTimeout);
    case PasswordSource::Kind::env: {
      const char* v = std::getenv(account.password.value.c_str());
      if (!v)
        return error("password_env: the environment variable " + account.password.value +
                     " is not set");
      if (!*v)
        return error("password_env: the environment variable " + account.password.value +
                     " is empty");
      return std::string(v);
    }
    case PasswordSource::Kind::prompt:
      break;
  }
  if (!have_tty())
    return error("no terminal to ask for the password of " + account.login() +
                 ": set password_command or password_env for account \"" + account.name + "\"");
  auto answer = ask_tty("Password for " + account.login() + ": ", false);
  if (!answer) return error("password for " + account.login() + ": " + answer.error().text);
  if (answer->empty()) return error("empty password for " + account.login());
  return answer;
}

}  // namespace estafeta::mua
