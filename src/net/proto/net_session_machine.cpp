// net_session_machine: see the header. Notes:
//  - The command timeout bounds a whole command, not the gap between its octets: its clock
//    starts at the first read after we last said something (a reply ends a command).
//  - The data timeout is per read (RFC 5321 §4.5.3.2.6: per block); trickling is caught by
//    the minimum data rate, which runs from the first data phase of a transaction to its
//    end, across BDAT chunks and the command lines between them.
#include "net/proto/net_session_machine.hpp"

#include <algorithm>
#include <cassert>

#include "base/log.hpp"

namespace estafeta::net {

std::string_view state_name(SessionState s) {
  switch (s) {
    case SessionState::accepted:
      return "accepted";
    case SessionState::tls_handshake:
      return "tls_handshake";
    case SessionState::greeting:
      return "greeting";
    case SessionState::dispatching:
      return "dispatching";
    case SessionState::writing:
      return "writing";
    case SessionState::reading:
      return "reading";
    case SessionState::draining:
      return "draining";
    case SessionState::closing:
      return "closing";
    case SessionState::closed:
      return "closed";
  }
  return "?";
}

SessionMachine::SessionMachine(SessionTimeouts timeouts, std::string tag, std::uint64_t id, Now now)
    : timeouts_(timeouts),
      tag_(std::move(tag)),
      id_(id),
      now_(now ? std::move(now) : Now([] { return Clock::now(); })),
      rate_(timeouts.min_data_rate, timeouts.data_rate_grace) {
  entered_ = command_start_ = read_start_ = now_();
}

bool SessionMachine::allowed(SessionState from, SessionState to) {
  using S = SessionState;
  switch (from) {
    case S::accepted:
      return to == S::tls_handshake || to == S::greeting;
    case S::tls_handshake:
      return to == S::greeting || to == S::dispatching || to == S::closed;
    case S::greeting:
      return to == S::dispatching;
    case S::dispatching:
      return to == S::writing || to == S::reading || to == S::draining || to == S::tls_handshake ||
             to == S::closing;
    case S::writing:
      return to == S::dispatching || to == S::reading || to == S::draining ||
             to == S::tls_handshake || to == S::closing || to == S::closed;
    case S::reading:
    case S::draining:
      return to == S::dispatching || to == S::draining || to == S::closing || to == S::closed;
    case S::closing:
      return to == S::closed;
    case S::closed:
      return false;
  }
  return false;
}

bool SessionMachine::enter(SessionState to) {
  if (to == state_) return true;
  if (!allowed(state_, to)) {
    assert(!"SessionMachine: transition not in the table");
    log::error(tag_, "c{} refused transition {} -> {}", id_, state_name(state_), state_name(to));
    return false;
  }
  log::debug(tag_, "c{} {} -> {}", id_, state_name(state_), state_name(to));
  state_ = to;
  entered_ = now_();
  return true;
}

SessionState SessionMachine::read_state() const {
  return shutdown_requested_ ? SessionState::draining : SessionState::reading;
}

void SessionMachine::update(const ProtocolStatus& status) {
  status_ = status;
  bool data = status.phase == Phase::data || status.data_started;
  if (data) {
    // The first data of a transaction starts the one grace period it gets.
    if (!rate_.active()) rate_.start(now_());
  } else if (!status.in_transaction && rate_.active()) {
    rate_.stop();
  }
}

void SessionMachine::read_started() {
  Clock::time_point now = now_();
  read_start_ = now;
  if (output_since_read_) {
    command_start_ = now;
    output_since_read_ = false;
  }
}

void SessionMachine::received(std::size_t n) {
  if (rate_.active()) rate_.add(n);
}

void SessionMachine::io_progress() {
  entered_ = now_();
}

SessionMachine::Clock::time_point SessionMachine::read_deadline(bool stressed) const {
  switch (status_.phase) {
    case Phase::data:
      return read_start_ + timeouts_.data;
    case Phase::idle:
      return command_start_ + timeouts_.idle;
    case Phase::command:
      break;
  }
  bool short_timeout = stressed && status_.evictable;
  return command_start_ + (short_timeout ? std::min(timeouts_.stress_command, timeouts_.command)
                                         : timeouts_.command);
}

SessionMachine::Clock::time_point SessionMachine::deadline(bool stressed) const {
  switch (state_) {
    case SessionState::reading:
    case SessionState::draining:
      return std::min(read_deadline(stressed), rate_.deadline());
    case SessionState::writing:
    case SessionState::tls_handshake:
      return entered_ + timeouts_.write;
    case SessionState::closing:
      return entered_ + timeouts_.close;
    default:
      // greeting/dispatching: the protocol and the worker pools, not the peer.
      return Clock::time_point::max();
  }
}

Expiry SessionMachine::expired(bool stressed) const {
  Clock::time_point now = now_();
  switch (state_) {
    case SessionState::reading:
    case SessionState::draining:
      if (now >= read_deadline(stressed)) return Expiry::timeout;
      if (rate_.too_slow(now)) return Expiry::too_slow;
      return Expiry::none;
    default:
      return now >= deadline(stressed) ? Expiry::timeout : Expiry::none;
  }
}

}  // namespace estafeta::net
