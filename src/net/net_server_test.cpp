// net_server_test: the shared server over loopback with a toy protocol: refusal lines past
// the total and per-client limits, stress mode entered and left, eviction of the longest-idle
// evictable session when every slot is taken, and drain on shutdown.
#include "net/net_server.hpp"

#include <gtest/gtest.h>
#include <poll.h>

#include <asio.hpp>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace estafeta::net {
namespace {

using namespace std::chrono_literals;

// "HI" on start; each line "OK"; "BUSY" makes the session not evictable. Notices close the
// session with a word naming them.
class ToyAdapter : public SessionAdapter {
 public:
  void start(const TlsState&) override { out_.push_back(Send{"HI\r\n"}); }
  void receive(std::string_view bytes) override {
    line_ += bytes;
    std::size_t end;
    while ((end = line_.find("\r\n")) != std::string::npos) {
      if (line_.compare(0, end, "BUSY") == 0) busy_ = true;
      line_.erase(0, end + 2);
      out_.push_back(Send{"OK\r\n"});
    }
  }
  void notify(Notice notice) override {
    if (notice == Notice::woken) return;
    out_.push_back(Send{notice == Notice::evicted    ? "EVICTED\r\n"
                        : notice == Notice::shutdown ? "BYE\r\n"
                                                     : "TIMEOUT\r\n"});
    out_.push_back(CloseSession{});
  }
  asio::awaitable<std::optional<Action>> next() override {
    if (out_.empty()) co_return std::nullopt;
    Action a = std::move(out_.front());
    out_.pop_front();
    co_return a;
  }
  void tls_started(const TlsState&) override {}
  ProtocolStatus status() const override { return {Phase::command, busy_, !busy_}; }

 private:
  std::string line_;
  std::deque<Action> out_;
  bool busy_ = false;
};

class Client {
 public:
  Client(asio::io_context& io, std::uint16_t port, const char* from) : socket_(io) {
    socket_.open(asio::ip::tcp::v4());
    socket_.bind({asio::ip::make_address(from), 0});
    socket_.connect({asio::ip::make_address("127.0.0.1"), port});
  }
  // The next line, or "" when the connection closed or 10 s passed.
  std::string line() {
    for (int i = 0; i < 1000; ++i) {
      auto end = buf_.find("\r\n");
      if (end != std::string::npos) {
        std::string l = buf_.substr(0, end);
        buf_.erase(0, end + 2);
        return l;
      }
      pollfd p{socket_.native_handle(), POLLIN, 0};
      if (::poll(&p, 1, 10000) <= 0) return "";
      char b[1024];
      asio::error_code ec;
      std::size_t n = socket_.read_some(asio::buffer(b), ec);
      if (ec) return "";
      buf_.append(b, n);
    }
    return "";
  }
  void send(std::string_view s) { asio::write(socket_, asio::buffer(s)); }

 private:
  asio::ip::tcp::socket socket_;
  std::string buf_;
};

class ServerTest : public ::testing::Test {
 protected:
  void start(ServerLimits limits) {
    io_.start();
    ServerOptions options;
    options.limits = limits;
    options.driver.tag = "test";
    server_ = std::make_unique<Server>(io_, nullptr, options);
    asio::ip::tcp::acceptor acceptor(io_.context(0), {asio::ip::make_address("127.0.0.1"), 0});
    port_ = acceptor.local_endpoint().port();
    ListenerOptions listener;
    listener.name = "toy";
    listener.refuse_total = "FULL\r\n";
    listener.refuse_per_address = "FULL FOR YOU\r\n";
    listener.make_adapter = [](const SessionContext&) { return std::make_unique<ToyAdapter>(); };
    server_->serve(std::move(acceptor), std::move(listener));
  }
  void TearDown() override {
    if (server_) {
      server_->shutdown();
      EXPECT_TRUE(server_->wait_idle(10s));
    }
    io_.stop();
  }
  std::unique_ptr<Client> connect(const char* from = "127.0.0.1") {
    return std::make_unique<Client>(client_io_, port_, from);
  }

  IoPool io_{2};
  asio::io_context client_io_;
  std::unique_ptr<Server> server_;
  std::uint16_t port_ = 0;
};

TEST_F(ServerTest, RefusesPastTheLimitsWithTheListenersLines) {
  ServerLimits limits;
  limits.max_connections = 3;
  limits.max_connections_per_ip = 2;
  limits.evict_min_idle = 1h;  // nobody is idle long enough to make room
  start(limits);
  auto a = connect("127.0.0.1"), b = connect("127.0.0.1");
  EXPECT_EQ(a->line(), "HI");
  EXPECT_EQ(b->line(), "HI");
  EXPECT_EQ(connect("127.0.0.1")->line(), "FULL FOR YOU");
  auto c = connect("127.0.0.2");
  EXPECT_EQ(c->line(), "HI");
  EXPECT_EQ(connect("127.0.0.3")->line(), "FULL");
  EXPECT_EQ(server_->active_sessions(), 3u);
}

TEST_F(ServerTest, StressModeEvictsTheLongestIdleEvictableSession) {
  ServerLimits limits;
  limits.max_connections = 3;
  limits.evict_min_idle = 0ms;
  start(limits);
  auto oldest = connect("127.0.0.1");
  EXPECT_EQ(oldest->line(), "HI");
  auto busy = connect("127.0.0.2");
  EXPECT_EQ(busy->line(), "HI");
  busy->send("BUSY\r\n");  // in a "transaction": never evicted, although it waited longer
  EXPECT_EQ(busy->line(), "OK");
  auto newer = connect("127.0.0.3");
  EXPECT_EQ(newer->line(), "HI");
  EXPECT_TRUE(server_->stressed());
  // Every slot is taken: the newcomer gets in, the longest-idle evictable session goes.
  auto fresh = connect("127.0.0.4");
  EXPECT_EQ(fresh->line(), "HI");
  EXPECT_EQ(oldest->line(), "EVICTED");
  EXPECT_EQ(oldest->line(), "");  // closed
  busy->send("NOOP\r\n");
  EXPECT_EQ(busy->line(), "OK");
  newer->send("NOOP\r\n");
  EXPECT_EQ(newer->line(), "OK");
}

TEST_F(ServerTest, ShutdownDrainsIdleSessions) {
  start(ServerLimits{});
  auto a = connect();
  EXPECT_EQ(a->line(), "HI");
  EXPECT_FALSE(server_->stressed());
  server_->shutdown();
  EXPECT_EQ(a->line(), "BYE");
  EXPECT_TRUE(server_->wait_idle(10s));
  EXPECT_EQ(server_->active_sessions(), 0u);
}

}  // namespace
}  // namespace estafeta::net
