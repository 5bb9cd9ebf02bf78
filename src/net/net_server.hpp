// net_server: what every protocol server shares above the connection driver: the accept
// loops, admission through the connection limits (total, and per client: an IPv4 address or
// an IPv6 /64), the registry of open sessions, graceful drain (shutdown()), and stress mode
// (as Postfix's): above stress_threshold_percent of max_connections, unauthenticated
// sessions idle before any transaction get the short command timeout, and when the limit is
// reached a newcomer makes the longest-idle such session close (after evict_min_idle of
// idleness) instead of being refused. Entering and leaving stress are logged once each.
// The protocol comes in through ListenerOptions::make_adapter. Each accepted socket runs on
// the next io thread for its whole life. Input: network peers (untrusted). Memory: one
// registry entry per open session, at most max_connections plus the sessions being evicted.
// Thread-safety: every public member may be called from any thread.
#pragma once

#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "net/io_pool.hpp"
#include "net/net_session_driver.hpp"

namespace estafeta::net {

struct ServerLimits {
  std::size_t max_connections = 1000;       // <tag>.max_connections
  std::size_t max_connections_per_ip = 50;  // <tag>.max_connections_per_ip
  unsigned ipv6_prefix = 64;                // <tag>.ipv6_prefix
  unsigned stress_threshold_percent = 80;   // <tag>.stress_threshold
  // A session must have waited this long for input before it may be closed to make room,
  // so clients that connected together (and have not spoken yet) do not push one another out.
  std::chrono::milliseconds evict_min_idle{2000};
};

struct ServerOptions {
  ServerLimits limits;
  DriverOptions driver;  // driver.tag names the log component and the config section
};

struct ListenerOptions {
  std::string name;  // for the log: "mx", "submissions"
  bool implicit_tls = false;
  // The one line a refused client gets (empty: closed without a word, as on implicit-TLS
  // listeners, where plain text would be garbage to the client).
  std::string refuse_total;
  std::string refuse_per_address;
  std::function<std::unique_ptr<SessionAdapter>(const SessionContext&)> make_adapter;
};

class Server {
 public:
  // `tls` may be null (no STARTTLS; implicit-TLS sessions close at once).
  Server(IoPool& io, std::shared_ptr<asio::ssl::context> tls, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Accepts on `acceptor` (already listening) until shutdown().
  void serve(asio::ip::tcp::acceptor acceptor, ListenerOptions listener);
  // Sessions that start from now on use `tls` (certificate renewal); open ones keep theirs.
  void reload_tls(std::shared_ptr<asio::ssl::context> tls);
  // Stops accepting and tells every session to drain; returns at once.
  void shutdown();
  // Sessions currently open.
  std::size_t active_sessions() const;
  // Blocks until no session is open or `timeout` passed; true when all have ended.
  bool wait_idle(std::chrono::milliseconds timeout) const;
  bool stressed() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace estafeta::net
