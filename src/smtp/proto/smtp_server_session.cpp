// smtp_server_session: the SMTP server state machine (RFC 5321 §4.1, 3207, 4954, 3030, 1870,
// 3461, 6531); turns client bytes into replies and requests, never touches sockets or files.
// Sees unauthenticated input: every buffer is bounded by smtp::Limits (see the header).
//
// Notes (invariants):
// - One state at a time, changed only by enter(), which logs "from -> to" at trace level.
// - While a request is outstanding (await_* states) nothing is parsed: input waits in in_ and
//   no event is produced until the driver answers.
// - Every command line produces exactly one reply (possibly multiline), except STARTTLS's 220
//   which is followed by StartTls, and refused commands that exhaust max_errors, which are
//   followed by 421 and Close. BDAT chunks are always consumed exactly, refused or not.
// - After Close nothing more is produced and all input is ignored.
// - Each 5xx reply counts toward max_errors; 4xx replies do not (they are our own limits or
//   environment faults, e.g. 452 4.5.3 for the 101st recipient).
// - The file layout: this file holds input, the line reader and output; the command table and
//   envelope are in smtp_session_commands.cpp, DATA/BDAT in smtp_session_data.cpp, AUTH in
//   smtp_session_auth.cpp; their shared state is smtp_server_session_impl.hpp.
#include "smtp/proto/smtp_server_session.hpp"

#include <fmt/format.h>

#include <atomic>
#include <random>

#include "base/log.hpp"
#include "smtp/proto/smtp_reply.hpp"
#include "smtp/proto/smtp_server_session_impl.hpp"
#include "smtp/proto/smtp_utf8.hpp"

namespace estafeta::smtp {
namespace detail {

std::string_view state_name(State s) {
  switch (s) {
    case State::init:
      return "init";
    case State::command:
      return "command";
    case State::auth_response:
      return "auth_response";
    case State::data:
      return "data";
    case State::bdat_chunk:
      return "bdat_chunk";
    case State::await_sender:
      return "await_sender";
    case State::await_recipient:
      return "await_recipient";
    case State::await_auth:
      return "await_auth";
    case State::await_store:
      return "await_store";
    case State::await_tls:
      return "await_tls";
    case State::closed:
      return "closed";
  }
  return "?";
}

bool is_waiting(State s) {
  return s == State::init || s == State::await_sender || s == State::await_recipient ||
         s == State::await_auth || s == State::await_store || s == State::await_tls ||
         s == State::closed;
}

std::string trace_escape(std::string_view s, std::size_t max) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size() && out.size() < max) {
    auto u = static_cast<unsigned char>(s[i]);
    std::size_t n = u >= 0x80 ? utf8_sequence_length(s.substr(i)) : 0;
    if (n > 0) {  // well-formed UTF-8 is kept as is
      out.append(s.substr(i, n));
      i += n;
      continue;
    }
    if (u >= 32 && u < 127 && u != '\\')
      out += static_cast<char>(u);
    else
      out += fmt::format("\\x{:02x}", u);
    ++i;
  }
  if (i < s.size()) out += "...";
  return out;
}

std::string default_new_id() {
  static std::atomic<std::uint32_t> counter{0};
  static const std::uint32_t salt = [] {
    std::random_device rd;
    return static_cast<std::uint32_t>(rd());
  }();
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  return fmt::format("{:X}{:06X}{:04X}", static_cast<std::uint64_t>(secs), salt & 0xFFFFFF,
                     counter.fetch_add(1, std::memory_order_relaxed) & 0xFFFF);
}

}  // namespace detail

using namespace detail;

void ServerSession::Impl::enter(State next) {
  if (next != state)
    log::trace("smtp", "session {}: {} -> {}", info.peer_ip, state_name(state), state_name(next));
  state = next;
}

void ServerSession::Impl::send(std::string bytes) {
  events.emplace_back(SendReply{std::move(bytes)});
}

void ServerSession::Impl::reply(int code, std::string_view enhanced, std::string_view text) {
  send(format_reply(code, enhanced, text));
}

void ServerSession::Impl::close() {
  events.emplace_back(Close{});
  enter(State::closed);
  in.clear();
  in_pos = 0;
}

void ServerSession::Impl::close_421(std::string_view enhanced, std::string_view text) {
  reply(421, enhanced, fmt::format("{} {}", info.server_hostname, text));
  close();
}

// A refused command: reply, count 5xx toward max_errors, close past the limit.
void ServerSession::Impl::fail(const PeerError& e, bool count) {
  send(format_reply(e));
  if (count && e.code >= 500 && ++errors >= limits.max_errors && state != State::closed)
    close_421("4.7.0", "Error: too many errors");
}

void ServerSession::Impl::trace(std::string line_text) {
  events.emplace_back(TraceLine{std::move(line_text)});
}

bool ServerSession::Impl::auth_offered() const {
  if (!info.offer_auth) return false;  // the MX listener without smtp.auth_on_mx
  return tls_active || (info.peer_is_loopback && info.allow_plain_auth_on_loopback);
}

bool ServerSession::Impl::starttls_offered() const {
  return info.starttls_available && !tls_active;
}

void ServerSession::Impl::reset_transaction() {
  discard_content();
  in_transaction = false;
  envelope = Envelope{};
  bdat_active = false;
  bdat_error.reset();
  reader.reset(DataReader::Mode::dot_stuffed);
}

void ServerSession::Impl::receive(std::string_view bytes) {
  if (state == State::closed) return;
  // RFC 3207 §5: nothing sent in the clear after STARTTLS may be acted upon.
  if (state == State::await_tls) return;
  if (is_waiting(state)) {
    // Pipelined input behind an outstanding request: bounded (see the header).
    std::size_t cap = limits.max_command_line + limits.max_line_length + 65536;
    std::size_t pending = in.size() - in_pos;
    if (pending + bytes.size() > cap) {
      pending_overflow = true;  // the excess is dropped; the session ends after the answer
      return;
    }
  }
  in.append(bytes);
  pump();
}

// Processes buffered input until it runs out, a request is outstanding, or the session closes.
void ServerSession::Impl::pump() {
  while (!is_waiting(state)) {
    if (pending_overflow) {
      close_421("4.7.0", "Error: too much pipelined input");
      break;
    }
    if (shutdown_requested && idle()) {
      close_421("4.3.2", "Service shutting down, closing connection");
      break;
    }
    if (state == State::data) {
      std::string_view avail = std::string_view(in).substr(in_pos);
      in_pos += reader.feed(avail);
      hand_out_content();
      if (!reader.complete()) break;
      end_of_data();
      continue;
    }
    if (state == State::bdat_chunk) {
      std::string_view avail = std::string_view(in).substr(in_pos);
      std::size_t take =
          static_cast<std::size_t>(std::min<std::uint64_t>(chunk_remaining, avail.size()));
      if (!chunk_refusal && !bdat_error) {
        reader.feed(avail.substr(0, take));
        hand_out_content();
      }
      in_pos += take;
      chunk_remaining -= take;
      if (chunk_remaining > 0) break;
      end_of_chunk();
      continue;
    }
    if (!read_line()) break;
    handle_line();
  }
  if (state == State::closed || state == State::await_tls) {
    in.clear();
    in_pos = 0;
  } else if (in_pos == in.size()) {
    in.clear();
    in_pos = 0;
  } else if (in_pos > 4096 && in_pos * 2 > in.size()) {
    // Compact lazily: a long pipelined batch answered one request at a time stays linear.
    in.erase(0, in_pos);
    in_pos = 0;
  }
}

bool ServerSession::Impl::is_junk(Verb v) {
  return v == Verb::ehlo || v == Verb::helo || v == Verb::noop || v == Verb::rset ||
         v == Verb::help || v == Verb::vrfy || v == Verb::expn;
}

bool ServerSession::Impl::idle() const {
  return state == State::command || state == State::auth_response;
}

// Feeds input to the line reader; true when a complete command line is ready.
bool ServerSession::Impl::read_line() {
  in_pos += lines.feed(std::string_view(in).substr(in_pos));
  return lines.line_ready();
}

void ServerSession::Impl::handle_line() {
  net::LineReader::Line line = lines.take_line();
  std::string text = std::move(line.text);
  std::uint64_t total = line.length;
  // RFC 5321 §2.3.8: commands end with CRLF; a bare CR inside is left to the parser.
  bool bare_lf = line.bare_lf;
  bool nul = line.nul;
  State was = state;
  bool in_auth = state != State::command;
  if (in_auth) enter(State::command);
  bool too_long = line.overlong;
  if (too_long || bare_lf || nul) {
    if (in_auth) sasl.reset();
    std::string shown = in_auth ? std::string("<redacted>") : trace_text(text);
    if (too_long) {
      trace(fmt::format("<line too long: {} octets> {}", total, shown.substr(0, 64)));
      fail({500, "5.5.2", fmt::format("Line too long (limit {} octets)", limits.max_command_line)});
    } else if (bare_lf) {
      trace(std::move(shown));
      fail({500, "5.5.2", "Bare LF in command; lines must end with CRLF"});
    } else {
      trace(std::move(shown));
      fail({500, "5.5.2", "NUL octet in command"});
    }
    return;
  }
  if (in_auth) {
    auth_continuation(was, std::move(text));
    return;
  }
  trace(trace_text(text));
  if (is_junk(split_command(text).verb) && ++junk_commands > limits.max_junk_commands) {
    // Postfix smtpd_junk_command_limit: a client looping on commands that move no mail
    // would otherwise hold a connection slot for ever.
    close_421("4.7.0", "Too many commands without mail, closing connection");
    return;
  }
  dispatch(text);
}

// The trace form of a command line: escaped, with an AUTH initial response (RFC 4954 §4,
// it carries credentials) replaced by "<redacted>".
std::string ServerSession::Impl::trace_text(std::string_view text) {
  CommandLine cmd = split_command(text);
  if (cmd.verb == Verb::auth && cmd.argument.find(' ') != std::string_view::npos) {
    std::string_view mech = cmd.argument.substr(0, cmd.argument.find(' '));
    return fmt::format("{} {} <redacted>", trace_escape(cmd.verb_text, 32), trace_escape(mech, 32));
  }
  return trace_escape(text);
}

bool ServerSession::Impl::expect(State s, std::string_view what) {
  if (state == s) return true;
  log::debug("smtp", "session {}: ignoring {} in state {}", info.peer_ip, what, state_name(state));
  return false;
}

void ServerSession::Impl::timeout(std::string_view text) {
  if (state == State::closed) return;
  close_421("4.4.2", text);
}

void ServerSession::Impl::shutdown() {
  if (state == State::closed) return;
  shutdown_requested = true;
  if (idle()) close_421("4.3.2", "Service shutting down, closing connection");
}

ServerSession::ServerSession(SessionInfo info, const Limits& limits)
    : ServerSession(std::move(info), limits, SessionHooks{}) {}
ServerSession::ServerSession(SessionInfo info, const Limits& limits, SessionHooks hooks)
    : impl_(std::make_unique<Impl>(std::move(info), limits, std::move(hooks))) {}
ServerSession::~ServerSession() = default;
ServerSession::ServerSession(ServerSession&&) noexcept = default;
ServerSession& ServerSession::operator=(ServerSession&&) noexcept = default;

void ServerSession::start() {
  if (impl_->state != State::init) return;
  impl_->send(fmt::format("220 {} ESMTP Estafeta\r\n", impl_->info.server_hostname));
  impl_->enter(State::command);
  impl_->pump();
}

void ServerSession::receive(std::string_view bytes) {
  impl_->receive(bytes);
}

std::optional<Event> ServerSession::next_event() {
  if (impl_->events.empty()) return std::nullopt;
  Event e = std::move(impl_->events.front());
  impl_->events.pop_front();
  return e;
}

void ServerSession::recipient_checked(RecipientVerdict verdict) {
  impl_->recipient_checked(verdict);
}
void ServerSession::sender_checked(bool allowed) {
  impl_->sender_checked(allowed);
}
void ServerSession::auth_result(std::optional<std::string> account) {
  impl_->auth_result(std::move(account));
}
void ServerSession::message_stored(bool ok) {
  // An accepted message (its 250) starts the junk-command count again.
  if (ok && impl_->state == State::await_store) impl_->junk_commands = 0;
  impl_->message_stored(ok);
}
void ServerSession::tls_started(TlsInfo info) {
  impl_->tls_started(std::move(info));
}
void ServerSession::timeout() {
  impl_->timeout("Error: timeout exceeded");
}
void ServerSession::too_slow() {
  impl_->timeout("Error: data rate too low");
}
void ServerSession::shutdown() {
  impl_->shutdown();
}

Phase ServerSession::phase() const {
  return impl_->state == State::data || impl_->state == State::bdat_chunk ? Phase::data
                                                                          : Phase::command;
}

bool ServerSession::closed() const {
  return impl_->state == State::closed;
}

bool ServerSession::in_transaction() const {
  return impl_->in_transaction;
}

bool ServerSession::data_started() const {
  return impl_->state == State::data || impl_->state == State::bdat_chunk || impl_->bdat_active;
}

bool ServerSession::authenticated() const {
  return !impl_->auth_user.empty();
}

}  // namespace estafeta::smtp
