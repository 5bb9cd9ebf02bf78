// pop3_connection: the POP3 adapter of one client connection on net::SessionDriver. The
// driver owns the socket, the timeouts (login_timeout before login, the RFC 1939 §3 idle
// timer after), TLS, drain and stress mode; this class cuts the driver's bytes into lines
// (net::LineReader, bounded by the core's kMaxLine) and hands each to the sans-I/O core
// (pop3::Session) on the worker pool (the hasher pool for PASS, AUTH, APOP and SASL
// responses, which may check a password), where it reads and writes the store; lines the core
// answers from memory (Session::runs_without_io: CAPA, UIDL, DELE ...) run on the io thread
// without that hop. The core's output becomes driver actions: text, a message (RETR/TOP)
// streamed from its store::Blob through pop3::MessageStreamer a piece at a time on the worker
// pool, the STLS handshake, close. Pipelined commands are answered in order, one at a time (RFC
// 2449 §6.6), and their replies leave in one write where the driver can batch them. Runs on its
// driver's io thread, one call at a time: no locks. Input: the peer's bytes (untrusted); memory:
// the bytes of one read not yet consumed, one line (kMaxLine), the core's pending output, and while
// a message streams one piece of it (about 128 KiB).
#pragma once

#include <asio/awaitable.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "net/net_session_driver.hpp"
#include "net/proto/net_line_reader.hpp"
#include "pop3/pop3_server_impl.hpp"
#include "pop3/proto/pop3_session.hpp"

namespace estafeta::pop3 {

class Connection : public net::SessionAdapter {
 public:
  Connection(std::shared_ptr<Server::Impl> server, const net::SessionContext& context);
  ~Connection() override;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void start(const net::TlsState& tls) override;
  void receive(std::string_view bytes) override;
  void notify(net::Notice notice) override;
  asio::awaitable<std::optional<net::Action>> next() override;
  void tls_started(const net::TlsState& tls) override;
  net::ProtocolStatus status() const override;

 private:
  // Runs one line through the core on a worker (hashers when it may check a password) and
  // collects its output there (a message's first piece is read in the same hop).
  asio::awaitable<void> on_core(net::LineReader::Line line, bool may_login);
  // Consumes buffered input up to one line for the core; false when more bytes are needed.
  asio::awaitable<bool> step_input();
  // The core's output as driver actions, queued in actions_.
  void collect_output(bool on_worker);
  void say_goodbye(std::string text);
  bool between_commands() const;

  std::shared_ptr<Server::Impl> server_;
  net::SessionContext context_;
  std::unique_ptr<Session> core_;
  net::LineReader lines_;
  std::string input_;  // bytes received, not yet consumed
  std::deque<net::Action> actions_;
  bool closing_ = false;
  bool draining_ = false;  // shutdown asked for: close once the command at hand is answered
  std::chrono::milliseconds login_delay_{0};  // after a failed login, before the answer
};

}  // namespace estafeta::pop3
