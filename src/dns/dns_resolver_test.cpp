// dns_resolver_test: the resolver against a real DNS server: Debian's `unbound`, started by
// the test on 127.0.0.1 with a free port, serving only local zones (the root is a static
// local zone too, so it never recurses; every resolver here forwards to it, so libunbound
// never asks the root servers). Records for estafeta.example (not under .test: libunbound
// answers test. itself, NXDOMAIN, as a default local zone of RFC 6761): MX with several and equal
// preferences, no MX with A/AAAA, null MX, a CNAME, TLSA, TXT; and signed.example, signed
// at run time with ldnsutils (when installed) for secure answers and bogus ones. Checks
// lookups, the planned routes, the blocking and Asio forms, DNSSEC, timeouts against a
// silent server and shutdown.
// Skips (with a message) when the unbound binary is absent; scripts/deps.sh installs it.
// Every wait is bounded.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "base/test_temp_dir.hpp"
#include "dns/dns_async_resolver.hpp"
#include "dns/dns_resolver.hpp"

namespace estafeta::dns {
namespace {

using namespace std::chrono_literals;

const char* kTlsaHex = "8cb0fc6c527506a053f4f14c8464bebbd6dede2738d11468dd953d7d6a3021f1";

// A program from the sbin directories or PATH, or "".
std::string find_program(const std::string& name) {
  std::vector<std::string> dirs = {"/usr/sbin", "/sbin", "/usr/local/sbin"};
  if (const char* path = ::getenv("PATH")) {
    std::string p = path;
    for (std::size_t start = 0; start <= p.size();) {
      auto colon = p.find(':', start);
      if (colon == std::string::npos) colon = p.size();
      dirs.push_back(p.substr(start, colon - start));
      start = colon + 1;
    }
  }
  for (auto& d : dirs) {
    std::string f = d + "/" + name;
    if (!d.empty() && ::access(f.c_str(), X_OK) == 0) return f;
  }
  return "";
}

// The unbound binary: $ESTAFETA_UNBOUND when set (empty or missing = absent, to check the
// skip), else found like any program.
std::string find_unbound() {
  if (const char* forced = ::getenv("ESTAFETA_UNBOUND")) {
    return *forced && ::access(forced, X_OK) == 0 ? forced : "";
  }
  return find_program("unbound");
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Makes a DNSSEC-signed zone signed.example with ldns-keygen/ldns-signzone (ldnsutils), and
// a second key that signs nothing; returns the zone file and the DS records of both keys as
// trust anchors, or false when the tools are absent or fail.
bool sign_zone(const std::filesystem::path& dir, std::string& zone_file, std::string& good_ds,
               std::string& wrong_ds) {
  std::string keygen = find_program("ldns-keygen"), signzone = find_program("ldns-signzone");
  if (keygen.empty() || signzone.empty()) return false;
  std::ofstream z(dir / "signed.example.zone");
  z << "$ORIGIN signed.example.\n$TTL 300\n"
       "@ IN SOA ns.signed.example. h.signed.example. 1 3600 600 86400 300\n"
       "@ IN NS ns.signed.example.\n"
       "ns IN A 127.0.0.1\n"
       "@ IN MX 10 mx.signed.example.\n"
       "mx IN A 127.0.0.9\n"
       "_25._tcp.mx IN TLSA 3 1 1 "
    << kTlsaHex << "\n";
  z.close();
  std::string d = dir.string();
  // Keys are made in `dir`; ldns-keygen prints the base name of the files it wrote.
  auto keygen_cmd = [&](const std::string& out) {
    return "cd '" + d + "' && '" + keygen + "' -a ECDSAP256SHA256 -k signed.example > " + out +
           " 2>/dev/null";
  };
  if (std::system(keygen_cmd("key1").c_str()) != 0) return false;
  if (std::system(keygen_cmd("key2").c_str()) != 0) return false;
  auto base = [&](const char* f) {
    std::string b = read_text(dir / f);
    while (!b.empty() && (b.back() == '\n' || b.back() == '\r')) b.pop_back();
    return b;
  };
  std::string k1 = base("key1"), k2 = base("key2");
  if (k1.empty() || k2.empty()) return false;
  std::string sign =
      "cd '" + d + "' && '" + signzone + "' signed.example.zone '" + k1 + "' > /dev/null 2>&1";
  if (std::system(sign.c_str()) != 0) return false;
  auto ds = [&](const std::string& k) {
    std::string t = read_text(dir / (k + ".ds"));
    if (auto semi = t.find(';'); semi != std::string::npos) t.resize(semi);
    while (!t.empty() && (t.back() == '\n' || t.back() == ' ' || t.back() == '\t')) t.pop_back();
    return t;
  };
  good_ds = ds(k1);
  wrong_ds = ds(k2);
  zone_file = (dir / "signed.example.zone.signed").string();
  return !good_ds.empty() && !wrong_ds.empty() && ::access(zone_file.c_str(), R_OK) == 0;
}

// A port free for both UDP and TCP on 127.0.0.1 (chosen by the kernel, then released).
int free_port() {
  for (int attempt = 0; attempt < 20; ++attempt) {
    int u = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(u, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(u, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      ::close(u);
      continue;
    }
    int t = ::socket(AF_INET, SOCK_STREAM, 0);
    bool ok = ::bind(t, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(t);
    ::close(u);
    if (ok) return ntohs(a.sin_port);
  }
  return 0;
}

class UnboundServer {
 public:
  // Starts unbound; false with `why` when it cannot (the caller skips or fails).
  bool start(std::string& why) {
    binary_ = find_unbound();
    if (binary_.empty()) {
      why = "the unbound binary is not installed (scripts/deps.sh installs it)";
      return false;
    }
    port_ = free_port();
    if (port_ == 0 || dir_.path().empty()) {
      why = "no free port or temp dir";
      return false;
    }
    std::string zone_file;
    signed_ = sign_zone(dir_.path(), zone_file, good_ds_, wrong_ds_);
    auto conf = dir_.path() / "unbound.conf";
    std::ofstream f(conf);
    f << "server:\n"
         "  interface: 127.0.0.1\n"
      << "  port: " << port_ << "\n"
      << "  directory: \"" << dir_.path().string() << "\"\n"
      << "  chroot: \"\"\n"
         "  username: \"\"\n"
         "  pidfile: \"\"\n"
         "  do-daemonize: no\n"
         "  use-syslog: no\n"
         "  logfile: \"\"\n"
         "  verbosity: 1\n"
         "  num-threads: 1\n"
         "  do-ip6: no\n"
         "  so-reuseport: no\n"
         "  access-control: 127.0.0.0/8 allow\n"
         "  module-config: \"iterator\"\n"
         // Nothing is ever looked up outside: the root itself is a local static zone.
         "  local-zone: \".\" static\n"
         "  local-zone: \"estafeta.example.\" static\n"
         "  local-data: \"estafeta.example. 300 IN SOA ns.estafeta.example. h.estafeta.example. 1 "
         "3600 "
         "600 86400 300\"\n"
         "  local-data: \"ready.estafeta.example. 300 IN A 127.0.0.1\"\n"
         // Several preferences, two equal.
         "  local-data: \"multi.estafeta.example. 300 IN MX 20 mx2.estafeta.example.\"\n"
         "  local-data: \"multi.estafeta.example. 300 IN MX 10 mx1.estafeta.example.\"\n"
         "  local-data: \"multi.estafeta.example. 300 IN MX 20 mx3.estafeta.example.\"\n"
         "  local-data: \"multi.estafeta.example. 300 IN MX 30 mx4.estafeta.example.\"\n"
         "  local-data: \"mx1.estafeta.example. 300 IN A 127.0.0.2\"\n"
         "  local-data: \"mx1.estafeta.example. 300 IN AAAA 2001:db8::2\"\n"
         "  local-data: \"mx2.estafeta.example. 300 IN A 127.0.0.3\"\n"
         "  local-data: \"mx3.estafeta.example. 300 IN A 127.0.0.4\"\n"
         "  local-data: \"mx4.estafeta.example. 300 IN AAAA 2001:db8::5\"\n"
         // No MX: A and AAAA (implicit MX).
         "  local-data: \"nomx.estafeta.example. 300 IN A 127.0.0.6\"\n"
         "  local-data: \"nomx.estafeta.example. 300 IN AAAA 2001:db8::6\"\n"
         // Null MX (RFC 7505).
         "  local-data: \"nullmx.estafeta.example. 300 IN MX 0 .\"\n"
         // A CNAME to a domain with MX.
         "  local-data: \"alias.estafeta.example. 300 IN CNAME multi.estafeta.example.\"\n"
         // TLSA for DANE and TXT for MTA-STS.
         "  local-data: \"_25._tcp.mx1.estafeta.example. 300 IN TLSA 3 1 1 "
      << kTlsaHex
      << "\"\n"
         "  local-data: '_mta-sts.multi.estafeta.example. 300 IN TXT \"v=STSv1; \" \"id=2026\"'\n";
    if (signed_) {
      // The signed zone is served from its file with its RRSIGs, NSEC and DNSKEY; the local
      // zone lets queries for it past the static root.
      f << "  local-zone: \"signed.example.\" transparent\n"
           "auth-zone:\n"
           "  name: \"signed.example.\"\n"
        << "  zonefile: \"" << zone_file << "\"\n"
        << "  for-downstream: yes\n"
           "  for-upstream: yes\n"
           "  fallback-enabled: no\n";
    }
    f << "remote-control:\n"
         "  control-enable: no\n";
    f.close();
    log_ = (dir_.path() / "unbound.log").string();
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      ::execl(binary_.c_str(), "unbound", "-d", "-c", conf.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    if (pid_ < 0) {
      why = "fork failed";
      return false;
    }
    // Ready when it answers (at most 10 s).
    ResolverConfig c = config();
    c.timeout = 300ms;
    std::string error;
    auto r = Resolver::create(c, error);
    if (!r) {
      why = error;
      return false;
    }
    std::string last;
    for (auto deadline = std::chrono::steady_clock::now() + 10s;
         std::chrono::steady_clock::now() < deadline;) {
      auto a = r->lookup("ready.estafeta.example", RecordType::a);
      if (a.status == AnswerStatus::data) return true;
      last = std::string(answer_status_name(a.status)) + " " + a.error;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        why = "unbound exited: " + log_text();
        return false;
      }
      std::this_thread::sleep_for(100ms);
    }
    why = "unbound did not answer within 10 s (" + last + "): " + log_text();
    return false;
  }

  ~UnboundServer() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 50; ++i) {  // 5 s, then SIGKILL
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(100ms);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }

  // A resolver configuration that only ever talks to this server.
  ResolverConfig config() const {
    ResolverConfig c;
    c.forwarders = {"127.0.0.1@" + std::to_string(port_)};
    c.dnssec = false;
    c.timeout = 5s;
    return c;
  }

  std::string log_text() const { return read_text(log_).substr(0, 2000); }

  // The signed zone (when ldnsutils is installed): DS of its key, and of a key it is not
  // signed with.
  bool has_signed_zone() const { return signed_; }
  const std::string& good_ds() const { return good_ds_; }
  const std::string& wrong_ds() const { return wrong_ds_; }

 private:
  testing::TempDir dir_{"estafeta-unbound"};
  std::string binary_, log_;
  int port_ = 0;
  pid_t pid_ = -1;
  bool signed_ = false;
  std::string good_ds_, wrong_ds_;
};

class DnsResolverTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new UnboundServer;
    if (!server_->start(why_)) {
      delete server_;
      server_ = nullptr;
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    if (!server_) {
      if (find_unbound().empty()) GTEST_SKIP() << why_;
      FAIL() << why_;
    }
  }
  std::unique_ptr<Resolver> resolver(ResolverConfig c) {
    std::string error;
    auto r = Resolver::create(c, error);
    EXPECT_TRUE(r) << error;
    return r;
  }
  std::unique_ptr<Resolver> resolver() { return resolver(server_->config()); }

  static UnboundServer* server_;
  static std::string why_;
};
UnboundServer* DnsResolverTest::server_ = nullptr;
std::string DnsResolverTest::why_;

std::vector<std::string> hosts_of(const RoutePlan& p) {
  std::vector<std::string> out;
  for (auto& a : p.attempts) out.push_back(a.host + "/" + a.address.to_string());
  return out;
}

TEST_F(DnsResolverTest, MxLookup) {
  auto r = resolver();
  auto mx = r->lookup_mx("multi.estafeta.example");
  ASSERT_EQ(mx.status, AnswerStatus::data) << mx.error;
  EXPECT_EQ(mx.records.size(), 4u);
  EXPECT_FALSE(mx.secure);  // DNSSEC off
  std::set<std::string> names;
  for (auto& m : mx.records) names.insert(std::to_string(m.preference) + " " + m.exchange);
  EXPECT_EQ(names, (std::set<std::string>{"10 mx1.estafeta.example", "20 mx2.estafeta.example",
                                          "20 mx3.estafeta.example", "30 mx4.estafeta.example"}));
  EXPECT_EQ(r->lookup_mx("nomx.estafeta.example").status, AnswerStatus::nodata);
  EXPECT_EQ(r->lookup_mx("missing.estafeta.example").status, AnswerStatus::nxdomain);
  auto null = r->lookup_mx("nullmx.estafeta.example");
  ASSERT_EQ(null.records.size(), 1u);
  EXPECT_TRUE(null.records[0].is_null_mx());
}

TEST_F(DnsResolverTest, AddressesCnameTlsaTxt) {
  auto r = resolver();
  auto a = r->lookup_a("mx1.estafeta.example");
  ASSERT_EQ(a.records.size(), 1u);
  EXPECT_EQ(a.records[0].to_string(), "127.0.0.2");
  auto aaaa = r->lookup_aaaa("mx1.estafeta.example");
  ASSERT_EQ(aaaa.records.size(), 1u);
  EXPECT_EQ(aaaa.records[0].to_string(), "2001:db8::2");

  auto alias = r->lookup_mx("alias.estafeta.example");
  ASSERT_EQ(alias.status, AnswerStatus::data) << alias.error;
  EXPECT_EQ(alias.records.size(), 4u);
  EXPECT_EQ(alias.canonical_name, "multi.estafeta.example");

  auto tlsa = r->lookup_tlsa("mx1.estafeta.example");
  ASSERT_EQ(tlsa.records.size(), 1u) << tlsa.error;
  EXPECT_EQ(tlsa.records[0].usage, 3);
  EXPECT_EQ(tlsa.records[0].selector, 1);
  EXPECT_EQ(tlsa.records[0].matching_type, 1);
  ASSERT_EQ(tlsa.records[0].data.size(), 32u);
  EXPECT_EQ(static_cast<unsigned char>(tlsa.records[0].data[0]), 0x8c);
  EXPECT_FALSE(tlsa.secure);
  EXPECT_EQ(dane_state(tlsa), DaneState::none);  // insecure: no DANE
  EXPECT_EQ(dane_state(r->lookup_tlsa("mx2.estafeta.example")), DaneState::none);

  auto txt = r->lookup_txt("_mta-sts.multi.estafeta.example");
  ASSERT_EQ(txt.records.size(), 1u) << txt.error;
  EXPECT_EQ(txt.records[0], "v=STSv1; id=2026");
}

TEST_F(DnsResolverTest, PlannedRoutes) {
  auto r = resolver();
  RouteOptions o;
  o.max_addresses = 10;
  o.seed = 7;
  auto p = r->plan_route("multi.estafeta.example", o);
  ASSERT_EQ(p.outcome, RouteOutcome::deliver) << p.error.text;
  auto h = hosts_of(p);
  ASSERT_EQ(h.size(), 5u);
  EXPECT_EQ(h[0], "mx1.estafeta.example/2001:db8::2");  // IPv6 first
  EXPECT_EQ(h[1], "mx1.estafeta.example/127.0.0.2");
  EXPECT_EQ(
      (std::set<std::string>{h[2], h[3]}),
      (std::set<std::string>{"mx2.estafeta.example/127.0.0.3", "mx3.estafeta.example/127.0.0.4"}));
  EXPECT_EQ(h[4], "mx4.estafeta.example/2001:db8::5");

  o.families = AddressFamilies::ipv4_only;
  p = r->plan_route("multi.estafeta.example", o);
  EXPECT_EQ(p.attempts.size(), 3u);  // mx4 has no A

  p = r->plan_route("nomx.estafeta.example", RouteOptions{});
  ASSERT_EQ(p.outcome, RouteOutcome::deliver);
  EXPECT_TRUE(p.implicit_mx);
  EXPECT_EQ(hosts_of(p), (std::vector<std::string>{"nomx.estafeta.example/2001:db8::6",
                                                   "nomx.estafeta.example/127.0.0.6"}));

  p = r->plan_route("nullmx.estafeta.example", RouteOptions{});
  EXPECT_EQ(p.outcome, RouteOutcome::permanent_failure);
  EXPECT_EQ(p.error.code, 556);
  EXPECT_EQ(p.error.enhanced, "5.1.10");

  p = r->plan_route("missing.estafeta.example", RouteOptions{});
  EXPECT_EQ(p.outcome, RouteOutcome::permanent_failure);
  EXPECT_EQ(p.error.enhanced, "5.1.2");

  p = r->plan_route("alias.estafeta.example", RouteOptions{});
  ASSERT_EQ(p.outcome, RouteOutcome::deliver);
  EXPECT_EQ(p.canonical_name, "multi.estafeta.example");
  EXPECT_EQ(p.attempts[0].host, "mx1.estafeta.example");

  RouteTable table;
  std::string error;
  ASSERT_TRUE(table.add("*", "[mx3.estafeta.example]:587", error));
  p = r->plan_route("anything.example", RouteOptions{}, table.find("anything.example"));
  ASSERT_EQ(p.outcome, RouteOutcome::deliver);
  EXPECT_EQ(hosts_of(p), std::vector<std::string>{"mx3.estafeta.example/127.0.0.4"});
  EXPECT_EQ(p.attempts[0].port, 587);
}

TEST_F(DnsResolverTest, DnssecOnWithInsecureTestZone) {
  if (default_trust_anchor_file().empty()) GTEST_SKIP() << "no root trust anchor installed";
  auto c = server_->config();
  c.dnssec = true;
  c.insecure_domains = {"estafeta.example"};
  auto r = resolver(c);
  ASSERT_TRUE(r);
  auto mx = r->lookup_mx("multi.estafeta.example");
  ASSERT_EQ(mx.status, AnswerStatus::data) << mx.error;
  EXPECT_FALSE(mx.secure);
}

TEST_F(DnsResolverTest, DnssecOnSignedRootAbsentIsBogusNotData) {
  // With the root anchor and no insecure exception, our unsigned local root cannot be
  // validated: the answer must be refused as bogus (temporary for the planner), never used.
  if (default_trust_anchor_file().empty()) GTEST_SKIP() << "no root trust anchor installed";
  auto c = server_->config();
  c.dnssec = true;
  auto r = resolver(c);
  ASSERT_TRUE(r);
  auto a = r->lookup("mx1.estafeta.example", RecordType::a);
  EXPECT_NE(a.status, AnswerStatus::data);
  auto p = r->plan_route("multi.estafeta.example", RouteOptions{});
  EXPECT_EQ(p.outcome, RouteOutcome::temporary_failure) << p.error.text;
}

TEST_F(DnsResolverTest, DnssecSecureAnswersForDane) {
  if (!server_->has_signed_zone()) {
    GTEST_SKIP() << "ldns-keygen/ldns-signzone (ldnsutils) not installed: no signed zone";
  }
  auto c = server_->config();
  c.dnssec = true;
  c.trust_anchor_file = "";
  c.trust_anchors = {server_->good_ds()};
  auto r = resolver(c);
  ASSERT_TRUE(r);
  auto mx = r->lookup_mx("signed.example");
  ASSERT_EQ(mx.status, AnswerStatus::data) << mx.error;
  EXPECT_TRUE(mx.secure);
  auto tlsa = r->lookup_tlsa("mx.signed.example");
  ASSERT_EQ(tlsa.status, AnswerStatus::data) << tlsa.error;
  EXPECT_TRUE(tlsa.secure);
  ASSERT_EQ(tlsa.records.size(), 1u);
  EXPECT_EQ(tlsa.records[0].usage, 3);
  EXPECT_EQ(dane_state(tlsa), DaneState::usable);
  // A proven absence (NSEC) is secure too.
  auto none = r->lookup_tlsa("nothing.signed.example");
  EXPECT_EQ(none.status, AnswerStatus::nxdomain);
  EXPECT_TRUE(none.secure);
  EXPECT_EQ(dane_state(none), DaneState::none);
  auto p = r->plan_route("signed.example", RouteOptions{});
  ASSERT_EQ(p.outcome, RouteOutcome::deliver) << p.error.text;
  EXPECT_TRUE(p.mx_secure);
  ASSERT_EQ(p.attempts.size(), 1u);
  EXPECT_EQ(p.attempts[0].address.to_string(), "127.0.0.9");
  EXPECT_TRUE(p.attempts[0].mx_secure);
  EXPECT_TRUE(p.attempts[0].address_secure);

  // Anchored to a key the zone is not signed with: bogus, never used.
  c.trust_anchors = {server_->wrong_ds()};
  r = resolver(c);
  ASSERT_TRUE(r);
  tlsa = r->lookup_tlsa("mx.signed.example");
  EXPECT_EQ(tlsa.status, AnswerStatus::bogus);
  EXPECT_FALSE(tlsa.secure);
  EXPECT_TRUE(tlsa.records.empty());
  EXPECT_EQ(dane_state(tlsa), DaneState::defer);
  p = r->plan_route("signed.example", RouteOptions{});
  EXPECT_EQ(p.outcome, RouteOutcome::temporary_failure);
  EXPECT_NE(p.error.text.find("DNSSEC"), std::string::npos) << p.error.text;
}

TEST_F(DnsResolverTest, BadConfigurations) {
  std::string error;
  ResolverConfig c;
  c.forwarders = {"not-an-address"};
  c.dnssec = false;
  EXPECT_FALSE(Resolver::create(c, error));
  EXPECT_NE(error.find("not an IP address"), std::string::npos);
  c.forwarders = {};
  c.use_resolv_conf = true;
  c.resolv_conf_path = "/nonexistent/resolv.conf";
  EXPECT_FALSE(Resolver::create(c, error));
  EXPECT_NE(error.find("/nonexistent/resolv.conf"), std::string::npos);
  c = ResolverConfig{};
  c.forwarders = {"127.0.0.1@1"};
  c.trust_anchor_file = "/nonexistent/root.key";
  EXPECT_FALSE(Resolver::create(c, error));
  EXPECT_NE(error.find("trust anchor"), std::string::npos);
}

TEST_F(DnsResolverTest, TimeoutAgainstSilentServer) {
  // A UDP socket that never answers: the lookup must end at our deadline.
  int s = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len), 0);
  ResolverConfig c;
  c.forwarders = {"127.0.0.1@" + std::to_string(ntohs(a.sin_port))};
  c.dnssec = false;
  c.timeout = 400ms;
  auto r = resolver(c);
  auto start = std::chrono::steady_clock::now();
  auto ans = r->lookup("multi.estafeta.example", RecordType::mx);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(ans.status, AnswerStatus::temporary);
  EXPECT_LT(took, 3s);
  auto p = r->plan_route("multi.estafeta.example", RouteOptions{});
  EXPECT_EQ(p.outcome, RouteOutcome::temporary_failure);
  EXPECT_EQ(p.error.enhanced, "4.4.3");
  ::close(s);
}

TEST_F(DnsResolverTest, AsyncLookupsAndPlans) {
  asio::io_context io;
  std::string error;
  auto r = AsyncResolver::create(io.get_executor(), server_->config(), error);
  ASSERT_TRUE(r) << error;
  int answered = 0;
  std::vector<RoutePlan> plans;
  for (int i = 0; i < 20; ++i) {
    r->lookup("mx1.estafeta.example", RecordType::a, [&](Answer a) {
      EXPECT_EQ(a.status, AnswerStatus::data);
      ++answered;
    });
  }
  for (auto d : {"multi.estafeta.example", "nomx.estafeta.example", "nullmx.estafeta.example"}) {
    r->plan_route(d, RouteOptions{}, std::nullopt, [&](RoutePlan p) { plans.push_back(p); });
  }
  RoutePlan awaited;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        Answer a =
            co_await r->async_lookup("mx2.estafeta.example", RecordType::a, asio::use_awaitable);
        EXPECT_EQ(a.status, AnswerStatus::data);
        awaited = co_await r->async_plan_route("alias.estafeta.example", RouteOptions{},
                                               std::nullopt, asio::use_awaitable);
      },
      asio::detached);
  io.run_for(10s);  // returns early once everything is answered (nothing left to watch)
  EXPECT_EQ(answered, 20);
  ASSERT_EQ(plans.size(), 3u);
  int deliver = 0, permanent = 0;
  for (auto& p : plans) {
    deliver += p.outcome == RouteOutcome::deliver;
    permanent += p.outcome == RouteOutcome::permanent_failure;
  }
  EXPECT_EQ(deliver, 2);
  EXPECT_EQ(permanent, 1);
  EXPECT_EQ(awaited.outcome, RouteOutcome::deliver);
  EXPECT_EQ(awaited.canonical_name, "multi.estafeta.example");
}

TEST_F(DnsResolverTest, AsyncTimeoutAndShutdown) {
  int s = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len), 0);
  ResolverConfig c;
  c.forwarders = {"127.0.0.1@" + std::to_string(ntohs(a.sin_port))};
  c.dnssec = false;
  c.timeout = 300ms;
  c.max_in_flight = 3;
  asio::io_context io;
  std::string error;
  auto r = AsyncResolver::create(io.get_executor(), c, error);
  ASSERT_TRUE(r) << error;
  std::vector<std::string> errors;
  for (int i = 0; i < 4; ++i) {
    r->lookup("q" + std::to_string(i) + ".estafeta.example", RecordType::a, [&](Answer ans) {
      EXPECT_EQ(ans.status, AnswerStatus::temporary);
      errors.push_back(ans.error);
    });
  }
  auto start = std::chrono::steady_clock::now();
  io.run_for(5s);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_NE(errors[0].find("too many"), std::string::npos);  // the fourth, refused at once
  for (std::size_t i = 1; i < 4; ++i) EXPECT_NE(errors[i].find("timeout"), std::string::npos);

  // Shutdown answers what is pending and everything after.
  io.restart();
  c.timeout = 30s;
  r = AsyncResolver::create(io.get_executor(), c, error);
  ASSERT_TRUE(r) << error;
  errors.clear();
  r->lookup("pending.estafeta.example", RecordType::a,
            [&](Answer ans) { errors.push_back(ans.error); });
  io.run_for(100ms);
  r->shutdown();
  r->lookup("late.estafeta.example", RecordType::a,
            [&](Answer ans) { errors.push_back(ans.error); });
  start = std::chrono::steady_clock::now();
  io.run_for(5s);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
  ASSERT_EQ(errors.size(), 2u);
  for (auto& e : errors) EXPECT_NE(e.find("shut down"), std::string::npos);
  ::close(s);
}

}  // namespace
}  // namespace estafeta::dns
