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
#include "smtp/proto/smtp_server_session.hpp"

#include <fmt/format.h>

#include <array>
#include <atomic>
#include <deque>
#include <random>

#include "base/base64.hpp"
#include "base/log.hpp"
#include "base/result.hpp"
#include "smtp/proto/smtp_command_parser.hpp"
#include "smtp/proto/smtp_data_reader.hpp"
#include "smtp/proto/smtp_received.hpp"
#include "smtp/proto/smtp_reply.hpp"

namespace estafeta::smtp {
namespace {

enum class State {
  init,                 // before start()
  command,              // waiting for a command line
  auth_plain,           // AUTH PLAIN: waiting for the 334 response
  auth_login_user,      // AUTH LOGIN: waiting for the user name
  auth_login_password,  // AUTH LOGIN: waiting for the password
  data,                 // reading DATA content
  bdat_chunk,           // reading a BDAT chunk
  await_sender,         // CheckSender outstanding
  await_recipient,      // CheckRecipient outstanding
  await_auth,           // Authenticate outstanding
  await_store,          // StoreMessage outstanding
  await_tls,            // StartTls outstanding
  closed,
};

std::string_view state_name(State s) {
  switch (s) {
    case State::init: return "init";
    case State::command: return "command";
    case State::auth_plain: return "auth_plain";
    case State::auth_login_user: return "auth_login_user";
    case State::auth_login_password: return "auth_login_password";
    case State::data: return "data";
    case State::bdat_chunk: return "bdat_chunk";
    case State::await_sender: return "await_sender";
    case State::await_recipient: return "await_recipient";
    case State::await_auth: return "await_auth";
    case State::await_store: return "await_store";
    case State::await_tls: return "await_tls";
    case State::closed: return "closed";
  }
  return "?";
}

bool is_waiting(State s) {
  return s == State::init || s == State::await_sender || s == State::await_recipient ||
         s == State::await_auth || s == State::await_store || s == State::await_tls ||
         s == State::closed;
}

// Escapes a client line for a log: printable ASCII and UTF-8 kept, the rest as \xNN.
std::string trace_escape(std::string_view s, std::size_t max = 512) {
  std::string out;
  for (std::size_t i = 0; i < s.size() && out.size() < max; ++i) {
    auto u = static_cast<unsigned char>(s[i]);
    if ((u >= 32 && u < 127 && u != '\\') || u >= 0x80)
      out += static_cast<char>(u);
    else
      out += fmt::format("\\x{:02x}", u);
  }
  if (out.size() >= max) out += "...";
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

PeerError bad_sequence(std::string text) { return PeerError{503, "5.5.1", std::move(text)}; }

}  // namespace

struct ServerSession::Impl {
  using Check = Status (Impl::*)(const CommandLine&);
  using Proceed = void (Impl::*)(const CommandLine&);
  struct Command {
    Verb verb;
    Check check;
    Proceed proceed;
  };

  Impl(SessionInfo i, const Limits& l, SessionHooks h)
      : info(std::move(i)), limits(l), hooks(std::move(h)), reader(l) {
    tls_active = info.tls_active;
    tls = TlsInfo{info.tls_version, info.tls_cipher};
    if (!hooks.now) hooks.now = [] { return std::chrono::system_clock::now(); };
    if (!hooks.new_id) hooks.new_id = default_new_id;
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
  std::string line;
  std::size_t line_len = 0;  // octets seen in this line, before its LF
  char line_last = '\0';     // the octet before the LF
  bool line_nul = false;

  // Session state.
  std::string helo;
  bool esmtp = false;
  bool tls_active = false;
  TlsInfo tls;
  std::string auth_user;
  std::size_t errors = 0;
  std::size_t auth_failures = 0;
  bool shutdown_requested = false;
  bool pending_overflow = false;  // input behind a request went past its bound

  // Transaction state.
  bool in_transaction = false;
  Envelope envelope;
  MailFrom pending_mail;
  RcptTo pending_rcpt;
  std::string login_user;  // AUTH LOGIN user name between the two steps

  // Message state.
  DataReader reader;
  bool bdat_active = false;               // a BDAT transfer has begun in this transaction
  std::optional<PeerError> bdat_error;    // a chunk was refused: the rest of the transfer is
  std::uint64_t chunk_remaining = 0;
  std::uint64_t chunk_size = 0;
  bool chunk_last = false;
  std::optional<PeerError> chunk_refusal;  // this chunk is drained and answered with this

  // ---- output -----------------------------------------------------------------------------

  void enter(State next) {
    if (next != state)
      log::trace("smtp", "session {}: {} -> {}", info.peer_ip, state_name(state), state_name(next));
    state = next;
  }

  void send(std::string bytes) { events.emplace_back(SendReply{std::move(bytes)}); }
  void reply(int code, std::string_view enhanced, std::string_view text) {
    send(format_reply(code, enhanced, text));
  }
  void close() {
    events.emplace_back(Close{});
    enter(State::closed);
    in.clear();
    in_pos = 0;
  }
  void close_421(std::string_view enhanced, std::string_view text) {
    reply(421, enhanced, fmt::format("{} {}", info.server_hostname, text));
    close();
  }
  // A refused command: reply, count 5xx toward max_errors, close past the limit.
  void fail(const PeerError& e, bool count = true) {
    send(format_reply(e));
    if (count && e.code >= 500 && ++errors >= limits.max_errors && state != State::closed)
      close_421("4.7.0", "Error: too many errors");
  }
  void trace(std::string line_text) { events.emplace_back(TraceLine{std::move(line_text)}); }

  bool auth_offered() const {
    return tls_active || (info.peer_is_loopback && info.allow_plain_auth_on_loopback);
  }
  bool starttls_offered() const { return info.starttls_available && !tls_active; }

  void reset_transaction() {
    in_transaction = false;
    envelope = Envelope{};
    bdat_active = false;
    bdat_error.reset();
    reader.reset(DataReader::Mode::dot_stuffed);
  }

  // ---- input ------------------------------------------------------------------------------

  void receive(std::string_view bytes) {
    if (state == State::closed) return;
    // RFC 3207 §5: nothing sent in the clear after STARTTLS may be acted upon.
    if (state == State::await_tls) return;
    if (is_waiting(state)) {
      // Pipelined input behind an outstanding request: bounded (see the header).
      std::size_t cap = limits.max_command_line + limits.max_line_length + 65536;
      if (in.size() + bytes.size() > cap) {
        in.append(bytes.substr(0, cap > in.size() ? cap - in.size() : 0));
        pending_overflow = true;
        return;
      }
    }
    in.append(bytes);
    pump();
  }

  // Processes buffered input until it runs out, a request is outstanding, or the session closes.
  void pump() {
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
        if (!reader.complete()) break;
        end_of_data();
        continue;
      }
      if (state == State::bdat_chunk) {
        std::string_view avail = std::string_view(in).substr(in_pos);
        std::size_t take = static_cast<std::size_t>(
            std::min<std::uint64_t>(chunk_remaining, avail.size()));
        if (!chunk_refusal && !bdat_error) reader.feed(avail.substr(0, take));
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
    } else if (in_pos > 0) {
      in.erase(0, in_pos);
      in_pos = 0;
    }
  }

  bool idle() const {
    return state == State::command || state == State::auth_plain ||
           state == State::auth_login_user || state == State::auth_login_password;
  }

  // Moves octets of the current line from in into line (keeping a bounded prefix); true when
  // its LF has been consumed.
  bool read_line() {
    std::string_view avail = std::string_view(in).substr(in_pos);
    std::size_t lf = avail.find('\n');
    std::string_view part = avail.substr(0, lf);
    if (!part.empty()) {
      if (line.size() < limits.max_command_line)
        line.append(part.substr(0, limits.max_command_line - line.size()));
      if (part.find('\0') != std::string_view::npos) line_nul = true;
      line_len += part.size();
      line_last = part.back();
    }
    if (lf == std::string_view::npos) {
      in_pos += avail.size();
      return false;
    }
    in_pos += lf + 1;
    return true;
  }

  void handle_line() {
    std::string text = std::move(line);
    std::size_t total = line_len + 1;
    bool bare_lf = line_len == 0 || line_last != '\r';
    bool nul = line_nul;
    line.clear();
    line_len = 0;
    line_last = '\0';
    line_nul = false;
    if (!bare_lf && text.size() == total - 1) text.pop_back();  // the CR
    State was = state;
    bool in_auth = state != State::command;
    if (in_auth) enter(State::command);
    bool too_long = total > limits.max_command_line;
    if (too_long || bare_lf || nul) {
      if (in_auth) login_user.clear();
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
    dispatch(text);
  }

  // ---- commands ---------------------------------------------------------------------------

  void dispatch(std::string_view text) {
    // OpenSMTPD-style table: a check (sequence and argument presence) and a proceed.
    static constexpr std::array<Command, 14> kCommands{{
        {Verb::ehlo, &Impl::check_none, &Impl::do_ehlo},
        {Verb::helo, &Impl::check_none, &Impl::do_ehlo},
        {Verb::mail, &Impl::check_mail, &Impl::do_mail},
        {Verb::rcpt, &Impl::check_rcpt, &Impl::do_rcpt},
        {Verb::data, &Impl::check_data, &Impl::do_data},
        {Verb::bdat, &Impl::check_none, &Impl::do_bdat},
        {Verb::rset, &Impl::check_no_argument, &Impl::do_rset},
        {Verb::noop, &Impl::check_none, &Impl::do_noop},
        {Verb::help, &Impl::check_none, &Impl::do_help},
        {Verb::vrfy, &Impl::check_argument, &Impl::do_vrfy},
        {Verb::expn, &Impl::check_argument, &Impl::do_expn},
        {Verb::quit, &Impl::check_none, &Impl::do_quit},
        {Verb::starttls, &Impl::check_starttls, &Impl::do_starttls},
        {Verb::auth, &Impl::check_auth, &Impl::do_auth},
    }};
    CommandLine cmd = split_command(text);
    for (const auto& c : kCommands) {
      if (c.verb != cmd.verb) continue;
      Status ok = (this->*c.check)(cmd);
      if (!ok) {
        fail(ok.error());
        return;
      }
      (this->*c.proceed)(cmd);
      return;
    }
    fail({500, "5.5.2", "Error: command not recognized"});
  }

  // The trace form of a command line: escaped, with an AUTH initial response (RFC 4954 §4,
  // it carries credentials) replaced by "<redacted>".
  static std::string trace_text(std::string_view text) {
    CommandLine cmd = split_command(text);
    if (cmd.verb == Verb::auth && cmd.argument.find(' ') != std::string_view::npos) {
      std::string_view mech = cmd.argument.substr(0, cmd.argument.find(' '));
      return fmt::format("{} {} <redacted>", trace_escape(cmd.verb_text, 32), trace_escape(mech, 32));
    }
    return trace_escape(text);
  }

  Status check_none(const CommandLine&) { return Ok{}; }

  Status check_no_argument(const CommandLine& cmd) {
    if (cmd.has_argument) return PeerError{501, "5.5.4", fmt::format("Syntax: {}", verb_name(cmd.verb))};
    return Ok{};
  }

  Status check_argument(const CommandLine& cmd) {
    if (!cmd.has_argument)
      return PeerError{501, "5.5.4", fmt::format("Syntax: {} address", verb_name(cmd.verb))};
    return Ok{};
  }

  Status check_helo_seen() {
    if (helo.empty()) return bad_sequence("Error: send EHLO or HELO first");
    return Ok{};
  }

  Status check_mail(const CommandLine&) {
    if (auto s = check_helo_seen(); !s) return s;
    if (in_transaction) return bad_sequence("Error: nested MAIL command");
    // RFC 6409 §4.3 / RFC 4954 §6: the submission port takes mail only from authenticated
    // users.
    if (info.mode != ListenerMode::mx && auth_user.empty())
      return PeerError{530, "5.7.0", "Authentication required"};
    return Ok{};
  }

  Status check_rcpt(const CommandLine&) {
    if (!in_transaction) return bad_sequence("Error: need MAIL command");
    if (bdat_active) return bad_sequence("Error: RCPT not allowed during BDAT transfer");
    // RFC 5321 §4.5.3.1.8: 452 for too many recipients; the client sends the rest later.
    if (envelope.recipients.size() >= limits.max_recipients)
      return PeerError{452, "4.5.3", "Error: too many recipients"};
    return Ok{};
  }

  Status check_data(const CommandLine& cmd) {
    if (auto s = check_no_argument(cmd); !s) return s;
    if (!in_transaction) return bad_sequence("Error: need MAIL command");
    // RFC 3030 §2: DATA may not be mixed with BDAT in one transaction.
    if (bdat_active) return bad_sequence("Error: DATA not allowed during BDAT transfer");
    if (envelope.recipients.empty()) return PeerError{554, "5.5.1", "Error: no valid recipients"};
    return Ok{};
  }

  Status check_starttls(const CommandLine& cmd) {
    if (auto s = check_no_argument(cmd); !s) return s;
    if (tls_active) return bad_sequence("Error: TLS already active");
    if (!info.starttls_available) return PeerError{502, "5.5.1", "Error: STARTTLS not available"};
    return Ok{};
  }

  Status check_auth(const CommandLine& cmd) {
    if (!esmtp) return bad_sequence("Error: send EHLO first");
    if (!auth_user.empty()) return bad_sequence("Error: already authenticated");  // RFC 4954 §4
    if (in_transaction) return bad_sequence("Error: MAIL transaction in progress");
    if (!cmd.has_argument) return PeerError{501, "5.5.4", "Syntax: AUTH mechanism"};
    // RFC 4954 §6: 538 when the mechanism needs an encrypted channel first.
    if (!auth_offered())
      return PeerError{538, "5.7.11", "Encryption required for requested authentication mechanism"};
    return Ok{};
  }

  void do_ehlo(const CommandLine& cmd) {
    bool is_ehlo = cmd.verb == Verb::ehlo;
    auto name = parse_helo(cmd.argument, is_ehlo);
    if (!name) {
      fail(name.error());
      return;
    }
    // RFC 5321 §4.1.4: EHLO/HELO resets any transaction, like RSET.
    reset_transaction();
    helo = std::move(name.value());
    esmtp = is_ehlo;
    if (!is_ehlo) {
      send(fmt::format("250 {}\r\n", info.server_hostname));
      return;
    }
    Reply r{250, "", {info.server_hostname}};
    r.lines.push_back("PIPELINING");                                      // RFC 2920
    r.lines.push_back(fmt::format("SIZE {}", limits.max_message_size));   // RFC 1870
    r.lines.push_back("8BITMIME");                                        // RFC 6152
    r.lines.push_back("SMTPUTF8");                                        // RFC 6531
    r.lines.push_back("ENHANCEDSTATUSCODES");                             // RFC 2034
    if (starttls_offered()) r.lines.push_back("STARTTLS");                // RFC 3207
    if (auth_offered()) r.lines.push_back("AUTH PLAIN LOGIN");            // RFC 4954
    r.lines.push_back("CHUNKING");                                        // RFC 3030
    r.lines.push_back("DSN");                                             // RFC 3461
    r.lines.push_back("HELP");
    send(r.format());
  }

  void do_mail(const CommandLine& cmd) {
    auto mf = parse_mail_from(cmd.argument);
    if (!mf) {
      fail(mf.error());
      return;
    }
    // RFC 1870 §6.1: a declared size over the limit is refused before any data.
    if (mf->params.size && *mf->params.size > limits.max_message_size) {
      fail({552, "5.3.4",
            fmt::format("Message size exceeds fixed limit of {} octets", limits.max_message_size)});
      return;
    }
    // RFC 4954 §5: AUTH= from an untrusted client is treated as <>; we record nothing.
    if (!auth_user.empty()) {
      pending_mail = std::move(mf.value());
      events.emplace_back(CheckSender{auth_user, pending_mail.from.address});
      enter(State::await_sender);
      return;
    }
    accept_mail(std::move(mf.value()));
  }

  void accept_mail(MailFrom mf) {
    in_transaction = true;
    envelope = Envelope{};
    envelope.mail_from = std::move(mf.from.address);
    envelope.helo = helo;
    envelope.ret = std::move(mf.params.ret);
    envelope.envid = std::move(mf.params.envid);
    envelope.body = std::move(mf.params.body);
    envelope.smtputf8 = mf.params.smtputf8;
    envelope.auth_user = auth_user;
    envelope.id = hooks.new_id();
    reply(250, "2.1.0", "Ok");
  }

  void do_rcpt(const CommandLine& cmd) {
    auto rt = parse_rcpt_to(cmd.argument, envelope.smtputf8, info.server_hostname);
    if (!rt) {
      fail(rt.error());
      return;
    }
    pending_rcpt = std::move(rt.value());
    events.emplace_back(CheckRecipient{pending_rcpt.to.address});
    enter(State::await_recipient);
  }

  void do_data(const CommandLine&) {
    reply(354, "", "End data with <CR><LF>.<CR><LF>");
    reader.reset(DataReader::Mode::dot_stuffed);
    enter(State::data);
  }

  void do_bdat(const CommandLine& cmd) {
    std::optional<std::uint64_t> size;
    auto args = parse_bdat(cmd.argument, size);
    if (!size) {
      // The chunk size is unknown, so its octets cannot be told from commands: stop here
      // rather than read message text as commands.
      send(format_reply(args.error()));
      close();
      return;
    }
    chunk_size = chunk_remaining = *size;
    chunk_last = args.ok() && args->last;
    chunk_refusal.reset();
    if (!args.ok()) {
      chunk_refusal = args.error();
    } else if (auto s = check_helo_seen(); !s) {
      chunk_refusal = s.error();
    } else if (!in_transaction) {
      chunk_refusal = bad_sequence("Error: need MAIL command");
    } else if (envelope.recipients.empty()) {
      chunk_refusal = PeerError{554, "5.5.1", "Error: no valid recipients"};
    } else if (!bdat_active) {
      bdat_active = true;
      reader.reset(DataReader::Mode::chunked);
    }
    enter(State::bdat_chunk);
  }

  void end_of_chunk() {
    enter(State::command);
    trace(fmt::format("<BDAT chunk: {} octets>", chunk_size));
    if (chunk_refusal) {
      fail(*chunk_refusal);
      return;
    }
    if (bdat_error) {  // an earlier chunk failed: the same answer until LAST or RSET
      fail(*bdat_error, false);
      if (chunk_last) reset_transaction();
      return;
    }
    if (reader.too_big()) {
      bdat_error = reader.error();
      fail(*bdat_error);
      if (chunk_last) reset_transaction();
      return;
    }
    if (!chunk_last) {
      reply(250, "2.0.0", fmt::format("Ok: {} octets received", chunk_size));
      return;
    }
    reader.finish();
    finish_message();
  }

  void end_of_data() {
    enter(State::command);
    trace(fmt::format("<message data: {} octets>", reader.size()));
    finish_message();
  }

  // The message is complete (DATA end or BDAT LAST): refuse it or hand it over for storage.
  void finish_message() {
    if (auto err = reader.error()) {
      fail(*err);
      reset_transaction();
      return;
    }
    ReceivedFields rf;
    rf.helo = helo;
    rf.peer_ip = info.peer_ip;
    rf.server_hostname = info.server_hostname;
    rf.esmtp = esmtp;
    rf.tls = tls_active;
    rf.tls_version = tls.version;
    rf.tls_cipher = tls.cipher;
    rf.auth_user = auth_user;
    rf.smtputf8 = envelope.smtputf8;
    rf.id = envelope.id;
    if (envelope.recipients.size() == 1) rf.single_recipient = envelope.recipients[0].address;
    rf.when = hooks.now();
    std::string body = reader.take_message();
    std::string message = format_received(rf);
    message.reserve(message.size() + body.size());
    message += body;
    body.clear();
    body.shrink_to_fit();
    events.emplace_back(StoreMessage{envelope, std::move(message)});
    enter(State::await_store);
  }

  void do_rset(const CommandLine&) {
    reset_transaction();
    reply(250, "2.0.0", "Ok");
  }

  void do_noop(const CommandLine&) { reply(250, "2.0.0", "Ok"); }

  void do_help(const CommandLine&) {
    reply(214, "2.0.0",
          "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT HELP VRFY STARTTLS AUTH");
  }

  // RFC 5321 §3.5.3: 252 when we will not verify but will accept mail for the address.
  void do_vrfy(const CommandLine&) {
    reply(252, "2.5.2", "Cannot VRFY user, but will accept message and attempt delivery");
  }

  // RFC 5321 §3.5.2: EXPN may be refused with 502.
  void do_expn(const CommandLine&) { fail({502, "5.5.1", "Error: EXPN not available"}); }

  void do_quit(const CommandLine&) {
    reply(221, "2.0.0", "Bye");
    close();
  }

  void do_starttls(const CommandLine&) {
    reply(220, "2.0.0", "Ready to start TLS");
    events.emplace_back(StartTls{});
    enter(State::await_tls);
    // RFC 3207 §5: discard whatever the client pipelined after STARTTLS.
    in_pos = in.size();
  }

  // ---- AUTH (RFC 4954, SASL PLAIN RFC 4616, LOGIN) ----------------------------------------

  void do_auth(const CommandLine& cmd) {
    auto args = parse_auth(cmd.argument);
    if (!args) {
      fail(args.error());
      return;
    }
    if (args->mechanism == "PLAIN") {
      if (args->initial_response) {
        plain_response(*args->initial_response);
      } else {
        send("334 \r\n");
        enter(State::auth_plain);
      }
    } else if (args->mechanism == "LOGIN") {
      if (args->initial_response) {
        login_step(*args->initial_response, true);
      } else {
        send("334 VXNlcm5hbWU6\r\n");  // "Username:"
        enter(State::auth_login_user);
      }
    } else {
      fail({504, "5.5.4", "Unrecognized authentication type"});
    }
  }

  void auth_continuation(State was, std::string text) {
    trace(text == "*" ? "*" : "<redacted>");
    if (text == "*") {  // RFC 4954 §4: the client cancels the exchange
      fail({501, "5.0.0", "Authentication cancelled"});
      return;
    }
    if (was == State::auth_plain) {
      plain_response(text);
    } else {
      login_step(text, was == State::auth_login_user);
    }
  }

  // Decodes a SASL response; "=" is the empty response (RFC 4954 §4).
  bool decode_response(std::string_view text, std::string& out) {
    out.clear();
    if (text == "=") return true;
    if (text.empty() || !base64::decode_strict(text, out)) {
      fail({501, "5.5.2", "Cannot decode response"});
      return false;
    }
    return true;
  }

  void plain_response(std::string_view text) {
    std::string decoded;
    if (!decode_response(text, decoded)) return;
    // RFC 4616 §2: [authzid] NUL authcid NUL passwd
    std::size_t a = decoded.find('\0');
    std::size_t b = a == std::string::npos ? a : decoded.find('\0', a + 1);
    if (b == std::string::npos || decoded.find('\0', b + 1) != std::string::npos) {
      fail({501, "5.5.2", "Invalid PLAIN response"});
      return;
    }
    std::string authzid = decoded.substr(0, a);
    std::string authcid = decoded.substr(a + 1, b - a - 1);
    std::string password = decoded.substr(b + 1);
    std::fill(decoded.begin(), decoded.end(), '\0');
    // Acting for another identity is not supported: authzid empty or the login itself.
    if (authcid.empty() || password.empty() || (!authzid.empty() && authzid != authcid)) {
      auth_failed();
      return;
    }
    events.emplace_back(Authenticate{std::move(authcid), std::move(password)});
    enter(State::await_auth);
  }

  void login_step(std::string_view text, bool is_user) {
    std::string decoded;
    if (!decode_response(text, decoded)) return;
    if (is_user) {
      login_user = std::move(decoded);
      send("334 UGFzc3dvcmQ6\r\n");  // "Password:"
      enter(State::auth_login_password);
      return;
    }
    if (login_user.empty() || decoded.empty()) {
      login_user.clear();
      auth_failed();
      return;
    }
    events.emplace_back(Authenticate{std::move(login_user), std::move(decoded)});
    login_user.clear();
    enter(State::await_auth);
  }

  void auth_failed() {
    enter(State::command);
    ++auth_failures;
    fail({535, "5.7.8", "Authentication credentials invalid"});
    if (state != State::closed && auth_failures >= limits.max_auth_failures)
      close_421("4.7.0", "Error: too many authentication failures");
  }

  // ---- answers from the driver --------------------------------------------------------------

  bool expect(State s, std::string_view what) {
    if (state == s) return true;
    log::debug("smtp", "session {}: ignoring {} in state {}", info.peer_ip, what, state_name(state));
    return false;
  }

  void recipient_checked(RecipientVerdict verdict) {
    if (!expect(State::await_recipient, "recipient_checked")) return;
    enter(State::command);
    const std::string& addr = pending_rcpt.to.wire;
    switch (verdict) {
      case RecipientVerdict::local:
        envelope.recipients.push_back(Recipient{
            pending_rcpt.to.address, DsnRcpt{pending_rcpt.params.notify, pending_rcpt.params.orcpt}});
        reply(250, "2.1.5", "Ok");
        break;
      case RecipientVerdict::unknown_user:
        fail({550, "5.1.1", fmt::format("<{}>: Recipient address rejected: User unknown", addr)});
        break;
      case RecipientVerdict::not_local_domain:
        if (!auth_user.empty())
          fail({550, "5.7.1", fmt::format("<{}>: remote delivery not available: Estafeta has no "
                                          "outbound queue yet", addr)});
        else
          fail({554, "5.7.1", fmt::format("<{}>: Relay access denied", addr)});
        break;
      case RecipientVerdict::temporary_failure:
        reply(451, "4.3.0", fmt::format("<{}>: Temporary lookup failure, try again later", addr));
        break;
    }
    pending_rcpt = RcptTo{};
    pump();
  }

  void sender_checked(bool allowed) {
    if (!expect(State::await_sender, "sender_checked")) return;
    enter(State::command);
    if (allowed) {
      accept_mail(std::move(pending_mail));
    } else {
      fail({553, "5.7.1", fmt::format("<{}>: Sender address rejected: not owned by user {}",
                                      pending_mail.from.wire, auth_user)});
    }
    pending_mail = MailFrom{};
    pump();
  }

  void auth_result(std::optional<std::string> account) {
    if (!expect(State::await_auth, "auth_result")) return;
    enter(State::command);
    if (account && !account->empty()) {
      auth_user = std::move(*account);
      reply(235, "2.7.0", "Authentication successful");
    } else {
      auth_failed();
    }
    pump();
  }

  void message_stored(bool ok) {
    if (!expect(State::await_store, "message_stored")) return;
    enter(State::command);
    if (ok)
      reply(250, "2.0.0", fmt::format("Ok: queued as {}", envelope.id));
    else
      reply(451, "4.3.0", "Error: could not store the message, try again later");
    reset_transaction();
    pump();
  }

  void tls_started(TlsInfo info_in) {
    if (!expect(State::await_tls, "tls_started")) return;
    // RFC 3207 §4.2: forget everything learnt before TLS; the client must EHLO again.
    tls_active = true;
    tls = std::move(info_in);
    helo.clear();
    esmtp = false;
    auth_user.clear();
    reset_transaction();
    in.clear();
    in_pos = 0;
    line.clear();
    line_len = 0;
    line_nul = false;
    enter(State::command);
    pump();
  }

  void timeout(std::string_view text) {
    if (state == State::closed) return;
    close_421("4.4.2", text);
  }

  void shutdown() {
    if (state == State::closed) return;
    shutdown_requested = true;
    if (idle()) close_421("4.3.2", "Service shutting down, closing connection");
  }
};

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

void ServerSession::receive(std::string_view bytes) { impl_->receive(bytes); }

std::optional<Event> ServerSession::next_event() {
  if (impl_->events.empty()) return std::nullopt;
  Event e = std::move(impl_->events.front());
  impl_->events.pop_front();
  return e;
}

void ServerSession::recipient_checked(RecipientVerdict verdict) { impl_->recipient_checked(verdict); }
void ServerSession::sender_checked(bool allowed) { impl_->sender_checked(allowed); }
void ServerSession::auth_result(std::optional<std::string> account) {
  impl_->auth_result(std::move(account));
}
void ServerSession::message_stored(bool ok) { impl_->message_stored(ok); }
void ServerSession::tls_started(TlsInfo info) { impl_->tls_started(std::move(info)); }
void ServerSession::timeout() { impl_->timeout("Error: timeout exceeded"); }
void ServerSession::too_slow() { impl_->timeout("Error: data rate too low"); }
void ServerSession::shutdown() { impl_->shutdown(); }

Phase ServerSession::phase() const {
  return impl_->state == State::data || impl_->state == State::bdat_chunk ? Phase::data
                                                                          : Phase::command;
}

bool ServerSession::closed() const { return impl_->state == State::closed; }

}  // namespace estafeta::smtp
