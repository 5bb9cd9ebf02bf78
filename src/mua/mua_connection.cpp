// mua_connection: the mail client's blocking connection (see the header). A non-blocking
// socket waited on with poll() up to each deadline; OpenSSL over the same descriptor, its
// WANT_READ/WANT_WRITE turned into polls. Verification: the system store plus the account's
// CA file, the host name (DNS name or IP literal) always checked (RFC 6125; RFC 8314 §4.1
// for implicit TLS, RFC 3207/2595 for STARTTLS/STLS), SNI sent for DNS names (RFC 6066 §3).
#include "mua/mua_connection.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <vector>

namespace estafeta::mua {
namespace {

using Clock = std::chrono::steady_clock;

PeerError io_error(std::string text) {
  return PeerError{0, "", std::move(text)};
}

std::string errno_text(int err) {
  return std::strerror(err);
}

bool is_ip_literal(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

std::string address_text(const sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
  else if (sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf, sizeof buf);
  return buf;
}

bool loopback_address(const sockaddr* sa) {
  if (sa->sa_family == AF_INET)
    return (ntohl(reinterpret_cast<const sockaddr_in*>(sa)->sin_addr.s_addr) >> 24) == 127;
  if (sa->sa_family == AF_INET6) {
    const auto* a6 = &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr;
    if (IN6_IS_ADDR_LOOPBACK(a6)) return true;
    return IN6_IS_ADDR_V4MAPPED(a6) && a6->s6_addr[12] == 127;
  }
  return false;
}

// Milliseconds left until `deadline`, at least 0, for poll().
int millis_left(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return 0;
  return left > 1'000'000'000 ? 1'000'000'000 : static_cast<int>(left);
}

// Waits for `events` on fd until the deadline: 1 ready, 0 timed out, -1 error (errno).
int wait_fd(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, millis_left(deadline));
    if (r < 0 && errno == EINTR) {
      if (Clock::now() >= deadline) return 0;
      continue;
    }
    return r;
  }
}

// The OpenSSL error queue as text (emptied), or "" when it is empty.
std::string ssl_errors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

// OpenSSL's socket BIO writes with write(2): a server gone mid-write would raise SIGPIPE and
// end the whole command. This BIO sends with MSG_NOSIGNAL (an EPIPE error instead) and
// leaves everything else to the socket BIO.
int nosignal_write(BIO* b, const char* data, int n) {
  BIO_clear_retry_flags(b);
  const ssize_t r = ::send(static_cast<int>(BIO_get_fd(b, nullptr)), data,
                           static_cast<std::size_t>(n), MSG_NOSIGNAL);
  if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) BIO_set_retry_write(b);
  return static_cast<int>(r);
}

int nosignal_puts(BIO* b, const char* s) {
  return nosignal_write(b, s, static_cast<int>(std::strlen(s)));
}

const BIO_METHOD* nosignal_socket() {
  static BIO_METHOD* method = [] {
    const BIO_METHOD* plain = BIO_s_socket();
    BIO_METHOD* m = BIO_meth_new(BIO_TYPE_SOCKET | BIO_get_new_index(), "mua socket");
    if (!m) return m;
    BIO_meth_set_write(m, nosignal_write);
    BIO_meth_set_puts(m, nosignal_puts);
    BIO_meth_set_read(m, BIO_meth_get_read(const_cast<BIO_METHOD*>(plain)));
    BIO_meth_set_ctrl(m, BIO_meth_get_ctrl(const_cast<BIO_METHOD*>(plain)));
    BIO_meth_set_create(m, BIO_meth_get_create(plain));
    BIO_meth_set_destroy(m, BIO_meth_get_destroy(plain));
    return m;
  }();
  return method;
}

struct SslCtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};

class SocketConnection final : public Connection {
 public:
  SocketConnection(int fd, ConnectOptions options, std::string peer, bool loopback)
      : fd_(fd), options_(std::move(options)), peer_(std::move(peer)), loopback_(loopback) {}
  ~SocketConnection() override { close(); }

  Result<bool> handshake(Clock::time_point deadline);

  Result<bool> start_tls() override {
    if (fd_ < 0) return io_error(where() + ": the connection is closed");
    if (ssl_) return io_error(where() + ": TLS is already active");
    return handshake(Clock::now() + options_.io_timeout);
  }
  bool secure() const override { return ssl_ != nullptr; }
  bool peer_is_loopback() const override { return loopback_; }
  const std::string& peer() const override { return peer_; }

  Result<bool> write(std::string_view bytes) override;
  Result<std::string> read_some(std::size_t max) override {
    return read_until(Clock::now() + options_.io_timeout, max, false);
  }
  Result<std::string> read_for(std::chrono::milliseconds wait, std::size_t max) override {
    return read_until(Clock::now() + wait, max, true);
  }
  bool timed_out() const override { return timed_out_; }

  void close() override {
    if (ssl_ && fd_ >= 0 && !broken_) SSL_shutdown(ssl_.get());  // best effort close_notify
    ssl_.reset();
    ctx_.reset();
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  std::string where() const { return options_.host + " port " + std::to_string(options_.port); }
  Result<std::string> read_until(Clock::time_point deadline, std::size_t max, bool soft);

  int fd_;
  ConnectOptions options_;
  std::string peer_;  // the address connected to
  bool loopback_;
  std::unique_ptr<SSL_CTX, SslCtxFree> ctx_;
  std::unique_ptr<SSL, SslFree> ssl_;
  bool timed_out_ = false;
  bool broken_ = false;  // a fatal TLS or socket error: no close_notify
};

Result<bool> SocketConnection::handshake(Clock::time_point deadline) {
  const std::string host = options_.host;
  std::unique_ptr<SSL_CTX, SslCtxFree> ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return io_error("TLS: cannot create a context: " + ssl_errors());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);  // RFC 8996, RFC 9325
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1) ERR_clear_error();  // no system store
  if (!options_.ca_file.empty()) {
    if (::access(options_.ca_file.c_str(), R_OK) != 0)
      return io_error("cannot read the CA file " + options_.ca_file + ": " + errno_text(errno));
    if (SSL_CTX_load_verify_locations(ctx.get(), options_.ca_file.c_str(), nullptr) != 1) {
      ERR_clear_error();
      return io_error("the CA file " + options_.ca_file + " holds no PEM certificate");
    }
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  std::unique_ptr<SSL, SslFree> ssl(SSL_new(ctx.get()));
  if (!ssl) return io_error("TLS: cannot create a session: " + ssl_errors());
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (is_ip_literal(host)) {
    if (X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) != 1)
      return io_error("TLS: bad IP address " + host);
  } else {
    if (SSL_set1_host(ssl.get(), host.c_str()) != 1) return io_error("TLS: bad host name " + host);
    SSL_set_tlsext_host_name(ssl.get(), host.c_str());  // SNI only for names (RFC 6066 §3)
  }
  BIO* bio = nosignal_socket() ? BIO_new(nosignal_socket()) : nullptr;
  if (bio) {
    BIO_set_fd(bio, fd_, BIO_NOCLOSE);
    SSL_set_bio(ssl.get(), bio, bio);  // the SSL owns the BIO now
  } else {
    SSL_set_fd(ssl.get(), fd_);
  }
  for (;;) {
    ERR_clear_error();
    const int r = SSL_connect(ssl.get());
    if (r == 1) break;
    const int e = SSL_get_error(ssl.get(), r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      const int w = wait_fd(fd_, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
      if (w == 0) {
        broken_ = true;
        return io_error("TLS handshake with " + where() + " timed out");
      }
      if (w < 0) {
        broken_ = true;
        return io_error("TLS handshake with " + where() + ": " + errno_text(errno));
      }
      continue;
    }
    broken_ = true;
    const long verify = SSL_get_verify_result(ssl.get());
    if (verify != X509_V_OK) {
      std::string why = X509_verify_cert_error_string(verify);
      if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH)
        return io_error("the certificate of " + where() + " is not valid for the name " + host +
                        " (" + why + ")");
      std::string hint;
      if (verify == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
          verify == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
          verify == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
          verify == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT)
        hint = options_.ca_file.empty()
                   ? "; set ca_file to the CA that issued it"
                   : "; it is not issued by a CA in the system store or " + options_.ca_file;
      return io_error("the certificate of " + where() + " is not trusted (" + why + ")" + hint);
    }
    std::string detail = ssl_errors();
    if (detail.empty())
      detail = (e == SSL_ERROR_SYSCALL && errno != 0) ? errno_text(errno)
                                                      : "the server closed the connection";
    return io_error("TLS handshake with " + where() + " failed: " + detail);
  }
  ctx_ = std::move(ctx);
  ssl_ = std::move(ssl);
  return true;
}

Result<bool> SocketConnection::write(std::string_view bytes) {
  if (fd_ < 0) return io_error("write to " + where() + ": the connection is closed");
  const auto deadline = Clock::now() + options_.io_timeout;
  while (!bytes.empty()) {
    if (ssl_) {
      ERR_clear_error();
      const int chunk = bytes.size() > 1 << 30 ? 1 << 30 : static_cast<int>(bytes.size());
      const int r = SSL_write(ssl_.get(), bytes.data(), chunk);
      if (r > 0) {
        bytes.remove_prefix(static_cast<std::size_t>(r));
        continue;
      }
      const int e = SSL_get_error(ssl_.get(), r);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        const int w = wait_fd(fd_, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
        if (w > 0) continue;
        broken_ = true;
        return io_error("write to " + where() + (w == 0 ? " timed out" : ": " + errno_text(errno)));
      }
      broken_ = true;
      std::string detail = ssl_errors();
      return io_error("write to " + where() +
                      " failed: " + (detail.empty() ? errno_text(errno) : detail));
    }
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      const int w = wait_fd(fd_, POLLOUT, deadline);
      if (w > 0) continue;
      broken_ = true;
      return io_error("write to " + where() + (w == 0 ? " timed out" : ": " + errno_text(errno)));
    }
    broken_ = true;
    return io_error("write to " + where() + ": " + errno_text(errno));
  }
  return true;
}

Result<std::string> SocketConnection::read_until(Clock::time_point deadline, std::size_t max,
                                                 bool soft) {
  timed_out_ = false;
  if (fd_ < 0) return io_error("read from " + where() + ": the connection is closed");
  if (max == 0) max = 1;
  std::string out(max, '\0');
  for (;;) {
    if (ssl_) {
      ERR_clear_error();
      const int chunk = max > 1 << 30 ? 1 << 30 : static_cast<int>(max);
      const int r = SSL_read(ssl_.get(), out.data(), chunk);
      if (r > 0) {
        out.resize(static_cast<std::size_t>(r));
        return out;
      }
      const int e = SSL_get_error(ssl_.get(), r);
      if (e == SSL_ERROR_ZERO_RETURN) return std::string();  // close_notify
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        const int w = wait_fd(fd_, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
        if (w > 0) continue;
        if (w == 0 && soft) {
          timed_out_ = true;
          return std::string();
        }
        broken_ = true;
        return io_error("read from " + where() +
                        (w == 0 ? " timed out" : ": " + errno_text(errno)));
      }
      broken_ = true;
      if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && errno == 0)
        return std::string();  // EOF without close_notify: the server went away
      std::string detail = ssl_errors();
      return io_error("read from " + where() +
                      " failed: " + (detail.empty() ? errno_text(errno) : detail));
    }
    const ssize_t n = ::recv(fd_, out.data(), max, 0);
    if (n > 0) {
      out.resize(static_cast<std::size_t>(n));
      return out;
    }
    if (n == 0) return std::string();
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      const int w = wait_fd(fd_, POLLIN, deadline);
      if (w > 0) continue;
      if (w == 0 && soft) {
        timed_out_ = true;
        return std::string();
      }
      broken_ = true;
      return io_error("read from " + where() + (w == 0 ? " timed out" : ": " + errno_text(errno)));
    }
    broken_ = true;
    return io_error("read from " + where() + ": " + errno_text(errno));
  }
}

// One TCP connect to `ai` with the deadline: the connected descriptor, or -1 with `error`.
int connect_one(const addrinfo* ai, Clock::time_point deadline, std::string& error) {
  const int fd =
      ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
  if (fd < 0) {
    error = errno_text(errno);
    return -1;
  }
  int r = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
  if (r != 0 && errno != EINPROGRESS && errno != EINTR) {
    error = errno_text(errno);
    ::close(fd);
    return -1;
  }
  if (r != 0) {
    const int w = wait_fd(fd, POLLOUT, deadline);
    if (w <= 0) {
      error = w == 0 ? "timed out" : errno_text(errno);
      ::close(fd);
      return -1;
    }
    int soerr = 0;
    socklen_t len = sizeof soerr;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0 || soerr != 0) {
      error = errno_text(soerr != 0 ? soerr : errno);
      ::close(fd);
      return -1;
    }
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

}  // namespace

Result<std::unique_ptr<Connection>> Connection::open(const ConnectOptions& options) {
  const std::string where = options.host + " port " + std::to_string(options.port);
  if (options.host.empty()) return io_error("no server host name configured");
  if (options.port == 0) return io_error("no port configured for " + options.host);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;  // IPv6 and IPv4, in the resolver's order (RFC 6724)
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* list = nullptr;
  const std::string service = std::to_string(options.port);
  int gai = ::getaddrinfo(options.host.c_str(), service.c_str(), &hints, &list);
  if (gai == EAI_NONAME || gai == EAI_ADDRFAMILY || gai == EAI_NODATA) {
    hints.ai_flags = 0;  // AI_ADDRCONFIG hides ::1 and 127.0.0.1 on hosts without a route
    gai = ::getaddrinfo(options.host.c_str(), service.c_str(), &hints, &list);
  }
  if (gai != 0)
    return io_error("cannot resolve " + options.host + ": " +
                    (gai == EAI_SYSTEM ? errno_text(errno) : gai_strerror(gai)));
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> owner(list, ::freeaddrinfo);
  std::string failures;
  for (const addrinfo* ai = list; ai; ai = ai->ai_next) {
    // Each address gets the whole connect timeout: a silent IPv6 route must not leave the
    // IPv4 address no time at all.
    std::string error;
    const int fd = connect_one(ai, Clock::now() + options.connect_timeout, error);
    const std::string peer = address_text(ai->ai_addr);
    if (fd < 0) {
      if (!failures.empty()) failures += ", ";
      failures += peer + ": " + error;
      continue;
    }
    auto conn =
        std::make_unique<SocketConnection>(fd, options, peer, loopback_address(ai->ai_addr));
    if (options.implicit_tls) {
      auto ok = conn->handshake(Clock::now() + options.connect_timeout);
      if (!ok) return ok.error();  // a certificate problem is not cured by another address
    }
    return std::unique_ptr<Connection>(std::move(conn));
  }
  return io_error("cannot connect to " + where + " (" + failures + ")");
}

ConnectOptions connect_options(const Account& account, const Endpoint& endpoint) {
  ConnectOptions o;
  o.host = endpoint.host;
  o.port = endpoint.port;
  o.implicit_tls = endpoint.security == Security::tls;
  o.ca_file = account.ca_file;
  return o;
}

}  // namespace estafeta::mua
