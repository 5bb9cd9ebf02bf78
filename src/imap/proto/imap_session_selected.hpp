// imap_session_selected: the selected mailbox as one session sees it (RFC 9051 §2.3.1.2):
// the message sequence number map (entry i is message i+1), each message's flags and MODSEQ
// as last reported to the client, \Recent as session state, and the store changes not yet
// reported (expunges wait in place, marked, until a command may announce them, RFC 9051
// §7.5.1). Private to the session core (imap_session*.cpp). Memory: one compact entry per
// message of the mailbox (~64 octets), the mailbox's keywords once; nothing else grows.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "imap/proto/imap_session.hpp"
#include "store/api/store.hpp"

namespace estafeta::imap {

struct Session::SelectedMailbox {
  // One message as the client last heard of it, kept small (a session holds one per message
  // of the mailbox, ~64 octets, however many keywords): keywords are bits of `keyword_bits`
  // over `keyword_table`, the store's email id "M" + 16 hex digits and thread id "T" + 16 hex
  // digits (RFC 8474) are kept as their numbers.
  struct Entry {
    store::Uid uid = 0;
    std::int16_t internal_tz = 0;    // minutes east of UTC
    std::uint8_t system = 0;         // store::kSeen ... flags
    bool recent : 1 = false;         // arrived while selected (IMAP4rev1 \Recent)
    bool expunged : 1 = false;       // gone from the store, EXPUNGE not sent yet
    bool odd_email_id : 1 = false;   // email id not of the "M%016x" form: in odd_email_ids
    bool odd_thread_id : 1 = false;  // thread id not of the "T%016x" form: in odd_thread_ids
    bool no_thread_id : 1 = false;   // the store keeps no thread id for it (THREADID NIL)
    std::uint64_t keyword_bits = 0;
    store::ModSeq modseq = 0;
    std::int64_t internal_date = 0;
    std::int64_t save_date = 0;
    std::uint64_t size = 0;
    std::uint64_t email_id = 0;
    std::uint64_t thread_id = 0;
  };

  store::MailboxInfo info;  // id, name, UIDVALIDITY; uid_next as last reported
  bool read_only = false;
  // Whose mailbox (RFC 4314 shared mailboxes): the owner's store, name, and the rights of
  // this user in it (acl::kAll in the user's own).
  std::shared_ptr<store::Account> account;
  std::string owner;
  std::string display;  // the name as this session spells it (UTF-8)
  acl::Rights rights = acl::kAll;
  std::vector<Entry> messages;  // ascending UID = ascending sequence number
  store::ModSeq modseq = 0;     // HIGHESTMODSEQ the session has caught up to
  std::uint32_t reported_exists = 0;
  std::uint32_t reported_recent = 0;
  bool dirty = true;                  // a change may be waiting in the store
  std::size_t pending_expunges = 0;   // entries marked expunged, EXPUNGE not sent yet
  std::vector<std::string> keywords;  // as announced in FLAGS / PERMANENTFLAGS, sorted

  // The FLAGS and PERMANENTFLAGS lines of the mailbox (RFC 9051 §7.3.5, §7.1).
  std::string flags_lines() const;
  // When `f` holds keywords not announced yet: adds them and returns the new FLAGS and
  // PERMANENTFLAGS lines (clients learn of new keywords this way, RFC 9051 §7.3.5), else "".
  std::string learn_keywords(const store::Flags& f);

  // Every keyword a message here has had, in the order first seen (bit i of keyword_bits);
  // the store allows at most store::kMaxKeywords (64) per mailbox.
  std::vector<std::string> keyword_table;
  // Email ids of another form than the store's own (a store that makes others).
  std::vector<std::pair<store::Uid, std::string>> odd_email_ids;
  // Thread ids of another form than the store's own.
  std::vector<std::pair<store::Uid, std::string>> odd_thread_ids;

  // `m` in compact form (its keywords interned into keyword_table).
  Entry entry_of(const store::MessageInfo& m);
  // Updates `e` from `m` (the same message, newer flags/MODSEQ); true when the flags changed.
  bool update(Entry& e, const store::MessageInfo& m);
  // The message as the store interface describes it (email_id and thread_id only when asked
  // for).
  store::MessageInfo info_of(const Entry& e, bool with_ids = true) const;
  store::Flags flags_of(const Entry& e) const;

  void mark_expunged(Entry& e) {
    if (!e.expunged) ++pending_expunges;
    e.expunged = true;
  }
  // True when no change waits: neither one in the store nor an EXPUNGE to send.
  bool clean() const { return !dirty && pending_expunges == 0; }

  // Index of the entry with `uid`, or messages.size().
  std::size_t find(store::Uid uid) const {
    auto it = std::lower_bound(messages.begin(), messages.end(), uid,
                               [](const Entry& e, store::Uid u) { return e.uid < u; });
    if (it == messages.end() || it->uid != uid) return messages.size();
    return static_cast<std::size_t>(it - messages.begin());
  }
  std::uint32_t recent_count() const {
    std::uint32_t n = 0;
    for (const auto& e : messages) n += e.recent ? 1 : 0;
    return n;
  }
  // UIDs of the messages not expunged, ascending.
  std::vector<store::Uid> live_uids() const {
    std::vector<store::Uid> out;
    out.reserve(messages.size());
    for (const auto& e : messages)
      if (!e.expunged) out.push_back(e.uid);
    return out;
  }
};

}  // namespace estafeta::imap
