// smtp_server_requests: the blocking half of the SMTP server's requests, run on a worker
// thread: recipient checks, sender checks, logins and message storage against
// auth::Directory and delivery::LocalDelivery. No sockets; the connection loop
// (smtp_connection.cpp) hops here once per request and back with the answer.
// Input: envelope data the core has validated (still peer-chosen); messages bounded by
// smtp.max_message_size, passed by reference and never copied here.
// Thread-safety: as the Directory and LocalDelivery given (both are thread-safe). Never
// throws: a failing dependency becomes a temporary failure (4xx), never a lost message.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "auth/directory.hpp"
#include "auth/proto/auth_login_throttle.hpp"
#include "delivery/local_delivery.hpp"
#include "smtp/proto/smtp_server_session.hpp"

namespace estafeta::smtp {

RecipientVerdict check_recipient(auth::Directory& directory, std::string_view address);

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

// Re-resolves every accepted recipient (an account may have changed since RCPT), merges
// identical mailboxes and delivers once. True only when every recipient's mailboxes are on
// stable storage, so 250 may be sent (RFC 5321 §4.1.1.4, §6.1). A recipient that no longer
// resolves locally fails the whole message with a temporary error: the client retries and
// then gets the proper 5xx at RCPT time, which its bounce reports; nothing is dropped.
bool store_message(auth::Directory& directory, delivery::LocalDelivery& delivery,
                   const Envelope& envelope, std::string_view message);

}  // namespace estafeta::smtp
