// imap_recent: see the header.
#include "imap/proto/imap_recent.hpp"

#include <algorithm>
#include <chrono>

namespace estafeta::imap {

RecentClaims::RecentClaims(std::int64_t started) : started_(started) {}

RecentClaims::RecentClaims()
    : RecentClaims(std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count()) {}

store::Uid RecentClaims::first_saved_since_start(std::span<const store::MessageInfo> messages,
                                                 store::Uid uid_next) const {
  store::Uid first = uid_next;
  for (auto it = messages.rbegin(); it != messages.rend() && it->save_date >= started_; ++it)
    first = it->uid;
  return first;
}

RecentClaims::Claimed& RecentClaims::entry(const std::string& account, store::MailboxId mailbox,
                                           std::uint32_t uid_validity, store::Uid uid_next,
                                           store::Uid first_new) {
  auto [it, fresh] = claimed_.try_emplace({account, mailbox});
  Claimed& c = it->second;
  if (fresh || c.uid_validity != uid_validity) {
    c.uid_validity = uid_validity;
    c.next = std::min(first_new, uid_next);
  }
  return c;
}

bool RecentClaims::known(const std::string& account, store::MailboxId mailbox,
                         std::uint32_t uid_validity) {
  std::lock_guard lock(mutex_);
  auto it = claimed_.find({account, mailbox});
  return it != claimed_.end() && it->second.uid_validity == uid_validity;
}

store::Uid RecentClaims::claim(const std::string& account, store::MailboxId mailbox,
                               std::uint32_t uid_validity, store::Uid uid_next,
                               store::Uid first_new) {
  std::lock_guard lock(mutex_);
  Claimed& c = entry(account, mailbox, uid_validity, uid_next, first_new);
  const store::Uid first = c.next;
  if (uid_next > c.next) c.next = uid_next;
  return first;
}

store::Uid RecentClaims::peek(const std::string& account, store::MailboxId mailbox,
                              std::uint32_t uid_validity, store::Uid uid_next,
                              store::Uid first_new) {
  std::lock_guard lock(mutex_);
  return entry(account, mailbox, uid_validity, uid_next, first_new).next;
}

}  // namespace estafeta::imap
