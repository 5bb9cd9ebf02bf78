// auth_login: see the header. The only catch here turns an exception from a Directory into
// `unavailable`: this runs on worker threads, where an escaping exception ends the process.
#include "auth/auth_login.hpp"

#include <exception>

#include "base/log.hpp"

namespace estafeta::auth {

LoginOutcome check_login(Directory& directory, SharedLoginThrottle* throttle,
                         const LoginAttempt& a) {
  LoginOutcome out;
  if (throttle && !throttle->check(a.address, a.login, a.protocol).allowed()) {
    out.status = LoginOutcome::Status::throttled;
    return out;
  }
  LoginCheck c;
  try {
    c = directory.check_login(a.login, a.password);
  } catch (const std::exception& e) {
    log::error("auth", "login check for {} failed: {}", quote_log_value(a.login), e.what());
    c.status = LoginCheck::Status::unavailable;
  }
  switch (c.status) {
    case LoginCheck::Status::ok:
      if (throttle) throttle->succeeded(a.login);
      out.status = LoginOutcome::Status::ok;
      out.account = std::move(c.account);
      break;
    case LoginCheck::Status::invalid:
      out.status = LoginOutcome::Status::invalid;
      if (throttle) {
        out.delay = throttle->failed(a.address, a.login, a.protocol);
      } else {
        log::info("auth", "{}", auth_failed_line(a.login, a.address, a.protocol));
      }
      break;
    case LoginCheck::Status::unavailable:
      log::warn("auth", "login of {} from {} ({}): account database unavailable",
                quote_log_value(a.login), a.address, a.protocol);
      out.status = LoginOutcome::Status::unavailable;
      break;
  }
  return out;
}

}  // namespace estafeta::auth
