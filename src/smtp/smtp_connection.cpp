// smtp_connection: the per-connection loop (see the header). Notes:
//  - Order of effects: a reply that depends on a request (250 after StoreMessage) is queued
//    only after the worker returned, so it is never sent before the fsync.
//  - Replies are written when the core has nothing more to say for the input at hand: all
//    replies to one pipelined batch (RFC 2920 §3.1) leave in one write.
//  - Any pending reply is flushed before the STARTTLS handshake (the 220 must go out in
//    plain text) and before closing.
//  - Timeouts never race the loop: the watchdog only cancels the pending read or write; the
//    loop sees operation_aborted and tells the core (timeout()/too_slow()).
#include "smtp/smtp_connection.hpp"

#include <asio.hpp>
#include <asio/ssl.hpp>

#include "base/log.hpp"
#include "net/blocking.hpp"
#include "smtp/smtp_server_requests.hpp"

namespace estafeta::smtp {

Connection::Connection(std::shared_ptr<Server::Impl> server, asio::ip::tcp::socket socket,
                       ListenerMode mode, std::string peer_ip, bool peer_is_loopback,
                       net::ConnectionLimiter::Ticket ticket, std::uint64_t id)
    : server_(std::move(server)),
      tls_(server_->tls_context()),
      stream_(std::move(socket)),
      timer_(stream_.socket().get_executor()),
      mode_(mode),
      peer_ip_(std::move(peer_ip)),
      peer_is_loopback_(peer_is_loopback),
      ticket_(std::move(ticket)),
      id_(id),
      rate_(server_->options.limits.min_data_rate, server_->options.limits.data_rate_grace) {}

Connection::~Connection() {
  server_->remove(this);
}

asio::any_io_executor Connection::executor() {
  return timer_.get_executor();
}

void Connection::request_shutdown() {
  shutdown_requested_ = true;
  // An idle client is told at once; a DATA transfer in progress is left to finish.
  if (reading_ && (!core_ || core_->phase() == Phase::command)) stream_.cancel();
}

void Connection::arm_at(Clock::time_point deadline) {
  deadline_ = deadline;
  Clock::time_point next = deadline_;
  if (rate_.active()) next = std::min(next, rate_.deadline());
  // Only an earlier deadline needs the watchdog woken; a later one it finds on its own.
  if (next < timer_.expiry()) timer_.expires_at(next);
}

void Connection::disarm() {
  deadline_ = Clock::time_point::max();
}

asio::awaitable<void> Connection::watchdog() {
  auto self = shared_from_this();
  while (!finished_) {
    Clock::time_point next = deadline_;
    if (reading_ && rate_.active()) next = std::min(next, rate_.deadline());
    timer_.expires_at(next);
    std::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (finished_) break;
    Clock::time_point now = Clock::now();
    if (now >= deadline_) {
      expired_ = Expired::idle;
    } else if (reading_ && rate_.too_slow(now)) {
      expired_ = Expired::too_slow;
    } else {
      continue;
    }
    deadline_ = Clock::time_point::max();
    stream_.cancel();
  }
}

void Connection::track_phase() {
  if (!core_) return;
  bool data = core_->phase() == Phase::data;
  if (data && !rate_.active()) {
    rate_.start(Clock::now());
  } else if (!data && rate_.active()) {
    rate_.stop();
  }
}

void Connection::trace_reply(std::string_view bytes) const {
  while (!bytes.empty()) {
    auto end = bytes.find("\r\n");
    std::string_view line = bytes.substr(0, end);
    // Written whatever log_level says: --trace asked for exactly these lines.
    log::write(log::Level::info, "smtp", fmt::format("c{} S: {}", id_, line));
    if (end == std::string_view::npos) break;
    bytes.remove_prefix(end + 2);
  }
}

asio::awaitable<bool> Connection::flush() {
  if (out_.empty()) co_return true;
  arm(server_->options.limits.command_timeout);
  std::error_code ec;
  co_await stream_.write(asio::buffer(out_), ec);
  disarm();
  out_.clear();
  if (ec) {
    broken_ = true;
    log::debug("smtp", "c{} {}: write failed: {}", id_, peer_ip_,
               expired_ != Expired::none ? "timed out" : ec.message());
    co_return false;
  }
  co_return true;
}

asio::awaitable<bool> Connection::handshake() {
  arm(server_->options.limits.command_timeout);
  std::error_code ec;
  co_await stream_.start_tls(*tls_, ec);
  disarm();
  if (ec) {
    broken_ = true;
    log::info("smtp", "c{} {}: TLS handshake failed: {}", id_, peer_ip_,
              expired_ != Expired::none ? "timed out" : ec.message());
    co_return false;
  }
  log::debug("smtp", "c{} {}: TLS {} {}", id_, peer_ip_, stream_.tls_version(),
             stream_.tls_cipher());
  co_return true;
}

asio::awaitable<void> Connection::handle_events() {
  Server::Impl& s = *server_;
  while (!closing_) {
    std::optional<Event> ev = core_->next_event();
    if (!ev) break;
    if (auto* reply = std::get_if<SendReply>(&*ev)) {
      if (s.options.trace) trace_reply(reply->bytes);
      replied_ = true;
      if (out_.empty()) {
        out_ = std::move(reply->bytes);
      } else {
        out_ += reply->bytes;
      }
    } else if (auto* line = std::get_if<TraceLine>(&*ev)) {
      if (s.options.trace)
        log::write(log::Level::info, "smtp", fmt::format("c{} C: {}", id_, line->line));
    } else if (std::holds_alternative<StartTls>(*ev)) {
      if (!tls_ || !co_await flush() || !co_await handshake()) {
        closing_ = true;
        break;
      }
      core_->tls_started(TlsInfo{stream_.tls_version(), stream_.tls_cipher()});
    } else if (auto* rcpt = std::get_if<CheckRecipient>(&*ev)) {
      RecipientVerdict verdict = co_await net::run_blocking(
          s.workers, [&] { return check_recipient(s.directory, rcpt->address); });
      core_->recipient_checked(verdict);
    } else if (auto* sender = std::get_if<CheckSender>(&*ev)) {
      bool allowed = co_await net::run_blocking(
          s.workers, [&] { return check_sender(s.directory, sender->user, sender->address); });
      core_->sender_checked(allowed);
    } else if (auto* login = std::get_if<Authenticate>(&*ev)) {
      AuthAnswer answer = co_await net::run_blocking(s.hashers, [&] {
        return authenticate(s.directory, s.options.login_throttle.get(), peer_ip_, login->login,
                            login->password);
      });
      if (answer.delay.count() > 0) {
        // The login throttle's delay after a wrong password: a timer, never a sleeping
        // thread; bounded by the throttle's max_delay.
        asio::steady_timer timer(executor(), answer.delay);
        std::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      core_->auth_result(std::move(answer.result));
    } else if (auto* store = std::get_if<StoreMessage>(&*ev)) {
      bool ok = co_await net::run_blocking(s.workers, [&] {
        return store_message(s.directory, s.delivery, store->envelope, store->message);
      });
      core_->message_stored(ok);
    } else if (std::holds_alternative<Close>(*ev)) {
      // The session is over once the core closes it: hand the slot back before the last
      // reply goes out, so a client that reconnects as soon as it reads 221 finds it free.
      ticket_ = net::ConnectionLimiter::Ticket();
      co_await flush();
      closing_ = true;
      break;
    }
  }
  if (!closing_ && !co_await flush()) closing_ = true;
  track_phase();
}

asio::awaitable<void> Connection::run() {
  auto self = shared_from_this();
  const Limits& limits = server_->options.limits;
  asio::co_spawn(executor(), watchdog(), asio::detached);
  log::debug("smtp", "c{} connect from {}", id_, peer_ip_);

  SessionInfo info;
  info.server_hostname = server_->options.hostname;
  info.peer_ip = peer_ip_;
  info.peer_is_loopback = peer_is_loopback_;
  info.mode = mode_;
  info.starttls_available = tls_ != nullptr;
  info.allow_plain_auth_on_loopback = server_->options.allow_plain_auth_on_loopback;
  info.offer_auth = mode_ != ListenerMode::mx || server_->options.auth_on_mx;
  bool ok = true;
  if (mode_ == ListenerMode::submissions) {
    // RFC 8314 §3.3: implicit TLS, the handshake comes before the greeting.
    ok = tls_ && co_await handshake();
    info.tls_active = true;
    info.tls_version = stream_.tls_version();
    info.tls_cipher = stream_.tls_cipher();
  }
  if (ok) {
    core_.emplace(std::move(info), limits);
    core_->start();
    co_await handle_events();
  }
  while (ok && !closing_) {
    if (shutdown_requested_ && !shutdown_delivered_) {
      shutdown_delivered_ = true;
      core_->shutdown();
      co_await handle_events();
      continue;
    }
    if (core_->phase() == Phase::data) {
      // RFC 5321 §4.5.3.2.6: the data timeout is per block received; trickling is caught by
      // the minimum data rate instead.
      arm(limits.data_timeout);
    } else {
      if (replied_) {
        command_deadline_ = Clock::now() + limits.command_timeout;
        replied_ = false;
      }
      arm_at(command_deadline_);
    }
    reading_ = true;
    std::error_code ec;
    std::size_t n = co_await stream_.read_some(asio::buffer(buffer_), ec);
    reading_ = false;
    disarm();
    if (ec) {
      if (expired_ != Expired::none) {
        log::info("smtp", "c{} {}: {}", id_, peer_ip_,
                  expired_ == Expired::idle ? "timeout" : "data rate below smtp.min_data_rate");
        if (expired_ == Expired::idle) {
          core_->timeout();
        } else {
          core_->too_slow();
        }
        expired_ = Expired::none;
        co_await handle_events();
        break;
      }
      if (ec == asio::error::operation_aborted && shutdown_requested_) continue;
      broken_ = true;
      // A TLS client that closes without close_notify (most do after QUIT) is an EOF too.
      if (ec != asio::error::eof && ec != asio::ssl::error::stream_truncated)
        log::debug("smtp", "c{} {}: read failed: {}", id_, peer_ip_, ec.message());
      break;
    }
    if (rate_.active()) rate_.add(n);
    core_->receive(std::string_view(buffer_.data(), n));
    co_await handle_events();
  }
  if (ok && !broken_ && stream_.tls_active()) {
    // Say goodbye in TLS too (close_notify), so clients can tell our close from a
    // truncation attack; the peer gets a moment to answer, then the socket closes anyway.
    arm(std::chrono::seconds(2));
    std::error_code ec;
    co_await stream_.shutdown_tls(ec);
    disarm();
  }
  finished_ = true;
  timer_.cancel();
  stream_.close();
  // Free the connection slot now, not when the last reference goes: a client that
  // reconnects at once (one message per connection) must not meet its own ghost.
  ticket_ = net::ConnectionLimiter::Ticket();
  log::debug("smtp", "c{} disconnect from {}", id_, peer_ip_);
}

}  // namespace estafeta::smtp
