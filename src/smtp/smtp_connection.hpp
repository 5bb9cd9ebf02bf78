// smtp_connection: one client connection of the SMTP server: the thin coroutine loop that
// reads bytes, feeds them to smtp::ServerSession and carries out its events: replies
// (batched while pipelined input is pending, RFC 2920), the STARTTLS handshake (RFC 3207),
// and recipient/sender/login/store requests, each done on the worker pool with one hop there
// and back. A watchdog timer enforces smtp.command_timeout / smtp.data_timeout and the
// minimum data rate by cancelling the pending read; the core then says 421 4.4.2.
// Runs on one single-threaded io_context, so its members need no locks; request_shutdown()
// is posted to that context from elsewhere. Input: the peer's bytes (untrusted); memory: a
// 16 KB read buffer, the pending replies and what the core holds (bounded by smtp::Limits).
#pragma once

#include <array>
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "net/connection_limiter.hpp"
#include "net/rate_checker.hpp"
#include "net/stream.hpp"
#include "smtp/smtp_server_impl.hpp"

namespace estafeta::smtp {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::shared_ptr<Server::Impl> server, asio::ip::tcp::socket socket, ListenerMode mode,
             std::string peer_ip, bool peer_is_loopback, net::ConnectionLimiter::Ticket ticket,
             std::uint64_t id);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // The whole session; returns when it is over and the socket closed.
  asio::awaitable<void> run();
  // SIGTERM for this session; call on its executor.
  void request_shutdown();
  asio::any_io_executor executor();

 private:
  using Clock = std::chrono::steady_clock;
  enum class Expired { none, idle, too_slow };

  asio::awaitable<void> handle_events();
  asio::awaitable<bool> flush();
  asio::awaitable<bool> handshake();
  asio::awaitable<void> watchdog();
  void arm(Clock::duration timeout) { arm_at(Clock::now() + timeout); }
  void arm_at(Clock::time_point deadline);
  void disarm();
  void track_phase();
  void trace_reply(std::string_view bytes) const;

  std::shared_ptr<Server::Impl> server_;
  std::shared_ptr<asio::ssl::context> tls_;  // as current when the session began
  net::Stream stream_;
  asio::steady_timer timer_;
  ListenerMode mode_;
  std::string peer_ip_;
  bool peer_is_loopback_;
  net::ConnectionLimiter::Ticket ticket_;
  std::uint64_t id_;
  std::optional<ServerSession> core_;
  net::RateChecker rate_;

  std::string out_;                                        // replies not yet written
  Clock::time_point deadline_ = Clock::time_point::max();  // of the pending read or write
  // smtp.command_timeout bounds a whole command, not the gap between its octets: this is
  // set when the core last said something (a reply means the previous command is done).
  Clock::time_point command_deadline_ = Clock::time_point::max();
  bool replied_ = true;    // a reply was queued since command_deadline_ was set
  bool reading_ = false;   // a read is pending (cancellable for shutdown)
  bool finished_ = false;  // the loop is done; the watchdog stops
  bool closing_ = false;   // the core said Close, or the stream failed
  bool broken_ = false;    // a read or write failed: no goodbye is possible
  bool shutdown_requested_ = false;
  bool shutdown_delivered_ = false;
  Expired expired_ = Expired::none;
  std::array<char, 16384> buffer_;
};

}  // namespace estafeta::smtp
