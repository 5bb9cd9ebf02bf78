// smtp_outbound_connection: the coroutine driving one ClientSession over a socket (see the
// header). One sequential loop: drain the session's events (write, TLS handshake, content,
// transactions), and when it has none, read from the peer under the session's deadline.
// Writing content while not reading is fine in SMTP: the server answers only at the end.
#include "smtp/smtp_outbound_connection.hpp"

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

asio::awaitable<ConnectionResult> run_connection(ConnectionSetup setup,
                                                 asio::ssl::context& tls_context,
                                                 asio::thread_pool& workers,
                                                 const MessageList& messages,
                                                 std::deque<std::size_t>& todo) {
  ConnectionResult out;
  auto ex = co_await asio::this_coro::executor;
  const dns::RouteAttempt& at = setup.attempt;
  const std::string where = describe_attempt(at);
  const std::string tls_name = setup.tls_name.empty() ? at.host : setup.tls_name;

  // ---- connect
  asio::ip::tcp::socket socket(ex);
  {
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
  }
  out.connected = true;
  net::Stream stream(std::move(socket));
  Deadline deadline(ex, [&stream] { stream.cancel(); });
  const std::chrono::milliseconds command_timeout = setup.client.timeouts.command;

  auto handshake = [&]() -> asio::awaitable<std::string> {  // "" or why it failed
    std::error_code ec;
    deadline.arm(command_timeout);
    co_await stream.start_tls_client(tls_context, tls_name, setup.dane, ec);
    const bool expired = deadline.expired();
    deadline.disarm();
    if (expired) co_return "TLS handshake with " + where + " timed out";
    if (ec) co_return "TLS handshake with " + where + " failed: " + ec.message();
    if (setup.verify_required && !stream.tls_peer_verified())
      co_return setup.dane.empty()
          ? "certificate of " + where + " not verified: " + stream.tls_verify_error()
          : "DANE: no TLSA record matches the certificate of " + where + ": " +
                stream.tls_verify_error();
    co_return std::string();
  };

  if (setup.client.tls_active) {  // implicit TLS (RFC 8314)
    std::string why = co_await handshake();
    if (!why.empty()) {
      ClientClose c;
      c.reason = CloseReason::tls_failed;
      c.text = why;
      out.close = c;
      stream.close();
      co_return out;
    }
    setup.client.tls_verified = stream.tls_peer_verified();
    out.tls = true;
    out.tls_verified = setup.client.tls_verified;
  }

  ClientSession session(setup.client);
  std::string buffer(kReadBuffer, '\0');
  std::optional<std::size_t> current;  // the message in its transaction
  std::string converted;               // a downgraded message being sent
  bool use_converted = false;
  std::uint64_t offset = 0;
  std::string content_error;  // reading the spool failed for the current message

  for (;;) {
    std::optional<ClientEvent> ev = session.next_event();
    if (!ev) {
      if (session.state() == ClientState::closed) break;  // cannot happen without a Close
      const auto wait = session.timeout().value_or(setup.client.timeouts.command);
      std::error_code ec;
      deadline.arm(wait);
      const std::size_t n = co_await stream.read_some(asio::buffer(buffer), ec);
      const bool expired = deadline.expired();
      deadline.disarm();
      if (expired)
        session.timed_out();
      else if (ec || n == 0)
        session.connection_lost();
      else
        session.receive(std::string_view(buffer.data(), n));
      continue;
    }
    if (auto* send = std::get_if<ClientSend>(&*ev)) {
      std::error_code ec;
      deadline.arm(setup.client.timeouts.data_block);
      co_await stream.write(asio::buffer(send->bytes), ec);
      const bool expired = deadline.expired();
      deadline.disarm();
      if (expired)
        session.timed_out();
      else if (ec)
        session.connection_lost();
    } else if (std::holds_alternative<ClientStartTls>(*ev)) {
      std::string why = co_await handshake();
      if (why.empty()) {
        out.tls = true;
        out.tls_verified = stream.tls_peer_verified();
        session.tls_started(out.tls_verified);
      } else
        session.tls_failed(why);
    } else if (std::holds_alternative<ClientNeedBody>(*ev)) {
      Piece piece;
      if (use_converted) {
        piece.data = converted.substr(static_cast<std::size_t>(offset), kPiece);
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
        session.connection_lost();  // nothing to send: the transaction cannot finish
        continue;
      }
      offset += piece.data.size();
      const std::uint64_t total = use_converted ? converted.size() : messages[*current]->size;
      const bool last = piece.data.empty() || offset >= total;
      session.body(piece.data, last);
    } else if (std::holds_alternative<ClientReady>(*ev)) {
      // Start the next message; one that cannot go out as it is gets a local result and
      // the session stays idle (no new ClientReady comes), so the loop takes the next one.
      for (;;) {
        if (todo.empty() || out.reverse_dns_refusal) {
          session.quit();
          break;
        }
        const std::size_t index = todo.front();
        todo.pop_front();
        ClientTransaction tx = transaction_of(*messages[index]);
        current = index;
        offset = 0;
        use_converted = false;
        converted.clear();
        content_error.clear();
        StartResult r = session.start_transaction(tx);
        if (r == StartResult::needs_downgrade) {
          const queue::OutboundMessage* msg = messages[index].get();  // see above
          const std::size_t limit = setup.max_downgrade_size;
          Piece whole =
              co_await net::run_blocking(workers, [msg, limit] { return read_whole(*msg, limit); });
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
              r = session.start_transaction(tx);
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
          session.quit();
        }
        break;
      }
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
      break;
    }
  }
  if (stream.tls_active() && out.close && out.close->reason == CloseReason::quit) {
    std::error_code ec;
    deadline.arm(std::chrono::seconds(2));
    co_await stream.shutdown_tls(ec);
    deadline.disarm();
  }
  stream.close();
  co_return out;
}

}  // namespace estafeta::smtp
