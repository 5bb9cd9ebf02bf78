// mua_submit: the mail client's SMTP submission (RFC 6409) over a mua::Connection, running
// the sans-I/O SMTP client core (smtp/proto/smtp_client_session.hpp, docs/SMTP.md "SMTP
// client core"): implicit TLS (465) or STARTTLS required (587), AUTH PLAIN/LOGIN only over
// TLS, PIPELINING, SIZE, 8BITMIME, SMTPUTF8 as the server offers them. Several messages go
// over one connection (`mail flush`). Each recipient's result is kept: delivered (2xx),
// refused (5xx) or deferred (4xx, the connection lost or timed out), and the connection's
// own fate says whether the server could be reached at all, so the caller can keep
// the message in the outbox (mua_outbox.hpp). Trust: the server's replies are untrusted
// (bounded by the core); the messages are our user's. Memory: one 64 KiB piece of content
// at a time beyond the messages given.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "mua/mua_account.hpp"
#include "smtp/proto/smtp_client_session.hpp"

namespace estafeta::mua {

struct Submission {
  std::string mail_from;                // envelope sender, without <>
  std::vector<std::string> recipients;  // envelope recipients (To + Cc + Bcc), without <>
  std::string message;                  // the whole message, CRLF line ends
};

struct RecipientReport {
  std::string address;
  smtp::RecipientResult result;  // outcome delivered / deferred / bounced, and the reply
};

struct SubmissionReport {
  bool tried = false;  // its transaction started (false: the connection ended before)
  std::vector<RecipientReport> recipients;
  bool final_reply_lost = false;  // the end of data went out and no reply came
  bool all_delivered() const;
  bool any_deferred() const;  // some recipients (or all, when not tried) should be retried
};

struct SubmitOutcome {
  // The server was not reached, or ended the connection before taking anything, in a way
  // worth retrying later (refused, unreachable, timed out, 421): every message not tried
  // waits in the outbox. False with `error` set: a failure retrying will not cure (a bad
  // certificate, authentication refused, no STARTTLS where required).
  bool temporary = false;
  std::string error;                      // "" when the connection went as planned
  std::vector<SubmissionReport> reports;  // one per Submission, in order
};

struct SubmitOptions {
  std::string ehlo_name;  // "" = this host's name if it has a dot, else "localhost"
  std::chrono::seconds connect_timeout{30};
  std::chrono::seconds io_timeout{300};
};

// Reads the password when the server has been reached (so an unreachable server asks
// nothing); an error from it ends the submission (not temporary).
using PasswordFn = std::function<Result<std::string>()>;

SubmitOutcome submit(const Account& account, const std::vector<Submission>& messages,
                     const PasswordFn& password, const SubmitOptions& options = {});

// "250 2.0.0 ok" style one-line summary of a recipient's result for the terminal:
// "bob@example.org: sent (250 2.0.0 queued)", "...: refused (550 5.1.1 no such user)",
// "...: deferred (451 4.3.0 try later)".
std::string describe(const RecipientReport& r);

// True for Connection::open errors that mean "not reachable now" (refused, no route, name
// not resolved, timed out), as opposed to a certificate or configuration problem.
bool is_unreachable_error(const std::string& text);

}  // namespace estafeta::mua
