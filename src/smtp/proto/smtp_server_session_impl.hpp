// smtp_server_session_impl: the private state of ServerSession, shared by the files that
// implement it: smtp_server_session.cpp (input, line reader, output, answers common to all),
// smtp_session_commands.cpp (command table, envelope), smtp_session_data.cpp (DATA/BDAT and
// storage) and smtp_session_auth.cpp (AUTH). Not part of the public API; include only there.
// Trust and memory bounds are those of smtp_server_session.hpp.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/proto/auth_sasl.hpp"
#include "base/result.hpp"
#include "net/proto/net_line_reader.hpp"
#include "smtp/proto/smtp_command_parser.hpp"
#include "smtp/proto/smtp_data_reader.hpp"
#include "smtp/proto/smtp_server_session.hpp"

namespace estafeta::smtp {
namespace detail {

enum class State {
  init,             // before start()
  command,          // waiting for a command line
  auth_response,    // AUTH: waiting for the response to a 334 challenge
  data,             // reading DATA content
  bdat_chunk,       // reading a BDAT chunk
  await_sender,     // CheckSender outstanding
  await_recipient,  // CheckRecipient outstanding
  await_auth,       // Authenticate outstanding
  await_store,      // StoreMessage outstanding
  await_tls,        // StartTls outstanding
  closed,
};

std::string_view state_name(State s);
// True in the states where no input is parsed (a request is outstanding, or before start()).
bool is_waiting(State s);
// Escapes a client line for a log: printable ASCII and well-formed UTF-8 kept, the rest as
// \xNN (so a log line can neither be split nor forged); truncated past `max` with "...".
std::string trace_escape(std::string_view s, std::size_t max = 512);
// Process-unique message ids: seconds, a per-process random salt, a counter.
std::string default_new_id();
inline PeerError bad_sequence(std::string text) {
  return PeerError{503, "5.5.1", std::move(text)};
}

}  // namespace detail

struct ServerSession::Impl {
  using State = detail::State;
  using Check = Status (Impl::*)(const CommandLine&);
  using Proceed = void (Impl::*)(const CommandLine&);
  struct Command {
    Verb verb;
    Check check;
    Proceed proceed;
  };

  Impl(SessionInfo i, const Limits& l, SessionHooks h)
      : info(std::move(i)), limits(l), hooks(std::move(h)), lines(l.max_command_line), reader(l) {
    tls_active = info.tls_active;
    tls = TlsInfo{info.tls_version, info.tls_cipher};
    if (!hooks.now) hooks.now = [] { return std::chrono::system_clock::now(); };
    if (!hooks.new_id) hooks.new_id = detail::default_new_id;
  }

  SessionInfo info;
  Limits limits;
  SessionHooks hooks;
  State state = State::init;
  std::deque<Event> events;

  // Input not yet consumed, and how far into it we are.
  std::string in;
  std::size_t in_pos = 0;
  // The command line being assembled: at most max_command_line octets are kept.
  net::LineReader lines;

  // Session state.
  std::string helo;
  bool esmtp = false;
  bool tls_active = false;
  TlsInfo tls;
  std::string auth_user;
  std::size_t errors = 0;
  // Commands that move no mail (EHLO, HELO, NOOP, RSET, HELP, VRFY, EXPN) since the session
  // began or the last accepted message; past max_junk_commands the session is closed.
  std::size_t junk_commands = 0;
  std::size_t auth_failures = 0;
  bool shutdown_requested = false;
  bool pending_overflow = false;  // input behind a request went past its bound

  // Transaction state.
  bool in_transaction = false;
  Envelope envelope;
  MailFrom pending_mail;
  RcptTo pending_rcpt;
  std::unique_ptr<auth::SaslMechanism> sasl;  // the AUTH exchange in progress, between steps

  // Message state.
  DataReader reader;
  bool bdat_active = false;             // a BDAT transfer has begun in this transaction
  std::optional<PeerError> bdat_error;  // a chunk was refused: so are the rest, until LAST
  std::uint64_t chunk_remaining = 0;
  std::uint64_t chunk_size = 0;
  bool chunk_last = false;
  std::optional<PeerError> chunk_refusal;  // this chunk is drained and answered with this
  bool content_out = false;                // MessageChunk events went out for the current message

  // Output, input and the line reader (smtp_server_session.cpp).
  void enter(State next);
  void send(std::string bytes);
  void reply(int code, std::string_view enhanced, std::string_view text);
  void close();
  void close_421(std::string_view enhanced, std::string_view text);
  // A refused command: reply, count 5xx toward max_errors, close past the limit.
  void fail(const PeerError& e, bool count = true);
  void trace(std::string line_text);
  bool auth_offered() const;
  bool starttls_offered() const;
  void reset_transaction();
  void receive(std::string_view bytes);
  // Processes buffered input until it runs out, a request is outstanding, or the session closes.
  void pump();
  bool idle() const;
  // The commands counted toward max_junk_commands (Postfix's smtpd_junk_command_limit).
  static bool is_junk(Verb v);
  // Feeds input to the line reader; true when a complete command line is ready.
  bool read_line();
  void handle_line();
  // The trace form of a command line: escaped, with an AUTH initial response (RFC 4954 §4,
  // it carries credentials) replaced by "<redacted>".
  static std::string trace_text(std::string_view text);
  bool expect(State s, std::string_view what);
  void timeout(std::string_view text);
  void shutdown();

  // Commands: the check/proceed table and the envelope (smtp_session_commands.cpp).
  void dispatch(std::string_view text);
  Status check_none(const CommandLine&);
  Status check_no_argument(const CommandLine& cmd);
  Status check_argument(const CommandLine& cmd);
  Status check_helo_seen();
  Status check_mail(const CommandLine&);
  Status check_rcpt(const CommandLine&);
  Status check_data(const CommandLine& cmd);
  Status check_starttls(const CommandLine& cmd);
  Status check_auth(const CommandLine& cmd);
  void do_ehlo(const CommandLine& cmd);
  void do_mail(const CommandLine& cmd);
  void accept_mail(MailFrom mf);
  void do_rcpt(const CommandLine& cmd);
  void do_rset(const CommandLine&);
  void do_noop(const CommandLine&);
  void do_help(const CommandLine&);
  // RFC 5321 §3.5.3: 252 when we will not verify but will accept mail for the address.
  void do_vrfy(const CommandLine&);
  // RFC 5321 §3.5.2: EXPN may be refused with 502.
  void do_expn(const CommandLine&);
  void do_quit(const CommandLine&);
  void do_starttls(const CommandLine&);
  void recipient_checked(RecipientVerdict verdict);
  void sender_checked(bool allowed);
  void tls_started(TlsInfo info_in);

  // Message content: DATA, BDAT, Received, storage (smtp_session_data.cpp).
  void do_data(const CommandLine&);
  void do_bdat(const CommandLine& cmd);
  // Hands buffered content out as MessageChunk once a chunk's worth has collected.
  void hand_out_content();
  // The current message is dropped: DiscardMessage if any of it was handed out.
  void discard_content();
  void end_of_chunk();
  void end_of_data();
  // The message is complete (DATA end or BDAT LAST): refuse it or hand it over for storage.
  void finish_message();
  void message_stored(bool ok);

  // AUTH: the SASL engine (auth/proto/auth_sasl.hpp) framed per RFC 4954
  // (smtp_session_auth.cpp).
  void do_auth(const CommandLine& cmd);
  // A response line to a 334 challenge (state auth_response, already left).
  void auth_continuation(State was, std::string text);
  // Decodes a response (initial or to a 334) and feeds it to the mechanism.
  void sasl_response(std::string_view text);
  void auth_failed();
  void auth_result(AuthResult result);
  void auth_result(std::optional<std::string> account);
};

}  // namespace estafeta::smtp
