// smtp_client_session: the SMTP client state machine for one connection to a remote server
// (RFC 5321 §3-4; RFC 3207 STARTTLS, RFC 4954 AUTH PLAIN/LOGIN, RFC 2920 PIPELINING,
// RFC 1870 SIZE, RFC 6152 8BITMIME, RFC 6531 SMTPUTF8, RFC 3461 DSN, RFC 3030 CHUNKING,
// RFC 8689 REQUIRETLS), sans-I/O. The connection may carry several transactions one after
// another (connection reuse). The driver feeds the server's bytes with receive() and drains
// next_event(): bytes to write (ClientSend), requests (do the TLS handshake, give the next
// piece of message content), "idle, give me a transaction or quit" (ClientReady), the
// per-recipient results of each transaction (ClientTransactionDone) and finally ClientClose.
// Nothing is sent that the peer did not advertise; a transaction the peer cannot take as it is
// (SIZE, SMTPUTF8, REQUIRETLS, 8-bit content) is refused or sent back before anything is sent.
// Trust: replies come from a remote server (bounded by ClientReplyLimits, text sanitized);
// the configuration and transactions are ours. Memory: the reply reader's bounds, the
// transaction given (its recipients and results) and one piece of content being encoded;
// content is never held whole. Never throws, never touches sockets, files or clocks: the
// driver arms timers with timeout() and reports connection_lost() / timed_out().
//
// Notes
// - One state at a time (ClientState), changed only by enter(), which logs "from -> to".
// - Replies are matched to commands through a queue of what each outstanding command awaits,
//   so pipelined replies arriving in one read, or byte by byte, give the same results.
// - A recipient's result is final once set; 421 at any point (§3.8), a lost connection or a
//   timeout defer every recipient not final yet, and the connection ends.
// - TransactionResult::final_reply_lost says the end of data was sent and its reply never
//   came: the message may have been delivered (RFC 5321 §4.1.1.4 / RFC 1047 duplicates).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "smtp/proto/smtp_client_data.hpp"
#include "smtp/proto/smtp_client_ehlo.hpp"
#include "smtp/proto/smtp_client_reply.hpp"

namespace estafeta::smtp {

enum class StartTlsPolicy {
  off,            // never send STARTTLS
  opportunistic,  // use it when offered; go on in cleartext when absent or refused
  required,       // no STARTTLS (or a refused one): the connection fails, nothing is sent
};

// RFC 5321 §4.5.3.2 minimum timeouts; `command` covers EHLO/HELO/STARTTLS/AUTH/RSET/QUIT.
struct ClientTimeouts {
  std::chrono::seconds greeting{300};    // §4.5.3.2.1 initial 220
  std::chrono::seconds command{300};     // no RFC value; Postfix smtp_helo_timeout
  std::chrono::seconds mail{300};        // §4.5.3.2.2
  std::chrono::seconds rcpt{300};        // §4.5.3.2.3
  std::chrono::seconds data_init{120};   // §4.5.3.2.4 reply to DATA
  std::chrono::seconds data_block{180};  // §4.5.3.2.5 each write of content
  std::chrono::seconds data_done{600};   // §4.5.3.2.6 reply to the final "." (or BDAT)
};

struct ClientCredentials {
  std::string user;
  std::string password;
};

struct ClientConfig {
  std::string ehlo_name;  // our host name, as in EHLO
  StartTlsPolicy starttls = StartTlsPolicy::opportunistic;
  bool tls_active = false;    // implicit TLS (port 465): the handshake is already done
  bool tls_verified = false;  // ... and the peer's identity was verified (DANE/MTA-STS/PKIX)
  // AUTH PLAIN (preferred) or LOGIN with these, only on a TLS connection (RFC 4954 §4:
  // never a password in cleartext): credentials with no TLS fail the connection.
  std::optional<ClientCredentials> credentials;
  ClientReplyLimits reply_limits;
  ClientTimeouts timeouts;
};

struct ClientRecipient {
  std::string address;  // without <>; may be UTF-8 when the transaction needs SMTPUTF8
  std::string notify;   // RFC 3461 NOTIFY value ("SUCCESS,FAILURE", "NEVER"), "" = none
  std::string orcpt;    // RFC 3461 ORCPT value as received ("rfc822;a+2Bb@example.org")
};

struct ClientTransaction {
  std::string mail_from;  // without <>; "" is the null sender
  std::vector<ClientRecipient> recipients;
  std::uint64_t size = 0;   // octets of content as it will be given to body()
  bool eight_bit = false;   // content has octets >= 0x80 (BODY=8BITMIME, RFC 6152)
  bool smtputf8 = false;    // addresses or header fields need SMTPUTF8 (RFC 6531)
  std::string ret;          // RFC 3461 RET ("FULL"/"HDRS"), "" = none
  std::string envid;        // RFC 3461 ENVID as received (xtext), "" = none
  bool requiretls = false;  // RFC 8689: only over verified TLS to a REQUIRETLS peer
};

enum class RecipientOutcome { pending, delivered, deferred, bounced };

// Which step of the dialogue produced a result ("in reply to RCPT TO command").
enum class ClientStage { none, connect, mail, rcpt, data, end_of_data, local };

struct RecipientResult {
  RecipientOutcome outcome = RecipientOutcome::pending;
  int code = 0;          // the remote basic code, or ours for local decisions (e.g. 552)
  std::string enhanced;  // RFC 3463; the remote one, else "<class>.0.0"
  std::string text;      // the remote reply text (lines joined), or our reason
  bool remote = false;   // code/enhanced/text are the peer's (DSN Remote-MTA, Diagnostic-Code)
  ClientStage stage = ClientStage::none;
  // NOTIFY was given and the peer lacks DSN: the parameters could not be passed on
  // (RFC 3461: a "relayed" DSN is due when NOTIFY has SUCCESS).
  bool dsn_not_passed = false;

  // "550 5.1.1 text", the form for logs and the queue's last remote reply.
  std::string reply() const;
};

struct TransactionResult {
  std::vector<RecipientResult> recipients;  // in the order of ClientTransaction::recipients
  // The end of data was sent and its reply never came (connection lost, timeout): the
  // message may have been delivered; retrying may duplicate it (at most once more).
  bool final_reply_lost = false;
};

// Why a connection ended.
enum class CloseReason {
  quit,              // quit() and the QUIT exchange (or the peer closed after it)
  greeting_refused,  // 421/554 (or other non-220) greeting
  helo_refused,      // EHLO and the HELO fallback refused
  tls_unavailable,   // STARTTLS required but not offered or refused
  tls_failed,        // the handshake failed (tls_failed())
  auth_failed,       // AUTH not offered, no common mechanism, no TLS, or refused
  peer_closing,      // 421 from the server (RFC 5321 §3.8)
  protocol_error,    // unreadable or unexpected reply
  connection_lost,   // connection_lost()
  timeout,           // timed_out()
};

// Events.
struct ClientSend {  // write these bytes
  std::string bytes;
  bool secret = false;  // carries credentials (AUTH): never log or trace them
};
struct ClientStartTls {};  // do the TLS handshake now, then tls_started() or tls_failed()
struct ClientNeedBody {};  // give the next piece of content with body()
struct ClientReady {};     // idle: start_transaction() or quit()
struct ClientTransactionDone {
  TransactionResult result;
};
struct ClientClose {  // close the connection once the bytes before it are written
  CloseReason reason = CloseReason::quit;
  // For the messages not handed over yet: retrying with this host is pointless (only a
  // refused HELO is permanent; everything else should be retried or tried elsewhere).
  bool permanent = false;
  ServerReply reply;  // the reply that ended it (code 0 when none)
  std::string text;   // one line for logs and the queue's last reply
  // A reused connection failed its RSET probe (no 2xx to it: closed, 421, refused, timed
  // out): nothing after the RSET reached a transaction, so a transaction sent with it in the
  // same pipelined flight got no ClientTransactionDone and goes over another connection.
  bool probe_failed = false;
};

using ClientEvent = std::variant<ClientSend, ClientStartTls, ClientNeedBody, ClientReady,
                                 ClientTransactionDone, ClientClose>;

enum class StartResult {
  started,          // commands are out; results come as ClientTransactionDone
  refused,          // the peer cannot take it: a ClientTransactionDone with permanent
                    // failures for every recipient is queued, then a new ClientReady (wait
                    // for it before the next start_transaction); nothing was sent
  needs_downgrade,  // 8-bit content and no 8BITMIME: convert it to 7 bit (mime_downgrade)
                    // and call again with eight_bit = false and the new size; nothing sent
  not_ready,        // not idle (no ClientReady outstanding): a driver bug
};

enum class ClientState {
  greeting,       // waiting for the 220
  ehlo,           // EHLO sent
  helo,           // HELO sent (EHLO was refused)
  starttls,       // STARTTLS sent
  tls_handshake,  // ClientStartTls out; waiting for tls_started()/tls_failed()
  auth,           // AUTH exchange
  ready,          // idle, between transactions
  envelope,       // MAIL/RCPT (and DATA when pipelined) out, their replies coming
  body,           // sending content (ClientNeedBody out)
  end_of_data,    // final "." or BDAT LAST sent, waiting for the final reply
  rset,           // RSET after an unfinished transaction
  quit,           // QUIT sent
  closed,
};

std::string_view client_state_name(ClientState s);

class ClientSession {
 public:
  explicit ClientSession(ClientConfig config);

  // Bytes from the server. Ignored once closed.
  void receive(std::string_view bytes);
  // The next event, or nullopt when the session waits for input or an answer.
  std::optional<ClientEvent> next_event();

  // Answers to ClientStartTls. `peer_verified`: the certificate matched the policy
  // (DANE/MTA-STS/PKIX); REQUIRETLS needs it.
  void tls_started(bool peer_verified);
  void tls_failed(std::string_view reason);

  // After ClientReady: checks `tx` against the peer's capabilities and sends it.
  StartResult start_transaction(ClientTransaction tx);
  // After ClientNeedBody: the next piece of content; `last` with the final piece (may be
  // empty). Returns false (and ignores it) when no content is wanted now.
  bool body(std::string_view chunk, bool last);
  // After ClientReady: QUIT, then ClientClose{quit}.
  void quit();
  // After ClientReady: RSET, to see that a connection that sat idle (the sending MTA's
  // connection cache) is still usable before a transaction goes over it, as Postfix's smtp(8)
  // does (RFC 5321 §4.1.1.5). Without PIPELINING it goes out at once and a 2xx gives a new
  // ClientReady. With PIPELINING (RFC 2920 §3.1 lets RSET lead a command group) a
  // ClientReady comes at once and the RSET goes out in front of the next transaction's MAIL,
  // saving a round trip per reused connection; quit() drops it. Either way a 421 (§3.8) ends
  // the session (peer_closing), another reply ends it (protocol_error; QUIT only when nothing
  // follows the RSET), a lost connection as usual, and the ClientClose says probe_failed.
  // False (and nothing sent) when not idle.
  bool reset();
  // An RSET probe is out and unanswered (the driver waits less for it).
  bool probing() const { return probe_in_flight_ || rset_pending_; }

  // The I/O layer's findings: every recipient not final is deferred (4.4.2), then ClientClose.
  void connection_lost();
  void timed_out();

  ClientState state() const { return state_; }
  // How long to wait for the peer in the current state (RFC 5321 §4.5.3.2), nullopt when
  // idle (ready, closed) or waiting for the driver.
  std::optional<std::chrono::seconds> timeout() const;
  const Capabilities& capabilities() const { return caps_; }
  bool tls_active() const { return tls_active_; }

 private:
  enum class Await {
    greeting,
    ehlo,
    helo,
    starttls,
    auth_plain,
    auth_login_user,
    auth_login_password,
    auth_done,
    mail,
    rcpt,
    data,
    end_of_data,
    bdat,
    rset,
    quit
  };
  struct Pending {
    Await what;
    std::size_t index = 0;  // RCPT: which recipient; BDAT: whether LAST (1)
  };
  struct Transaction {
    ClientTransaction tx;
    TransactionResult result;
    bool mail_ok = true;               // false once MAIL was refused
    std::vector<bool> accepted_flags;  // per recipient: 2xx to its RCPT
    std::size_t accepted = 0;          // recipients with a 2xx to RCPT
    std::size_t next_rcpt = 0;         // without PIPELINING: the next RCPT to send
    bool chunking = false;             // content goes in BDAT
    bool data_end_sent = false;
    bool failed = false;  // the content step failed: remaining replies are ignored
  };

  void enter(ClientState next);
  void send(std::string bytes, bool secret = false);
  void on_reply(const ServerReply& r);
  void on_greeting(const ServerReply& r);
  void on_ehlo(const ServerReply& r);
  void on_helo(const ServerReply& r);
  void on_starttls(const ServerReply& r);
  void on_auth(Await step, const ServerReply& r);
  void after_hello();
  void begin_auth();
  void on_mail(const ServerReply& r);
  void on_rcpt(std::size_t index, const ServerReply& r);
  void after_rcpts();
  void on_data(const ServerReply& r);
  void on_bdat(bool last, const ServerReply& r);
  void on_end_of_data(const ServerReply& r);
  void send_rcpt(std::size_t index);
  std::string mail_command() const;
  std::string rcpt_command(const ClientRecipient& r) const;
  // Sets every pending recipient of the transaction from `r` (accepted ones only if
  // `accepted_only`), with the outcome its class gives (2xx is success only where
  // `success_possible`; anything but 5xx otherwise defers).
  void settle(const ServerReply& r, ClientStage stage, bool accepted_only, bool success_possible);
  void settle_local(RecipientOutcome outcome, int code, std::string enhanced, std::string text,
                    ClientStage stage);
  // The transaction is over: ClientTransactionDone, then RSET (when `reset`) or ready.
  void end_transaction(bool reset);
  // The connection ends: every pending recipient deferred, then (QUIT if `quit`) Close.
  void fail(CloseReason reason, bool permanent, const ServerReply& reply, std::string text,
            bool send_quit);
  void become_ready();
  ClientStage current_stage() const;

  ClientConfig config_;
  ClientState state_ = ClientState::greeting;
  ReplyReader reader_;
  Capabilities caps_;
  bool tls_active_ = false;
  bool tls_verified_ = false;
  bool tls_tried_ = false;
  std::deque<Pending> awaiting_;
  std::optional<Transaction> tx_;
  DotStuffer stuffer_;
  bool want_body_ = false;  // a ClientNeedBody is outstanding
  std::deque<ClientEvent> events_;
  std::optional<ClientClose> close_after_quit_;
  bool rset_pending_ = false;     // reset() with PIPELINING: RSET leads the next MAIL
  bool probe_in_flight_ = false;  // reset()'s RSET is out, its reply not yet in
};

}  // namespace estafeta::smtp
