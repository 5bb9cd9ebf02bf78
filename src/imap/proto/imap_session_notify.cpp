// imap_session_notify: NOTIFY (RFC 5465). NOTIFY SET replaces the session's NotifyFilter
// (imap_notify.hpp), NOTIFY NONE drops it. Events of other mailboxes arrive from the server
// (account_changed: the store's Change feed of the whole account) and become untagged STATUS
// (MessageNew, MessageExpunge, FlagChange: §5.1-§5.3) and LIST responses (MailboxName §5.4,
// SubscriptionChange §5.5); events of the selected mailbox are the usual EXISTS / EXPUNGE /
// FETCH of sync(), pushed between commands (push_selected) and followed by MessageNew's FETCH
// attributes (§5.2). Memory: the filter, one STATUS line per watched mailbox last sent, and
// at most kMaxOwnEvents own mailbox events per command.
//
// Notes:
// - A STATUS equal to the one last sent for that mailbox is not sent again: a change that does
//   not touch what the client asked about (a flag change when only MessageNew is asked) stays
//   silent.
// - Events this session caused itself (CREATE, DELETE, RENAME, (UN)SUBSCRIBE) are not reported
//   back (§5 SHOULD).
// - MessageNew's FETCH attributes are rendered without setting \Seen (RFC 5465 §5.2 asks the
//   client not to use attributes that would).
// - MailboxMetadataChange and ServerMetadataChange (§5.7, §5.8) give the unsolicited
//   METADATA response of RFC 5464 §4.4.2 (the mailbox and the entry names); a /private entry
//   only to its own user. AnnotationChange is not supported (no per-message annotations):
//   NO [BADEVENT ...] (§3.1).
// - Other users' shared mailboxes (RFC 4314) named by MAILBOXES or SUBTREE ("Shared/<owner>/..."
//   or "Shared") get STATUS and METADATA events from their owner's account, when this user has
//   "l" and "r" on them; their MailboxName events (the owner's CREATE/DELETE/RENAME) are not
//   reported.
#include <algorithm>
#include <set>

#include "imap/proto/imap_fetch.hpp"
#include "imap/proto/imap_session.hpp"
#include "imap/proto/imap_session_selected.hpp"

namespace estafeta::imap {
namespace {

constexpr std::size_t kMaxOwnEvents = 100;

bool inferior_or_same(std::string_view name, std::string_view of) {
  return name == of ||
         (name.size() > of.size() && name.compare(0, of.size(), of) == 0 && name[of.size()] == '/');
}

}  // namespace

bool Session::watches_account() const {
  return notify_ && account_ && (notify_->watches_others() || notify_->wants_server_metadata());
}

std::vector<std::pair<std::string, std::shared_ptr<store::Account>>> Session::notify_owners()
    const {
  std::vector<std::pair<std::string, std::shared_ptr<store::Account>>> out;
  if (!notify_ || !account_ || !hooks_.sharers || !hooks_.open_account) return out;
  const std::vector<std::string> names = notify_->named_mailboxes();
  bool any = false;
  for (const auto& n : names) any = any || n.starts_with("Shared");
  if (!any) return out;
  for (const auto& owner : hooks_.sharers(account_name_)) {
    if (owner == account_name_) continue;
    const std::string prefix = std::string(kSharedPrefix) + owner;
    bool named = false;
    for (const auto& n : names)
      named = named || n == "Shared" || n == prefix || n.starts_with(prefix + "/");
    if (!named) continue;
    if (auto account = hooks_.open_account(owner)) out.emplace_back(owner, std::move(account));
  }
  return out;
}

bool Session::wants_push() const {
  if (!notify_ || !selected_ || idle_tag_ || closed_) return false;
  const std::uint16_t ev = notify_->selected_events();
  if ((ev & (NotifyGroup::kMessageNew | NotifyGroup::kMessageExpunge | NotifyGroup::kFlagChange)) ==
      0)
    return false;
  if (selected_->dirty) return true;
  return !notify_->selected_delayed() && selected_->pending_expunges > 0;
}

void Session::push_selected() {
  if (!wants_push()) return;
  sync(!notify_->selected_delayed());
}

void Session::notify_overflow() {
  if (!notify_) return;
  notify_.reset();
  notify_sent_.clear();
  notify_shared_sent_.clear();
  ++notify_generation_;
  send("* OK [NOTIFICATIONOVERFLOW] Too many notifications, NOTIFY NONE now.\r\n");
}

void Session::note_own_event(store::Change::Kind kind, std::string_view name) {
  if (!notify_ || own_events_.size() >= kMaxOwnEvents) return;
  own_events_.emplace_back(kind, std::string(name));
}

// The STATUS items RFC 5465 asks for, by event (§3.1 and §5.1-§5.3): MessageNew: MESSAGES
// UIDNEXT UIDVALIDITY; MessageExpunge: MESSAGES; FlagChange: UIDVALIDITY HIGHESTMODSEQ (the
// server has CONDSTORE) and UNSEEN when flags changed; HIGHESTMODSEQ also with CONDSTORE or
// QRESYNC enabled.
std::string Session::notify_status_line(const store::MailboxInfo& info, std::uint16_t events,
                                        const MailboxRef* ref) {
  StatusItems items;
  if (events & NotifyGroup::kMessageNew)
    items.messages = items.uid_next = items.uid_validity = true;
  if (events & NotifyGroup::kMessageExpunge) items.messages = true;
  if (events & NotifyGroup::kFlagChange) items.uid_validity = items.highest_modseq = true;
  if ((events & (NotifyGroup::kMessageNew | NotifyGroup::kMessageExpunge)) &&
      (enabled_condstore_ || enabled_qresync_))
    items.highest_modseq = true;
  if (!items.messages && !items.uid_validity && !items.highest_modseq) return {};
  return "* STATUS " + encode_name(info.name) + " (" + status_items(info, items, ref) + ")\r\n";
}

void Session::cmd_notify(const Command& c, const Notify& n) {
  if (n.none) {
    notify_.reset();
    notify_sent_.clear();
    notify_shared_sent_.clear();
    ++notify_generation_;
    own_events_.clear();
    if (selected_) sync(true);
    tagged_ok(c.tag, "NOTIFY completed.");
    return;
  }
  // RFC 5465 §3.1: unsupported events are NO [BADEVENT (the supported ones)].
  std::vector<NotifyGroup> groups = n.groups;
  for (auto& g : groups) {
    if ((g.events & ~NotifyFilter::kSupported) != 0 || !g.unknown.empty()) {
      tagged_no(c.tag, "[BADEVENT (" + NotifyFilter::supported_names() + ")] Unsupported event.");
      return;
    }
    for (auto& name : g.mailboxes) {
      auto utf8 = decode_name(name);
      name = utf8 ? *utf8 : std::string();  // §3.1: a name that names nothing is ignored
    }
  }
  notify_.emplace(std::move(groups));
  notify_sent_.clear();
  notify_shared_sent_.clear();
  ++notify_generation_;
  own_events_.clear();
  // §3.1: NOTIFY SET is an implicit NOOP.
  if (selected_) sync(true);
  if (n.status) {
    // §3.1: a STATUS for every mailbox with message events, before the tagged OK.
    std::vector<store::MailboxInfo> boxes;
    std::vector<std::string> subs;
    if (!account_->list(boxes) &&
        (!notify_->uses_subscriptions() || !account_->subscriptions(subs))) {
      std::sort(subs.begin(), subs.end());
      std::string out;
      for (const auto& b : boxes) {
        if (selected_ && b.id == selected_->info.id) continue;
        const bool sub = std::binary_search(subs.begin(), subs.end(), b.name);
        std::uint16_t ev = notify_->events_for(b.name, sub, true);
        std::string line = notify_status_line(b, ev);
        if (line.empty()) continue;
        notify_sent_[b.id] = line;
        out += line;
      }
      send(std::move(out));
    }
  }
  tagged_ok(c.tag, "NOTIFY completed.");
}

void Session::account_changed(const std::vector<store::Change>& changes, const std::string& owner) {
  if (!notify_ || !account_ || closed_) {
    own_events_.clear();
    return;
  }
  if (!owner.empty()) {
    owner_changed(changes, owner);
    return;
  }
  using K = store::Change::Kind;
  std::vector<store::MailboxInfo> boxes;
  bool listed = false;
  std::vector<std::string> subs;
  bool subs_read = false;
  auto subscribed = [&](const std::string& name) {
    if (!notify_->uses_subscriptions()) return false;
    if (!subs_read) {
      subs_read = true;
      if (account_->subscriptions(subs)) subs.clear();
      std::sort(subs.begin(), subs.end());
    }
    return std::binary_search(subs.begin(), subs.end(), name);
  };
  auto own = [&](K kind, const std::string& name) {
    for (auto it = own_events_.begin(); it != own_events_.end(); ++it)
      if (it->first == kind &&
          (kind == K::renamed ? inferior_or_same(name, it->second) : name == it->second))
        return true;
    return false;
  };
  // Renamed mailboxes whose parent was renamed too: only the parent is reported (§5.4).
  std::vector<std::string> renamed_from;
  for (const auto& ch : changes)
    if (ch.kind == K::renamed) renamed_from.push_back(ch.old_name);

  std::string out;
  std::vector<store::MailboxId> touched;  // mailboxes whose messages changed, in order
  for (const auto& ch : changes) {
    switch (ch.kind) {
      case K::messages:
        // sync()'s business (ids are per account: a shared selection is another store's)
        if (selected_ && selected_->account == account_ && ch.mailbox == selected_->info.id) break;
        if (std::find(touched.begin(), touched.end(), ch.mailbox) == touched.end())
          touched.push_back(ch.mailbox);
        break;
      case K::created:
      case K::deleted:
        if (own(ch.kind, ch.name)) break;
        if (notify_->events_for(ch.name, subscribed(ch.name), true) & NotifyGroup::kMailboxName)
          out += std::string("* LIST (") + (ch.kind == K::deleted ? "\\NonExistent" : "") +
                 ") \"/\" " + encode_name(ch.name) + "\r\n";
        if (ch.kind == K::deleted) notify_sent_.erase(ch.mailbox);
        break;
      case K::renamed: {
        if (own(ch.kind, ch.name)) break;
        bool child = false;
        for (const auto& f : renamed_from)
          child = child || (f != ch.old_name && inferior_or_same(ch.old_name, f));
        if (child) break;
        const std::uint16_t ev = notify_->events_for(ch.name, subscribed(ch.name), true) |
                                 notify_->events_for(ch.old_name, subscribed(ch.old_name), true);
        if (ev & NotifyGroup::kMailboxName)
          out += "* LIST () \"/\" " + encode_name(ch.name) + " (\"OLDNAME\" (" +
                 encode_name(ch.old_name) + "))\r\n";
        break;
      }
      case K::metadata: {
        // RFC 5465 §5.7, §5.8 with RFC 5464 §4.4.2; someone else's /private entry is theirs.
        if (!ch.user.empty() && ch.user != account_name_) break;
        if (own(ch.kind, std::to_string(ch.mailbox) + ' ' + ch.name)) break;
        if (ch.mailbox == 0) {
          if (notify_->wants_server_metadata()) out += "* METADATA \"\" " + ch.name + "\r\n";
          break;
        }
        if (!listed) {
          listed = true;
          if (account_->list(boxes)) boxes.clear();
        }
        auto it = std::find_if(boxes.begin(), boxes.end(),
                               [&](const store::MailboxInfo& b) { return b.id == ch.mailbox; });
        if (it == boxes.end()) break;
        if (notify_->events_for(it->name, subscribed(it->name), true) &
            NotifyGroup::kMailboxMetadataChange)
          out += "* METADATA " + encode_name(it->name) + " " + ch.name + "\r\n";
        break;
      }
      case K::subscription:
        if (own(ch.kind, ch.name)) break;
        // The filter SUBSCRIBED matches the name before or after the change.
        if (notify_->events_for(ch.name, true, true) & NotifyGroup::kSubscriptionChange)
          out += std::string("* LIST (") + (ch.subscribed ? "\\Subscribed" : "") + ") \"/\" " +
                 encode_name(ch.name) + "\r\n";
        break;
    }
  }
  own_events_.clear();
  for (store::MailboxId id : touched) {
    if (!listed) {
      listed = true;
      if (account_->list(boxes)) boxes.clear();
    }
    auto it = std::find_if(boxes.begin(), boxes.end(),
                           [id](const store::MailboxInfo& b) { return b.id == id; });
    if (it == boxes.end()) continue;  // gone meanwhile (its deletion is reported itself)
    const std::uint16_t ev = notify_->events_for(it->name, subscribed(it->name), true);
    std::string line = notify_status_line(*it, ev);
    if (line.empty()) continue;
    // FlagChange in another mailbox: UNSEEN too (§5.1 MAY), so that a client without
    // CONDSTORE learns of \Seen changes.
    if (ev & NotifyGroup::kFlagChange) {
      line.insert(line.size() - 3, " UNSEEN " + std::to_string(it->unseen));
    }
    std::string& sent = notify_sent_[id];
    if (sent == line) continue;
    sent = line;
    out += line;
  }
  if (!out.empty()) send(std::move(out));
}

// Changes of another user's account: STATUS (message events) and METADATA (MailboxMetadataChange)
// for the shared mailboxes the filter names and this user may read ("l" and "r").
void Session::owner_changed(const std::vector<store::Change>& changes, const std::string& owner) {
  using K = store::Change::Kind;
  std::shared_ptr<store::Account> account;
  for (auto& [name, a] : notify_owners())
    if (name == owner) account = a;
  if (!account) return;
  std::vector<store::MailboxInfo> boxes;
  if (account->list(boxes)) return;
  std::string out;
  std::vector<store::MailboxId> touched;
  for (const auto& ch : changes) {
    if (ch.kind == K::messages) {
      if (selected_ && selected_->account == account && ch.mailbox == selected_->info.id) continue;
      if (std::find(touched.begin(), touched.end(), ch.mailbox) == touched.end())
        touched.push_back(ch.mailbox);
    } else if (ch.kind == K::metadata && ch.mailbox != 0) {
      if (!ch.user.empty() && ch.user != account_name_) continue;
      auto it = std::find_if(boxes.begin(), boxes.end(),
                             [&](const store::MailboxInfo& b) { return b.id == ch.mailbox; });
      if (it == boxes.end()) continue;
      const std::string display = std::string(kSharedPrefix) + owner + "/" + it->name;
      MailboxRef ref;
      if (resolve_mailbox(display, ref) ||
          (ref.rights & (acl::kLookup | acl::kRead)) != (acl::kLookup | acl::kRead))
        continue;
      if (notify_->events_for(display, false, false) & NotifyGroup::kMailboxMetadataChange)
        out += "* METADATA " + encode_name(display) + " " + ch.name + "\r\n";
    }
  }
  for (store::MailboxId id : touched) {
    auto it = std::find_if(boxes.begin(), boxes.end(),
                           [id](const store::MailboxInfo& b) { return b.id == id; });
    if (it == boxes.end()) continue;
    const std::string display = std::string(kSharedPrefix) + owner + "/" + it->name;
    const std::uint16_t ev = notify_->events_for(display, false, false);
    if (!(ev &
          (NotifyGroup::kMessageNew | NotifyGroup::kMessageExpunge | NotifyGroup::kFlagChange)))
      continue;
    MailboxRef ref;
    if (resolve_mailbox(display, ref) ||
        (ref.rights & (acl::kLookup | acl::kRead)) != (acl::kLookup | acl::kRead))
      continue;
    store::MailboxInfo shown = ref.info;
    shown.name = display;
    std::string line = notify_status_line(shown, ev, &ref);
    if (line.empty()) continue;
    if (ev & NotifyGroup::kFlagChange)
      line.insert(line.size() - 3, " UNSEEN " + std::to_string(ref.info.unseen));
    std::string& sent = notify_shared_sent_[display];
    if (sent == line) continue;
    sent = line;
    out += line;
  }
  if (!out.empty()) send(std::move(out));
}

// MessageNew's FETCH attributes for the selected mailbox's entries from index `from` on
// (RFC 5465 §5.2: after the EXISTS).
void Session::send_new_message_fetches(std::size_t from) {
  if (!notify_ || !selected_) return;
  if (!(notify_->selected_events() & NotifyGroup::kMessageNew)) return;
  const std::vector<FetchItem>& items = notify_->new_message_fetch();
  if (items.empty()) return;
  SelectedMailbox& s = *selected_;
  FetchOptions o;
  o.modseq = enabled_condstore_;
  o.utf8 = enabled_utf8_ || enabled_rev2_;
  o.uid_only = enabled_uidonly_;  // RFC 9586: UIDFETCH
  std::string out;
  for (std::size_t i = from; i < s.messages.size(); ++i) {
    const auto& e = s.messages[i];
    if (e.expunged) continue;
    store::CachedFields cached;
    if (s.account->cached(s.info.id, e.uid, cached)) continue;
    const store::MessageInfo info = s.info_of(e);
    FetchMessage m;
    m.seq = static_cast<std::uint32_t>(i + 1);
    m.info = &info;
    m.cached = &cached;
    const store::MailboxId box = s.info.id;
    const store::Uid uid = e.uid;
    m.load = [account = s.account, box, uid](std::string& bytes) -> std::error_code {
      std::unique_ptr<store::Blob> b;
      if (auto ec = account->open(box, uid, b)) return ec;
      bytes.clear();
      std::string piece;
      for (std::uint64_t off = 0; off < b->size();) {
        if (auto ec = b->read(off, 64 * 1024, piece)) return ec;
        if (piece.empty()) break;
        bytes += piece;
        off += piece.size();
      }
      return {};
    };
    o.recent = !enabled_rev2_ && e.recent;
    std::vector<FetchItem> peek = items;
    for (auto& it : peek) it.peek = true;
    FetchResult r = render_fetch(m, peek, o);
    if (r.status == FetchResult::Status::ok) out += r.text;
  }
  if (!out.empty()) send(std::move(out));
}

}  // namespace estafeta::imap
