// auth_login: one password login as every protocol server does it: ask the login throttle,
// check the password against the Directory, tell the throttle how it went, log the outcome.
// A refusal by the throttle costs no hash; a database that cannot be read is `unavailable`
// (a temporary error for the client), never "invalid credentials".
// Blocks (SQLite, password hashing): run it on a worker thread. The delay it returns is for
// the caller to wait with a timer before answering, never by sleeping a thread.
// Input: the login and password come from an unauthenticated client; the address from the
// socket. Thread-safe as the Directory and SharedLoginThrottle given.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "auth/directory.hpp"
#include "auth/proto/auth_login_throttle.hpp"

namespace estafeta::auth {

struct LoginAttempt {
  std::string_view login;
  std::string_view password;
  std::string_view address;   // the client's IP address, as text
  std::string_view protocol;  // "smtp", "imap", "pop3": for the log lines
};

struct LoginOutcome {
  enum class Status {
    ok,           // `account` is the canonical account name
    invalid,      // wrong login or password ("auth failed" logged)
    unavailable,  // the account database could not be read
    throttled,    // refused by the throttle without checking ("auth throttled" logged)
  };
  Status status = Status::invalid;
  std::string account;
  std::chrono::milliseconds delay{0};  // wait this long before answering (after `invalid`)
};

// `throttle` may be null: no throttling, but failures are still logged.
LoginOutcome check_login(Directory& directory, SharedLoginThrottle* throttle,
                         const LoginAttempt& attempt);

}  // namespace estafeta::auth
