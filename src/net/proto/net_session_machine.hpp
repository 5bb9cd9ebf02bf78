// net_session_machine: the states of one client connection, shared by every protocol's
// driver (net_session_driver), as one explicit enum with its allowed transitions, and the
// timeout rules that go with them: which deadline applies in which state and protocol phase,
// what an expired deadline means, the minimum data rate (one grace period per transaction:
// RFC 3030 BDAT chunks do not restart it), the shorter command timeout of stress mode, and
// the order of a graceful drain. Sans-I/O: no sockets, no timers; time comes from an
// injected clock, so the rules are unit-tested with a fake one.
// Trust: the inputs are the driver's own observations (byte counts, the protocol's phase), not
// peer bytes. Memory: constant. Never throws; a transition the table forbids is a bug (assert)
// and is refused.
//
// States (enter() logs every change "from -> to" at debug level):
//   accepted      -> tls_handshake (implicit TLS) | greeting
//   tls_handshake -> greeting (implicit TLS done) | dispatching (STARTTLS done) | closed
//   greeting      -> dispatching
//   dispatching   -> writing | reading | draining | tls_handshake | closing
//   writing       -> dispatching | reading | draining | tls_handshake | closing | closed
//   reading       -> dispatching (bytes, a wake-up, a timeout) | draining | closing | closed
//   draining      -> dispatching | closing | closed
//   closing       -> closed
// "draining" is reading once a shutdown was asked for: the protocol has been told and reads
// go on only so that a transfer in progress can finish (it then says goodbye itself).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "net/proto/net_rate_checker.hpp"

namespace estafeta::net {

enum class SessionState {
  accepted,       // the socket is open, nothing said yet
  tls_handshake,  // implicit TLS before the greeting, or after STARTTLS
  greeting,       // the protocol queues its greeting
  dispatching,    // the protocol works on input or a notice (requests on worker pools)
  writing,        // queued output or a streamed body is being written
  reading,        // waiting for the peer (or a wake-up)
  draining,       // reading after a shutdown request, to let a transfer finish
  closing,        // saying goodbye (TLS close_notify), bounded
  closed,         // the socket is closed; nothing follows
};

std::string_view state_name(SessionState s);

// What the protocol is waiting for, which selects the read timeout.
enum class Phase {
  command,  // a command (SMTP, POP3, IMAP between commands): the command timeout
  data,     // message data (DATA/BDAT, an IMAP APPEND literal): data timeout + minimum rate
  idle,     // nothing in particular (IMAP IDLE): the idle timeout
};

// What the protocol tells the driver after each step (SessionAdapter::status()).
struct ProtocolStatus {
  Phase phase = Phase::command;
  bool in_transaction = false;  // SMTP: between MAIL and the end of the message
  // Unauthenticated and not in a transaction (SMTP: before MAIL): under stress such a
  // session gets the short command timeout and may be closed to make room.
  bool evictable = false;
  // Data of this transaction has begun (SMTP: DATA, or a first BDAT chunk, even one read
  // whole between two steps, so phase never showed data): the minimum data rate runs from
  // the first step that reports it (or Phase::data) to the end of the transaction.
  bool data_started = false;
};

struct SessionTimeouts {
  std::chrono::seconds command{300};        // a whole command, counted from our last output
  std::chrono::seconds data{180};           // each read in the data phase
  std::chrono::seconds idle{1800};          // Phase::idle
  std::chrono::seconds stress_command{10};  // command timeout of evictable sessions in stress
  std::chrono::seconds write{300};          // one write or a TLS handshake
  std::chrono::seconds close{2};            // TLS close_notify exchange
  std::size_t min_data_rate = 1024;         // octets/s once the grace is over; 0 = off
  std::chrono::seconds data_rate_grace{30};
};

// Why a deadline passed.
enum class Expiry { none, timeout, too_slow };

class SessionMachine {
 public:
  using Clock = std::chrono::steady_clock;
  using Now = std::function<Clock::time_point()>;

  // `tag` and `id` name the session in the log ("smtp", 17 -> "c17").
  SessionMachine(SessionTimeouts timeouts, std::string tag, std::uint64_t id, Now now = {});

  SessionState state() const { return state_; }
  // The transition table above.
  static bool allowed(SessionState from, SessionState to);
  // Moves to `to`, logging "cN from -> to"; false (and no change) when the table forbids it.
  bool enter(SessionState to);

  // The state to read in: reading, or draining once shutdown was requested.
  SessionState read_state() const;
  // A shutdown was asked for (idempotent).
  void request_shutdown() { shutdown_requested_ = true; }
  bool shutdown_requested() const { return shutdown_requested_; }

  // The protocol produced output: the next command's clock starts at the next read.
  void output_queued() { output_since_read_ = true; }
  // The protocol's status after a step: starts the data-rate measurement on the first data
  // phase of a transaction and ends it with the transaction (not at each phase change).
  void update(const ProtocolStatus& status);
  const ProtocolStatus& status() const { return status_; }
  // A read begins (or resumes after a wake-up): sets the clocks the read deadlines count from.
  void read_started();
  // Octets read from the peer.
  void received(std::size_t n);
  // A write or handshake made progress (a chunk of a streamed body went out): its bound
  // counts again from now, so a long body to a live client is not cut.
  void io_progress();

  // When the current state's deadline passes (max(): none). `stressed`: the server is in
  // stress mode, so an evictable session in the command phase gets stress_command.
  Clock::time_point deadline(bool stressed) const;
  // What has passed by now, if anything.
  Expiry expired(bool stressed) const;
  bool rate_active() const { return rate_.active(); }

  const std::string& tag() const { return tag_; }
  std::uint64_t id() const { return id_; }

 private:
  Clock::time_point read_deadline(bool stressed) const;

  SessionTimeouts timeouts_;
  std::string tag_;
  std::uint64_t id_;
  Now now_;
  SessionState state_ = SessionState::accepted;
  ProtocolStatus status_;
  RateChecker rate_;
  bool shutdown_requested_ = false;  // an outside request, not a state: see read_state()
  bool output_since_read_ = true;    // the greeting counts as output
  Clock::time_point entered_{};      // when state_ was entered (write/handshake/close bound)
  Clock::time_point command_start_{};
  Clock::time_point read_start_{};
};

}  // namespace estafeta::net
