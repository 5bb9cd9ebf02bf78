// tls_key_helper: the privileged reader process (see the header). Wire format, helper to
// server: one status octet ('K' ok, 'E' error), then length-prefixed texts (4 octets, big
// endian): the certificate and the key for 'K', the message for 'E'.
#include "net/tls_key_helper.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "base/log.hpp"

namespace estafeta::net {
namespace {

constexpr std::size_t kMaxText = (std::size_t{1} << 20) + 4096;

bool write_all(int fd, const void* data, std::size_t size) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::send(fd, p, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

bool write_text(int fd, const std::string& s) {
  uint32_t n = static_cast<uint32_t>(s.size());
  unsigned char len[4] = {static_cast<unsigned char>(n >> 24), static_cast<unsigned char>(n >> 16),
                          static_cast<unsigned char>(n >> 8), static_cast<unsigned char>(n)};
  return write_all(fd, len, 4) && write_all(fd, s.data(), s.size());
}

// Reads exactly `size` octets, each wait bounded by what is left of `deadline`.
bool read_all(int fd, void* data, std::size_t size,
              std::chrono::steady_clock::time_point deadline) {
  auto* p = static_cast<char*>(data);
  while (size > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd pfd{fd, POLLIN, 0};
    int r = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    ssize_t n = ::recv(fd, p, size, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

bool read_text(int fd, std::string& out, std::chrono::steady_clock::time_point deadline) {
  unsigned char len[4];
  if (!read_all(fd, len, 4, deadline)) return false;
  std::size_t n = (std::size_t{len[0]} << 24) | (std::size_t{len[1]} << 16) |
                  (std::size_t{len[2]} << 8) | len[3];
  if (n > kMaxText) return false;
  out.resize(n);
  return read_all(fd, out.data(), n, deadline);
}

// The helper's whole life: answer requests until the server closes its end.
[[noreturn]] void serve_requests(int fd, const TlsKeyHelper::Loader& loader) {
  for (;;) {
    char request = 0;
    ssize_t n = ::recv(fd, &request, 1, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ::_exit(0);  // the server closed the socket or exited: so do we
    TlsPem pem;
    std::string error;
    bool ok = loader(pem, error);
    bool sent = ok ? write_all(fd, "K", 1) && write_text(fd, pem.certificate) &&
                         write_text(fd, pem.private_key)
                   : write_all(fd, "E", 1) && write_text(fd, error);
    if (!sent) ::_exit(0);
  }
}

}  // namespace

bool TlsKeyHelper::start(Loader loader, std::string& error) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    error = std::string("cannot create the TLS helper's socket: ") + std::strerror(errno);
    return false;
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    error = std::string("cannot start the TLS helper: ") + std::strerror(errno);
    ::close(fds[0]);
    ::close(fds[1]);
    return false;
  }
  if (pid == 0) {
    ::close(fds[0]);
    // Stop signals go to the server, which closes the socket as it exits; the helper must
    // not die first (SIGINT from a terminal reaches the whole process group). If the server
    // is killed outright, the kernel ends the helper too.
    ::signal(SIGINT, SIG_IGN);
    ::signal(SIGTERM, SIG_IGN);
    ::signal(SIGHUP, SIG_IGN);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    serve_requests(fds[1], loader);
  }
  ::close(fds[1]);
  fd_ = fds[0];
  pid_ = pid;
  return true;
}

bool TlsKeyHelper::fetch(TlsPem& out, std::string& error) {
  std::lock_guard lock(mutex_);
  if (fd_ < 0) {
    error = "the TLS helper is not running";
    return false;
  }
  auto deadline = std::chrono::steady_clock::now() + kReplyTimeout;
  char status = 0;
  if (!write_all(fd_, "R", 1) || !read_all(fd_, &status, 1, deadline)) {
    error = "the TLS helper does not answer (exited?); restart estafeta to read certificates";
    ::close(fd_);  // a late reply must not be taken for the next one; the helper exits
    fd_ = -1;
    return false;
  }
  if (status == 'E') {
    std::string message;
    if (!read_text(fd_, message, deadline)) message = "(no message)";
    error = message;
    return false;
  }
  if (status != 'K' || !read_text(fd_, out.certificate, deadline) ||
      !read_text(fd_, out.private_key, deadline)) {
    error = "the TLS helper sent a broken reply";
    ::close(fd_);  // out of step: do not read its tail as the next reply
    fd_ = -1;
    return false;
  }
  return true;
}

void TlsKeyHelper::stop() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (pid_ > 0) {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  pid_ = -1;
}

TlsKeyHelper::~TlsKeyHelper() {
  stop();
}

}  // namespace estafeta::net
