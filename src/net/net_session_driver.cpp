// net_session_driver: the connection loop (see the header). Notes:
//  - Order of effects: output that depends on a request (SMTP 250 after storage) is yielded
//    by the adapter only after its worker returned, so it is never written before the fsync.
//  - The read runs as its own operation and reports into read_done_/read_n_; the loop waits
//    on signal_, which the read, a notice or a deadline wakes. So a wake-up or a shutdown
//    notice is handled while the read stays pending: its bytes are fed afterwards, once.
//  - Deadlines never race the loop: a passed read deadline cancels the read and waits for it;
//    if bytes won the race they are fed and the deadline is looked at again. guard_ bounds
//    writes and handshakes by cancelling the stream; a stale guard is ignored (generation).
//  - No read is in flight during a TLS handshake: plaintext pipelined after STARTTLS stays in
//    the kernel and reaches the handshake as garbage (RFC 3207 §5: it is never acted on).
#include "net/net_session_driver.hpp"

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <vector>

#include "base/log.hpp"

namespace estafeta::net {

namespace {

constexpr std::size_t kBodyChunk = 64 * 1024;

bool waiting(SessionState s) {
  return s == SessionState::reading || s == SessionState::draining;
}

}  // namespace

SessionDriver::SessionDriver(asio::ip::tcp::socket socket, std::unique_ptr<SessionAdapter> adapter,
                             const DriverOptions& options, std::shared_ptr<asio::ssl::context> tls,
                             SessionContext context, ConnectionLimiter::Ticket ticket,
                             std::shared_ptr<const std::atomic<bool>> stressed,
                             std::shared_ptr<SessionRecord> record)
    : stream_(std::move(socket)),
      adapter_(std::move(adapter)),
      options_(options),
      tls_(std::move(tls)),
      context_(std::move(context)),
      ticket_(std::move(ticket)),
      stressed_(std::move(stressed)),
      record_(record ? std::move(record) : std::make_shared<SessionRecord>()),
      machine_(options_.timeouts, options_.tag, context_.id),
      signal_(stream_.socket().get_executor()),
      guard_(stream_.socket().get_executor()) {}

SessionDriver::~SessionDriver() = default;

asio::any_io_executor SessionDriver::executor() {
  return signal_.get_executor();
}

void SessionDriver::enter(SessionState s) {
  const bool was_waiting = waiting(machine_.state());
  machine_.enter(s);
  // The wait begins now: stamp it before the session can be seen as evictable, or a session
  // that has just written its greeting would look idle since the clock's epoch (boot).
  if (waiting(s) && !was_waiting)
    record_->idle_since.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
  publish();
}

void SessionDriver::publish() {
  record_->evictable.store(waiting(machine_.state()) && machine_.status().evictable,
                           std::memory_order_relaxed);
}

bool SessionDriver::stressed() const {
  return stressed_ && stressed_->load(std::memory_order_relaxed);
}

TlsState SessionDriver::tls_state() const {
  return TlsState{stream_.tls_active(), stream_.tls_version(), stream_.tls_cipher()};
}

void SessionDriver::post_pending(unsigned bits) {
  asio::post(executor(), [self = shared_from_this(), bits] {
    self->pending_ |= bits;
    if (bits & pending_shutdown) self->machine_.request_shutdown();
    self->signal_.cancel();
  });
}

void SessionDriver::wake() {
  post_pending(pending_woken);
}

void Waker::wake() const {
  if (auto driver = driver_.lock()) driver->wake();
}
void SessionDriver::shutdown() {
  post_pending(pending_shutdown);
}
void SessionDriver::evict() {
  post_pending(pending_evicted);
}
void SessionDriver::recheck() {
  post_pending(pending_recheck);
}

void SessionDriver::trace_output(std::string_view bytes) const {
  while (!bytes.empty()) {
    auto end = bytes.find("\r\n");
    // Written whatever log_level says: --trace asked for exactly these lines.
    log::write(log::Level::info, options_.tag,
               fmt::format("c{} S: {}", context_.id, bytes.substr(0, end)));
    if (end == std::string_view::npos) break;
    bytes.remove_prefix(end + 2);
  }
}

void SessionDriver::arm_guard() {
  std::uint64_t generation = ++guard_generation_;
  guard_.expires_at(machine_.deadline(false));
  guard_.async_wait([self = shared_from_this(), generation](std::error_code ec) {
    if (ec || generation != self->guard_generation_) return;
    self->stream_.cancel();
  });
}

void SessionDriver::disarm_guard() {
  ++guard_generation_;
  guard_.cancel();
}

asio::awaitable<void> SessionDriver::wait_signal(Clock::time_point until) {
  signal_.expires_at(until);
  std::error_code ec;
  co_await signal_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

void SessionDriver::start_read() {
  read_pending_ = true;
  read_done_ = false;
  asio::co_spawn(
      executor(),
      [self = shared_from_this()]() -> asio::awaitable<void> {
        std::error_code ec;
        // Commands fit the small buffer; a burst (a message body, a literal) gets the big
        // one until a read finds the socket drained: an idle connection holds 512 octets.
        asio::mutable_buffer into = self->big_buffer_
                                        ? asio::buffer(self->big_buffer_.get(), kBigReadBuffer)
                                        : asio::buffer(self->small_buffer_);
        std::size_t n = co_await self->stream_.read_some(into, ec);
        self->read_ec_ = ec;
        self->read_n_ = n;
        self->read_done_ = true;
        self->signal_.cancel();
      },
      asio::detached);
}

asio::awaitable<void> SessionDriver::wait_read() {
  while (read_pending_ && !read_done_) co_await wait_signal(Clock::time_point::max());
}

asio::awaitable<bool> SessionDriver::write(std::string_view bytes) {
  arm_guard();
  std::error_code ec;
  co_await stream_.write(asio::buffer(bytes), ec);
  disarm_guard();
  if (ec) {
    log::debug(options_.tag, "c{} {}: write failed: {}", context_.id, context_.peer_ip,
               machine_.expired(false) != Expiry::none ? "timed out" : ec.message());
    co_return false;
  }
  machine_.io_progress();
  co_return true;
}

asio::awaitable<bool> SessionDriver::flush() {
  if (out_.empty()) co_return true;
  enter(SessionState::writing);
  bool ok = co_await write(out_);
  out_.clear();
  if (!ok) enter(SessionState::closed);
  co_return ok;
}

asio::awaitable<bool> SessionDriver::write_body(BodySource& source) {
  std::vector<char> chunk(kBodyChunk);
  std::uint64_t total = 0;
  for (;;) {
    std::error_code ec;
    std::size_t n = co_await source.read(std::span<char>(chunk), ec);
    if (ec) {
      log::warn(options_.tag, "c{} {}: response body failed after {} octets: {}", context_.id,
                context_.peer_ip, total, ec.message());
      co_return false;
    }
    if (n == 0) break;
    if (!co_await write(std::string_view(chunk.data(), n))) co_return false;
    total += n;
  }
  if (options_.trace)
    log::write(log::Level::info, options_.tag,
               fmt::format("c{} S: <{} octets streamed>", context_.id, total));
  co_return true;
}

asio::awaitable<bool> SessionDriver::handshake() {
  arm_guard();
  std::error_code ec;
  co_await stream_.start_tls(*tls_, ec);
  disarm_guard();
  if (ec) {
    log::info(options_.tag, "c{} {}: TLS handshake failed: {}", context_.id, context_.peer_ip,
              machine_.expired(false) != Expiry::none ? "timed out" : ec.message());
    co_return false;
  }
  log::debug(options_.tag, "c{} {}: TLS {} {}", context_.id, context_.peer_ip,
             stream_.tls_version(), stream_.tls_cipher());
  co_return true;
}

asio::awaitable<void> SessionDriver::dispatch() {
  enter(SessionState::dispatching);
  for (;;) {
    std::optional<Action> action = co_await adapter_->next();
    machine_.update(adapter_->status());
    if (!action) break;
    if (auto* send = std::get_if<Send>(&*action)) {
      if (options_.trace) trace_output(send->bytes);
      machine_.output_queued();
      if (out_.empty()) {
        out_ = std::move(send->bytes);
      } else {
        out_ += send->bytes;
      }
    } else if (auto* body = std::get_if<SendBody>(&*action)) {
      machine_.output_queued();
      if (!co_await flush()) co_return;
      enter(SessionState::writing);
      if (!co_await write_body(*body->source)) {
        enter(SessionState::closed);
        co_return;
      }
      enter(SessionState::dispatching);
    } else if (std::holds_alternative<Flush>(*action)) {
      if (!out_.empty()) {
        if (!co_await flush()) co_return;
        enter(SessionState::dispatching);
      }
    } else if (std::holds_alternative<UpgradeTls>(*action)) {
      // Without a certificate there is nothing to upgrade to; with a read in flight (an
      // upgrade asked for outside a reply to input) the handshake could not own the socket.
      if (!tls_ || read_pending_) {
        enter(SessionState::closing);
        co_return;
      }
      if (!co_await flush()) co_return;
      enter(SessionState::tls_handshake);
      if (!co_await handshake()) {
        enter(SessionState::closed);
        co_return;
      }
      adapter_->tls_started(tls_state());
      enter(SessionState::dispatching);
    } else if (std::holds_alternative<StartCompress>(*action)) {
      // The OK goes out plain; everything after it, both ways, is compressed. A read in
      // flight would hand over compressed bytes as they are: not allowed (as for TLS).
      if (read_pending_) {
        enter(SessionState::closing);
        co_return;
      }
      if (!co_await flush()) co_return;
      stream_.start_compression();
      enter(SessionState::dispatching);
    } else {  // CloseSession
      // Hand the slot back before the last output, so a client that reconnects as soon as
      // it reads the goodbye finds it free.
      ticket_ = ConnectionLimiter::Ticket();
      if (!co_await flush()) co_return;
      enter(SessionState::closing);
      co_return;
    }
  }
  if (!co_await flush()) co_return;
  enter(machine_.read_state());
}

asio::awaitable<void> SessionDriver::read_step() {
  if (!read_pending_) {
    start_read();
    record_->idle_since.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
  }
  machine_.read_started();
  for (;;) {
    if (read_done_) break;
    if (pending_ & ~unsigned{pending_recheck}) {
      unsigned bits = pending_;
      Notice notice;
      if (bits & pending_shutdown) {
        pending_ &= ~unsigned{pending_shutdown};
        notice = Notice::shutdown;
      } else if (bits & pending_evicted) {
        pending_ &= ~unsigned{pending_evicted};
        // It may have begun a transaction since it was chosen: then it stays.
        if (!machine_.status().evictable) {
          record_->evicting.store(false, std::memory_order_relaxed);
          continue;
        }
        log::info(options_.tag, "c{} {}: closed to make room (stress mode)", context_.id,
                  context_.peer_ip);
        notice = Notice::evicted;
      } else {
        pending_ &= ~unsigned{pending_woken};
        notice = Notice::woken;
      }
      enter(machine_.read_state());  // a shutdown turns reading into draining
      adapter_->notify(notice);
      co_await dispatch();
      co_return;
    }
    pending_ &= ~unsigned{pending_recheck};
    Clock::time_point deadline = machine_.deadline(stressed());
    if (Clock::now() >= deadline) {
      Expiry why = machine_.expired(stressed());
      if (why == Expiry::none) continue;
      stream_.cancel();
      co_await wait_read();
      if (!read_ec_ && read_n_ > 0) break;  // bytes won the race: take them
      read_pending_ = read_done_ = false;
      log::info(options_.tag, "c{} {}: {}", context_.id, context_.peer_ip,
                why == Expiry::timeout
                    ? std::string("timeout")
                    : fmt::format("data rate below {}.min_data_rate", options_.tag));
      adapter_->notify(why == Expiry::timeout ? Notice::timeout : Notice::too_slow);
      co_await dispatch();
      co_return;
    }
    co_await wait_signal(deadline);
  }
  // The read completed.
  read_pending_ = read_done_ = false;
  if (read_ec_) {
    // A TLS client that closes without close_notify (most do after QUIT) is an EOF too.
    if (read_ec_ != asio::error::eof && read_ec_ != asio::ssl::error::stream_truncated)
      log::debug(options_.tag, "c{} {}: read failed: {}", context_.id, context_.peer_ip,
                 read_ec_.message());
    enter(SessionState::closed);
    co_return;
  }
  machine_.received(read_n_);
  const bool big = big_buffer_ != nullptr;
  adapter_->receive(std::string_view(big ? big_buffer_.get() : small_buffer_.data(), read_n_));
  if (!big && read_n_ == small_buffer_.size())
    big_buffer_ = std::make_unique<char[]>(kBigReadBuffer);  // more is likely waiting
  else if (big && read_n_ < kBigReadBuffer)
    big_buffer_.reset();  // drained: back to the small one
  co_await dispatch();
}

asio::awaitable<void> SessionDriver::finish() {
  if (read_pending_) {
    stream_.cancel();
    co_await wait_read();
    read_pending_ = read_done_ = false;
  }
  if (machine_.state() == SessionState::closing) {
    if (stream_.tls_active()) {
      // Say goodbye in TLS too (close_notify), so clients can tell our close from a
      // truncation attack; the peer gets a moment to answer, then the socket closes anyway.
      arm_guard();
      std::error_code ec;
      co_await stream_.shutdown_tls(ec);
      disarm_guard();
    }
    enter(SessionState::closed);
  }
  stream_.close();
  // Free the slot now, not when the last reference goes: a client that reconnects at once
  // (one message per connection) must not meet its own ghost.
  ticket_ = ConnectionLimiter::Ticket();
  record_->evictable.store(false, std::memory_order_relaxed);
  log::debug(options_.tag, "c{} disconnect from {}", context_.id, context_.peer_ip);
}

asio::awaitable<void> SessionDriver::run() {
  auto self = shared_from_this();
  adapter_->attach(Waker(weak_from_this()));
  log::debug(options_.tag, "c{} connect from {}", context_.id, context_.peer_ip);
  if (context_.implicit_tls) {
    // RFC 8314 §3.3: implicit TLS, the handshake comes before the greeting.
    enter(SessionState::tls_handshake);
    if (!tls_ || !co_await handshake()) {
      enter(SessionState::closed);
      co_await finish();
      co_return;
    }
  }
  enter(SessionState::greeting);
  adapter_->start(tls_state());
  co_await dispatch();
  while (waiting(machine_.state())) co_await read_step();
  co_await finish();
}

}  // namespace estafeta::net
