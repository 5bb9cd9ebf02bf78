// Tests of mua::Connection against a small TLS echo server in a thread on loopback, with a
// CA and server certificate made by net::ensure_local_tls: implicit TLS, STARTTLS after a
// cleartext line, a CA that is not trusted, a certificate for another name, a refused
// connection, read deadlines and read_for's soft timeout.
#include "mua/mua_connection.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "base/test_temp_dir.hpp"
#include "net/tls_local_ca.hpp"

namespace estafeta::mua {
namespace {

using estafeta::testing::TempDir;

struct Pki {
  net::LocalTlsFiles files;
  explicit Pki(const std::filesystem::path& dir) {
    std::string error;
    EXPECT_TRUE(net::ensure_local_tls(dir, "mail.test.example", {}, files, error)) << error;
  }
};

// Listens on `address`, accepts one connection and serves it: `starttls` sends "READY\r\n"
// in cleartext and waits for one line before the handshake; then echoes each read back
// until the client closes, or sleeps `silence` first when asked.
class EchoServer {
 public:
  EchoServer(const Pki& pki, const char* address, bool starttls, int silence_ms = 0)
      : starttls_(starttls), silence_ms_(silence_ms) {
    const bool v6 = std::string_view(address).find(':') != std::string_view::npos;
    fd_ = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (v6) {
      auto* sa6 = reinterpret_cast<sockaddr_in6*>(&ss);
      sa6->sin6_family = AF_INET6;
      inet_pton(AF_INET6, address, &sa6->sin6_addr);
      ::setsockopt(fd_, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
      len = sizeof(sockaddr_in6);
    } else {
      auto* sa = reinterpret_cast<sockaddr_in*>(&ss);
      sa->sin_family = AF_INET;
      inet_pton(AF_INET, address, &sa->sin_addr);
      len = sizeof(sockaddr_in);
    }
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) == 0 && ::listen(fd_, 4) == 0;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len);
    port_ = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                     : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    ctx_ = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate_chain_file(ctx_, pki.files.certificate.c_str());
    SSL_CTX_use_PrivateKey_file(ctx_, pki.files.private_key.c_str(), SSL_FILETYPE_PEM);
    thread_ = std::thread([this] { serve(); });
  }
  ~EchoServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
    SSL_CTX_free(ctx_);
  }
  std::uint16_t port() const { return port_; }
  bool bound() const { return bound_; }

 private:
  void serve() {
    pollfd p{fd_, POLLIN, 0};
    for (int i = 0; i < 100 && !stop_; ++i)
      if (::poll(&p, 1, 100) > 0) break;
    if (stop_ || !(p.revents & POLLIN)) return;
    const int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    timeval tv{10, 0};
    ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[4096];
    if (starttls_) {
      ::send(c, "READY\r\n", 7, MSG_NOSIGNAL);
      if (::recv(c, buf, sizeof buf, 0) <= 0) {
        ::close(c);
        return;
      }
    }
    SSL* ssl = SSL_new(ctx_);
    SSL_set_fd(ssl, c);
    const bool accepted = SSL_accept(ssl) == 1;
    if (accepted && silence_ms_ < 0) {
      // Hang up at once, without close_notify: the client's next writes meet a reset.
    } else if (accepted) {
      if (silence_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(silence_ms_));
      for (;;) {
        const int n = SSL_read(ssl, buf, sizeof buf);
        if (n <= 0) break;
        if (SSL_write(ssl, buf, n) <= 0) break;
      }
      SSL_shutdown(ssl);
    }
    SSL_free(ssl);
    ::close(c);
  }

  int fd_ = -1;
  bool bound_ = false;
  std::uint16_t port_ = 0;
  SSL_CTX* ctx_ = nullptr;
  bool starttls_;
  int silence_ms_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

ConnectOptions options_for(const EchoServer& server, const std::string& ca, bool implicit) {
  ConnectOptions o;
  o.host = "127.0.0.1";
  o.port = server.port();
  o.implicit_tls = implicit;
  o.ca_file = ca;
  o.connect_timeout = std::chrono::seconds(5);
  o.io_timeout = std::chrono::seconds(5);
  return o;
}

std::string read_exactly(Connection& c, std::size_t n) {
  std::string out;
  for (int i = 0; i < 50 && out.size() < n; ++i) {
    auto r = c.read_some(n - out.size());
    if (!r || r->empty()) break;
    out += *r;
  }
  return out;
}

TEST(MuaConnection, ImplicitTlsVerifiesAndEchoes) {
  TempDir dir;
  Pki pki(dir.path() / "tls");
  EchoServer server(pki, "127.0.0.1", false);
  auto c = Connection::open(options_for(server, pki.files.ca_certificate.string(), true));
  ASSERT_TRUE(c) << c.error().text;
  EXPECT_TRUE((*c)->secure());
  EXPECT_TRUE((*c)->peer_is_loopback());
  EXPECT_EQ((*c)->peer(), "127.0.0.1");
  ASSERT_TRUE((*c)->write("a1 NOOP\r\n"));
  EXPECT_EQ(read_exactly(**c, 9), "a1 NOOP\r\n");
  // read_some never returns more than asked.
  ASSERT_TRUE((*c)->write("0123456789"));
  auto part = (*c)->read_some(4);
  ASSERT_TRUE(part);
  EXPECT_LE(part->size(), 4u);
  EXPECT_FALSE(part->empty());
}

TEST(MuaConnection, EveryAddressOfTheNameIsTried) {
  // "localhost" has ::1 and 127.0.0.1; the server listens on IPv4 only, so an IPv6 attempt
  // (when the resolver lists it first) is refused and the next address is taken. The name is
  // checked against the certificate (DNS:localhost) and sent as SNI.
  TempDir dir;
  Pki pki(dir.path() / "tls");
  EchoServer server(pki, "127.0.0.1", false);
  ASSERT_TRUE(server.bound());
  auto o = options_for(server, pki.files.ca_certificate.string(), true);
  o.host = "localhost";
  auto c = Connection::open(o);
  ASSERT_TRUE(c) << c.error().text;
  EXPECT_EQ((*c)->peer(), "127.0.0.1");
  ASSERT_TRUE((*c)->write("x\r\n"));
  EXPECT_EQ(read_exactly(**c, 3), "x\r\n");
}

TEST(MuaConnection, Ipv6Loopback) {
  TempDir dir;
  Pki pki(dir.path() / "tls");
  EchoServer server(pki, "::1", false);
  if (!server.bound()) GTEST_SKIP() << "no IPv6 loopback here";
  auto o = options_for(server, pki.files.ca_certificate.string(), true);
  o.host = "::1";  // the certificate has IP:::1
  auto c = Connection::open(o);
  ASSERT_TRUE(c) << c.error().text;
  EXPECT_EQ((*c)->peer(), "::1");
  EXPECT_TRUE((*c)->peer_is_loopback());
  ASSERT_TRUE((*c)->write("v6\r\n"));
  EXPECT_EQ(read_exactly(**c, 4), "v6\r\n");
}

TEST(MuaConnection, StartTlsAfterCleartext) {
  TempDir dir;
  Pki pki(dir.path() / "tls");
  EchoServer server(pki, "127.0.0.1", true);
  auto c = Connection::open(options_for(server, pki.files.ca_certificate.string(), false));
  ASSERT_TRUE(c) << c.error().text;
  EXPECT_FALSE((*c)->secure());
  EXPECT_EQ(read_exactly(**c, 7), "READY\r\n");
  ASSERT_TRUE((*c)->write("GO\r\n"));
  auto tls = (*c)->start_tls();
  ASSERT_TRUE(tls) << tls.error().text;
  EXPECT_TRUE((*c)->secure());
  ASSERT_TRUE((*c)->write("hello\r\n"));
  EXPECT_EQ(read_exactly(**c, 7), "hello\r\n");
  EXPECT_FALSE((*c)->start_tls());  // twice is an error, not a second handshake
}

TEST(MuaConnection, UntrustedCaIsAClearError) {
  TempDir dir;
  Pki pki(dir.path() / "tls");
  Pki other(dir.path() / "other");
  EchoServer server(pki, "127.0.0.1", false);
  auto c = Connection::open(options_for(server, other.files.ca_certificate.string(), true));
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().text.find("is not trusted"), std::string::npos) << c.error().text;
  EXPECT_NE(c.error().text.find("127.0.0.1 port"), std::string::npos) << c.error().text;
}

TEST(MuaConnection, NoCaFileMeansSystemStoreOnly) {
  TempDir dir;
  Pki pki(dir.path() / "tls");
  EchoServer server(pki, "127.0.0.1", false);
  auto c = Connection::open(options_for(server, "", true));
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().text.find("set ca_file"), std::string::npos) << c.error().text;
}

TEST(MuaConnection, CertificateForAnotherNameIsRefused) {
  // The certificate names mail.test.example, localhost, 127.0.0.1 and ::1, not 127.0.0.2.
  TempDir dir;
  Pki pki(dir.path() / "tls");
  EchoServer server(pki, "127.0.0.2", false);
  auto o = options_for(server, pki.files.ca_certificate.string(), true);
  o.host = "127.0.0.2";
  auto c = Connection::open(o);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().text.find("is not valid for the name 127.0.0.2"), std::string::npos)
      << c.error().text;
}

TEST(MuaConnection, MissingCaFileIsNamed) {
  TempDir dir;
  Pki pki(dir.path() / "tls");
  EchoServer server(pki, "127.0.0.1", false);
  auto c = Connection::open(options_for(server, (dir.path() / "nope.pem").string(), true));
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().text.find("cannot read the CA file"), std::string::npos) << c.error().text;
  EXPECT_NE(c.error().text.find("nope.pem"), std::string::npos);
}

TEST(MuaConnection, RefusedConnectionNamesHostAndPort) {
  // A port nobody listens on: bind, note it, close.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  socklen_t len = sizeof sa;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  ::close(fd);
  ConnectOptions o;
  o.host = "127.0.0.1";
  o.port = ntohs(sa.sin_port);
  o.connect_timeout = std::chrono::seconds(3);
  auto c = Connection::open(o);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().text.find("cannot connect to 127.0.0.1 port " + std::to_string(o.port)),
            std::string::npos)
      << c.error().text;
  EXPECT_NE(c.error().text.find("refused"), std::string::npos) << c.error().text;
}

TEST(MuaConnection, ReadDeadlineAndSoftWait) {
  TempDir dir;
  Pki pki(dir.path() / "tls");
  EchoServer server(pki, "127.0.0.1", false, 2500);  // silent for 2.5 s after the handshake
  auto o = options_for(server, pki.files.ca_certificate.string(), true);
  o.io_timeout = std::chrono::seconds(1);
  auto c = Connection::open(o);
  ASSERT_TRUE(c) << c.error().text;
  auto soft = (*c)->read_for(std::chrono::milliseconds(200));
  ASSERT_TRUE(soft);
  EXPECT_TRUE(soft->empty());
  EXPECT_TRUE((*c)->timed_out());
  auto hard = (*c)->read_some();
  ASSERT_FALSE(hard);
  EXPECT_NE(hard.error().text.find("timed out"), std::string::npos) << hard.error().text;
}

TEST(MuaConnection, WritingToAServerThatHungUpIsAnErrorNotSigpipe) {
  TempDir dir;
  Pki pki(dir.path() / "tls");
  EchoServer server(pki, "127.0.0.1", false, -1);
  auto c = Connection::open(options_for(server, pki.files.ca_certificate.string(), true));
  ASSERT_TRUE(c) << c.error().text;
  const std::string chunk(256 * 1024, 'x');
  bool failed = false;
  for (int i = 0; i < 200 && !failed; ++i) failed = !(*c)->write(chunk).ok();
  EXPECT_TRUE(failed);  // and the test process is still alive: no SIGPIPE
}

TEST(MuaConnection, ServerCloseReadsEmpty) {
  TempDir dir;
  Pki pki(dir.path() / "tls");
  EchoServer server(pki, "127.0.0.1", true);
  auto c = Connection::open(options_for(server, pki.files.ca_certificate.string(), false));
  ASSERT_TRUE(c);
  EXPECT_EQ(read_exactly(**c, 7), "READY\r\n");
  ASSERT_TRUE((*c)->write("x\r\n"));
  (*c)->close();  // the server then fails its handshake and closes
  EXPECT_FALSE((*c)->write("y"));
}

TEST(MuaConnection, ConnectOptionsFromAccount) {
  Account a;
  a.ca_file = "/etc/ca.pem";
  Endpoint e{"imap.example.org", 993, Security::tls};
  auto o = connect_options(a, e);
  EXPECT_EQ(o.host, "imap.example.org");
  EXPECT_EQ(o.port, 993);
  EXPECT_TRUE(o.implicit_tls);
  EXPECT_EQ(o.ca_file, "/etc/ca.pem");
  e.security = Security::starttls;
  EXPECT_FALSE(connect_options(a, e).implicit_tls);
}

}  // namespace
}  // namespace estafeta::mua
