// imap_recent: who gets \Recent (IMAP4rev1, RFC 3501 §2.3.2: "this session is the first
// session to have been notified about this message"), shared by every session of one server.
// A session that selects a mailbox read-write, or learns of new messages in it, claims the
// UIDs below the mailbox's UIDNEXT that no session claimed before: those are \Recent for it
// alone. The first claim on a mailbox after the server starts claims nothing (the messages
// already there are old); later deliveries go to whichever session notices them first,
// even if none had the mailbox selected when they arrived. IMAP4rev2 has no \Recent; the
// session does not ask then. Thread-safe (one mutex); memory: one entry per mailbox claimed
// since start. Not persisted: after a restart no message is \Recent until new mail comes.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "store/api/store.hpp"

namespace estafeta::imap {

class RecentClaims {
 public:
  // Claims the not yet claimed UIDs below `uid_next` of `mailbox` of `account` and returns
  // the first UID claimed: the caller's \Recent messages are those with UIDs in
  // [returned, uid_next). A different `uid_validity` than last time starts afresh.
  store::Uid claim(const std::string& account, store::MailboxId mailbox, std::uint32_t uid_validity,
                   store::Uid uid_next);

 private:
  struct Claimed {
    std::uint32_t uid_validity = 0;
    store::Uid next = 0;  // every UID below this has been claimed
  };
  std::mutex mutex_;
  std::map<std::pair<std::string, store::MailboxId>, Claimed> claimed_;
};

}  // namespace estafeta::imap
