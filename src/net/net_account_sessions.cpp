// net_account_sessions: see the header.
#include "net/net_account_sessions.hpp"

namespace estafeta::net {

bool AccountSessions::enter(const std::string& account, std::size_t limit) {
  std::lock_guard lock(mutex_);
  std::size_t& n = open_[account];
  if (n >= limit) {
    if (n == 0) open_.erase(account);
    return false;
  }
  ++n;
  return true;
}

void AccountSessions::leave(std::string_view account) {
  std::lock_guard lock(mutex_);
  auto it = open_.find(account);
  if (it == open_.end()) return;
  if (--it->second == 0) open_.erase(it);
}

}  // namespace estafeta::net
