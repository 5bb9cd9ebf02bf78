// directory: what the protocol servers ask of the account database. Recipient resolution
// (domains, users, aliases, catch-all @domain, user+detail), password checks and "may this
// user send as that address". Implemented over SQLite by auth::SqliteDirectory.
// Every call may block (SQLite, password hashing): call from a worker thread, never from a
// network thread. Implementations are thread-safe.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace estafeta::auth {

// One mailbox a message must land in.
struct MailboxTarget {
  std::string user;               // account name, e.g. "alice@example.org"
  std::filesystem::path maildir;  // the user's Maildir root (INBOX)
  std::string folder;             // "" for INBOX, else a Maildir++ folder name ("tag")
  std::string address;            // the address as resolved, for Delivered-To
};

// One address in another domain a message must be forwarded to (through the outbound queue).
struct ForwardTarget {
  std::string address;  // where the copy goes, e.g. "someone@far.example"
  // The domain whose alias named it: the forwarded copy's envelope sender is rewritten into
  // it with SRS (queue_srs.hpp). "" = keep the sender as it is (a bounce to one of our SRS
  // addresses, going back to the original sender).
  std::string via_domain;
};

struct Resolution {
  enum class Status {
    local,              // targets and/or forwards hold one or more destinations
    unknown_user,       // the domain is ours, the user is not: 550 5.1.1
    not_local_domain,   // not one of our domains: relay, refused unless authenticated
    temporary_failure,  // the account database could not be read: 451 4.3.0, try later
  };
  Status status = Status::not_local_domain;
  std::vector<MailboxTarget> targets;
  // Only from a directory that forwards (SqliteDirectory::enable_forwarding): alias targets
  // outside our domains, and the sender an SRS address at our domains stands for.
  std::vector<ForwardTarget> forwards;
};

// The outcome of a password check: distinguishes a wrong password from a database that could
// not be read, so the protocols answer the latter with a temporary error (SMTP 454 4.7.0),
// never "invalid credentials".
struct LoginCheck {
  enum class Status { ok, invalid, unavailable };
  Status status = Status::invalid;
  std::string account;  // the canonical account name when ok
};

class Directory {
 public:
  virtual ~Directory() = default;
  // Resolves an envelope address (already unquoted, no angle brackets) through aliases,
  // catch-all and detail addressing. Case-insensitive on domain and local part.
  virtual Resolution resolve(std::string_view address) = 0;
  // Checks a login (account name, e.g. "alice@example.org") and password. Returns the
  // canonical account name on success.
  virtual std::optional<std::string> authenticate(std::string_view login,
                                                  std::string_view password) = 0;
  // The same check, saying whether a failure was the credentials or the database. The
  // default calls authenticate() (which cannot tell: every failure is `invalid`).
  virtual LoginCheck check_login(std::string_view login, std::string_view password) {
    std::optional<std::string> account = authenticate(login, password);
    if (!account) return LoginCheck{};
    return LoginCheck{LoginCheck::Status::ok, std::move(*account)};
  }
  // True when `user` owns `address` (its own address, a +detail of it, or an alias that
  // resolves to it). The null sender "" is never allowed for submission.
  virtual bool may_send_as(std::string_view user, std::string_view address) = 0;
  // The envelope sender for a copy of a message from `mail_from` forwarded through an alias
  // of `via_domain` (ForwardTarget::via_domain). The default keeps it.
  virtual std::string forward_sender(std::string_view mail_from, std::string_view via_domain) {
    (void)via_domain;
    return std::string(mail_from);
  }
};

}  // namespace estafeta::auth
