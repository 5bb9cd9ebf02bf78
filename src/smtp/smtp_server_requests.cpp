// smtp_server_requests: see the header. The only catch blocks outside a session's
// completion handler are here, because these run on worker threads where an escaping
// exception would take the whole pool down; each one turns into a 4xx for one client.
#include "smtp/smtp_server_requests.hpp"

#include <exception>
#include <set>
#include <utility>
#include <vector>

#include "auth/auth_login.hpp"
#include "base/log.hpp"

namespace estafeta::smtp {

RecipientVerdict check_recipient(auth::Directory& directory, std::string_view address,
                                 const MailboxFull& full) {
  try {
    auth::Resolution r = directory.resolve(address);
    switch (r.status) {
      case auth::Resolution::Status::local: {
        if (r.targets.empty() && r.forwards.empty()) return RecipientVerdict::temporary_failure;
        // Refused only when no mailbox could take it: one full member of an alias defers
        // only its own copy after DATA (the spool keeps it and retries); a forwarded copy
        // is never refused for a full mailbox.
        bool all_full = static_cast<bool>(full) && r.forwards.empty();
        for (std::size_t i = 0; all_full && i < r.targets.size(); ++i)
          all_full = full(r.targets[i].user);
        return all_full ? RecipientVerdict::mailbox_full : RecipientVerdict::local;
      }
      case auth::Resolution::Status::unknown_user:
        return RecipientVerdict::unknown_user;
      case auth::Resolution::Status::not_local_domain:
        return RecipientVerdict::not_local_domain;
      case auth::Resolution::Status::temporary_failure:
        return RecipientVerdict::temporary_failure;
    }
  } catch (const std::exception& e) {
    log::error("smtp", "recipient check for <{}> failed: {}", address, e.what());
  }
  return RecipientVerdict::temporary_failure;
}

bool check_sender(auth::Directory& directory, std::string_view user, std::string_view address) {
  try {
    return directory.may_send_as(user, address);
  } catch (const std::exception& e) {
    log::error("smtp", "sender check for {} as <{}> failed: {}", user, address, e.what());
    return false;
  }
}

std::optional<std::string> authenticate(auth::Directory& directory, std::string_view login,
                                        std::string_view password) {
  AuthAnswer a = authenticate(directory, nullptr, "", login, password);
  if (a.result.status != AuthResult::Status::ok) return std::nullopt;
  return std::move(a.result.account);
}

AuthAnswer authenticate(auth::Directory& directory, auth::SharedLoginThrottle* throttle,
                        std::string_view peer_ip, std::string_view login,
                        std::string_view password) {
  auth::LoginOutcome o =
      auth::check_login(directory, throttle, auth::LoginAttempt{login, password, peer_ip, "smtp"});
  AuthAnswer a;
  a.delay = o.delay;
  switch (o.status) {
    case auth::LoginOutcome::Status::ok:
      a.result = AuthResult{AuthResult::Status::ok, std::move(o.account)};
      break;
    case auth::LoginOutcome::Status::invalid:
      a.result.status = AuthResult::Status::invalid;
      break;
    case auth::LoginOutcome::Status::unavailable:
      a.result.status = AuthResult::Status::temporary_failure;
      break;
    case auth::LoginOutcome::Status::throttled:
      // Dovecot delays and then fails every attempt; during the refusal window we answer at
      // once with a temporary error and check nothing: no hash is spent on a guesser, and a
      // legitimate client (its owner mistyped a few times) retries later and gets through.
      a.result.status = AuthResult::Status::throttled;
      break;
  }
  return a;
}

}  // namespace estafeta::smtp
