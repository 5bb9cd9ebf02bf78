// pop3_session: the POP3 server state machine (RFC 1939, with CAPA and response codes RFC 2449,
// STLS RFC 2595, AUTH RFC 5034, UTF8 RFC 6856, the response codes of RFC 3206), sans-I/O. The
// server hands it one client line at a time (receive_line) and sends what next() returns: text,
// a message to stream from a store::Blob (pop3_message_streamer.hpp does the dot-stuffing),
// "start TLS", "close". It calls the store (store::Account, blocking) and the hooks directly:
// the server runs it on a worker thread, one call at a time per session. It never touches a
// socket or a file. States (RFC 1939 §3): authorization -> transaction -> update (only after
// QUIT) -> closed.
// Trust: every line comes from an unauthenticated peer until login succeeds, then from the
// account's owner. Memory: the maildrop taken at login (about 80 octets per message: UID,
// size, marks, UIDL; at most max_listed_messages of them; the store's whole snapshot only
// while login runs), pending
// output (one command's response: LIST / UIDL of max_listed_messages lines at most; message
// bytes are never copied here, they are streamed from the Blob by MessageStreamer), one SASL
// exchange (auth::kMaxSaslResponse). Command lines are bounded by kMaxCommandLine (AUTH and
// PASS lines by kMaxLine). Never throws.
//
// Notes:
// - The maildrop is the account's INBOX, as it stood at login (RFC 1939 §8: messages that
//   arrive later are seen by the next session). Message numbers are 1..N in ascending UID
//   order; with more than max_listed_messages messages only the oldest max_listed_messages
//   are shown (the real count goes to SessionHooks::log).
// - UIDL (RFC 1939 §7) is the store's email id (store::MessageInfo::email_id, kept in the
//   Maildir file name "E=", so it survives restarts, `estafeta index rebuild`, and a copy of
//   the Maildir files to another server; IMAP's EMAILID, RFC 8474, is the same value, so IMAP
//   and POP3 agree on which message is which). UIDVALIDITY+UID was not chosen: it changes when
//   a mailbox is exported and imported. An email id that is empty, longer than 70 octets or
//   holds octets outside 0x21-0x7E (never made by this store) is replaced by
//   "U<uidvalidity>.<uid>". COPY within INBOX keeps the email id (RFC 8474): when two
//   messages of the snapshot share one, the oldest keeps it and later ones get "<id>.<uid>",
//   so UIDLs in one listing are unique (RFC 1939 §7).
// - Sizes (STAT, LIST, RETR's "+OK n octets") are the exact octets RETR sends between the
//   "+OK" line and the terminating ".", before dot-stuffing (RFC 1939 §11): the message with
//   bare LF as CRLF (the store's RFC822.SIZE, which counts them so; the Maildir store writes
//   CRLF files, so RFC822.SIZE is the file size), plus 2 when the message does not end with a
//   line end (RETR adds a CRLF before the "."), which the store records per message
//   (MessageInfo::ends_with_line_end): every size is known from the login snapshot, and
//   STAT, LIST and UIDL open no message file.
// - A message expunged by another protocol (IMAP) after login: RETR / TOP answer "-ERR
//   Message was removed by another session.", its size stays the one of the snapshot, DELE
//   and QUIT succeed (there is nothing left to remove).
// - NUL octets are sent as 0x80 (same size), by RETR and TOP, as IMAP does for BODY[] and as
//   Dovecot's outlook-no-nuls workaround (../shared/CLIENTS.md: Outlook stops at a NUL). Bare
//   CR is sent as it is; bare LF as CRLF.
// - A message without a blank line after its header: RETR sends it as it is; TOP sends the
//   whole message (it is all header) followed by the blank line that RFC 1939 §7 TOP
//   promises (Outlook Express and Netscape need it; Dovecot's oe-ns-eoh).
// - \Seen (retr_sets_seen): RETR marks the message; the marks and the DELE'd messages are
//   applied only in the UPDATE state after QUIT (first the \Seen of messages not deleted, then
//   the expunge), so a dropped connection changes nothing. TOP never sets \Seen. RSET unmarks
//   deleted messages (RFC 1939 §5) but keeps the \Seen marks of messages already retrieved.
// - USER/PASS, AUTH (and APOP) are refused before TLS unless allow_plaintext_auth:
//   "-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections."
//   (the text IMAP's [PRIVACYREQUIRED] uses); CAPA then lists neither USER nor SASL.
// - Only consecutive -ERR answers to malformed, unknown or misplaced (wrong state) commands
//   and bad lines count towards max_bad_commands (as IMAP counts BAD); "no such message" and
//   refusals of valid commands (no TLS, failed login) do not. The max_bad_commands'th is answered
//   "-ERR Too many bad commands, closing." then close.
// - What the server does around it: read lines with a net::LineReader of kMaxLine octets and
//   pass every line (overlong ones too: the Line says so); after start_tls drop input
//   buffered before the handshake (RFC 2595 §4), then call tls_started(); run the idle timer
//   (RFC 1939 §3: at least 10 minutes) and call timed_out(); hold the maildrop lock through
//   SessionHooks::lock_maildrop; stream Output::message with MessageStreamer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/proto/auth_sasl.hpp"
#include "net/proto/net_line_reader.hpp"
#include "store/api/store.hpp"

namespace estafeta::pop3 {

struct Command;  // pop3_command.hpp

// RFC 2449 §4: a command line is at most 255 octets, its CRLF included.
inline constexpr std::size_t kMaxCommandLine = 255;
// The longest line the server's reader must accept (CRLF included): AUTH's client responses
// (RFC 5034 §4: base64 of up to auth::kMaxSaslResponse octets, 2732 characters) and an AUTH or
// PASS command with a long initial response or passphrase. Other commands longer than
// kMaxCommandLine are refused. The server builds its net::LineReader with this.
inline constexpr std::size_t kMaxLine = 4096;
// UIDL values (RFC 1939 §7): 1 to 70 octets in 0x21-0x7E.
inline constexpr std::size_t kMaxUidl = 70;

struct SessionOptions {
  std::string hostname = "localhost";  // for the server's logs and APOP timestamp; not sent
  bool tls_active = false;             // implicit TLS (995): true from the start
  bool starttls_available = true;      // a certificate is loaded: STLS offered before TLS
  // USER/PASS, AUTH PLAIN/LOGIN allowed before TLS (benchmarks and trusted loopback only; the
  // config key is named in /work/notes/pop3_contract.md). Off: refused with -ERR [AUTH].
  bool allow_plaintext_auth = false;
  bool retr_sets_seen = true;  // RETR sets \Seen (applied at QUIT), as Dovecot does
  // Messages shown per session (the oldest ones); 0 = no limit. The real count is logged.
  std::uint32_t max_listed_messages = 100000;
  std::uint32_t max_bad_commands = 20;  // bad commands in a row, then -ERR and close
  std::uint32_t max_auth_failures = 3;  // failed USER/PASS/AUTH/APOP, then -ERR and close
  // APOP (RFC 1939 §7): refused unless on and SessionHooks::apop is set. The greeting then
  // carries apop_timestamp, which the server makes unique per connection
  // ("<pid.random.time@hostname>", RFC 1939 §7).
  bool apop = false;
  std::string apop_timestamp;
  bool utf8 = true;  // UTF8 (RFC 6856) advertised and accepted
  // CAPA LOGIN-DELAY <seconds> (RFC 2449 §6.8): the minimum time between logins the server
  // enforces through LoginResult::Kind::too_soon (0: no delay, still advertised).
  std::uint32_t login_delay = 0;
  // CAPA EXPIRE <days> or NEVER (RFC 2449 §6.7): how long the server keeps retrieved mail.
  std::string expire = "NEVER";
  std::string implementation = "Estafeta";  // CAPA IMPLEMENTATION (RFC 2449 §6.9)
};

// The server's answer to a login (auth::check_login with its throttling behind it).
struct LoginResult {
  enum class Kind {
    ok,           // `account` is the canonical account name
    invalid,      // wrong user or password (or throttled): -ERR [AUTH]
    unavailable,  // the account store cannot be reached now: -ERR [SYS/TEMP]
    too_soon,     // logged in less than login_delay seconds ago: -ERR [LOGIN-DELAY]
  };
  Kind kind = Kind::invalid;
  std::string account;
};

// Held while a session has the maildrop (RFC 1939 §4 "exclusive-access lock"); releasing it
// is destroying it. The session drops it when it closes (after UPDATE) and in its destructor.
class MaildropLock {
 public:
  virtual ~MaildropLock() = default;
};

struct SessionHooks {
  // Checks a user name and password (blocking is fine: the session runs on a worker).
  std::function<LoginResult(std::string_view user, std::string_view password)> login;
  // APOP: checks MD5(timestamp + secret) given in hex by the client (the server computes the
  // digest; the core has no MD5). Null: APOP refused even when SessionOptions::apop is on.
  std::function<LoginResult(std::string_view user, std::string_view timestamp,
                            std::string_view digest)>
      apop;
  // The store account of a canonical account name; nullptr when it cannot be opened (the
  // login then fails with -ERR [SYS/TEMP]).
  std::function<std::shared_ptr<store::Account>(const std::string& account)> open_account;
  // Takes the account's maildrop lock; nullptr when another POP3 session holds it (the login
  // then fails with -ERR [IN-USE], RFC 2449 §8.1.2). Null hook: no locking.
  std::function<std::unique_ptr<MaildropLock>(const std::string& account)> lock_maildrop;
  // Operator-facing notes ("alice@example.org: 250000 messages in INBOX, 100000 listed").
  std::function<void(std::string_view)> log;
};

// One piece of output, in order.
struct Output {
  enum class Kind {
    text,       // send `text`
    message,    // stream `blob` with MessageStreamer(blob, top_lines): the message's lines,
                // dot-stuffed, and the terminating ".\r\n" (the "+OK" line was the text before)
    start_tls,  // the +OK to STLS was the text before: handshake, then tls_started()
    close,      // the last reply was the text before: close the connection
  };
  Kind kind = Kind::text;
  std::string text;
  std::shared_ptr<store::Blob> blob;
  std::optional<std::uint64_t> top_lines;  // TOP n: header, blank line, n body lines
};

class Session {
 public:
  enum class State { authorization, transaction, update, closed };

  Session(SessionOptions options, SessionHooks hooks);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Queues the greeting "+OK Estafeta POP3 ready." (with " <timestamp>" when APOP is on).
  void start();
  // One client line as the net::LineReader cut it (overlong, bare LF and NUL flags are
  // judged here). Ignored after close and between start_tls and tls_started().
  void receive_line(const net::LineReader::Line& line);
  // The same for a line without its CRLF known to be well-formed (tests, fuzzing).
  void receive_line(std::string_view line);
  // True while the next line is an AUTH response, not a command (RFC 5034 §4).
  bool expects_line() const { return sasl_ != nullptr; }
  // True when receive_line(line) will not call the store, a hook or a Blob, so the server may
  // run it on its I/O thread: in AUTHORIZATION every line but PASS, APOP and AUTH (and none
  // during an AUTH exchange); in TRANSACTION every line but STAT, LIST, RETR, TOP and QUIT.
  bool runs_without_io(std::string_view line) const;
  // The TLS handshake after start_tls succeeded.
  void tls_started();
  // The server's idle timer fired (RFC 1939 §3): "-ERR Disconnected for inactivity." and
  // close, without UPDATE.
  void timed_out();

  // The next output, or nullopt when there is nothing to send now.
  std::optional<Output> next();

  State state() const { return state_; }
  bool closed() const { return closed_; }
  // The logged-in account's name ("" before login).
  const std::string& account_name() const { return account_name_; }
  // The capability list as currently advertised, one capability per line without CRLF.
  std::vector<std::string> capabilities() const;

  struct Message;  // one message of the snapshot (pop3_session.cpp)

 private:
  void handle_line(std::string_view line, std::uint64_t length);
  void dispatch(pop3::Command& c);
  void send(std::string text);
  void ok(std::string_view text);
  void err(std::string_view text);
  void bad(std::string_view text);
  void close();
  bool plaintext_allowed() const { return tls_active_ || options_.allow_plaintext_auth; }
  bool apop_enabled() const;
  // AUTHORIZATION
  void cmd_capa();
  void cmd_quit();
  void cmd_stls();
  void cmd_utf8();
  void cmd_user(pop3::Command& c);
  void cmd_pass(pop3::Command& c);
  void cmd_apop(pop3::Command& c);
  void cmd_auth(pop3::Command& c);
  void auth_step(std::string_view line);
  void auth_failed(std::string_view text);
  void finish_login(const LoginResult& result);
  // TRANSACTION
  Message* message(std::optional<std::uint32_t> number);
  std::uint64_t exact_size(std::size_t index) const;
  void cmd_stat();
  void cmd_list(const pop3::Command& c, bool uidl);
  void cmd_retr(const pop3::Command& c, std::optional<std::uint64_t> top_lines);
  void cmd_dele(const pop3::Command& c);
  void cmd_rset();
  // UPDATE
  void update();

  SessionOptions options_;
  SessionHooks hooks_;
  State state_ = State::authorization;
  bool closed_ = false;
  bool tls_active_ = false;
  bool awaiting_tls_ = false;
  bool utf8_ = false;
  std::deque<Output> out_;
  std::uint32_t bad_commands_ = 0;
  std::uint32_t auth_failures_ = 0;

  std::optional<std::string> user_;  // after USER, until PASS
  std::unique_ptr<auth::SaslMechanism> sasl_;

  std::string account_name_;
  std::shared_ptr<store::Account> account_;
  std::unique_ptr<MaildropLock> lock_;
  store::MailboxId inbox_ = 0;
  std::uint32_t uid_validity_ = 0;
  std::vector<Message> messages_;
};

}  // namespace estafeta::pop3
