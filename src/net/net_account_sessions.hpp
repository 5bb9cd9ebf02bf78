// net_account_sessions: how many sessions each account has open on one server, for the
// per-account limits of the mail-access servers: IMAP's max_connections_per_user (a login past
// it is refused) and POP3's maildrop lock (RFC 1939 §4: one session per account, so the limit
// is 1 and a second login gets -ERR [IN-USE]). enter() counts a session unless the account has
// `limit` already; leave() uncounts it. Thread-safe (one mutex): logins run on worker threads,
// sessions end on io threads. Trust: account names come from the directory after a successful
// login, never from the peer. Memory: one map entry per account with a session open, erased
// with its last session.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace estafeta::net {

class AccountSessions {
 public:
  // Counts a session of `account`: true, or false (nothing counted) when it has `limit` open.
  bool enter(const std::string& account, std::size_t limit);
  // Uncounts a session enter() counted; an account with none open is ignored.
  void leave(std::string_view account);

 private:
  std::mutex mutex_;
  std::map<std::string, std::size_t, std::less<>> open_;
};

}  // namespace estafeta::net
