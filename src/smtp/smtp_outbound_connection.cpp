// smtp_outbound_connection: the coroutine driving one ClientSession over a socket (see the
// header). One sequential loop: drain the session's events (write, TLS handshake, content,
// transactions), and when it has none, read from the peer under the session's deadline.
// Writing content while not reading is fine in SMTP: the server answers only at the end.
#include "smtp/smtp_outbound_connection.hpp"

#include <algorithm>
#include <asio/connect.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <functional>
#include <utility>

#include "base/log.hpp"
#include "mime/mime_downgrade.hpp"
#include "net/blocking.hpp"
#include "net/stream.hpp"
#include "smtp/smtp_outbound_reply.hpp"

namespace estafeta::smtp {
namespace {

constexpr std::size_t kPiece = 64 * 1024;  // content read from the spool at a time
constexpr std::size_t kReadBuffer = 16 * 1024;
// The wait for the reply to the RSET that probes a reused connection (Postfix's
// smtp_rset_timeout): a peer that silently went away must not hold the delivery 5 minutes.
constexpr std::chrono::seconds kProbeTimeout{20};

// A deadline for the operation in progress: when it expires, `cancel` runs (cancelling the
// socket, so the pending read/write/connect ends with operation_aborted) and expired() is
// true. Re-armed per operation; a stale expiry (an older generation) does nothing, so the
// state outlives the frame safely (the timer handler holds it) while the cancel target is
// only touched by a current deadline, i.e. while the frame is alive.
class Deadline {
 public:
  Deadline(asio::any_io_executor ex, std::function<void()> cancel)
      : state_(std::make_shared<State>(std::move(ex), std::move(cancel))) {}
  ~Deadline() { disarm(); }
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

  void arm(std::chrono::milliseconds d) {
    auto st = state_;
    const unsigned gen = ++st->generation;
    st->expired = false;
    st->timer.expires_after(d);
    st->timer.async_wait([st, gen](const std::error_code& ec) {
      if (ec || gen != st->generation) return;
      st->expired = true;
      if (st->cancel) st->cancel();
    });
  }
  void disarm() {
    ++state_->generation;
    state_->timer.cancel();
  }
  bool expired() const { return state_->expired; }

 private:
  struct State {
    State(asio::any_io_executor ex, std::function<void()> c)
        : timer(std::move(ex)), cancel(std::move(c)) {}
    asio::steady_timer timer;
    std::function<void()> cancel;
    unsigned generation = 0;
    bool expired = false;
  };
  std::shared_ptr<State> state_;
};

struct Piece {
  std::error_code ec;
  std::string data;
};

// The whole content (for the downgrade), at most `limit` octets.
Piece read_whole(const queue::OutboundMessage& m, std::size_t limit) {
  Piece p;
  std::string chunk;
  for (;;) {
    chunk.clear();
    p.ec = m.read(p.data.size(), kPiece, chunk);
    if (p.ec || chunk.empty()) return p;
    if (p.data.size() + chunk.size() > limit) {
      p.ec = std::make_error_code(std::errc::file_too_large);
      return p;
    }
    p.data += chunk;
  }
}

// Every recipient of `tx` with one local result (a message that cannot go out as it is).
TransactionResult local_result(const ClientTransaction& tx, RecipientOutcome outcome, int code,
                               std::string enhanced, std::string text) {
  TransactionResult r;
  RecipientResult one;
  one.outcome = outcome;
  one.code = code;
  one.enhanced = std::move(enhanced);
  one.text = std::move(text);
  one.stage = ClientStage::local;
  r.recipients.assign(tx.recipients.size(), one);
  return r;
}

// The session ended a transaction at MAIL with a 5xx that blames reverse DNS.
bool refused_for_ptr(const TransactionResult& r) {
  if (r.recipients.empty()) return false;
  for (const auto& rr : r.recipients)
    if (rr.stage != ClientStage::mail || rr.outcome != RecipientOutcome::bounced ||
        !blames_reverse_dns(rr.code, rr.text))
      return false;
  return true;
}

// One read for the client core within `wait`: the bytes it got, or a timeout or a lost
// connection told to it.
asio::awaitable<void> feed_read(ClientSession& ses, net::Stream* sp, Deadline& deadline,
                                std::string& buffer, std::chrono::milliseconds wait) {
  std::error_code ec;
  deadline.arm(wait);
  const std::size_t n = co_await sp->read_some(asio::buffer(buffer), ec);
  const bool expired = deadline.expired();
  deadline.disarm();
  if (expired)
    ses.timed_out();
  else if (ec || n == 0)
    ses.connection_lost();
  else
    ses.receive(std::string_view(buffer.data(), n));
}

// One write of the core's bytes within `wait`; a timeout or a lost connection told to it.
asio::awaitable<void> feed_write(ClientSession& ses, net::Stream* sp, Deadline& deadline,
                                 const std::string& bytes, std::chrono::milliseconds wait) {
  std::error_code ec;
  deadline.arm(wait);
  co_await sp->write(asio::buffer(bytes), ec);
  const bool expired = deadline.expired();
  deadline.disarm();
  if (expired)
    ses.timed_out();
  else if (ec)
    ses.connection_lost();
}

}  // namespace

ClientTransaction transaction_of(const queue::OutboundMessage& message) {
  ClientTransaction tx;
  tx.mail_from = message.mail_from;
  tx.size = message.size;
  tx.eight_bit = message.eight_bit;
  tx.smtputf8 = message.smtputf8;
  tx.ret = message.ret;
  tx.envid = message.envid;
  tx.requiretls = message.requiretls;
  tx.recipients.reserve(message.recipients.size());
  for (const auto& r : message.recipients) tx.recipients.push_back({r.address, r.notify, r.orcpt});
  return tx;
}

asio::awaitable<ConnectionResult> run_connection(
    ConnectionSetup setup, asio::ssl::context& tls_context, asio::thread_pool& workers,
    const MessageList& messages, std::deque<std::size_t>& todo,
    std::unique_ptr<IdleConnection>* reuse, std::unique_ptr<IdleConnection>* keep) {
  ConnectionResult out;
  auto ex = co_await asio::this_coro::executor;
  const dns::RouteAttempt& at = setup.attempt;
  const std::string where = describe_attempt(at);
  const std::string tls_name = setup.tls_name.empty() ? at.host : setup.tls_name;
  std::unique_ptr<net::Stream> stream;
  std::unique_ptr<ClientSession> session;

  if (reuse && *reuse) {
    // ---- an idle connection from the cache: probe it with RSET (see ClientSession::reset)
    IdleConnection& idle = **reuse;
    stream = std::move(idle.stream);
    session = std::move(idle.session);
    out.tls = idle.tls;
    out.tls_verified = idle.tls_verified;
    reuse->reset();
    out.connected = true;
    out.reused = true;
    if (!stream || !session || !session->reset()) {
      out.stale = true;
      co_return out;
    }
  } else {
    // ---- connect
    asio::ip::tcp::socket socket(ex);
    std::error_code ec;
    const asio::ip::address addr = asio::ip::make_address(at.address.to_string(), ec);
    if (!ec && !setup.bind_address.empty()) {  // [relay] bind_address(6)
      const asio::ip::address local = asio::ip::make_address(setup.bind_address, ec);
      if (!ec) socket.open(local.is_v6() ? asio::ip::tcp::v6() : asio::ip::tcp::v4(), ec);
      if (!ec) socket.bind(asio::ip::tcp::endpoint(local, 0), ec);
      if (ec) {
        out.connect_error =
            "connect to " + where + ": cannot bind to " + setup.bind_address + ": " + ec.message();
        co_return out;
      }
    }
    if (!ec) {
      Deadline deadline(ex, [&socket] {
        std::error_code ignored;
        socket.close(ignored);
      });
      deadline.arm(setup.connect_timeout);
      co_await socket.async_connect(asio::ip::tcp::endpoint(addr, at.port),
                                    asio::redirect_error(asio::use_awaitable, ec));
      if (deadline.expired()) ec = std::make_error_code(std::errc::timed_out);
      deadline.disarm();
    }
    if (ec) {
      out.connect_error = "connect to " + where + ": " + ec.message();
      co_return out;
    }
    out.connected = true;
    stream = std::make_unique<net::Stream>(std::move(socket));
  }
  net::Stream* const sp = stream.get();
  if (!out.reused) {
    std::error_code ignored;  // our end, for TLS-RPT's sending-mta-ip (new sessions only)
    out.local_ip = sp->socket().local_endpoint(ignored).address().to_string();
  }
  Deadline deadline(ex, [sp] { sp->cancel(); });
  const std::chrono::milliseconds command_timeout = setup.client.timeouts.command;

  auto handshake = [&]() -> asio::awaitable<std::string> {  // "" or why it failed
    std::error_code ec;
    deadline.arm(command_timeout);
    co_await sp->start_tls_client(tls_context, tls_name, setup.dane, ec);
    const bool expired = deadline.expired();
    deadline.disarm();
    if (expired) co_return "TLS handshake with " + where + " timed out";
    if (ec) co_return "TLS handshake with " + where + " failed: " + ec.message();
    if (setup.verify_required && !sp->tls_peer_verified())
      co_return setup.dane.empty()
          ? "certificate of " + where + " not verified: " + sp->tls_verify_error()
          : "DANE: no TLSA record matches the certificate of " + where + ": " +
                sp->tls_verify_error();
    co_return std::string();
  };

  if (!out.reused && setup.client.tls_active) {  // implicit TLS (RFC 8314)
    std::string why = co_await handshake();
    if (!why.empty()) {
      ClientClose c;
      c.reason = CloseReason::tls_failed;
      c.text = why;
      out.close = c;
      sp->close();
      co_return out;
    }
    setup.client.tls_verified = sp->tls_peer_verified();
    out.tls = true;
    out.tls_verified = setup.client.tls_verified;
  }

  if (!session) session = std::make_unique<ClientSession>(setup.client);
  ClientSession& ses = *session;
  std::string buffer(kReadBuffer, '\0');
  std::optional<std::size_t> current;  // the message in its transaction
  std::string converted;               // a downgraded message being sent
  bool use_converted = false;
  std::uint64_t offset = 0;
  std::string content_error;  // reading the spool failed for the current message
  bool handed_over = false;   // a message of `todo` went to this connection
  bool kept = false;          // idle with nothing left: handed back through `keep`

  for (;;) {
    std::optional<ClientEvent> ev = ses.next_event();
    if (!ev) {
      if (ses.state() == ClientState::closed) break;  // cannot happen without a Close
      auto wait = ses.timeout().value_or(setup.client.timeouts.command);
      if (out.reused && ses.probing()) wait = std::min<decltype(wait)>(wait, kProbeTimeout);
      co_await feed_read(ses, sp, deadline, buffer, wait);
      continue;
    }
    if (auto* send = std::get_if<ClientSend>(&*ev)) {
      co_await feed_write(ses, sp, deadline, send->bytes, setup.client.timeouts.data_block);
    } else if (std::holds_alternative<ClientStartTls>(*ev)) {
      std::string why = co_await handshake();
      if (why.empty()) {
        out.tls = true;
        out.tls_verified = sp->tls_peer_verified();
        ses.tls_started(out.tls_verified);
      } else
        ses.tls_failed(why);
    } else if (std::holds_alternative<ClientNeedBody>(*ev)) {
      Piece piece;
      const queue::OutboundMessage& cur = *messages[*current];
      if (use_converted) {
        piece.data = converted.substr(static_cast<std::size_t>(offset), kPiece);
      } else if (!cur.preloaded.empty() && cur.preloaded.size() == cur.size) {
        // Preloaded by the queue: no trip to the worker pool.
        if (offset < cur.size)
          piece.data = cur.preloaded.substr(static_cast<std::size_t>(offset), kPiece);
      } else {
        // Plain pointers in the lambda: GCC 12 destroys a co_await operand's temporaries
        // twice when they own something (PR 99576); the job keeps the message alive.
        const queue::OutboundMessage* msg = messages[*current].get();
        const std::uint64_t at_offset = offset;
        piece = co_await net::run_blocking(workers, [msg, at_offset] {
          Piece p;
          p.ec = msg->read(at_offset, kPiece, p.data);
          return p;
        });
      }
      if (piece.ec) {
        content_error = "cannot read the queued message: " + piece.ec.message();
        ses.connection_lost();  // nothing to send: the transaction cannot finish
        continue;
      }
      offset += piece.data.size();
      const std::uint64_t total = use_converted ? converted.size() : messages[*current]->size;
      const bool last = piece.data.empty() || offset >= total;
      ses.body(piece.data, last);
    } else if (std::holds_alternative<ClientReady>(*ev)) {
      // Start the next message; one that cannot go out as it is gets a local result and
      // the session stays idle (no new ClientReady comes), so the loop takes the next one.
      for (;;) {
        if (todo.empty() && keep && !out.reverse_dns_refusal) {
          kept = true;
          break;
        }
        if (todo.empty() || out.reverse_dns_refusal) {
          ses.quit();
          break;
        }
        const std::size_t index = todo.front();
        todo.pop_front();
        handed_over = true;
        ClientTransaction tx = transaction_of(*messages[index]);
        current = index;
        offset = 0;
        use_converted = false;
        converted.clear();
        content_error.clear();
        StartResult r = ses.start_transaction(tx);
        if (r == StartResult::needs_downgrade) {
          const queue::OutboundMessage* msg = messages[index].get();  // see above
          const std::size_t limit = setup.max_downgrade_size;
          Piece whole;
          if (!msg->preloaded.empty() && msg->preloaded.size() == msg->size && msg->size <= limit)
            whole.data = msg->preloaded;
          else
            whole = co_await net::run_blocking(workers,
                                               [msg, limit] { return read_whole(*msg, limit); });
          std::optional<TransactionResult> local;
          if (whole.ec == std::errc::file_too_large) {
            local = local_result(tx, RecipientOutcome::bounced, 554, "5.6.3",
                                 "the server has no 8BITMIME and the message is too large to "
                                 "convert to 7 bit");
          } else if (whole.ec) {
            local = local_result(tx, RecipientOutcome::deferred, 451, "4.3.0",
                                 "cannot read the queued message: " + whole.ec.message());
          } else {
            mime::Downgrade d = mime::downgrade_to_7bit(whole.data);
            if (d.status == mime::Downgrade::Status::impossible) {
              local = local_result(tx, RecipientOutcome::bounced, 554, "5.6.3",
                                   "the server has no 8BITMIME and the message cannot be "
                                   "converted to 7 bit: " +
                                       d.reason);
            } else {
              converted = d.status == mime::Downgrade::Status::converted ? std::move(d.message)
                                                                         : std::move(whole.data);
              use_converted = true;
              tx.eight_bit = false;
              tx.size = converted.size();
              r = ses.start_transaction(tx);
            }
          }
          if (local) {
            out.done[index] = std::move(*local);
            current.reset();
            continue;
          }
        }
        if (r == StartResult::not_ready) {  // a driver bug: give the message back
          todo.push_front(index);
          current.reset();
          ses.quit();
        }
        break;
      }
      if (kept) break;
    } else if (auto* done = std::get_if<ClientTransactionDone>(&*ev)) {
      if (!current) continue;
      TransactionResult result = std::move(done->result);
      if (!content_error.empty())
        result = local_result(transaction_of(*messages[*current]), RecipientOutcome::deferred, 451,
                              "4.3.0", content_error);
      if (at.address.is_v6() && refused_for_ptr(result)) {
        out.reverse_dns_refusal = true;
        out.held_back[*current] = std::move(result);
        todo.push_front(*current);
      } else {
        out.done[*current] = std::move(result);
      }
      current.reset();
    } else if (auto* close = std::get_if<ClientClose>(&*ev)) {
      if (at.address.is_v6() && close->reason == CloseReason::greeting_refused &&
          blames_reverse_dns(close->reply.code, close->reply.text()))
        out.reverse_dns_refusal = true;
      out.close = std::move(*close);
      if (!content_error.empty() && out.close->reason == CloseReason::connection_lost)
        out.close->text = "connection given up after a spool read error";
      // A reused connection that failed its probe: nothing went over it; a message sent
      // in the probe's pipelined flight goes back to the list for the next connection.
      if (out.reused && (!handed_over || close->probe_failed)) {
        out.stale = true;
        if (current) {
          todo.push_front(*current);
          current.reset();
        }
      }
      break;
    }
  }
  if (kept) {
    auto idle = std::make_unique<IdleConnection>();
    idle->stream = std::move(stream);
    idle->session = std::move(session);
    idle->tls = out.tls;
    idle->tls_verified = out.tls_verified;
    idle->where = where;
    *keep = std::move(idle);
    co_return out;
  }
  if (sp->tls_active() && out.close && out.close->reason == CloseReason::quit) {
    std::error_code ec;
    deadline.arm(std::chrono::seconds(2));
    co_await sp->shutdown_tls(ec);
    deadline.disarm();
  }
  sp->close();
  co_return out;
}

asio::awaitable<void> close_idle(std::unique_ptr<IdleConnection> conn,
                                 std::chrono::milliseconds limit) {
  if (!conn || !conn->stream) co_return;
  auto ex = co_await asio::this_coro::executor;
  net::Stream* const sp = conn->stream.get();
  Deadline deadline(ex, [sp] { sp->cancel(); });
  if (conn->session) {
    ClientSession& ses = *conn->session;
    ses.quit();
    std::string buffer(512, '\0');
    for (;;) {
      std::optional<ClientEvent> ev = ses.next_event();
      if (!ev) {
        if (ses.state() == ClientState::closed) break;
        co_await feed_read(ses, sp, deadline, buffer, limit);
        continue;
      }
      if (auto* send = std::get_if<ClientSend>(&*ev)) {
        co_await feed_write(ses, sp, deadline, send->bytes, limit);
      } else if (std::holds_alternative<ClientClose>(*ev)) {
        break;
      }
    }
  }
  if (sp->tls_active()) {
    std::error_code ec;
    deadline.arm(limit);
    co_await sp->shutdown_tls(ec);
    deadline.disarm();
  }
  sp->close();
}

}  // namespace estafeta::smtp
