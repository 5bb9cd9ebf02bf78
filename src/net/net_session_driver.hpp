// net_session_driver: the one connection loop of every server protocol (SMTP now; IMAP and
// POP3 next). It reads bytes, feeds them to the protocol's sans-I/O core through a
// SessionAdapter, carries out the actions the adapter yields (output, a streamed body, the
// STARTTLS upgrade, close) and writes; the adapter carries out its protocol's own requests
// (recipient checks, logins, storage) on worker pools inside next(). The driver knows no
// protocol: it owns the socket, the timeouts (command/data/idle per the phase the adapter
// reports, the minimum data rate with one grace period per transaction, the short timeout of
// stress mode), STARTTLS (RFC 3207) and implicit TLS (RFC 8314), graceful drain, eviction
// under stress, wake-ups from outside the socket (wake(): an IMAP IDLE mailbox change) and
// trace lines. Its states are those of net::SessionMachine, entered through one enter().
// Runs on one single-threaded io_context; wake()/shutdown()/evict()/recheck() may be called
// from any thread (they post). Input: the peer's bytes (untrusted). Memory: a 16 KB read
// buffer, the output queued for one batch (bounded by what the core may queue), and while a
// body streams one 64 KB chunk, whatever the body's size.
#pragma once

#include <array>
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>

#include "net/connection_limiter.hpp"
#include "net/proto/net_session_machine.hpp"
#include "net/stream.hpp"

namespace estafeta::net {

struct TlsState {
  bool active = false;
  std::string version, cipher;
};

// A large response pulled chunk by chunk (a 50 MB IMAP FETCH from its file): the driver
// never holds more than one chunk of it.
class BodySource {
 public:
  virtual ~BodySource() = default;
  // Fills up to buffer.size() octets (the next chunk); returns how many, 0 at the end. A
  // source that must block (a file read) hops to a worker pool itself. On failure sets `ec`:
  // the response cannot be completed, so the driver closes the session.
  virtual asio::awaitable<std::size_t> read(std::span<char> buffer, std::error_code& ec) = 0;
};

// What the adapter asks the driver to do. Send is queued; queued output is written when the
// adapter has nothing more to say for the input at hand (one write per pipelined batch,
// RFC 2920 §3.1) and always before a body, a TLS handshake or the close.
struct Send {
  std::string bytes;
};
struct SendBody {
  std::unique_ptr<BodySource> source;
};
// Write what is queued now, then go on asking for actions: for an effect that must follow
// the peer's receipt of a reply (SMTP: local delivery starts once its 250 is written).
struct Flush {};
// Write what is queued, then the TLS handshake; then SessionAdapter::tls_started().
struct UpgradeTls {};
// Write what is queued (the OK to IMAP COMPRESS), then compress everything after it in both
// directions (RFC 4978).
struct StartCompress {};
// Write what is queued, then close (TLS close_notify first). The connection slot is freed
// before that last write, so a client that reconnects at once finds it free.
struct CloseSession {};
using Action = std::variant<Send, SendBody, Flush, UpgradeTls, StartCompress, CloseSession>;

// Things the driver tells the adapter besides the peer's bytes.
enum class Notice {
  timeout,   // the read deadline passed: say goodbye (SMTP 421 4.4.2) and close
  too_slow,  // the minimum data rate was broken: likewise
  shutdown,  // drain: an idle session says goodbye now (SMTP 421 4.3.2), a transfer finishes
  evicted,   // stress: closed to make room (SMTP 421 4.7.0); only while evictable
  woken,     // wake() was called (an IMAP mailbox changed): send what is new, if anything
};

// Who the session is talking to, for the adapter factory.
struct SessionContext {
  std::uint64_t id = 0;  // "c17" in the log
  std::string peer_ip;   // as the limits see it: IPv4-mapped addresses shown as IPv4
  bool peer_is_loopback = false;
  bool tls_available = false;  // a certificate is loaded (STARTTLS may be offered)
  bool implicit_tls = false;   // the handshake precedes start()
};

class SessionDriver;

// What an adapter keeps to wake its session from any thread (an IMAP mailbox changed): the
// driver then tells it Notice::woken. Does nothing once the session has ended.
class Waker {
 public:
  Waker() = default;
  explicit Waker(std::weak_ptr<SessionDriver> driver) : driver_(std::move(driver)) {}
  void wake() const;

 private:
  std::weak_ptr<SessionDriver> driver_;
};

// The protocol side of a session. Every call comes from the driver, on its executor, one at
// a time; an adapter never touches the socket.
class SessionAdapter {
 public:
  virtual ~SessionAdapter() = default;
  // Once, before start(): the handle to wake this session from elsewhere.
  virtual void attach(Waker waker) { (void)waker; }
  // Once, when the session may begin (after the implicit TLS handshake): queue the greeting.
  virtual void start(const TlsState& tls) = 0;
  // Bytes from the peer, in order, each exactly once (any split).
  virtual void receive(std::string_view bytes) = 0;
  virtual void notify(Notice notice) = 0;
  // The next action, after carrying out the protocol's own requests (co_await on worker
  // pools); nullopt: nothing to do until more input or a notice.
  virtual asio::awaitable<std::optional<Action>> next() = 0;
  // The STARTTLS handshake asked for by UpgradeTls succeeded.
  virtual void tls_started(const TlsState& tls) = 0;
  // Phase, transaction and evictability, read after every step.
  virtual ProtocolStatus status() const = 0;
};

// What the server's registry knows of a session, kept current by its driver (any thread
// may read it; only the driver writes, except `evicting`).
struct SessionRecord {
  std::atomic<bool> evictable{false};       // waiting for input, evictable by its status
  std::atomic<bool> evicting{false};        // the server chose it to make room
  std::atomic<std::int64_t> idle_since{0};  // steady_clock ticks when its wait began
};

struct DriverOptions {
  std::string tag = "net";  // log component: "smtp"
  SessionTimeouts timeouts;
  bool trace = false;  // log every output line as "cN S: ..."
};

class SessionDriver : public std::enable_shared_from_this<SessionDriver> {
 public:
  // `tls` may be null (no STARTTLS; an implicit-TLS session closes at once). `stressed`
  // (may be null) is the server's stress flag; `record` (may be null) its registry entry.
  SessionDriver(asio::ip::tcp::socket socket, std::unique_ptr<SessionAdapter> adapter,
                const DriverOptions& options, std::shared_ptr<asio::ssl::context> tls,
                SessionContext context, ConnectionLimiter::Ticket ticket,
                std::shared_ptr<const std::atomic<bool>> stressed,
                std::shared_ptr<SessionRecord> record);
  ~SessionDriver();
  SessionDriver(const SessionDriver&) = delete;
  SessionDriver& operator=(const SessionDriver&) = delete;

  // The whole session; returns when the socket is closed and no operation is pending.
  asio::awaitable<void> run();

  // Thread-safe notifications (posted to the session's executor). While a read is pending
  // they are handled without cancelling it, so no input is lost or seen twice.
  void wake();      // Notice::woken
  void shutdown();  // drain (idempotent)
  void evict();     // Notice::evicted, if still evictable when it arrives
  void recheck();   // the stress flag changed: recompute the read deadline

  asio::any_io_executor executor();
  SessionState state() const { return machine_.state(); }
  const SessionContext& context() const { return context_; }

 private:
  using Clock = SessionMachine::Clock;
  enum Pending : unsigned {
    pending_woken = 1,
    pending_shutdown = 2,
    pending_evicted = 4,
    pending_recheck = 8
  };

  void enter(SessionState s);
  void post_pending(unsigned bits);
  bool stressed() const;
  TlsState tls_state() const;
  void publish();
  void start_read();
  asio::awaitable<void> wait_read();
  asio::awaitable<void> wait_signal(Clock::time_point until);
  asio::awaitable<void> dispatch();
  asio::awaitable<void> read_step();
  asio::awaitable<bool> flush();
  asio::awaitable<bool> write(std::string_view bytes);
  asio::awaitable<bool> write_body(BodySource& source);
  asio::awaitable<bool> handshake();
  asio::awaitable<void> finish();
  void arm_guard();
  void disarm_guard();
  void trace_output(std::string_view bytes) const;

  Stream stream_;
  std::unique_ptr<SessionAdapter> adapter_;
  DriverOptions options_;
  std::shared_ptr<asio::ssl::context> tls_;
  SessionContext context_;
  ConnectionLimiter::Ticket ticket_;
  std::shared_ptr<const std::atomic<bool>> stressed_;
  std::shared_ptr<SessionRecord> record_;
  SessionMachine machine_;
  asio::steady_timer signal_;  // wakes the read wait: read done, a notice, a deadline
  asio::steady_timer guard_;   // bounds one write, handshake or close_notify
  std::uint64_t guard_generation_ = 0;

  std::string out_;       // output queued for the current batch
  unsigned pending_ = 0;  // Pending bits not yet handled
  // The read in flight (its result waits here until the loop takes it).
  bool read_pending_ = false;
  bool read_done_ = false;
  std::error_code read_ec_;
  std::size_t read_n_ = 0;
  static constexpr std::size_t kBigReadBuffer = 16384;
  std::array<char, 512> small_buffer_;  // reads while no burst is coming
  std::unique_ptr<char[]> big_buffer_;  // during a burst (a read filled the small one)
};

}  // namespace estafeta::net
