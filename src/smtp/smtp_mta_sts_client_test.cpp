// smtp_mta_sts_client_test: the MTA-STS policy fetch against a tiny HTTPS server in a thread
// on 127.0.0.1 (blocking OpenSSL, a self-signed certificate for mta-sts.example.test made by
// the test and given to the client as its CA file): a policy is fetched and parsed; the same
// server without the CA is refused (not verified); a 404 and a non-policy body fail; a
// server that never answers times out. Bounded: 10 s socket timeouts, 1-5 s fetch deadlines.
#include "smtp/smtp_mta_sts_client.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include "base/test_temp_dir.hpp"
#include "net/tls_context.hpp"

namespace estafeta::smtp {
namespace {

using namespace std::chrono_literals;

const char* const kHost = "mta-sts.example.test";

// A self-signed certificate for kHost that is its own CA (CA:TRUE, SAN DNS:kHost).
bool make_certificate(const std::filesystem::path& dir) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  bool ok = key && cert;
  if (ok) {
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 7);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
    X509_set_pubkey(cert, key);
    X509_NAME* n = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(kHost),
                               -1, -1, 0);
    X509_set_issuer_name(cert, n);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    for (auto [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:TRUE"},
                              std::pair{NID_subject_alt_name, "DNS:mta-sts.example.test"},
                              std::pair{NID_key_usage, "critical,keyCertSign,digitalSignature"},
                              std::pair{NID_subject_key_identifier, "hash"}}) {
      X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
      ok = ok && ext && X509_add_ext(cert, ext, -1) == 1;
      X509_EXTENSION_free(ext);
    }
    ok = ok && X509_sign(cert, key, EVP_sha256()) > 0;
    FILE* c = std::fopen((dir / "cert.pem").c_str(), "w");
    FILE* k = std::fopen((dir / "key.pem").c_str(), "w");
    ok = ok && c && k && PEM_write_X509(c, cert) == 1 &&
         PEM_write_PrivateKey(k, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
    if (c) std::fclose(c);
    if (k) std::fclose(k);
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  return ok;
}

// Answers every connection with `response` after reading the request (or, when `silent`,
// never answers and waits for the client to go).
class HttpsServer {
 public:
  HttpsServer(const std::filesystem::path& dir, std::string response, bool silent = false)
      : response_(std::move(response)), silent_(silent) {
    ctx_ = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate_file(ctx_, (dir / "cert.pem").c_str(), SSL_FILETYPE_PEM);
    SSL_CTX_use_PrivateKey_file(ctx_, (dir / "key.pem").c_str(), SSL_FILETYPE_PEM);
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(fd_, 4);
    thread_ = std::thread([this] { run(); });
  }
  ~HttpsServer() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
    SSL_CTX_free(ctx_);
  }
  std::uint16_t port() const { return port_; }
  const std::string& request() const { return request_; }

 private:
  void run() {
    for (;;) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      timeval tv{10, 0};
      ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      ::setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      if (silent_) {
        char b[256];
        while (::recv(c, b, sizeof b, 0) > 0) {
        }
        ::close(c);
        continue;
      }
      SSL* ssl = SSL_new(ctx_);
      SSL_set_fd(ssl, c);
      if (SSL_accept(ssl) == 1) {
        std::string in;
        char b[4096];
        while (in.find("\r\n\r\n") == std::string::npos) {
          const int n = SSL_read(ssl, b, sizeof b);
          if (n <= 0) break;
          in.append(b, static_cast<std::size_t>(n));
        }
        request_ = in;
        SSL_write(ssl, response_.data(), static_cast<int>(response_.size()));
        SSL_shutdown(ssl);
      }
      SSL_free(ssl);
      ::close(c);
    }
  }
  std::string response_;
  bool silent_;
  SSL_CTX* ctx_ = nullptr;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::string request_;
};

class MtaStsClient : public ::testing::Test {
 protected:
  void SetUp() override {
    ::signal(SIGPIPE, SIG_IGN);  // the server writes with OpenSSL to clients that may be gone
    ASSERT_TRUE(make_certificate(dir_.path()));
  }
  StsFetchResult fetch(std::uint16_t port, bool with_ca, std::chrono::milliseconds timeout = 5s) {
    std::string error;
    auto tls =
        net::make_client_tls_context(with_ca ? (dir_.path() / "cert.pem").string() : "", error);
    EXPECT_TRUE(tls) << error;
    StsFetchResult out;
    bool done = false;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
          out = co_await fetch_sts_policy("example.test", asio::ip::make_address("127.0.0.1"), port,
                                          *tls, timeout);
          done = true;
        },
        asio::detached);
    io_.restart();
    io_.run_for(20s);
    EXPECT_TRUE(done);
    return out;
  }
  testing::TempDir dir_{"estafeta-mta-sts"};
  asio::io_context io_;
};

const std::string kPolicy =
    "version: STSv1\r\nmode: enforce\r\nmx: mx.example.test\r\nmax_age: 86400\r\n";

TEST_F(MtaStsClient, FetchesAndParsesThePolicy) {
  HttpsServer server(dir_.path(),
                     "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                         std::to_string(kPolicy.size()) + "\r\n\r\n" + kPolicy);
  auto r = fetch(server.port(), true);
  ASSERT_TRUE(r.policy) << r.error;
  EXPECT_EQ(r.policy->mode, StsPolicy::Mode::enforce);
  EXPECT_EQ(r.policy->mx, std::vector<std::string>{"mx.example.test"});
  EXPECT_EQ(r.text, kPolicy);
  EXPECT_NE(server.request().find("GET /.well-known/mta-sts.txt HTTP/1.1\r\n"), std::string::npos);
  EXPECT_NE(server.request().find("Host: mta-sts.example.test\r\n"), std::string::npos);
}

TEST_F(MtaStsClient, UnverifiedCertificateIsRefused) {
  HttpsServer server(dir_.path(), "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" + kPolicy);
  auto r = fetch(server.port(), false);
  EXPECT_FALSE(r.policy);
  EXPECT_NE(r.error.find("not verified"), std::string::npos) << r.error;
}

TEST_F(MtaStsClient, HttpErrorsAndBadBodiesFail) {
  {
    HttpsServer server(dir_.path(), "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n\r\n");
    auto r = fetch(server.port(), true);
    EXPECT_FALSE(r.policy);
    EXPECT_NE(r.error.find("404"), std::string::npos) << r.error;
  }
  HttpsServer server(dir_.path(), "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhello\r\n");
  auto r = fetch(server.port(), true);
  EXPECT_FALSE(r.policy);
  EXPECT_NE(r.error.find("bad policy"), std::string::npos) << r.error;
}

TEST_F(MtaStsClient, SilentServerTimesOut) {
  HttpsServer server(dir_.path(), "", true);
  const auto start = std::chrono::steady_clock::now();
  auto r = fetch(server.port(), true, 1s);
  EXPECT_FALSE(r.policy);
  EXPECT_NE(r.error.find("timed out"), std::string::npos) << r.error;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

}  // namespace
}  // namespace estafeta::smtp
