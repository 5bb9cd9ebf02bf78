// net_session_driver_test: the connection driver over a loopback socket with a toy line
// protocol as its adapter: greeting and replies, wake() while a read is pending (no input
// lost or seen twice), a 50 MB body streamed from a pull source in bounded chunks, the
// command timeout, drain on shutdown, and eviction only while the protocol says evictable.
#include "net/net_session_driver.hpp"

#include <gtest/gtest.h>

#include <poll.h>
#include <asio.hpp>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

namespace estafeta::net {
namespace {

using namespace std::chrono_literals;

// What the test thread may look at (the adapter runs on the io thread).
struct Seen {
  std::mutex mutex;
  std::string received;
  std::vector<Notice> notices;
  std::size_t body_reads = 0;
  std::size_t largest_body_read = 0;
  Waker waker;  // what the adapter was given (attach)
  std::string received_copy() {
    std::lock_guard lock(mutex);
    return received;
  }
};

// A body of `size` octets of a fixed pattern, made as it is pulled.
class PatternSource : public BodySource {
 public:
  PatternSource(std::uint64_t size, std::shared_ptr<Seen> seen)
      : remaining_(size), seen_(std::move(seen)) {}
  asio::awaitable<std::size_t> read(std::span<char> buffer, std::error_code&) override {
    {
      std::lock_guard lock(seen_->mutex);
      ++seen_->body_reads;
      seen_->largest_body_read = std::max(seen_->largest_body_read, buffer.size());
    }
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), remaining_));
    for (std::size_t i = 0; i < n; ++i) buffer[i] = static_cast<char>('a' + (offset_ + i) % 26);
    offset_ += n;
    remaining_ -= n;
    co_return n;
  }

 private:
  std::uint64_t remaining_;
  std::uint64_t offset_ = 0;
  std::shared_ptr<Seen> seen_;
};

// "HELLO" on start; each line is answered "OK <line>"; "BODY <n>" streams n octets then
// "DONE"; "MAIL" ends evictability; "QUIT" says BYE and closes. Notices: WOKEN, TIMEOUT+close,
// BYE+close on shutdown, EVICTED+close.
class LineAdapter : public SessionAdapter {
 public:
  explicit LineAdapter(std::shared_ptr<Seen> seen) : seen_(std::move(seen)) {}
  void attach(Waker waker) override {
    std::lock_guard lock(seen_->mutex);
    seen_->waker = std::move(waker);
  }
  void start(const TlsState&) override { out_.push_back(Send{"HELLO\r\n"}); }
  void receive(std::string_view bytes) override {
    {
      std::lock_guard lock(seen_->mutex);
      seen_->received += bytes;
    }
    line_ += bytes;
    std::size_t end;
    while ((end = line_.find("\r\n")) != std::string::npos) {
      std::string line = line_.substr(0, end);
      line_.erase(0, end + 2);
      if (line == "QUIT") {
        out_.push_back(Send{"BYE\r\n"});
        out_.push_back(CloseSession{});
      } else if (line.rfind("BODY ", 0) == 0) {
        out_.push_back(
            SendBody{std::make_unique<PatternSource>(std::stoull(line.substr(5)), seen_)});
        out_.push_back(Send{"DONE\r\n"});
      } else {
        if (line == "MAIL") evictable_ = false;
        out_.push_back(Send{"OK " + line + "\r\n"});
      }
    }
  }
  void notify(Notice notice) override {
    {
      std::lock_guard lock(seen_->mutex);
      seen_->notices.push_back(notice);
    }
    switch (notice) {
      case Notice::woken:
        out_.push_back(Send{"WOKEN\r\n"});
        return;
      case Notice::timeout:
      case Notice::too_slow:
        out_.push_back(Send{"TIMEOUT\r\n"});
        break;
      case Notice::shutdown:
        out_.push_back(Send{"BYE\r\n"});
        break;
      case Notice::evicted:
        out_.push_back(Send{"EVICTED\r\n"});
        break;
    }
    out_.push_back(CloseSession{});
  }
  asio::awaitable<std::optional<Action>> next() override {
    if (out_.empty()) co_return std::nullopt;
    Action a = std::move(out_.front());
    out_.pop_front();
    co_return a;
  }
  void tls_started(const TlsState&) override {}
  ProtocolStatus status() const override { return {Phase::command, false, evictable_}; }

 private:
  std::shared_ptr<Seen> seen_;
  std::string line_;
  std::deque<Action> out_;
  bool evictable_ = true;
};

class DriverTest : public ::testing::Test {
 protected:
  void start(SessionTimeouts timeouts = {}) {
    asio::ip::tcp::acceptor acceptor(io_, {asio::ip::make_address("127.0.0.1"), 0});
    client_.connect(acceptor.local_endpoint());
    asio::ip::tcp::socket server_side = acceptor.accept();
    DriverOptions options;
    options.tag = "test";
    options.timeouts = timeouts;
    SessionContext context;
    context.id = 1;
    context.peer_ip = "127.0.0.1";
    driver_ = std::make_shared<SessionDriver>(
        std::move(server_side), std::make_unique<LineAdapter>(seen_), options, nullptr, context,
        ConnectionLimiter::Ticket(), nullptr, nullptr);
    done_ = done_promise_.get_future().share();
    asio::co_spawn(io_, driver_->run(), [this](std::exception_ptr) { done_promise_.set_value(); });
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    asio::error_code ignored;
    client_.close(ignored);
    if (thread_.joinable()) {
      EXPECT_EQ(done_.wait_for(10s), std::future_status::ready);
      io_.stop();
      thread_.join();
    }
  }
  // True when the client socket has something to read within 10 s.
  bool readable() {
    pollfd p{client_.native_handle(), POLLIN, 0};
    return ::poll(&p, 1, 10000) > 0;
  }
  // Reads until `want` has arrived (each wait bounded to 10 s).
  std::string read_until(std::string_view want) {
    for (int i = 0; i < 100000; ++i) {
      auto at = pending_.find(want);
      if (at != std::string::npos) {
        std::string got = pending_.substr(0, at + want.size());
        pending_.erase(0, at + want.size());
        return got;
      }
      if (!readable()) break;
      char buf[4096];
      asio::error_code ec;
      std::size_t n = client_.read_some(asio::buffer(buf), ec);
      if (ec) break;
      pending_.append(buf, n);
    }
    return "<not received: " + std::string(want) + "> " + pending_;
  }
  void send(std::string_view bytes) { asio::write(client_, asio::buffer(bytes)); }
  // Waits (bounded) until the driver waits for input.
  void wait_reading() {
    for (int i = 0; i < 500; ++i) {
      std::promise<SessionState> p;
      asio::post(io_, [&] { p.set_value(driver_->state()); });
      if (p.get_future().get() == SessionState::reading) return;
      std::this_thread::sleep_for(2ms);
    }
    ADD_FAILURE() << "driver never reached reading";
  }

  asio::io_context io_;
  asio::ip::tcp::socket client_{io_};
  std::shared_ptr<Seen> seen_ = std::make_shared<Seen>();
  std::shared_ptr<SessionDriver> driver_;
  std::promise<void> done_promise_;
  std::shared_future<void> done_;
  std::thread thread_;
  std::string pending_;
};

TEST_F(DriverTest, GreetsAnswersAndCloses) {
  start();
  EXPECT_EQ(read_until("\r\n"), "HELLO\r\n");
  send("A\r\nB\r\n");  // pipelined: both answers come
  EXPECT_EQ(read_until("OK B\r\n"), "OK A\r\nOK B\r\n");
  send("QUIT\r\n");
  EXPECT_EQ(read_until("\r\n"), "BYE\r\n");
  EXPECT_EQ(done_.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(driver_->state(), SessionState::closed);
  thread_.join();
}

// A wake-up while a read is pending is handled without cancelling the read: the bytes of a
// command split around several wake-ups arrive once each, in order.
TEST_F(DriverTest, WakeBetweenPartsOfACommand) {
  start();
  EXPECT_EQ(read_until("\r\n"), "HELLO\r\n");
  for (int round = 0; round < 20; ++round) {
    send("part" + std::to_string(round) + "-");
    wait_reading();
    driver_->wake();
    EXPECT_EQ(read_until("\r\n"), "WOKEN\r\n");
  }
  send("end\r\n");
  std::string line = read_until("\r\n");
  std::string expected = "OK ";
  for (int round = 0; round < 20; ++round) expected += "part" + std::to_string(round) + "-";
  EXPECT_EQ(line, expected + "end\r\n");
  std::string received = seen_->received_copy();
  EXPECT_EQ(received, expected.substr(3) + "end\r\n");  // each octet exactly once
  send("QUIT\r\n");
  EXPECT_EQ(read_until("\r\n"), "BYE\r\n");
}

// The adapter's own handle (attach) wakes the session from another thread, as a mailbox
// change wakes an IMAP session in IDLE; after the session ended it does nothing.
TEST_F(DriverTest, AdapterWakesItsSessionThroughItsWaker) {
  start();
  EXPECT_EQ(read_until("\r\n"), "HELLO\r\n");
  Waker waker;
  {
    std::lock_guard lock(seen_->mutex);
    waker = seen_->waker;
  }
  wait_reading();
  waker.wake();
  EXPECT_EQ(read_until("\r\n"), "WOKEN\r\n");
  send("QUIT\r\n");
  EXPECT_EQ(read_until("\r\n"), "BYE\r\n");
  EXPECT_EQ(done_.wait_for(10s), std::future_status::ready);
  thread_.join();
  waker.wake();  // the session is gone: nothing happens
}

// 50 MB leave in chunks the driver pulls one at a time: it never asks for more than 64 KiB,
// so memory stays bounded whatever the body's size.
TEST_F(DriverTest, StreamsA50MegabyteBodyInBoundedChunks) {
  start();
  EXPECT_EQ(read_until("\r\n"), "HELLO\r\n");
  constexpr std::uint64_t kSize = 50ull * 1024 * 1024;
  send("BODY " + std::to_string(kSize) + "\r\n");
  std::uint64_t got = 0;
  bool pattern_ok = true;
  std::string tail;
  char buf[65536];
  while (got < kSize) {
    ASSERT_TRUE(readable()) << "stalled after " << got;
    asio::error_code ec;
    std::size_t n = client_.read_some(asio::buffer(buf), ec);
    ASSERT_FALSE(ec) << ec.message() << " after " << got;
    std::size_t body = static_cast<std::size_t>(std::min<std::uint64_t>(n, kSize - got));
    for (std::size_t i = 0; i < body; ++i)
      if (buf[i] != static_cast<char>('a' + (got + i) % 26)) pattern_ok = false;
    got += body;
    tail.append(buf + body, n - body);
  }
  pending_ = tail;
  EXPECT_TRUE(pattern_ok);
  EXPECT_EQ(read_until("\r\n"), "DONE\r\n");
  {
    std::lock_guard lock(seen_->mutex);
    EXPECT_LE(seen_->largest_body_read, 64u * 1024);
    EXPECT_GE(seen_->body_reads, kSize / (64 * 1024));
  }
  send("QUIT\r\n");
  EXPECT_EQ(read_until("\r\n"), "BYE\r\n");
}

TEST_F(DriverTest, CommandTimeoutLetsTheProtocolSayGoodbye) {
  SessionTimeouts t;
  t.command = 1s;
  start(t);
  EXPECT_EQ(read_until("\r\n"), "HELLO\r\n");
  send("half a comm");  // a partial command does not restart the clock
  EXPECT_EQ(read_until("\r\n"), "TIMEOUT\r\n");
  EXPECT_EQ(done_.wait_for(10s), std::future_status::ready);
  thread_.join();
  std::lock_guard lock(seen_->mutex);
  ASSERT_EQ(seen_->notices.size(), 1u);
  EXPECT_EQ(seen_->notices[0], Notice::timeout);
}

TEST_F(DriverTest, ShutdownIsToldToAnIdleSessionAtOnce) {
  start();
  EXPECT_EQ(read_until("\r\n"), "HELLO\r\n");
  wait_reading();
  driver_->shutdown();
  EXPECT_EQ(read_until("\r\n"), "BYE\r\n");
  EXPECT_EQ(done_.wait_for(10s), std::future_status::ready);
  thread_.join();
}

TEST_F(DriverTest, EvictionOnlyWhileEvictable) {
  start();
  EXPECT_EQ(read_until("\r\n"), "HELLO\r\n");
  send("MAIL\r\n");  // a transaction began: no longer evictable
  EXPECT_EQ(read_until("\r\n"), "OK MAIL\r\n");
  wait_reading();
  driver_->evict();
  send("NOOP\r\n");
  EXPECT_EQ(read_until("\r\n"), "OK NOOP\r\n");
  {
    std::lock_guard lock(seen_->mutex);
    EXPECT_TRUE(seen_->notices.empty());
  }
  send("QUIT\r\n");
  EXPECT_EQ(read_until("\r\n"), "BYE\r\n");
}

TEST_F(DriverTest, EvictedIdleSessionIsClosed) {
  start();
  EXPECT_EQ(read_until("\r\n"), "HELLO\r\n");
  wait_reading();
  driver_->evict();
  EXPECT_EQ(read_until("\r\n"), "EVICTED\r\n");
  EXPECT_EQ(done_.wait_for(10s), std::future_status::ready);
  thread_.join();
}

}  // namespace
}  // namespace estafeta::net
