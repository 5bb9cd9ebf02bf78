// smtp_outbound_transport_test: OutboundTransport on a real Asio loop against a scripted fake
// SMTP server on 127.0.0.1 (a thread with blocking sockets, free port, 10 s socket timeouts):
// several messages over one connection, per-recipient 550/451/250, 421 mid-session (the rest
// go on at the next attempt or are deferred), a connection dropped after the final dot
// (final_reply_lost), a server that is down (connection refused, deferred with the address),
// an 8-bit message to a peer without 8BITMIME (downgraded), and the connection limits. Static
// routes to address literals: no DNS is asked. The real receiving server (estafeta serve,
// STARTTLS) is tests/integration/test_outbound_transport.py.
#include "smtp/smtp_outbound_transport.hpp"

#include "mime/mime_downgrade.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <asio/io_context.hpp>
#include <asio/thread_pool.hpp>
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace estafeta::smtp {
namespace {

using Kind = queue::RemoteReply::Kind;

// One scripted SMTP server. Each connection: the greeting, then a reply per command as the
// behaviour says; DATA content is collected up to the dot.
struct Behaviour {
  std::string greeting = "220 fake.example ESMTP";
  std::string ehlo = "250-fake.example\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES";
  std::function<std::string(const std::string& rcpt_line)> rcpt = [](const std::string&) {
    return std::string("250 2.1.5 ok");
  };
  int mail_421_at = -1;  // the Nth MAIL (1-based, over all connections) gets 421 and close
  int drop_at_dot = -1;  // the Nth final dot gets no reply: the connection is closed
  int hold_ms = 0;       // wait this long before the greeting (to see concurrency)
  std::string mail_reply = "250 2.1.0 ok";
  std::string rset_reply = "250 2.0.0 ok";  // a 421 here is sent, then the connection closed
  int close_after_messages = -1;  // close each connection after this many messages (no QUIT)
};

class FakeServer {
 public:
  // On 127.0.0.1 (or ::1 when `v6`), on `port` (0 = a free one).
  explicit FakeServer(Behaviour b, bool v6 = false, std::uint16_t port = 0) : b_(std::move(b)) {
    listen_ = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (v6) {
      sockaddr_in6 a{};
      a.sin6_family = AF_INET6;
      a.sin6_addr = in6addr_loopback;
      a.sin6_port = htons(port);
      ok_ = ::bind(listen_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
      socklen_t len = sizeof a;
      ::getsockname(listen_, reinterpret_cast<sockaddr*>(&a), &len);
      port_ = ntohs(a.sin6_port);
    } else {
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = htons(port);
      ok_ = ::bind(listen_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
      socklen_t len = sizeof a;
      ::getsockname(listen_, reinterpret_cast<sockaddr*>(&a), &len);
      port_ = ntohs(a.sin_port);
    }
    ::listen(listen_, 16);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  bool ok() const { return ok_; }
  ~FakeServer() {
    stop_ = true;
    acceptor_.join();
    for (auto& t : sessions_) t.join();
    ::close(listen_);
  }
  std::uint16_t port() const { return port_; }
  std::vector<std::string> messages() {
    std::lock_guard lock(mutex_);
    return messages_;
  }
  std::vector<std::string> commands() {
    std::lock_guard lock(mutex_);
    return commands_;
  }
  int connections() const { return connections_; }
  int max_concurrent() const { return max_concurrent_; }

 private:
  void accept_loop() {
    while (!stop_) {
      pollfd p{listen_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int fd = ::accept(listen_, nullptr, nullptr);
      if (fd < 0) continue;
      timeval tv{10, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      ++connections_;
      sessions_.emplace_back([this, fd] {
        int now = ++concurrent_;
        for (int m = max_concurrent_; now > m && !max_concurrent_.compare_exchange_weak(m, now);) {
        }
        serve(fd);
        --concurrent_;
        ::close(fd);
      });
    }
  }

  static void send_line(int fd, const std::string& s) {
    std::string out = s + "\r\n";
    (void)!::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
  }

  // One line without CRLF; false at EOF/timeout.
  bool read_line(int fd, std::string& in, std::string& line) {
    for (;;) {
      auto nl = in.find("\r\n");
      if (nl != std::string::npos) {
        line = in.substr(0, nl);
        in.erase(0, nl + 2);
        return true;
      }
      char buf[4096];
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return false;
      in.append(buf, static_cast<std::size_t>(n));
    }
  }

  void serve(int fd) {
    if (b_.hold_ms) std::this_thread::sleep_for(std::chrono::milliseconds(b_.hold_ms));
    send_line(fd, b_.greeting);
    if (b_.greeting[0] != '2') return;
    std::string in, line;
    int messages_here = 0;
    while (read_line(fd, in, line)) {
      {
        std::lock_guard lock(mutex_);
        commands_.push_back(line);
      }
      std::string verb = line.substr(0, 4);
      for (char& c : verb) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (verb == "EHLO") {
        send_line(fd, b_.ehlo);
      } else if (verb == "HELO") {
        send_line(fd, "250 fake.example");
      } else if (verb == "MAIL") {
        if (++mails_ == b_.mail_421_at) {
          send_line(fd, "421 4.3.2 fake.example closing");
          return;
        }
        send_line(fd, b_.mail_reply);
      } else if (verb == "RCPT") {
        send_line(fd, b_.rcpt(line));
      } else if (verb == "DATA") {
        send_line(fd, "354 go ahead");
        std::string data;
        bool dot = false;
        while (!dot && read_line(fd, in, line)) {
          dot = line == ".";
          if (!dot) data += line + "\r\n";
        }
        if (!dot) return;  // the client went away mid-message: nothing arrived
        {
          std::lock_guard lock(mutex_);
          messages_.push_back(data);
        }
        if (++dots_ == b_.drop_at_dot) return;
        send_line(fd, "250 2.0.0 queued");
        if (++messages_here == b_.close_after_messages) return;
      } else if (verb == "RSET") {
        send_line(fd, b_.rset_reply);
        if (b_.rset_reply.rfind("421", 0) == 0) return;
      } else if (verb == "NOOP") {
        send_line(fd, "250 2.0.0 ok");
      } else if (verb == "QUIT") {
        send_line(fd, "221 2.0.0 bye");
        return;
      } else {
        send_line(fd, "502 5.5.2 what");
      }
    }
  }

  Behaviour b_;
  int listen_ = -1;
  bool ok_ = false;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::vector<std::thread> sessions_;
  std::mutex mutex_;
  std::vector<std::string> messages_, commands_;
  std::atomic<int> connections_{0}, concurrent_{0}, max_concurrent_{0}, mails_{0}, dots_{0};
};

// A port with nothing listening (bound, then closed).
std::uint16_t dead_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

std::shared_ptr<const queue::OutboundMessage> message(std::vector<std::string> rcpts,
                                                      std::string content, std::string id = "Q1") {
  auto m = std::make_shared<queue::OutboundMessage>();
  m->spool_name = id;
  m->id = id;
  m->mail_from = "sender@client.example";
  for (auto& r : rcpts) m->recipients.push_back({r, "", ""});
  m->eight_bit = !mime::is_7bit(content);
  auto data = std::make_shared<std::string>(std::move(content));
  m->size = data->size();
  m->read = [data](std::uint64_t offset, std::size_t max, std::string& out) {
    out.clear();
    if (offset < data->size()) out = data->substr(static_cast<std::size_t>(offset), max);
    return std::error_code();
  };
  return m;
}

class Outbound : public ::testing::Test {
 protected:
  OutboundOptions options(const std::string& routes) {
    OutboundOptions o;
    o.ehlo_name = "client-with-a-long-name.example";  // heap strings: lifetimes under ASan
    o.route.local_names = {"client-with-a-long-name.example", "another-long-local-name.example"};
    o.resolver.dnssec = false;
    o.resolver.forwarders = {"127.0.0.1@9"};  // never asked: the routes are address literals
    std::string error;
    EXPECT_TRUE(parse_routes(routes, o.routes, error)) << error;
    o.connect_timeout = std::chrono::seconds(5);
    o.timeouts.greeting = o.timeouts.command = o.timeouts.mail = o.timeouts.rcpt =
        std::chrono::seconds(10);
    o.timeouts.data_block = o.timeouts.data_done = std::chrono::seconds(10);
    o.connection_cache_time = std::chrono::milliseconds(0);  // the cache's own tests set it
    return o;
  }
  std::shared_ptr<OutboundTransport> make(OutboundOptions o) {
    std::string error;
    auto t = OutboundTransport::create(io_.get_executor(), workers_, std::move(o), error);
    EXPECT_TRUE(t) << error;
    return t;
  }
  // Delivers and runs the loop until `done` (at most 30 s).
  std::vector<std::vector<queue::RemoteReply>> deliver(OutboundTransport& t, std::string domain,
                                                       MessageList messages) {
    std::vector<std::vector<queue::RemoteReply>> out;
    bool done = false;
    t.deliver(std::move(domain), std::move(messages), [&](auto replies) {
      out = std::move(replies);
      done = true;
    });
    run_until([&] { return done; });
    EXPECT_TRUE(done);
    return out;
  }
  void run_until(const std::function<bool()>& pred) {
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!pred() && std::chrono::steady_clock::now() < end) {
      io_.restart();
      io_.run_for(std::chrono::milliseconds(20));
    }
  }
  void cache_reuses_and_expires(bool pipelining);  // ConnectionCacheReusesAndExpires
  asio::io_context io_;
  asio::thread_pool workers_{1};
};

std::string route_to(std::uint16_t port) {
  return "example.net = [127.0.0.1]:" + std::to_string(port);
}

TEST_F(Outbound, SeveralMessagesOverOneConnection) {
  FakeServer server({});
  auto t = make(options(route_to(server.port())));
  auto replies =
      deliver(*t, "example.net",
              {message({"a@example.net"}, "Subject: one\r\n\r\nfirst\r\n", "Q1"),
               message({"b@example.net", "c@example.net"}, "Subject: two\r\n\r\n.dot\r\n", "Q2"),
               message({"d@example.net"}, "Subject: three\r\n\r\nthird\r\n", "Q3")});
  ASSERT_EQ(replies.size(), 3u);
  ASSERT_EQ(replies[1].size(), 2u);
  for (const auto& m : replies)
    for (const auto& r : m) {
      EXPECT_EQ(r.kind, Kind::delivered) << r.text;
      EXPECT_EQ(r.code, 250);
      EXPECT_EQ(r.enhanced, "2.0.0");
      EXPECT_TRUE(r.from_server);
      EXPECT_EQ(r.remote_host, "127.0.0.1");
    }
  EXPECT_EQ(server.connections(), 1);
  auto msgs = server.messages();
  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_EQ(msgs[1], "Subject: two\r\n\r\n..dot\r\n");  // dot-stuffed on the wire
  EXPECT_EQ(server.commands().back(), "QUIT");
}

TEST_F(Outbound, MixedRecipientReplies) {
  Behaviour b;
  b.rcpt = [](const std::string& line) {
    if (line.find("unknown@") != std::string::npos) return std::string("550 5.1.1 no such user");
    if (line.find("later@") != std::string::npos) return std::string("451 4.2.0 try later");
    return std::string("250 2.1.5 ok");
  };
  FakeServer server(b);
  auto t = make(options(route_to(server.port())));
  auto replies = deliver(*t, "example.net",
                         {message({"unknown@example.net", "later@example.net", "ok@example.net"},
                                  "Subject: x\r\n\r\nx\r\n")});
  ASSERT_EQ(replies.size(), 1u);
  ASSERT_EQ(replies[0].size(), 3u);
  EXPECT_EQ(replies[0][0].kind, Kind::bounced);
  EXPECT_EQ(replies[0][0].code, 550);
  EXPECT_EQ(replies[0][0].enhanced, "5.1.1");
  EXPECT_EQ(replies[0][0].text, "no such user");
  EXPECT_EQ(replies[0][1].kind, Kind::deferred);
  EXPECT_EQ(replies[0][1].code, 451);
  EXPECT_EQ(replies[0][2].kind, Kind::delivered);
}

TEST_F(Outbound, Reply421MidSessionDefersTheRest) {
  Behaviour b;
  b.mail_421_at = 2;  // the second message's MAIL
  FakeServer server(b);
  auto t = make(options(route_to(server.port())));
  auto replies = deliver(*t, "example.net",
                         {message({"a@example.net"}, "Subject: 1\r\n\r\n1\r\n", "Q1"),
                          message({"b@example.net"}, "Subject: 2\r\n\r\n2\r\n", "Q2"),
                          message({"c@example.net"}, "Subject: 3\r\n\r\n3\r\n", "Q3")});
  ASSERT_EQ(replies.size(), 3u);
  EXPECT_EQ(replies[0][0].kind, Kind::delivered);
  EXPECT_EQ(replies[1][0].kind, Kind::deferred);
  EXPECT_EQ(replies[1][0].code, 421);
  EXPECT_TRUE(replies[1][0].from_server);
  // Never handed over: the destination's failure (the only address ended with 421).
  EXPECT_EQ(replies[2][0].kind, Kind::deferred);
  EXPECT_EQ(replies[2][0].code, 421);
  EXPECT_NE(replies[2][0].text.find("[127.0.0.1]"), std::string::npos) << replies[2][0].text;
  EXPECT_FALSE(replies[0][0].final_reply_lost);
}

TEST_F(Outbound, ConnectionDroppedAfterTheDotLosesTheFinalReply) {
  Behaviour b;
  b.drop_at_dot = 1;
  FakeServer server(b);
  auto t = make(options(route_to(server.port())));
  auto replies = deliver(*t, "example.net",
                         {message({"a@example.net", "b@example.net"}, "Subject: 1\r\n\r\n1\r\n")});
  ASSERT_EQ(replies.size(), 1u);
  for (const auto& r : replies[0]) {
    EXPECT_EQ(r.kind, Kind::deferred);
    EXPECT_TRUE(r.final_reply_lost);
    EXPECT_EQ(r.code / 100, 4);
  }
  EXPECT_EQ(server.messages().size(), 1u);
}

TEST_F(Outbound, ServerDownIsDeferredWithTheAddress) {
  const std::uint16_t port = dead_port();
  auto t = make(options(route_to(port)));
  auto replies =
      deliver(*t, "example.net",
              {message({"a@example.net"}, "x\r\n"), message({"b@example.net"}, "y\r\n")});
  ASSERT_EQ(replies.size(), 2u);
  for (const auto& m : replies) {
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0].kind, Kind::deferred);
    EXPECT_EQ(m[0].code, 451);
    EXPECT_EQ(m[0].enhanced, "4.4.1");
    EXPECT_FALSE(m[0].from_server);
    EXPECT_EQ(m[0].text, "connect to [127.0.0.1]:" + std::to_string(port) + ": Connection refused");
  }
}

TEST_F(Outbound, GreetingRefusedIsDeferred) {
  Behaviour b;
  b.greeting = "554 5.7.1 go away";
  FakeServer server(b);
  auto t = make(options(route_to(server.port())));
  auto replies = deliver(*t, "example.net", {message({"a@example.net"}, "x\r\n")});
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0][0].kind, Kind::deferred);
  EXPECT_EQ(replies[0][0].code, 554);
  EXPECT_NE(replies[0][0].text.find("go away"), std::string::npos);
}

TEST_F(Outbound, EightBitToAPeerWithout8BitMimeIsDowngraded) {
  Behaviour b;
  b.ehlo = "250-fake.example\r\n250 ENHANCEDSTATUSCODES";
  FakeServer server(b);
  auto t = make(options(route_to(server.port())));
  auto replies = deliver(
      *t, "example.net",
      {message(
          {"a@example.net"},
          "To: caf\xc3\xa9@example.net\r\n\r\ncaf\xc3\xa9\r\n")});  // 8-bit address: impossible
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0][0].kind, Kind::bounced);
  EXPECT_EQ(replies[0][0].enhanced, "5.6.3");
  auto replies2 = deliver(*t, "example.net",
                          {message({"a@example.net"}, "Subject: cafe\r\n\r\ncaf\xc3\xa9\r\n")});
  ASSERT_EQ(replies2.size(), 1u);
  EXPECT_EQ(replies2[0][0].kind, Kind::delivered) << replies2[0][0].text;
  auto msgs = server.messages();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_TRUE(mime::is_7bit(msgs[0]));
  EXPECT_NE(msgs[0].find("caf=C3=A9"), std::string::npos) << msgs[0];
}

TEST_F(Outbound, ConnectionLimitPerDestinationQueuesTheExcess) {
  Behaviour b;
  b.hold_ms = 200;
  FakeServer server(b);
  auto o = options(route_to(server.port()));
  o.max_connections_per_destination = 1;
  auto t = make(std::move(o));
  int done = 0;
  for (int i = 0; i < 3; ++i)
    t->deliver("example.net", {message({"a@example.net"}, "x\r\n")}, [&](auto replies) {
      EXPECT_EQ(replies[0][0].kind, Kind::delivered);
      ++done;
    });
  run_until([&] { return done == 3; });
  EXPECT_EQ(done, 3);
  EXPECT_EQ(server.connections(), 3);
  EXPECT_EQ(server.max_concurrent(), 1);
  EXPECT_EQ(t->active_connections(), 0u);
}

TEST_F(Outbound, SpoolReadErrorDefersThatMessage) {
  FakeServer server({});
  auto t = make(options(route_to(server.port())));
  auto broken = std::make_shared<queue::OutboundMessage>(*message({"a@example.net"}, "x\r\n"));
  broken->read = [](std::uint64_t, std::size_t, std::string&) {
    return std::make_error_code(std::errc::io_error);
  };
  auto replies = deliver(*t, "example.net",
                         {message({"b@example.net"}, "Subject: ok\r\n\r\nok\r\n", "Q1"), broken,
                          message({"c@example.net"}, "y\r\n", "Q3")});
  ASSERT_EQ(replies.size(), 3u);
  EXPECT_EQ(replies[0][0].kind, Kind::delivered);
  EXPECT_EQ(replies[1][0].kind, Kind::deferred);
  EXPECT_EQ(replies[1][0].enhanced, "4.3.0");
  EXPECT_NE(replies[1][0].text.find("cannot read the queued message"), std::string::npos);
  EXPECT_FALSE(replies[1][0].final_reply_lost);
  EXPECT_EQ(replies[2][0].kind, Kind::deferred);  // the connection was given up
  EXPECT_EQ(server.messages().size(), 1u);        // the broken one never reached the end
}

// Content the queue preloaded goes out from memory: read() is never called.
TEST_F(Outbound, PreloadedContentIsSentWithoutReading) {
  FakeServer server({});
  auto t = make(options(route_to(server.port())));
  auto m = std::make_shared<queue::OutboundMessage>(
      *message({"a@example.net"}, "Subject: pre\r\n\r\nloaded\r\n"));
  m->preloaded = "Subject: pre\r\n\r\nloaded\r\n";
  m->read = [](std::uint64_t, std::size_t, std::string&) {
    return std::make_error_code(std::errc::io_error);
  };
  auto replies = deliver(*t, "example.net", {m});
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0][0].kind, Kind::delivered) << replies[0][0].text;
  ASSERT_EQ(server.messages().size(), 1u);
  EXPECT_EQ(server.messages()[0], "Subject: pre\r\n\r\nloaded\r\n");
}

TEST_F(Outbound, TlsRequiredWithoutStartTlsDefers) {
  FakeServer server({});
  auto o = options(route_to(server.port()));
  o.tls_required_domains.insert("example.net");
  auto t = make(std::move(o));
  auto replies = deliver(*t, "example.net", {message({"a@example.net"}, "x\r\n")});
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0][0].kind, Kind::deferred);
  EXPECT_TRUE(server.messages().empty());
}

// The connection cache: deliveries one after another to the same next hop go over one
// connection (RSET before each reuse), also for different domains routed there; the idle
// connection ends with QUIT after connection_cache_time.
TEST_F(Outbound, ConnectionCacheReusesAndExpires) {
  for (bool pipelining : {false, true}) {
    SCOPED_TRACE(pipelining ? "PIPELINING" : "no PIPELINING");
    cache_reuses_and_expires(pipelining);
  }
}

void Outbound::cache_reuses_and_expires(bool pipelining) {
  Behaviour b;
  // With PIPELINING the RSET goes out with the next MAIL: same commands, one round trip less.
  if (pipelining) b.ehlo = "250-fake.example\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES";
  FakeServer server(b);
  auto o = options(route_to(server.port()) +
                   ", example.org = [127.0.0.1]:" + std::to_string(server.port()));
  o.connection_cache_time = std::chrono::milliseconds(300);
  auto t = make(std::move(o));
  auto r1 = deliver(*t, "example.net", {message({"a@example.net"}, "Subject: 1\r\n\r\n1\r\n")});
  EXPECT_EQ(t->idle_connections(), 1u);
  auto r2 = deliver(*t, "example.net", {message({"b@example.net"}, "Subject: 2\r\n\r\n2\r\n")});
  auto r3 = deliver(*t, "example.org", {message({"c@example.org"}, "Subject: 3\r\n\r\n3\r\n")});
  for (const auto* r : {&r1, &r2, &r3}) {
    ASSERT_EQ(r->size(), 1u);
    EXPECT_EQ((*r)[0][0].kind, Kind::delivered) << (*r)[0][0].text;
  }
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(server.messages().size(), 3u);
  auto cmds = server.commands();
  EXPECT_EQ(std::count(cmds.begin(), cmds.end(), "RSET"), 2);
  EXPECT_EQ(std::count(cmds.begin(), cmds.end(), "QUIT"), 0);
  EXPECT_EQ(t->idle_connections(), 1u);
  // Expiry: QUIT, and the next delivery opens a new connection.
  run_until([&] {
    auto c = server.commands();
    return !c.empty() && c.back() == "QUIT";
  });
  EXPECT_EQ(server.commands().back(), "QUIT");
  EXPECT_EQ(t->idle_connections(), 0u);
  auto r4 = deliver(*t, "example.net", {message({"d@example.net"}, "Subject: 4\r\n\r\n4\r\n")});
  EXPECT_EQ(r4[0][0].kind, Kind::delivered);
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(server.messages().size(), 4u);
}

// A cached connection the peer closed meanwhile (RSET meets the closed socket), or answers
// RSET with 421: the delivery goes over a fresh connection, each message exactly once; with
// PIPELINING too, where the message's MAIL went out with the RSET (variants 2 and 3).
TEST_F(Outbound, ConnectionCacheStaleConnectionGetsAFreshOne) {
  for (int variant = 0; variant < 4; ++variant) {
    Behaviour b;
    if (variant % 2 == 0)
      b.close_after_messages = 1;
    else
      b.rset_reply = "421 4.4.2 fake.example idle too long";
    if (variant >= 2) b.ehlo = "250-fake.example\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES";
    FakeServer server(b);
    auto o = options(route_to(server.port()));
    o.connection_cache_time = std::chrono::seconds(10);
    auto t = make(std::move(o));
    for (int i = 0; i < 3; ++i) {
      auto r =
          deliver(*t, "example.net",
                  {message({"a@example.net"}, "Subject: " + std::to_string(i) + "\r\n\r\nx\r\n",
                           "Q" + std::to_string(i))});
      ASSERT_EQ(r.size(), 1u);
      EXPECT_EQ(r[0][0].kind, Kind::delivered) << variant << ": " << r[0][0].text;
      EXPECT_FALSE(r[0][0].final_reply_lost);
    }
    auto msgs = server.messages();
    ASSERT_EQ(msgs.size(), 3u) << variant;  // none lost, none twice
    for (int i = 0; i < 3; ++i)
      EXPECT_EQ(msgs[i], "Subject: " + std::to_string(i) + "\r\n\r\nx\r\n");
    EXPECT_EQ(server.connections(), 3) << variant;
    if (variant % 2 == 1) {
      auto cmds = server.commands();
      EXPECT_EQ(std::count(cmds.begin(), cmds.end(), "RSET"), 2);
    }
    t->shutdown();
    run_until([&] { return t->idle_connections() == 0; });
    EXPECT_EQ(t->idle_connections(), 0u);
  }
}

// A connection set up with other security requirements is not reused for a destination
// that requires more (here: TLS required for example.org): the cache key differs.
TEST_F(Outbound, ConnectionCacheKeepsSecuritySetupsApart) {
  FakeServer server({});
  auto o = options(route_to(server.port()) +
                   ", example.org = [127.0.0.1]:" + std::to_string(server.port()));
  o.connection_cache_time = std::chrono::seconds(10);
  o.tls_required_domains.insert("example.org");
  auto t = make(std::move(o));
  auto r1 = deliver(*t, "example.net", {message({"a@example.net"}, "x\r\n")});
  EXPECT_EQ(r1[0][0].kind, Kind::delivered);
  auto r2 = deliver(*t, "example.org", {message({"b@example.org"}, "y\r\n")});
  EXPECT_EQ(r2[0][0].kind, Kind::deferred);  // no STARTTLS at the fake server
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(server.messages().size(), 1u);
  EXPECT_EQ(t->idle_connections(), 1u);  // the example.net one, still idle
}

// "[localhost]" resolves through libunbound's built-in localhost zone (::1 and 127.0.0.1, no
// query leaves); IPv6 comes first in the plan. A server on ::1 refusing for a missing PTR
// record, at the greeting or at MAIL, sends the delivery on over IPv4.
class OutboundPtr : public Outbound, public ::testing::WithParamInterface<bool> {};

TEST_P(OutboundPtr, Ipv6RefusedForMissingPtrGoesOverIpv4) {
  FakeServer v4({});
  Behaviour refuse;
  if (GetParam())
    refuse.greeting = "554 5.7.1 no PTR record for your IPv6 address";
  else
    refuse.mail_reply = "550 5.7.1 IPv6 sender has no reverse DNS (PTR) record";
  FakeServer v6(refuse, true, v4.port());
  if (!v6.ok()) GTEST_SKIP() << "::1 unavailable or the port is taken";
  auto t = make(options("example.net = [localhost]:" + std::to_string(v4.port())));
  auto replies = deliver(*t, "example.net",
                         {message({"a@example.net"}, "Subject: 1\r\n\r\n1\r\n", "Q1"),
                          message({"b@example.net"}, "Subject: 2\r\n\r\n2\r\n", "Q2")});
  ASSERT_EQ(replies.size(), 2u);
  if (v6.connections() == 0) GTEST_SKIP() << "localhost did not resolve to ::1 first";
  for (const auto& m : replies) {
    EXPECT_EQ(m[0].kind, Kind::delivered) << m[0].text;
    EXPECT_EQ(m[0].remote_host, "localhost");
  }
  EXPECT_EQ(v6.connections(), 1);
  EXPECT_EQ(v4.messages().size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(AtGreetingOrMail, OutboundPtr, ::testing::Bool());

}  // namespace
}  // namespace estafeta::smtp
