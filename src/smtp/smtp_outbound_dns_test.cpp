// smtp_outbound_dns_test: OutboundTransport routing by MX through the real resolver: Debian's
// `unbound`, started by the test on 127.0.0.1 with a free port, serving only local data (the
// root is a static local zone, nothing is asked outside). The MX delivery port is the fake
// server's (RouteOptions::port). Checks: the best MX down (127.0.0.2, refused) and the next
// one taking the mail; a null MX bounced 556 5.1.10 without any connection; NXDOMAIN bounced
// 550 5.1.2; a resolver that gets no answer defers 451 4.4.3. Skips when unbound is absent
// (scripts/deps.sh installs it). Bounded: unbound must answer within 10 s, every delivery within 30
// s.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <asio/thread_pool.hpp>
#include <chrono>
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

std::string find_unbound() {
  for (const char* p : {"/usr/sbin/unbound", "/sbin/unbound", "/usr/local/sbin/unbound"})
    if (::access(p, X_OK) == 0) return p;
  return "";
}

// A port free for both UDP and TCP on 127.0.0.1 now (0 when none was found).
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

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A listener on 127.0.0.1 that accepts one connection at a time and plays a plain SMTP
// server taking every message (a thread; 10 s socket timeouts).
class SinkServer {
 public:
  SinkServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(fd_, 8);
    thread_ = std::thread([this] { run(); });
  }
  ~SinkServer() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
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
      auto say = [c](const std::string& s) {
        std::string out = s + "\r\n";
        (void)!::send(c, out.data(), out.size(), MSG_NOSIGNAL);
      };
      say("220 sink.example ESMTP");
      std::string in;
      bool data = false;
      for (bool open = true; open;) {
        char buf[4096];
        ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        in.append(buf, static_cast<std::size_t>(n));
        for (auto nl = in.find("\r\n"); nl != std::string::npos; nl = in.find("\r\n")) {
          std::string line = in.substr(0, nl);
          in.erase(0, nl + 2);
          if (data) {
            if (line == ".") {
              data = false;
              ++messages_;
              say("250 2.0.0 ok");
            }
          } else if (line.rfind("DATA", 0) == 0) {
            data = true;
            say("354 go");
          } else if (line.rfind("QUIT", 0) == 0) {
            say("221 2.0.0 bye");
            open = false;
            break;
          } else {
            say("250 2.0.0 ok");
          }
        }
      }
      ::close(c);
    }
  }
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<int> messages_{0}, connections_{0};
};

// One unbound for the suite.
class Unbound {
 public:
  // "" when it answers, else why not.
  std::string start() {
    const std::string binary = find_unbound();
    if (binary.empty()) return "the unbound binary is not installed";
    if (dir_.path().empty()) return "no temp dir";
    dns_port_ = free_port();
    if (dns_port_ == 0) return "no free port";
    auto conf = dir_.path() / "unbound.conf";
    std::ofstream f(conf);
    f << "server:\n  interface: 127.0.0.1\n  port: " << dns_port_ << "\n  directory: \""
      << dir_.path().string()
      << "\"\n  chroot: \"\"\n  username: \"\"\n  pidfile: \"\"\n  do-daemonize: no\n"
         "  use-syslog: no\n  logfile: \"\"\n  verbosity: 1\n  num-threads: 1\n  do-ip6: no\n"
         "  so-reuseport: no\n  access-control: 127.0.0.0/8 allow\n"
         "  module-config: \"iterator\"\n  local-zone: \".\" static\n"
         "  local-zone: \"outbound.example.\" static\n"
         "  local-data: \"outbound.example. 300 IN SOA ns.outbound.example. h.outbound.example. "
         "1 3600 600 86400 300\"\n"
         // The best MX is down (nothing listens on 127.0.0.2), the next one takes the mail.
         "  local-data: \"two.outbound.example. 300 IN MX 10 down.outbound.example.\"\n"
         "  local-data: \"two.outbound.example. 300 IN MX 20 up.outbound.example.\"\n"
         "  local-data: \"down.outbound.example. 300 IN A 127.0.0.2\"\n"
         "  local-data: \"up.outbound.example. 300 IN A 127.0.0.1\"\n"
         "  local-data: \"nullmx.outbound.example. 300 IN MX 0 .\"\n"
         "remote-control:\n  control-enable: no\n";
    f.close();
    const std::string log = (dir_.path() / "unbound.log").string();
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      ::execl(binary.c_str(), "unbound", "-d", "-c", conf.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    if (pid_ <= 0) return "fork failed";
    std::string error;
    auto r = dns::Resolver::create(resolver_config(), error);
    if (!r) return error;
    for (auto end = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < end;
         std::this_thread::sleep_for(100ms))
      if (r->lookup("up.outbound.example", dns::RecordType::a).status == dns::AnswerStatus::data)
        return "";
    return "unbound did not answer within 10 s: " + read_text(log).substr(0, 2000);
  }
  ~Unbound() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 50; ++i, std::this_thread::sleep_for(100ms))
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  dns::ResolverConfig resolver_config() const {
    dns::ResolverConfig c;
    c.forwarders = {"127.0.0.1@" + std::to_string(dns_port_)};
    c.dnssec = false;
    c.timeout = 5s;
    return c;
  }

 private:
  testing::TempDir dir_{"estafeta-outbound-dns"};
  std::uint16_t dns_port_ = 0;
  pid_t pid_ = -1;
};

class OutboundDns : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    unbound_ = new Unbound;
    why_ = unbound_->start();
  }
  static void TearDownTestSuite() {
    delete unbound_;
    unbound_ = nullptr;
  }
  void SetUp() override {
    if (find_unbound().empty()) GTEST_SKIP() << why_;
    ASSERT_EQ(why_, "");
  }
  std::vector<std::vector<queue::RemoteReply>> deliver(
      std::uint16_t smtp_port, const std::string& domain,
      std::optional<dns::ResolverConfig> resolver = std::nullopt) {
    OutboundOptions o;
    o.ehlo_name = "client.outbound.example";
    o.resolver = resolver ? *resolver : unbound_->resolver_config();
    o.route.port = smtp_port;
    o.route.families = dns::AddressFamilies::ipv4_only;
    o.connect_timeout = 5s;
    auto out =
        outbound_test::deliver_one(io_, workers_, o, domain, "sender@client.outbound.example");
    return out;
  }

  static inline Unbound* unbound_ = nullptr;
  static inline std::string why_;
  asio::io_context io_;
  asio::thread_pool workers_{1};
};

TEST_F(OutboundDns, BestMxDownTheNextTakesIt) {
  SinkServer sink;
  auto r = deliver(sink.port(), "two.outbound.example");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0][0].kind, Kind::delivered) << r[0][0].text;
  EXPECT_EQ(r[0][0].remote_host, "up.outbound.example");
  EXPECT_EQ(sink.messages(), 1);
}

TEST_F(OutboundDns, NullMxBouncesWithoutConnecting) {
  SinkServer sink;
  auto r = deliver(sink.port(), "nullmx.outbound.example");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0][0].kind, Kind::bounced);
  EXPECT_EQ(r[0][0].code, 556);
  EXPECT_EQ(r[0][0].enhanced, "5.1.10");
  EXPECT_FALSE(r[0][0].from_server);
  EXPECT_EQ(sink.connections(), 0);
}

TEST_F(OutboundDns, NxdomainBounces) {
  SinkServer sink;
  auto r = deliver(sink.port(), "missing.outbound.example");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0][0].kind, Kind::bounced) << r[0][0].text;
  EXPECT_EQ(r[0][0].code, 550);
  EXPECT_EQ(r[0][0].enhanced, "5.1.2");
}

TEST_F(OutboundDns, DnsTimeoutDefersEveryRecipient) {
  SinkServer sink;
  dns::ResolverConfig silent;
  silent.forwarders = {"127.0.0.1@" + std::to_string(free_port())};  // nothing answers
  silent.dnssec = false;
  silent.timeout = 1s;
  auto r = deliver(sink.port(), "two.outbound.example", silent);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0][0].kind, Kind::deferred) << r[0][0].text;
  EXPECT_EQ(r[0][0].code, 451);
  EXPECT_EQ(r[0][0].enhanced, "4.4.3");
  EXPECT_FALSE(r[0][0].from_server);
  EXPECT_EQ(sink.connections(), 0);
}

}  // namespace
}  // namespace estafeta::smtp
