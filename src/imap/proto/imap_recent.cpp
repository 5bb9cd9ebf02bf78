// imap_recent: see the header.
#include "imap/proto/imap_recent.hpp"

namespace estafeta::imap {

store::Uid RecentClaims::claim(const std::string& account, store::MailboxId mailbox,
                               std::uint32_t uid_validity, store::Uid uid_next) {
  std::lock_guard lock(mutex_);
  auto [it, fresh] = claimed_.try_emplace({account, mailbox});
  Claimed& c = it->second;
  if (fresh || c.uid_validity != uid_validity) {
    // First sight since start (or a new UIDVALIDITY): what is there is old.
    c.uid_validity = uid_validity;
    c.next = uid_next;
    return uid_next;
  }
  const store::Uid first = c.next;
  if (uid_next > c.next) c.next = uid_next;
  return first;
}

}  // namespace estafeta::imap
