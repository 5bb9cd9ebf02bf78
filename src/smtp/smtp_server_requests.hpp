// smtp_server_requests: the blocking half of the SMTP server's requests, run on a worker
// thread: recipient checks, sender checks and logins against auth::Directory (message
// storage is smtp_spool_requests). No sockets; the connection loop
// (smtp_connection.cpp) hops here once per request and back with the answer.
// Input: envelope data the core has validated (still peer-chosen).
// Thread-safety: as the Directory given (thread-safe). Never
// throws: a failing dependency becomes a temporary failure (4xx), never a lost message.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "auth/directory.hpp"
#include "auth/proto/auth_login_throttle.hpp"
#include "smtp/proto/smtp_server_session.hpp"

namespace estafeta::smtp {

// Answers "is this account's mailbox full?" (the store's quota; smtp::ServerOptions).
using MailboxFull = std::function<bool(const std::string& account)>;

// The RCPT verdict; with `full`, a local address whose every mailbox is full is mailbox_full.
RecipientVerdict check_recipient(auth::Directory& directory, std::string_view address,
                                 const MailboxFull& full = {});

bool check_sender(auth::Directory& directory, std::string_view user, std::string_view address);

std::optional<std::string> authenticate(auth::Directory& directory, std::string_view login,
                                        std::string_view password);

// The answer to Authenticate, and how long to wait (a timer, never a sleeping thread) before
// giving it: the login throttle's delay after a wrong password.
struct AuthAnswer {
  AuthResult result;
  std::chrono::milliseconds delay{0};
};
// A login from `peer_ip` through auth::check_login: refused without hashing while the
// throttle (may be null) refuses the client or account (454 4.7.0), a temporary failure when
// the account database cannot be read (454 4.7.0), else the password check; logs the
// fail2ban-matchable "auth failed"/"auth throttled" lines.
AuthAnswer authenticate(auth::Directory& directory, auth::SharedLoginThrottle* throttle,
                        std::string_view peer_ip, std::string_view login,
                        std::string_view password);

}  // namespace estafeta::smtp
