// smtp_server_session: the SMTP server state machine (RFC 5321 §4.1, RFC 3207 STARTTLS,
// RFC 4954 AUTH, RFC 3030 CHUNKING, RFC 1870 SIZE, RFC 3461 DSN, RFC 6531 SMTPUTF8), sans-I/O.
// The driver feeds client bytes with receive() and drains events with next_event(): replies to
// send, and requests (check this recipient, authenticate, store this message, start TLS) that
// it answers with the matching *_checked()/auth_result()/message_stored()/tls_started() call.
// Trust: every byte given to receive() comes from an unauthenticated peer. Memory: in the
// command phase the session keeps at most Limits::max_command_line octets of a line (the rest
// of an overlong line is counted and dropped); message content is handed out in MessageChunk
// events as it arrives, so at most about kMessageChunk octets of it are held (past
// max_message_size it is drained, not kept). Input that arrives while a
// request is outstanding waits, up to max_command_line + max_line_length + 64 KiB; past that
// the session answers the request, then 421 4.7.0 and Close (a driver that answers before it
// reads again, the natural coroutine loop, never gets there).
// Never throws, never touches sockets or files.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "smtp/proto/smtp_limits.hpp"

namespace estafeta::smtp {

enum class ListenerMode { mx, submission, submissions };

struct SessionInfo {            // given by the driver at construction
  std::string server_hostname;  // banner, EHLO, Received
  std::string peer_ip;          // "192.0.2.1" / "2001:db8::1"
  bool peer_is_loopback = false;
  ListenerMode mode = ListenerMode::mx;
  bool tls_active = false;         // true from the start for submissions (implicit TLS)
  bool starttls_available = true;  // a certificate is loaded
  bool allow_plain_auth_on_loopback = false;
  // AUTH advertised and accepted at all (when TLS or the loopback rule allows it). The driver
  // clears it on the MX listener unless smtp.auth_on_mx; AUTH then gets 503 5.5.1.
  bool offer_auth = true;
  // Recipients in other domains are accepted from authenticated clients and queued for the
  // outbound queue (the server has one); otherwise they get 550 5.7.1 (or 554 "Relay access
  // denied" without AUTH).
  bool relay_for_authenticated = false;
  // The client's address is in smtp.relay_networks (checked by the driver, MX listener only):
  // with relay_for_authenticated it may relay without AUTH, as Postfix's mynetworks.
  bool relay_client = false;
  std::string tls_version, tls_cipher;  // when tls_active from the start
};

struct TlsInfo {
  std::string version;
  std::string cipher;
};

struct DsnRcpt {  // RFC 3461 as given (validated), "" when absent
  std::string notify;
  std::string orcpt;
};

struct Recipient {
  std::string address;
  DsnRcpt dsn;
  bool remote = false;  // in another domain, accepted for relaying (authenticated client)
};

struct Envelope {
  std::string mail_from;  // "" = null sender
  std::string helo;
  std::string ret, envid;  // RFC 3461 RET / ENVID as given (validated)
  std::string body;        // "7BIT" / "8BITMIME" / "BINARYMIME" or ""
  bool smtputf8 = false;
  bool requiretls = false;            // RFC 8689: MAIL FROM carried REQUIRETLS (over TLS)
  std::string auth_user;              // authenticated account, "" if none
  std::vector<Recipient> recipients;  // accepted ones, in order
  std::string id;                     // unique message id used in Received and logs
};

// Events produced by the core.
// Complete CRLF-terminated reply line(s) to send.
struct SendReply {
  std::string bytes;
};
// The 220 was queued before it: do the TLS handshake, then call tls_started().
struct StartTls {};
// Answer with recipient_checked().
struct CheckRecipient {
  std::string address;
};
// Submission: may `user` send as `address`? Answer with sender_checked().
struct CheckSender {
  std::string user;
  std::string address;
};
// Answer with auth_result().
struct Authenticate {
  std::string login;
  std::string password;
};
// The answer to Authenticate (RFC 4954 §6).
struct AuthResult {
  enum class Status {
    ok,                 // 235 2.7.0; `account` is the canonical account name
    invalid,            // 535 5.7.8, counted toward max_auth_failures
    temporary_failure,  // 454 4.7.0: the account database could not be read
    throttled,          // 454 4.7.0: logins from this client or to this account refused
                        // for a while (auth_login_throttle); counted toward max_auth_failures
  };
  Status status = Status::invalid;
  std::string account;
};
// Message content in order, as it arrives (unstuffed, CRLF kept), for the driver to stream
// into the spool; each at least kMessageChunk octets except the last, which StoreMessage
// carries. Memory in the core is thereby bounded by one chunk, not by max_message_size.
struct MessageChunk {
  std::string bytes;
};
// The message whose chunks were handed out was refused or abandoned (error, RSET, BDAT
// failure): drop what MessageChunk delivered. No answer.
struct DiscardMessage {};
// The message is complete and acceptable: the Received field we add (kept apart from the
// content) and the content not yet handed out as MessageChunk. Answer with message_stored().
struct StoreMessage {
  Envelope envelope;
  std::string received;
  std::string tail;
};
// A client line for --trace, secrets redacted.
struct TraceLine {
  std::string line;
};
// Close the connection after flushing the replies queued before it.
struct Close {};

using Event = std::variant<SendReply, StartTls, CheckRecipient, CheckSender, Authenticate,
                           MessageChunk, DiscardMessage, StoreMessage, TraceLine, Close>;

// MessageChunk size: content is handed out once this much has collected.
inline constexpr std::size_t kMessageChunk = 64 * 1024;

// mailbox_full: every mailbox the address resolves to is at its quota (RFC 9208 limits):
// 452 4.2.2, a temporary refusal (RFC 3463 §3.3), as Postfix answers with Dovecot's LMTP.
enum class RecipientVerdict {
  local,
  unknown_user,
  not_local_domain,
  temporary_failure,
  mailbox_full
};
enum class Phase { command, data };  // which timeout applies

// Injectable sources of time and message ids, so tests and transcripts are deterministic.
// Either may be left empty: the defaults are the system clock and a generator of ids that
// are unique within the process and unlikely to repeat across processes.
struct SessionHooks {
  std::function<std::chrono::system_clock::time_point()> now;
  std::function<std::string()> new_id;
};

class ServerSession {
 public:
  ServerSession(SessionInfo info, const Limits& limits);
  ServerSession(SessionInfo info, const Limits& limits, SessionHooks hooks);
  ~ServerSession();
  ServerSession(ServerSession&&) noexcept;
  ServerSession& operator=(ServerSession&&) noexcept;
  ServerSession(const ServerSession&) = delete;
  ServerSession& operator=(const ServerSession&) = delete;

  void start();                          // queues the 220 greeting
  void receive(std::string_view bytes);  // any split; buffering bounded by Limits
  std::optional<Event> next_event();     // drain until nullopt after each receive/answer
  void recipient_checked(RecipientVerdict verdict);
  void sender_checked(bool allowed);
  void auth_result(AuthResult result);
  // The same with the account on success and std::nullopt for invalid credentials.
  void auth_result(std::optional<std::string> account);
  void message_stored(bool ok);    // false: 451 4.3.0, nothing acknowledged
  void tls_started(TlsInfo info);  // after STARTTLS handshake succeeded
  void timeout();                  // -> 421 4.4.2 + Close
  void too_slow();                 // min data rate broken -> 421 4.4.2 + Close
  void shutdown();  // SIGTERM: 421 4.3.2 now if idle, else after the DATA in progress
  Phase phase() const;
  bool closed() const;
  bool in_transaction() const;  // MAIL accepted, the message not yet finished or reset
  bool authenticated() const;   // AUTH succeeded
  // Message data has begun in this transaction (DATA, or a first BDAT chunk, even one
  // consumed whole between two looks at phase()): the minimum data rate runs from here.
  bool data_started() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace estafeta::smtp
