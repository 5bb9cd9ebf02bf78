// smtp_outbound_connection: one SMTP client connection of the sending MTA, driven with Asio
// coroutines over the sans-I/O ClientSession (smtp_client_session.hpp): TCP connect with a
// deadline, implicit TLS (port 465) or STARTTLS (RFC 3207) with SNI = the server's name,
// certificate verification recorded and enforced where asked, then the queued messages one
// transaction after another over the same connection, then QUIT, or, when the caller keeps
// connections (the transport's connection cache), the connection left idle between
// transactions and handed back (IdleConnection), to be reused after an RSET probe or ended
// with close_idle(). Content is read from the
// spool on the worker pool (OutboundMessage::read is blocking) in 64 KiB pieces; a message
// with 8-bit content for a peer without 8BITMIME is read whole (bounded by
// max_downgrade_size) and converted with mime::downgrade_to_7bit. Every wait for the peer has
// the session's RFC 5321 §4.5.3.2 deadline (an Asio timer that cancels the socket).
// Used by OutboundTransport (smtp_outbound_transport.hpp), which picks the attempts, keeps the
// limits and maps results; everything runs on the caller's executor (a strand).
// Trust: the peer's bytes go only to the client core (bounded there). Memory: a 16 KiB read
// buffer, one content piece (or one downgraded message), the results of the messages sent;
// an idle connection holds its socket (and TLS state) and the client core, no buffer.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ssl/context.hpp>
#include <asio/thread_pool.hpp>
#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dns/proto/dns_route_plan.hpp"
#include "net/stream.hpp"
#include "queue/queue_transport.hpp"
#include "smtp/proto/smtp_client_session.hpp"

namespace estafeta::smtp {

using MessageList = std::vector<std::shared_ptr<const queue::OutboundMessage>>;

struct ConnectionSetup {
  dns::RouteAttempt attempt;
  std::string tls_name;          // SNI and the name the certificate must match ("" = the host)
  ClientConfig client;           // tls_active set here means implicit TLS at connect (port 465)
  bool verify_required = false;  // a certificate that does not verify fails the TLS step
  // DANE (RFC 7672): the certificate is verified against these TLSA records instead of the
  // trust store (the transport also sets STARTTLS required and verify_required).
  std::vector<net::DaneRecord> dane;
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(30)};
  std::string bind_address;  // the local address to connect from ("" = any; the attempt's family)
  std::size_t max_downgrade_size = std::size_t{64} << 20;
  std::string log_tag;  // "q1234" etc., for log lines
};

struct ConnectionResult {
  bool connected = false;     // the TCP connection was made
  std::string local_ip;       // our end's address once connected (TLS-RPT sending-mta-ip;
                              // left empty on a reused connection, which TLS-RPT skips)
  std::string connect_error;  // why not: "connect to mx.example.org[192.0.2.1]:25: ..."
  // Messages whose transaction ended on this connection (index into the message list).
  std::map<std::size_t, TransactionResult> done;
  // Messages refused at MAIL over IPv6 for a missing PTR record: given back to the queue of
  // the connection, with the result kept here in case no IPv4 attempt is left.
  std::map<std::size_t, TransactionResult> held_back;
  bool reverse_dns_refusal = false;  // the greeting or a MAIL blamed reverse DNS
  bool tls = false;                  // a TLS handshake succeeded (TLS-RPT)
  bool tls_verified = false;         // ... and the peer was verified (PKIX or DANE)
  std::optional<ClientClose> close;  // how the session ended (when it began; not when kept)
  bool reused = false;  // an idle connection was given: no connect, no TLS handshake here
  // A reused connection ended before any message was handed to it (the RSET probe was
  // refused or answered 421, or the peer had closed it): nothing was sent, `todo` is as it
  // was; the caller opens a fresh connection and counts no failure.
  bool stale = false;
};

// A connection between transactions, for reuse: the stream (TLS state included) and the
// client core, idle (ClientState::ready, its ClientReady taken), as run_connection left it.
struct IdleConnection {
  std::unique_ptr<net::Stream> stream;
  std::unique_ptr<ClientSession> session;
  bool tls = false, tls_verified = false;
  std::string where;  // describe_attempt(), for logs
};

// Connects to setup.attempt and sends the messages whose indices are at the front of
// `todo`, taking each one off when its transaction starts; what is left was not tried.
// `reuse` (may be null, or point to null): an idle connection made with the same setup, used
// instead of connecting (RSET first; see ConnectionResult::stale); it is moved from.
// `keep` (may be null): when the connection is idle and `todo` empty at the end, it is not
// ended but moved to *keep (no QUIT); otherwise QUIT as usual.
asio::awaitable<ConnectionResult> run_connection(ConnectionSetup setup,
                                                 asio::ssl::context& tls_context,
                                                 asio::thread_pool& workers,
                                                 const MessageList& messages,
                                                 std::deque<std::size_t>& todo,
                                                 std::unique_ptr<IdleConnection>* reuse = nullptr,
                                                 std::unique_ptr<IdleConnection>* keep = nullptr);

// Ends an idle connection: QUIT and its reply (each wait at most `limit`), TLS close_notify,
// close. Start it with co_spawn from ordinary code (not as a co_await operand: GCC 12,
// PR 99576).
asio::awaitable<void> close_idle(std::unique_ptr<IdleConnection> conn,
                                 std::chrono::milliseconds limit);

// The client core's transaction for `message` (its envelope and recipients as received).
ClientTransaction transaction_of(const queue::OutboundMessage& message);

}  // namespace estafeta::smtp
