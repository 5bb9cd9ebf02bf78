// imap_recent: who gets \Recent (IMAP4rev1, RFC 3501 §2.3.2: "this session is the first
// session to have been notified about this message"), shared by every session of one server.
// A session that selects a mailbox read-write, or learns of new messages in it, claims the
// UIDs below the mailbox's UIDNEXT that no session claimed before: those are \Recent for it
// alone. EXAMINE and STATUS RECENT only look (peek): RFC 3501 §6.3.2 keeps \Recent intact
// for a read-only selection.
// Where claims begin: the first look at a mailbox after the server starts takes as new the
// messages saved into it (MessageInfo::save_date) since the second the server started in,
// and claims from the first of them, so mail delivered or appended while no session had the
// mailbox selected is \Recent for the next SELECT, once; older messages are not \Recent.
// Later looks need no message data: every UID below the last claim's UIDNEXT is claimed.
// IMAP4rev2 has no \Recent; the session does not ask then. Thread-safe (one mutex); memory:
// one entry per mailbox looked at since start. Not persisted: after a restart, mail that
// arrived before it is not \Recent. Limits of the save date (one-second resolution, kept in
// the index): a message saved in the second the server started counts as new, even when a
// session before a quick restart had it already; an index rebuilt from the Maildir dates
// every message at the rebuild, so after a rebuild they are \Recent again. Both err on the
// side of showing \Recent, never of losing it for mail that came while nobody looked.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <utility>

#include "store/api/store.hpp"

namespace estafeta::imap {

class RecentClaims {
 public:
  // `started`: the server's start, seconds since the epoch (save dates from it on are new).
  explicit RecentClaims(std::int64_t started);
  RecentClaims();  // started now (system clock)

  std::int64_t started() const { return started_; }

  // The first UID among `messages` (ascending UID, as Account::snapshot gives them) saved
  // in or after the second started(), or `uid_next` when none: the `first_new` argument for a
  // mailbox that is not known() yet. Looks only at the newest messages (save dates grow with UIDs).
  store::Uid first_saved_since_start(std::span<const store::MessageInfo> messages,
                                     store::Uid uid_next) const;

  // True when `mailbox` (with this UIDVALIDITY) has been looked at since start: claim() and
  // peek() then ignore their `first_new`.
  bool known(const std::string& account, store::MailboxId mailbox, std::uint32_t uid_validity);

  // Claims the not yet claimed UIDs below `uid_next` of `mailbox` of `account` and returns
  // the first UID claimed: the caller's \Recent messages are those with UIDs in
  // [returned, uid_next). On the first look (not known(): first since start, or a different
  // UIDVALIDITY) the claim starts at `first_new` (first_saved_since_start()).
  store::Uid claim(const std::string& account, store::MailboxId mailbox, std::uint32_t uid_validity,
                   store::Uid uid_next, store::Uid first_new);
  // What claim() would return, without claiming: \Recent messages are those with UIDs at or
  // above it (EXAMINE, STATUS RECENT).
  store::Uid peek(const std::string& account, store::MailboxId mailbox, std::uint32_t uid_validity,
                  store::Uid uid_next, store::Uid first_new);

 private:
  struct Claimed {
    std::uint32_t uid_validity = 0;
    store::Uid next = 0;  // every UID below this has been claimed
  };
  // The entry of `mailbox`, made on the first look; caller holds mutex_.
  Claimed& entry(const std::string& account, store::MailboxId mailbox, std::uint32_t uid_validity,
                 store::Uid uid_next, store::Uid first_new);

  const std::int64_t started_;
  std::mutex mutex_;
  std::map<std::pair<std::string, store::MailboxId>, Claimed> claimed_;
};

}  // namespace estafeta::imap
