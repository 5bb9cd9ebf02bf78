// imap_session_selected: the selected mailbox as one session sees it (RFC 9051 §2.3.1.2):
// the message sequence number map (entry i is message i+1), each message's flags and MODSEQ
// as last reported to the client, \Recent as session state, and the store changes not yet
// reported (expunges wait in place, marked, until a command may announce them, RFC 9051
// §7.5.1). Private to the session core (imap_session*.cpp). Memory: one entry per message of
// the mailbox; nothing else grows.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "imap/proto/imap_session.hpp"
#include "store/api/store.hpp"

namespace estafeta::imap {

struct Session::SelectedMailbox {
  struct Entry {
    store::MessageInfo info;  // flags and MODSEQ as the client last heard them
    bool recent = false;      // arrived while selected (IMAP4rev1 \Recent)
    bool expunged = false;    // gone from the store, EXPUNGE not sent yet
  };

  store::MailboxInfo info;  // id, name, UIDVALIDITY; uid_next as last reported
  bool read_only = false;
  std::vector<Entry> messages;  // ascending UID = ascending sequence number
  store::ModSeq modseq = 0;     // HIGHESTMODSEQ the session has caught up to
  std::uint32_t reported_exists = 0;
  std::uint32_t reported_recent = 0;
  bool dirty = true;                  // a change may be waiting in the store
  std::vector<std::string> keywords;  // as announced in FLAGS / PERMANENTFLAGS, sorted

  // The FLAGS and PERMANENTFLAGS lines of the mailbox (RFC 9051 §7.3.5, §7.1).
  std::string flags_lines() const;
  // When `f` holds keywords not announced yet: adds them and returns the new FLAGS and
  // PERMANENTFLAGS lines (clients learn of new keywords this way, RFC 9051 §7.3.5), else "".
  std::string learn_keywords(const store::Flags& f);

  // Index of the entry with `uid`, or messages.size().
  std::size_t find(store::Uid uid) const {
    auto it = std::lower_bound(messages.begin(), messages.end(), uid,
                               [](const Entry& e, store::Uid u) { return e.info.uid < u; });
    if (it == messages.end() || it->info.uid != uid) return messages.size();
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
      if (!e.expunged) out.push_back(e.info.uid);
    return out;
  }
};

}  // namespace estafeta::imap
