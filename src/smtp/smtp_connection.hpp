// smtp_connection: the SMTP adapter of one client connection on net::SessionDriver. The
// driver owns the socket, the timeouts, TLS, drain and stress mode; this class feeds the
// driver's bytes to smtp::ServerSession and turns the core's events into driver actions:
// replies (batched by the driver while pipelined input is pending, RFC 2920), STARTTLS
// (RFC 3207), close, and the SMTP requests it carries out itself, one small function each,
// on the worker pool with one hop there and back: CheckRecipient, CheckSender,
// Authenticate (on the hasher pool) and StoreMessage.
// Runs on its driver's io thread, one call at a time: no locks. Input: the peer's bytes
// (untrusted); memory: what the core holds (bounded by smtp::Limits).
#pragma once

#include <asio/awaitable.hpp>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "net/net_session_driver.hpp"
#include "smtp/smtp_server_impl.hpp"
#include "smtp/smtp_spool_requests.hpp"

namespace estafeta::smtp {

class Connection : public net::SessionAdapter {
 public:
  Connection(std::shared_ptr<Server::Impl> server, ListenerMode mode,
             const net::SessionContext& context);
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
  // The SMTP requests, each answered to the core before it returns.
  asio::awaitable<void> check_recipient_request(const CheckRecipient& request);
  asio::awaitable<void> check_sender_request(const CheckSender& request);
  asio::awaitable<void> authenticate_request(const Authenticate& request);
  // Message data: MessageChunk streamed into the spool as it arrives, DiscardMessage,
  // StoreMessage at the end (commit, then the 250).
  asio::awaitable<void> message_chunk(const MessageChunk& chunk);
  void discard_message();
  void deliver_committed();
  Background background() const;
  asio::awaitable<void> store_message_request(const StoreMessage& request);

  std::shared_ptr<Server::Impl> server_;
  ListenerMode mode_;
  net::SessionContext context_;
  std::optional<ServerSession> core_;
  std::deque<net::Action> own_;  // actions of our own (eviction), before the core's
  SpoolSlot spool_;              // the spool file of the message being received
  // A committed message on its way to local delivery: its 250 is yielded, a Flush writes
  // it, then the message is submitted (so a crash in between is the "after the 250" case).
  enum class Handover { none, committed, reply_yielded, flush_yielded };
  std::optional<queue::SpoolEntry> committed_;
  Handover handover_ = Handover::none;
};

}  // namespace estafeta::smtp
