// smtp_server_test: the whole server loop over loopback sockets with the real core, a fake
// directory and the real Maildir writer in a temporary directory: a plain MX delivery,
// pipelining, STARTTLS, implicit TLS with AUTH, connection limits, the command timeout and
// shutdown (421 to an idle client, the DATA in progress still acknowledged and stored).
#include "smtp/smtp_server.hpp"

#include <gtest/gtest.h>

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <fstream>
#include <iterator>
#include <thread>

#include "net/listener.hpp"
#include "net/tls_context.hpp"
#include "net/tls_local_ca.hpp"
#include "smtp/smtp_server_test_support.hpp"

namespace estafeta::smtp {
namespace {

using namespace std::chrono_literals;
using testing::Client;
using testing::FakeDirectory;
using testing::TempDir;

bool starts_with(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(net::ensure_local_tls(dir_.path() / "tls", "mx.test", {}, tls_files_, error))
        << error;
    tls_ = net::make_server_tls_context({tls_files_.certificate, tls_files_.private_key, "TLSv1.2"},
                                        error);
    ASSERT_TRUE(tls_) << error;
  }

  void start(Limits limits = {}) {
    options_.hostname = "mx.test";
    options_.limits = limits;
    std::vector<queue::SpoolEntry> found;
    ASSERT_FALSE(spool_.open(found));
    server_ = std::make_unique<Server>(io_, workers_, hashers_, tls_, options_, directory_, spool_,
                                       runner_);
    mx_port_ = listen(ListenerMode::mx);
    submissions_port_ = listen(ListenerMode::submissions);
    io_.start();
  }

  unsigned short listen(ListenerMode mode) {
    std::string error;
    auto acceptor = net::open_listener(
        io_.context(0), config::Listener{.name = "test", .address = "127.0.0.1", .port = 0}, {},
        error);
    EXPECT_TRUE(acceptor) << error;
    if (!acceptor) return 0;
    unsigned short port = acceptor->local_endpoint().port();
    server_->serve(std::move(*acceptor), mode);
    return port;
  }

  void TearDown() override {
    if (server_) {
      server_->shutdown();
      server_->wait_idle(5s);
    }
    io_.stop();
    runner_.stop();
    workers_.join();
    hashers_.join();
  }

  // What landed in a Maildir, once local delivery has emptied the spool (bounded: 5 s).
  std::vector<std::filesystem::path> delivered(const std::filesystem::path& maildir) {
    for (int i = 0; i < 500; ++i) {
      std::vector<std::string> errors;
      if (spool_.list(errors).empty()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return testing::delivered(maildir);
  }

  // Greeting and EHLO on a fresh client.
  void hello(Client& c, unsigned short port) {
    ASSERT_TRUE(c.connect(port));
    ASSERT_TRUE(starts_with(c.reply(), "220 "));
    ASSERT_TRUE(c.send("EHLO client.test\r\n"));
    ASSERT_TRUE(starts_with(c.reply(), "250-"));
  }

  TempDir dir_;
  net::LocalTlsFiles tls_files_;
  std::shared_ptr<asio::ssl::context> tls_;
  net::IoPool io_{2};
  asio::thread_pool workers_{4};
  asio::thread_pool hashers_{1};
  FakeDirectory directory_{dir_.path() / "mail"};
  delivery::LocalDelivery delivery_{{true, "test.host"}};
  queue::Spool spool_{{dir_.path() / "spool", true, 4}};
  queue::LocalRunner runner_{
      spool_, delivery_, [this](std::function<void()> f) { asio::post(workers_, std::move(f)); }};
  ServerOptions options_;
  std::unique_ptr<Server> server_;
  unsigned short mx_port_ = 0, submissions_port_ = 0;
};

TEST_F(ServerTest, DeliversAPlainMessage) {
  start();
  Client c;
  hello(c, mx_port_);
  ASSERT_TRUE(c.send("MAIL FROM:<sender@example.net>\r\n"));
  EXPECT_TRUE(starts_with(c.reply(), "250 "));
  ASSERT_TRUE(c.send("RCPT TO:<alice@example.org>\r\n"));
  EXPECT_TRUE(starts_with(c.reply(), "250 "));
  ASSERT_TRUE(c.send("RCPT TO:<nobody@example.org>\r\n"));
  EXPECT_TRUE(starts_with(c.reply(), "550 "));
  ASSERT_TRUE(c.send("DATA\r\n"));
  EXPECT_TRUE(starts_with(c.reply(), "354 "));
  ASSERT_TRUE(c.send("Subject: test\r\n\r\nhello\r\n.\r\n"));
  EXPECT_TRUE(starts_with(c.reply(), "250 "));
  ASSERT_TRUE(c.send("QUIT\r\n"));
  EXPECT_TRUE(starts_with(c.reply(), "221 "));
  EXPECT_TRUE(c.closed_by_server());
  EXPECT_EQ(delivered(directory_.maildir("alice")).size(), 1u);
}

TEST_F(ServerTest, PipelinedTransactionGetsEveryReply) {
  start();
  Client c;
  hello(c, mx_port_);
  ASSERT_TRUE(
      c.send("MAIL FROM:<s@example.net>\r\nRCPT TO:<alice@example.org>\r\n"
             "RCPT TO:<bob@example.org>\r\nDATA\r\n"));
  EXPECT_TRUE(starts_with(c.reply(), "250 "));
  EXPECT_TRUE(starts_with(c.reply(), "250 "));
  EXPECT_TRUE(starts_with(c.reply(), "250 "));
  EXPECT_TRUE(starts_with(c.reply(), "354 "));
  ASSERT_TRUE(c.send("Subject: p\r\n\r\nbody\r\n.\r\nQUIT\r\n"));
  EXPECT_TRUE(starts_with(c.reply(), "250 "));
  EXPECT_TRUE(starts_with(c.reply(), "221 "));
  EXPECT_EQ(delivered(directory_.maildir("alice")).size(), 1u);
  EXPECT_EQ(delivered(directory_.maildir("bob")).size(), 1u);
}

TEST_F(ServerTest, StartTlsThenDeliver) {
  start();
  Client c;
  hello(c, mx_port_);
  ASSERT_TRUE(c.send("STARTTLS\r\n"));
  ASSERT_TRUE(starts_with(c.reply(), "220 "));
  ASSERT_TRUE(c.start_tls(tls_files_.ca_certificate));
  ASSERT_TRUE(c.send("EHLO client.test\r\n"));
  std::string ehlo = c.reply();
  EXPECT_TRUE(starts_with(ehlo, "250-"));
  EXPECT_EQ(ehlo.find("STARTTLS"), std::string::npos) << ehlo;
  ASSERT_TRUE(c.send("MAIL FROM:<s@example.net>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n"));
  EXPECT_TRUE(starts_with(c.reply(), "250 "));
  EXPECT_TRUE(starts_with(c.reply(), "250 "));
  EXPECT_TRUE(starts_with(c.reply(), "354 "));
  ASSERT_TRUE(c.send("Subject: tls\r\n\r\nsecret\r\n.\r\n"));
  EXPECT_TRUE(starts_with(c.reply(), "250 "));
  EXPECT_EQ(delivered(directory_.maildir("bob")).size(), 1u);
}

TEST_F(ServerTest, GarbageAfterStartTlsClosesTheConnection) {
  start();
  Client c;
  hello(c, mx_port_);
  ASSERT_TRUE(c.send("STARTTLS\r\n"));
  ASSERT_TRUE(starts_with(c.reply(), "220 "));
  ASSERT_TRUE(c.send("this is not a TLS ClientHello\r\n"));
  EXPECT_TRUE(c.closed_by_server());
}

TEST_F(ServerTest, ImplicitTlsWithAuth) {
  start();
  Client c;
  ASSERT_TRUE(c.connect(submissions_port_));
  ASSERT_TRUE(c.start_tls(tls_files_.ca_certificate));
  ASSERT_TRUE(starts_with(c.reply(), "220 "));
  ASSERT_TRUE(c.send("EHLO client.test\r\n"));
  std::string ehlo = c.reply();
  EXPECT_NE(ehlo.find("AUTH"), std::string::npos) << ehlo;
  // AUTH PLAIN \0alice@example.org\0secret
  ASSERT_TRUE(c.send("AUTH PLAIN AGFsaWNlQGV4YW1wbGUub3JnAHNlY3JldA==\r\n"));
  EXPECT_TRUE(starts_with(c.reply(), "235 "));
  ASSERT_TRUE(c.send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n"));
  EXPECT_TRUE(starts_with(c.reply(), "250 "));
  EXPECT_TRUE(starts_with(c.reply(), "250 "));
  EXPECT_TRUE(starts_with(c.reply(), "354 "));
  ASSERT_TRUE(c.send("Subject: sub\r\n\r\nfrom alice\r\n.\r\n"));
  EXPECT_TRUE(starts_with(c.reply(), "250 "));
  EXPECT_EQ(delivered(directory_.maildir("bob")).size(), 1u);
}

TEST_F(ServerTest, PerAddressLimitRefusesWith421) {
  Limits limits;
  limits.max_connections_per_ip = 1;
  start(limits);
  Client first, second;
  ASSERT_TRUE(first.connect(mx_port_));
  ASSERT_TRUE(starts_with(first.reply(), "220 "));
  ASSERT_TRUE(second.connect(mx_port_));
  EXPECT_EQ(second.reply(), "421 4.7.0 Too many connections from your address\r\n");
  EXPECT_TRUE(second.closed_by_server());
  first.close();
  // The slot comes back once the first session has ended.
  for (int i = 0; i < 50 && server_->active_sessions() > 0; ++i) std::this_thread::sleep_for(20ms);
  Client third;
  ASSERT_TRUE(third.connect(mx_port_));
  EXPECT_TRUE(starts_with(third.reply(), "220 "));
}

TEST_F(ServerTest, IdleClientTimesOut) {
  Limits limits;
  limits.command_timeout = 1s;
  start(limits);
  Client c;
  hello(c, mx_port_);
  EXPECT_TRUE(starts_with(c.reply(), "421 4.4.2"));
  EXPECT_TRUE(c.closed_by_server());
}

TEST_F(ServerTest, TrickledCommandTimesOut) {
  // smtp.command_timeout bounds the whole command, not the gap between its octets.
  Limits limits;
  limits.command_timeout = 1s;
  start(limits);
  Client c;
  hello(c, mx_port_);
  auto begin = std::chrono::steady_clock::now();
  std::string reply;
  for (int i = 0; i < 20 && reply.empty(); ++i) {
    if (!c.send("N")) break;
    std::this_thread::sleep_for(200ms);
    if (i % 5 == 4) reply = c.reply();  // a 421 ends the wait; else the 5 s read timeout does
  }
  EXPECT_TRUE(starts_with(reply, "421 4.4.2")) << reply;
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 8s);
}

TEST_F(ServerTest, SlowDataIsCut) {
  Limits limits;
  limits.min_data_rate = 1000000;
  limits.data_rate_grace = 1s;
  start(limits);
  Client c;
  hello(c, mx_port_);
  ASSERT_TRUE(c.send("MAIL FROM:<s@example.net>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n"));
  EXPECT_TRUE(starts_with(c.reply(), "250 "));
  EXPECT_TRUE(starts_with(c.reply(), "250 "));
  EXPECT_TRUE(starts_with(c.reply(), "354 "));
  ASSERT_TRUE(c.send("Subject: slow\r\n"));
  EXPECT_TRUE(starts_with(c.reply(), "421 4.4.2"));
  EXPECT_TRUE(delivered(directory_.maildir("alice")).empty());
}

TEST_F(ServerTest, ShutdownTellsIdleClientsAndFinishesData) {
  start();
  Client idle, busy, tls_idle;
  hello(idle, mx_port_);
  hello(busy, mx_port_);
  ASSERT_TRUE(tls_idle.connect(submissions_port_));
  ASSERT_TRUE(tls_idle.start_tls(tls_files_.ca_certificate));
  ASSERT_TRUE(starts_with(tls_idle.reply(), "220 "));
  ASSERT_TRUE(busy.send("MAIL FROM:<s@example.net>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n"));
  EXPECT_TRUE(starts_with(busy.reply(), "250 "));
  EXPECT_TRUE(starts_with(busy.reply(), "250 "));
  EXPECT_TRUE(starts_with(busy.reply(), "354 "));
  ASSERT_TRUE(busy.send("Subject: during shutdown\r\n\r\n"));
  server_->shutdown();
  EXPECT_TRUE(starts_with(idle.reply(), "421 4.3.2"));
  EXPECT_TRUE(idle.closed_by_server());
  EXPECT_TRUE(starts_with(tls_idle.reply(), "421 4.3.2"));  // a cancelled TLS read recovers
  ASSERT_TRUE(busy.send("last line\r\n.\r\n"));
  EXPECT_TRUE(starts_with(busy.reply(), "250 "));
  EXPECT_TRUE(starts_with(busy.reply(), "421 4.3.2"));
  EXPECT_TRUE(server_->wait_idle(5s));
  EXPECT_EQ(delivered(directory_.maildir("alice")).size(), 1u);
  // No new connections once shutting down.
  Client late;
  EXPECT_FALSE(late.connect(mx_port_) && starts_with(late.reply(), "220 "));
}

TEST_F(ServerTest, DualStackListenerShowsIpv4Peers) {
  start();
  std::string error;
  auto acceptor = net::open_listener(
      io_.context(0), config::Listener{.name = "any", .address = "", .port = 0}, {}, error);
  ASSERT_TRUE(acceptor) << error;
  unsigned short port = acceptor->local_endpoint().port();
  server_->serve(std::move(*acceptor), ListenerMode::mx);
  Client c;
  hello(c, port);
  ASSERT_TRUE(c.send("MAIL FROM:<s@example.net>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n"));
  EXPECT_TRUE(starts_with(c.reply(), "250 "));
  EXPECT_TRUE(starts_with(c.reply(), "250 "));
  EXPECT_TRUE(starts_with(c.reply(), "354 "));
  ASSERT_TRUE(c.send("Subject: v4\r\n\r\nbody\r\n.\r\n"));
  EXPECT_TRUE(starts_with(c.reply(), "250 "));
  auto files = delivered(directory_.maildir("alice"));
  ASSERT_EQ(files.size(), 1u);
  std::ifstream in(files[0]);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("[127.0.0.1]"), std::string::npos) << text;
  EXPECT_EQ(text.find("::ffff:"), std::string::npos) << text;
}

}  // namespace
}  // namespace estafeta::smtp
