// smtp_outbound_dane_dns_test: DANE (RFC 7672) end to end in the sending MTA. A zone
// signed.example is signed at run time with ldnsutils (ldns-keygen/ldns-signzone) and served
// by Debian's `unbound` on 127.0.0.1 (free port, the root a static local zone, nothing asked
// outside); the resolver validates with the zone's DS as its only trust anchor. A TLS SMTP
// receiver (a thread, blocking OpenSSL, a certificate made by the test) listens on 127.0.0.1;
// the zone gives its MX hosts TLSA records at _PORT._tcp (the receiver's port). Checks: a
// TLSA 3 1 1 record matching the receiver's key delivers (verified); one that does not match
// defers without sending; a host without TLSA gets opportunistic TLS and delivers; each
// attempt leaves its TLS-RPT line (policy type tlsa / no-policy-found, success or
// tlsa-invalid) in the day file; MTA-STS policies are fetched over IPv6 ([::1], a second
// policy server on the same port) and from the next address when one refuses. Skips
// when unbound or ldnsutils is absent. Bounded: 10 s socket timeouts, 30 s per delivery.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <asio/thread_pool.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "base/test_temp_dir.hpp"
#include "smtp/smtp_outbound_test_support.hpp"
#include "smtp/smtp_outbound_transport.hpp"

namespace estafeta::smtp {
namespace {

using namespace std::chrono_literals;
using Kind = queue::RemoteReply::Kind;

std::string find_program(const char* name) {
  for (const char* dir :
       {"/usr/sbin/", "/usr/bin/", "/sbin/", "/bin/", "/usr/local/sbin/", "/usr/local/bin/"}) {
    std::string p = std::string(dir) + name;
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::uint16_t free_port() {
  for (int attempt = 0; attempt < 20; ++attempt) {
    int u = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    bool ok = ::bind(u, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
              ::getsockname(u, reinterpret_cast<sockaddr*>(&a), &len) == 0;
    int t = ::socket(AF_INET, SOCK_STREAM, 0);
    ok = ok && ::bind(t, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(t);
    ::close(u);
    if (ok) return ntohs(a.sin_port);
  }
  return 0;
}

// A self-signed EC certificate for `name`; the PEM files go to `dir`; returns the hex
// SHA-256 of its SubjectPublicKeyInfo (TLSA selector 1, matching type 1), "" on failure.
std::string make_certificate(const std::filesystem::path& dir, const std::string& name) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  std::string hex;
  if (key && cert) {
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
    X509_set_pubkey(cert, key);
    X509_NAME* n = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0);
    X509_set_issuer_name(cert, n);
    if (X509_sign(cert, key, EVP_sha256()) > 0) {
      FILE* c = std::fopen((dir / "cert.pem").c_str(), "w");
      FILE* k = std::fopen((dir / "key.pem").c_str(), "w");
      bool ok = c && k && PEM_write_X509(c, cert) == 1 &&
                PEM_write_PrivateKey(k, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
      if (c) std::fclose(c);
      if (k) std::fclose(k);
      unsigned char* der = nullptr;
      int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
      unsigned char md[32];
      unsigned int mdlen = 0;
      if (ok && len > 0 &&
          EVP_Digest(der, static_cast<std::size_t>(len), md, &mdlen, EVP_sha256(), nullptr) == 1) {
        static const char* digits = "0123456789abcdef";
        for (unsigned i = 0; i < mdlen; ++i) {
          hex += digits[md[i] >> 4];
          hex += digits[md[i] & 15];
        }
      }
      OPENSSL_free(der);
    }
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  return hex;
}

// The MTA-STS policy server: a certificate for mta-sts.{sts,stst}.signed.example that is its
// own CA (given to the transport as relay.mta_sts_ca_file), and an HTTPS server answering
// each request with the policy of the Host it names.
bool make_sts_certificate(const std::filesystem::path& dir) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  bool ok = key && cert;
  if (ok) {
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 9);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
    X509_set_pubkey(cert, key);
    X509_NAME* n = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("sts test"), -1, -1, 0);
    X509_set_issuer_name(cert, n);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    for (auto [nid, value] :
         {std::pair{NID_basic_constraints, "critical,CA:TRUE"},
          std::pair{NID_subject_alt_name,
                    "DNS:mta-sts.sts.signed.example,DNS:mta-sts.stst.signed.example,"
                    "DNS:mta-sts.sts6.signed.example,DNS:mta-sts.sts46.signed.example"},
          std::pair{NID_key_usage, "critical,keyCertSign,digitalSignature"}}) {
      X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
      ok = ok && ext && X509_add_ext(cert, ext, -1) == 1;
      X509_EXTENSION_free(ext);
    }
    ok = ok && X509_sign(cert, key, EVP_sha256()) > 0;
    FILE* c = std::fopen((dir / "sts-cert.pem").c_str(), "w");
    FILE* k = std::fopen((dir / "sts-key.pem").c_str(), "w");
    ok = ok && c && k && PEM_write_X509(c, cert) == 1 &&
         PEM_write_PrivateKey(k, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
    if (c) std::fclose(c);
    if (k) std::fclose(k);
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  return ok;
}

class PolicyServer {
 public:
  // On 127.0.0.1 with a free port, or (ipv6) on [::1] with `port` (the same as the IPv4
  // one's: the transport has one policy port).
  bool start(const std::filesystem::path& dir, bool ipv6 = false, std::uint16_t port = 0) {
    ctx_ = SSL_CTX_new(TLS_server_method());
    if (!ctx_ ||
        SSL_CTX_use_certificate_file(ctx_, (dir / "sts-cert.pem").c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx_, (dir / "sts-key.pem").c_str(), SSL_FILETYPE_PEM) != 1)
      return false;
    if (ipv6) {
      fd_ = ::socket(AF_INET6, SOCK_STREAM, 0);
      sockaddr_in6 a6{};
      a6.sin6_family = AF_INET6;
      a6.sin6_addr = in6addr_loopback;
      a6.sin6_port = htons(port);
      if (::bind(fd_, reinterpret_cast<sockaddr*>(&a6), sizeof a6) != 0) return false;
      port_ = port;
      ::listen(fd_, 8);
      thread_ = std::thread([this] { run(); });
      return true;
    }
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return false;
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(fd_, 8);
    thread_ = std::thread([this] { run(); });
    return true;
  }
  ~PolicyServer() {
    if (fd_ >= 0) {
      ::shutdown(fd_, SHUT_RDWR);
      if (thread_.joinable()) thread_.join();
      ::close(fd_);
    }
    SSL_CTX_free(ctx_);
  }
  std::uint16_t port() const { return port_; }
  int requests() const { return requests_; }

 private:
  void run() {
    for (;;) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      timeval tv{10, 0};
      ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      ::setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
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
        ++requests_;
        const bool testing = in.find("Host: mta-sts.stst.signed.example") != std::string::npos;
        const std::string policy = std::string("version: STSv1\r\nmode: ") +
                                   (testing ? "testing" : "enforce") +
                                   "\r\nmx: mxother.signed.example\r\nmax_age: 86400\r\n";
        const std::string response =
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
            "Content-Length: " +
            std::to_string(policy.size()) + "\r\n\r\n" + policy;
        SSL_write(ssl, response.data(), static_cast<int>(response.size()));
        SSL_shutdown(ssl);
      }
      SSL_free(ssl);
      ::close(c);
    }
  }
  SSL_CTX* ctx_ = nullptr;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<int> requests_{0};
};

// An SMTP receiver on 127.0.0.1 offering STARTTLS with the test's certificate, taking every
// message (one connection at a time, 10 s socket timeouts).
class TlsSink {
 public:
  bool start(const std::filesystem::path& dir) {
    ctx_ = SSL_CTX_new(TLS_server_method());
    if (!ctx_ ||
        SSL_CTX_use_certificate_file(ctx_, (dir / "cert.pem").c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx_, (dir / "key.pem").c_str(), SSL_FILETYPE_PEM) != 1)
      return false;
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return false;
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(fd_, 8);
    thread_ = std::thread([this] { run(); });
    return true;
  }
  ~TlsSink() {
    if (fd_ >= 0) {
      ::shutdown(fd_, SHUT_RDWR);
      if (thread_.joinable()) thread_.join();
      ::close(fd_);
    }
    SSL_CTX_free(ctx_);
  }
  std::uint16_t port() const { return port_; }
  int messages() const { return messages_; }
  int connections() const { return connections_; }

 private:
  void run() {
    for (;;) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      ++connections_;
      timeval tv{10, 0};
      ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      ::setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      serve(c);
      ::close(c);
    }
  }
  void serve(int c) {
    SSL* ssl = nullptr;
    auto say = [&](const std::string& s) {
      std::string out = s + "\r\n";
      if (ssl)
        (void)SSL_write(ssl, out.data(), static_cast<int>(out.size()));
      else
        (void)!::send(c, out.data(), out.size(), MSG_NOSIGNAL);
    };
    say("220 sink.signed.example ESMTP");
    std::string in;
    bool data = false;
    for (bool open = true; open;) {
      char buf[4096];
      const int n =
          ssl ? SSL_read(ssl, buf, sizeof buf) : static_cast<int>(::recv(c, buf, sizeof buf, 0));
      if (n <= 0) break;
      in.append(buf, static_cast<std::size_t>(n));
      for (auto nl = in.find("\r\n"); open && nl != std::string::npos; nl = in.find("\r\n")) {
        std::string line = in.substr(0, nl);
        in.erase(0, nl + 2);
        if (data) {
          if (line == ".") {
            data = false;
            ++messages_;
            say("250 2.0.0 ok");
          }
        } else if (line.rfind("EHLO", 0) == 0) {
          say(ssl ? "250 sink.signed.example" : "250-sink.signed.example\r\n250 STARTTLS");
        } else if (line == "STARTTLS" && !ssl) {
          say("220 2.0.0 go ahead");
          in.clear();
          ssl = SSL_new(ctx_);
          SSL_set_fd(ssl, c);
          if (SSL_accept(ssl) != 1) open = false;
        } else if (line.rfind("DATA", 0) == 0) {
          data = true;
          say("354 go");
        } else if (line.rfind("QUIT", 0) == 0) {
          say("221 2.0.0 bye");
          open = false;
        } else {
          say("250 2.0.0 ok");
        }
      }
    }
    if (ssl) {
      SSL_shutdown(ssl);
      SSL_free(ssl);
    }
  }
  SSL_CTX* ctx_ = nullptr;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<int> messages_{0}, connections_{0};
};

// The signed zone and the unbound serving it; "" when ready, else why not.
class SignedDns {
 public:
  std::string start(const std::filesystem::path& dir, std::uint16_t smtp_port,
                    const std::string& spki_hex) {
    const std::string unbound = find_program("unbound");
    const std::string keygen = find_program("ldns-keygen"),
                      signzone = find_program("ldns-signzone");
    if (unbound.empty() || keygen.empty() || signzone.empty()) return "skip";
    const std::string tlsa = "_" + std::to_string(smtp_port) + "._tcp.";
    {
      std::ofstream z(dir / "signed.example.zone");
      z << "$ORIGIN signed.example.\n$TTL 300\n"
           "@ IN SOA ns.signed.example. h.signed.example. 1 3600 600 86400 300\n"
           "@ IN NS ns.signed.example.\n"
           "ns IN A 127.0.0.1\n"
           "good IN MX 10 mxgood.signed.example.\n"
           "bad IN MX 10 mxbad.signed.example.\n"
           "plain IN MX 10 mxplain.signed.example.\n"
           "mxgood IN A 127.0.0.1\n"
           "mxbad IN A 127.0.0.1\n"
           "mxplain IN A 127.0.0.1\n"
           // MTA-STS: sts (enforce) and stst (testing) list only mxother as their MX.
           "sts IN MX 10 mxplain.signed.example.\n"
           "_mta-sts.sts IN TXT \"v=STSv1; id=1\"\n"
           "mta-sts.sts IN A 127.0.0.1\n"
           "stst IN MX 10 mxplain.signed.example.\n"
           "_mta-sts.stst IN TXT \"v=STSv1; id=2\"\n"
           "mta-sts.stst IN A 127.0.0.1\n"
           // sts6: the policy host has only an IPv6 address; sts46: its IPv4 address
           // (127.0.0.2) refuses connections, its IPv6 one (::1) serves the policy.
           "sts6 IN MX 10 mxplain.signed.example.\n"
           "_mta-sts.sts6 IN TXT \"v=STSv1; id=6\"\n"
           "mta-sts.sts6 IN AAAA ::1\n"
           "sts46 IN MX 10 mxplain.signed.example.\n"
           "_mta-sts.sts46 IN TXT \"v=STSv1; id=7\"\n"
           "mta-sts.sts46 IN A 127.0.0.2\n"
           "mta-sts.sts46 IN AAAA ::1\n"
        << tlsa << "mxgood IN TLSA 3 1 1 " << spki_hex << "\n"
        << tlsa << "mxbad IN TLSA 3 1 1 " << std::string(64, '0') << "\n";
    }
    const std::string d = dir.string();
    if (std::system(("cd '" + d + "' && '" + keygen +
                     "' -a ECDSAP256SHA256 -k signed.example > key 2>/dev/null")
                        .c_str()) != 0)
      return "ldns-keygen failed";
    std::string k = read_text(dir / "key");
    while (!k.empty() && (k.back() == '\n' || k.back() == '\r')) k.pop_back();
    if (k.empty() || std::system(("cd '" + d + "' && '" + signzone + "' signed.example.zone '" + k +
                                  "' > /dev/null 2>&1")
                                     .c_str()) != 0)
      return "ldns-signzone failed";
    ds_ = read_text(dir / (k + ".ds"));
    if (auto semi = ds_.find(';'); semi != std::string::npos) ds_.resize(semi);
    while (!ds_.empty() && (ds_.back() == '\n' || ds_.back() == ' ' || ds_.back() == '\t'))
      ds_.pop_back();
    port_ = free_port();
    if (port_ == 0 || ds_.empty()) return "no free port or no DS";
    auto conf = dir / "unbound.conf";
    {
      std::ofstream f(conf);
      f << "server:\n  interface: 127.0.0.1\n  port: " << port_ << "\n  directory: \"" << d
        << "\"\n  chroot: \"\"\n  username: \"\"\n  pidfile: \"\"\n  do-daemonize: no\n"
           "  use-syslog: no\n  logfile: \"\"\n  verbosity: 1\n  num-threads: 1\n  do-ip6: no\n"
           "  so-reuseport: no\n  access-control: 127.0.0.0/8 allow\n"
           "  module-config: \"iterator\"\n  local-zone: \".\" static\n"
           "  local-zone: \"signed.example.\" transparent\n"
           "auth-zone:\n  name: \"signed.example.\"\n  zonefile: \""
        << (dir / "signed.example.zone.signed").string()
        << "\"\n  for-downstream: yes\n  for-upstream: yes\n  fallback-enabled: no\n"
           "remote-control:\n  control-enable: no\n";
    }
    const std::string log = (dir / "unbound.log").string();
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      ::execl(unbound.c_str(), "unbound", "-d", "-c", conf.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    if (pid_ <= 0) return "fork failed";
    std::string error;
    auto r = dns::Resolver::create(resolver_config(), error);
    if (!r) return error;
    for (auto end = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < end;
         std::this_thread::sleep_for(100ms)) {
      auto a = r->lookup("mxgood.signed.example", dns::RecordType::a);
      if (a.status == dns::AnswerStatus::data && a.secure) return "";
    }
    return "unbound gave no secure answer within 10 s: " + read_text(log).substr(0, 2000);
  }
  ~SignedDns() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 50; ++i, std::this_thread::sleep_for(100ms))
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  dns::ResolverConfig resolver_config() const {
    dns::ResolverConfig c;
    c.forwarders = {"127.0.0.1@" + std::to_string(port_)};
    c.dnssec = true;
    c.trust_anchor_file = "";
    c.trust_anchors = {ds_};
    c.timeout = 5s;
    return c;
  }

 private:
  std::string ds_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

class OutboundDaneDns : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // The receiver writes with OpenSSL (write(2), not send with MSG_NOSIGNAL) to a client that
    // may have hung up after refusing its certificate.
    ::signal(SIGPIPE, SIG_IGN);
    dir_ = new testing::TempDir("estafeta-outbound-dane");
    sink_ = new TlsSink;
    dns_ = new SignedDns;
    policy_ = new PolicyServer;
    if (!make_sts_certificate(dir_->path()) || !policy_->start(dir_->path())) {
      why_ = "cannot start the MTA-STS policy server";
      return;
    }
    policy6_ = new PolicyServer;
    if (!policy6_->start(dir_->path(), true, policy_->port()))
      why6_ = "cannot listen on [::1]:" + std::to_string(policy_->port()) + " (no IPv6 loopback?)";
    const std::string spki = make_certificate(dir_->path(), "mxgood.signed.example");
    if (spki.empty() || !sink_->start(dir_->path())) {
      why_ = "cannot make the certificate or start the receiver";
      return;
    }
    why_ = dns_->start(dir_->path(), sink_->port(), spki);
  }
  static void TearDownTestSuite() {
    delete dns_;
    delete policy_;
    delete policy6_;
    delete sink_;
    delete dir_;
  }
  void SetUp() override {
    if (why_ == "skip") GTEST_SKIP() << "unbound or ldnsutils not installed";
    ASSERT_EQ(why_, "");
  }
  queue::RemoteReply deliver(const std::string& domain,
                             dns::AddressFamilies families = dns::AddressFamilies::ipv4_only) {
    asio::thread_pool workers(1);  // per delivery: waited for at the end (TLS-RPT lines)
    OutboundOptions o;
    o.ehlo_name = "client.example";
    o.resolver = dns_->resolver_config();
    o.route.port = sink_->port();
    o.route.families = families;  // the MX hosts have A records only
    o.connect_timeout = 5s;
    o.tls_report_dir = (dir_->path() / "tls-rpt").string();
    o.mta_sts_ca_file = (dir_->path() / "sts-cert.pem").string();
    o.mta_sts_cache_dir = (dir_->path() / "mta-sts").string();
    o.mta_sts_port = policy_->port();
    auto out = outbound_test::deliver_one(io_, workers, o, domain, "sender@client.example");
    workers.wait();  // the TLS-RPT line is written there
    if (out.size() != 1 || out[0].size() != 1) return {};
    return out[0][0];
  }

  // Today's TLS-RPT lines without their times (the day could turn during the run: both days).
  static std::string report() {
    std::string all;
    for (const auto& f : std::filesystem::directory_iterator(dir_->path() / "tls-rpt"))
      all += read_text(f.path());
    std::string out;
    for (std::size_t p = 0; p < all.size();) {
      std::size_t comma = all.find(',', p), nl = all.find('\n', p);
      if (comma == std::string::npos || nl == std::string::npos) break;
      out += "{" + all.substr(comma + 1, nl - comma);
      p = nl + 1;
    }
    return out;
  }
  static inline testing::TempDir* dir_ = nullptr;
  static inline TlsSink* sink_ = nullptr;
  static inline SignedDns* dns_ = nullptr;
  static inline PolicyServer* policy_ = nullptr;
  static inline PolicyServer* policy6_ = nullptr;
  static inline std::string why_, why6_;
  asio::io_context io_;
};

TEST_F(OutboundDaneDns, MatchingTlsaDelivers) {
  const int before = sink_->messages();
  auto r = deliver("good.signed.example");
  EXPECT_EQ(r.kind, Kind::delivered) << r.code << " " << r.text;
  EXPECT_EQ(r.remote_host, "mxgood.signed.example");
  EXPECT_EQ(sink_->messages(), before + 1);
  EXPECT_NE(report().find("{\"policy-domain\":\"good.signed.example\",\"policy-type\":\"tlsa\","
                          "\"success\":true"),
            std::string::npos)
      << report();
}

TEST_F(OutboundDaneDns, NonMatchingTlsaDefers) {
  const int before = sink_->messages();
  auto r = deliver("bad.signed.example");
  EXPECT_EQ(r.kind, Kind::deferred) << r.text;
  EXPECT_NE(r.text.find("DANE"), std::string::npos) << r.text;
  EXPECT_EQ(sink_->messages(), before);
  EXPECT_NE(report().find("{\"policy-domain\":\"bad.signed.example\",\"policy-type\":\"tlsa\","
                          "\"success\":false,\"result-type\":\"tlsa-invalid\""),
            std::string::npos)
      << report();
}

TEST_F(OutboundDaneDns, NoTlsaIsOpportunistic) {
  const int before = sink_->messages();
  auto r = deliver("plain.signed.example");
  EXPECT_EQ(r.kind, Kind::delivered) << r.code << " " << r.text;
  EXPECT_EQ(sink_->messages(), before + 1);
  EXPECT_NE(report().find("{\"policy-domain\":\"plain.signed.example\",\"policy-type\":"
                          "\"no-policy-found\",\"success\":true"),
            std::string::npos)
      << report();
}

TEST_F(OutboundDaneDns, MtaStsEnforceRefusesAnUnlistedMx) {  // RFC 8461 §4.2
  const int before = sink_->messages();
  auto r = deliver("sts.signed.example");
  EXPECT_EQ(r.kind, Kind::deferred) << r.text;
  EXPECT_NE(r.text.find("MTA-STS"), std::string::npos) << r.text;
  EXPECT_EQ(sink_->messages(), before);
  // The policy is cached in memory and in its file; a new transport reads the file.
  const std::string cache = read_text(dir_->path() / "mta-sts" / "sts.signed.example");
  EXPECT_NE(cache.find("id 1\n"), std::string::npos) << cache;
  EXPECT_NE(cache.find("mode: enforce"), std::string::npos) << cache;
  const int fetched = policy_->requests();
  r = deliver("sts.signed.example");
  EXPECT_EQ(r.kind, Kind::deferred) << r.text;
  EXPECT_EQ(policy_->requests(), fetched);
  EXPECT_NE(report().find("{\"policy-domain\":\"sts.signed.example\",\"policy-type\":\"sts\","
                          "\"success\":false,\"result-type\":\"validation-failure\""),
            std::string::npos)
      << report();
}

// The policy host's addresses are tried as SMTP connections are: IPv6 too, and the next
// address when one cannot be reached.
TEST_F(OutboundDaneDns, MtaStsPolicyFetchedOverIpv6) {
  if (!why6_.empty()) GTEST_SKIP() << why6_;
  const int before = sink_->messages(), v4 = policy_->requests(), v6 = policy6_->requests();
  auto r = deliver("sts6.signed.example", dns::AddressFamilies::both_ipv6_first);
  EXPECT_EQ(r.kind, Kind::deferred) << r.text;
  EXPECT_NE(r.text.find("MTA-STS"), std::string::npos) << r.text;  // the enforce policy applied
  EXPECT_EQ(policy6_->requests(), v6 + 1);
  // IPv4 first: 127.0.0.2 refuses, then [::1] serves the policy.
  r = deliver("sts46.signed.example", dns::AddressFamilies::both_ipv4_first);
  EXPECT_EQ(r.kind, Kind::deferred) << r.text;
  EXPECT_NE(r.text.find("MTA-STS"), std::string::npos) << r.text;
  EXPECT_EQ(policy6_->requests(), v6 + 2);
  EXPECT_EQ(policy_->requests(), v4);
  EXPECT_EQ(sink_->messages(), before);
  const std::string cache = read_text(dir_->path() / "mta-sts" / "sts46.signed.example");
  EXPECT_NE(cache.find("id 7\n"), std::string::npos) << cache;
}

TEST_F(OutboundDaneDns, MtaStsTestingOnlyReports) {
  const int before = sink_->messages();
  auto r = deliver("stst.signed.example");
  EXPECT_EQ(r.kind, Kind::delivered) << r.code << " " << r.text;
  EXPECT_EQ(sink_->messages(), before + 1);
  EXPECT_NE(report().find("{\"policy-domain\":\"stst.signed.example\",\"policy-type\":\"sts\","
                          "\"success\":false,\"result-type\":\"certificate-not-trusted\""),
            std::string::npos)
      << report();
}

}  // namespace
}  // namespace estafeta::smtp
