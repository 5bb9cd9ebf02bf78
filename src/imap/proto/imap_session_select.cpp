// imap_session_select: the selected state (RFC 9051 §6.3.2, §6.3.3, §6.4.1, §6.4.2): SELECT
// and EXAMINE with CONDSTORE and QRESYNC (RFC 7162 §3.2.5: VANISHED (EARLIER) and the FETCHes
// of what changed since the client's MODSEQ), CLOSE, UNSELECT (RFC 3691), IDLE (RFC 2177,
// RFC 9051 §6.3.13) and the catching up with other sessions' changes (sync): EXPUNGE or
// VANISHED, EXISTS, RECENT (rev1) and FETCH FLAGS, each only where RFC 9051 §7.5.1 and
// §5.5 allow it.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <optional>

#include "imap/proto/imap_objectid.hpp"
#include "imap/proto/imap_response_strings.hpp"
#include "imap/proto/imap_sequence.hpp"
#include "imap/proto/imap_session.hpp"
#include "imap/proto/imap_session_selected.hpp"

namespace estafeta::imap {
namespace {

std::string flag_list(const store::Flags& f, bool recent) {
  std::string s;
  append_flag_list(s, f, recent);
  return s;
}

}  // namespace

std::string Session::SelectedMailbox::flags_lines() const {
  std::string kw;
  for (const auto& k : keywords) kw += " " + k;
  std::string out = "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft" + kw + ")\r\n";
  if (read_only)
    out += "* OK [PERMANENTFLAGS ()] Read-only mailbox.\r\n";
  else
    out += "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft" + kw +
           " \\*)] Flags permitted.\r\n";
  return out;
}

std::string Session::SelectedMailbox::learn_keywords(const store::Flags& f) {
  bool added = false;
  for (const auto& k : f.keywords) {
    auto it = std::lower_bound(keywords.begin(), keywords.end(), k);
    if (it != keywords.end() && *it == k) continue;
    keywords.insert(it, k);
    added = true;
  }
  return added ? flags_lines() : std::string();
}

namespace {

// The store's own id forms, `kind` ('M' email, 'T' thread) + 16 lowercase hex digits, as
// their number.
bool parse_object_id(const std::string& id, char kind, std::uint64_t& out) {
  if (id.size() != 17 || id[0] != kind) return false;
  std::uint64_t v = 0;
  for (std::size_t i = 1; i < id.size(); ++i) {
    const char c = id[i];
    unsigned d;
    if (c >= '0' && c <= '9')
      d = static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f')
      d = static_cast<unsigned>(c - 'a' + 10);
    else
      return false;
    v = (v << 4) | d;
  }
  out = v;
  return true;
}

}  // namespace

Session::SelectedMailbox::Entry Session::SelectedMailbox::entry_of(const store::MessageInfo& m) {
  Entry e;
  e.uid = m.uid;
  update(e, m);
  e.internal_date = m.internal_date;
  e.internal_tz = static_cast<std::int16_t>(std::clamp(m.internal_tz, -32768, 32767));
  e.save_date = m.save_date;
  e.size = m.size;
  if (!parse_object_id(m.email_id, 'M', e.email_id)) {
    e.odd_email_id = true;
    odd_email_ids.emplace_back(m.uid, m.email_id);
  }
  if (m.thread_id.empty()) {
    e.no_thread_id = true;
  } else if (!parse_object_id(m.thread_id, 'T', e.thread_id)) {
    e.odd_thread_id = true;
    odd_thread_ids.emplace_back(m.uid, m.thread_id);
  }
  return e;
}

bool Session::SelectedMailbox::update(Entry& e, const store::MessageInfo& m) {
  std::uint64_t bits = 0;
  for (const auto& k : m.flags.keywords) {
    auto it = std::find(keyword_table.begin(), keyword_table.end(), k);
    std::size_t i = static_cast<std::size_t>(it - keyword_table.begin());
    if (it == keyword_table.end()) {
      if (keyword_table.size() >= 64) continue;  // beyond store::kMaxKeywords: cannot happen
      keyword_table.push_back(k);
    }
    bits |= std::uint64_t{1} << i;
  }
  const bool changed = e.system != m.flags.system || e.keyword_bits != bits;
  e.system = m.flags.system;
  e.keyword_bits = bits;
  e.modseq = m.modseq;
  return changed;
}

store::Flags Session::SelectedMailbox::flags_of(const Entry& e) const {
  store::Flags f;
  f.system = e.system;
  for (std::uint64_t bits = e.keyword_bits; bits != 0; bits &= bits - 1)
    f.keywords.push_back(keyword_table[static_cast<std::size_t>(std::countr_zero(bits))]);
  if (f.keywords.size() > 1) std::sort(f.keywords.begin(), f.keywords.end());
  return f;
}

namespace {

std::string object_id(char kind, std::uint64_t v) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(17, kind);
  for (int i = 0; i < 16; ++i) id[static_cast<std::size_t>(16 - i)] = kHex[(v >> (4 * i)) & 0xF];
  return id;
}

}  // namespace

store::MessageInfo Session::SelectedMailbox::info_of(const Entry& e, bool with_ids) const {
  store::MessageInfo m;
  m.uid = e.uid;
  m.flags = flags_of(e);
  m.modseq = e.modseq;
  m.internal_date = e.internal_date;
  m.internal_tz = e.internal_tz;
  m.save_date = e.save_date;
  m.size = e.size;
  if (!with_ids) return m;
  if (e.odd_email_id) {
    for (const auto& [uid, id] : odd_email_ids)
      if (uid == e.uid) m.email_id = id;
  } else {
    m.email_id = object_id('M', e.email_id);
  }
  if (e.odd_thread_id) {
    for (const auto& [uid, id] : odd_thread_ids)
      if (uid == e.uid) m.thread_id = id;
  } else if (!e.no_thread_id) {
    m.thread_id = object_id('T', e.thread_id);
  }
  return m;
}

// The first UID that is \Recent for this session among those below `uid_next` (RFC 3501
// §2.3.2): claimed from the server's RecentClaims, only looked at when read-only (RFC 3501
// §6.3.2); none in IMAP4rev2. The mailbox was looked at when it was selected, so no save
// dates are needed here.
store::Uid Session::claim_recent(store::Uid uid_next) {
  if (!hooks_.recent) return 0;  // no registry: whoever sees it arrive
  if (enabled_rev2_) return UINT32_MAX;
  const SelectedMailbox& s = *selected_;
  if (s.read_only)
    return hooks_.recent->peek(s.owner, s.info.id, s.info.uid_validity, uid_next, uid_next);
  return hooks_.recent->claim(s.owner, s.info.id, s.info.uid_validity, uid_next, uid_next);
}

void Session::unselect() {
  if (!selected_) return;
  selected_.reset();
  ++selection_generation_;
  state_ = State::authenticated;
  // RFC 5182 §2.1: the saved search result does not outlive the selection.
  saved_search_.clear();
  saved_search_valid_ = false;
  updates_.clear();  // RFC 5267 §4.3: updates cease with the selection
}

// RFC 4314: the owner of a shared mailbox may change this user's rights while it is
// selected. Read again before each command (one small ACL read, only for another user's
// mailbox), so a revoked right stops working at once; without "r" the mailbox is closed, as a
// SELECT of it would now be refused.
void Session::refresh_shared_rights() {
  SelectedMailbox& s = *selected_;
  if (s.account == account_) return;
  std::vector<store::AclEntry> entries;
  acl::Rights now = 0;
  if (!s.account->acl(s.info.id, entries))
    now = acl::effective_rights(entries, account_name_, s.owner);
  if (now == s.rights) return;
  s.rights = now;
  if (!(now & acl::kRead)) {
    unselect();
    send("* OK [CLOSED] Access to the mailbox was withdrawn by its owner.\r\n");
    return;
  }
  if (!(now & (acl::kSeen | acl::kWrite | acl::kDeleteMessage | acl::kExpunge))) s.read_only = true;
}

void Session::cmd_select(const Command& c, const Select& s) {
  const bool rev1 = !enabled_rev2_;
  if (s.qresync && !enabled_qresync_) {
    tagged_bad(c.tag, "QRESYNC is not enabled.");
    return;
  }
  if (selected_) {
    unselect();
    // RFC 7162 §3.2.11, RFC 9051 §7.1: the client learns where the old mailbox's responses
    // end.
    send("* OK [CLOSED] Previous mailbox closed.\r\n");
  }
  MailboxRef ref;  // RFC 4314 §4: SELECT and EXAMINE need "r"
  if (!mailbox_for(c, s.mailbox, acl::kRead, ref)) return;
  const store::MailboxInfo& found = ref.info;
  auto sel = std::make_unique<SelectedMailbox>();
  sel->account = ref.account;
  sel->owner = ref.owner;
  sel->display = ref.display;
  sel->rights = ref.rights;
  std::vector<store::MessageInfo> messages;
  if (auto ec = ref.account->snapshot(found.id, sel->info, messages)) {
    tagged_no(c.tag, store_error_text(ec));
    return;
  }
  if (s.condstore) enabled_condstore_ = true;  // RFC 7162 §3.1: CONDSTORE-enabling
  // RFC 4314 §4: without any right to change the mailbox, it is read-only.
  sel->read_only = s.read_only ||
                   !(ref.rights & (acl::kSeen | acl::kWrite | acl::kDeleteMessage | acl::kExpunge));
  sel->modseq = sel->info.highest_modseq;
  sel->messages.reserve(messages.size());
  std::uint32_t first_unseen = 0;
  for (auto& m : messages) {
    sel->learn_keywords(m.flags);
    sel->messages.push_back(sel->entry_of(m));
    if (!first_unseen && !(sel->messages.back().system & store::kSeen))
      first_unseen = static_cast<std::uint32_t>(sel->messages.size());
  }
  // A change between the snapshot and the server's watch() on the new selection would go
  // unnoticed: the first sync asks the store once.
  sel->dirty = true;
  sel->reported_exists = static_cast<std::uint32_t>(sel->messages.size());
  if (hooks_.recent && rev1) {
    // RFC 3501 §2.3.2: SELECT takes \Recent from every other session, EXAMINE only shows it
    // (§6.3.2). Mail saved while no session had the mailbox selected is \Recent here.
    RecentClaims& r = *hooks_.recent;
    const store::MailboxInfo& i = sel->info;
    const store::Uid first_new = r.first_saved_since_start(messages, i.uid_next);
    const store::Uid first = sel->read_only
                                 ? r.peek(ref.owner, i.id, i.uid_validity, i.uid_next, first_new)
                                 : r.claim(ref.owner, i.id, i.uid_validity, i.uid_next, first_new);
    for (auto& e : sel->messages) e.recent = e.uid >= first;
  }
  sel->reported_recent = sel->recent_count();

  std::string out = sel->flags_lines();
  out += "* " + std::to_string(sel->messages.size()) + " EXISTS\r\n";
  if (rev1) out += "* " + std::to_string(sel->reported_recent) + " RECENT\r\n";
  if (rev1 && first_unseen)
    out += "* OK [UNSEEN " + std::to_string(first_unseen) + "] First unseen.\r\n";
  out += "* OK [UIDVALIDITY " + std::to_string(sel->info.uid_validity) + "] UIDs valid\r\n";
  out += "* OK [UIDNEXT " + std::to_string(sel->info.uid_next) + "] Predicted next UID\r\n";
  out += "* OK [HIGHESTMODSEQ " + std::to_string(sel->info.highest_modseq) + "] Highest\r\n";
  out += "* OK [MAILBOXID (" + mailbox_object_id(sel->info) + ")] Ok\r\n";  // RFC 8474 §4.1
  if (enabled_rev2_) {
    // RFC 9051 §6.3.2: the mailbox's LIST response, with its name as the server spells it.
    out += "* LIST () \"/\" " + encode_name(ref.display) + "\r\n";
  }

  // RFC 7162 §3.2.5: QRESYNC resynchronization when the UIDVALIDITY still holds.
  if (s.qresync && s.qresync->uid_validity == sel->info.uid_validity) {
    store::ChangesSince ch;
    if (!ref.account->changes_since(found.id, s.qresync->modseq, ch)) {
      std::vector<std::uint32_t> vanished;
      for (store::Uid u : ch.expunged) {
        if (s.qresync->known_uids &&
            !sequence_set_contains(*s.qresync->known_uids, u, sel->info.uid_next - 1))
          continue;
        vanished.push_back(u);
      }
      if (!vanished.empty()) out += "* VANISHED (EARLIER) " + compress_uids(vanished) + "\r\n";
      for (const auto& m : ch.changed) {
        std::size_t i = sel->find(m.uid);
        if (i == sel->messages.size()) continue;
        const auto& e = sel->messages[i];
        out += fetch_head(static_cast<std::uint32_t>(i + 1), e.uid) +
               (enabled_uidonly_ ? "" : "UID " + std::to_string(e.uid) + " ") + "FLAGS " +
               flag_list(sel->flags_of(e), false) + " MODSEQ (" + std::to_string(e.modseq) +
               "))\r\n";
      }
    }
  }
  send(std::move(out));
  selected_ = std::move(sel);
  ++selection_generation_;
  state_ = State::selected;
  if (selected_->read_only)
    tagged_ok(c.tag,
              s.read_only ? "[READ-ONLY] Examine completed." : "[READ-ONLY] Select completed.");
  else
    tagged_ok(c.tag, "[READ-WRITE] Select completed.");
}

void Session::cmd_close(const Command& c, bool expunge) {
  // RFC 4314 §4: without "e", CLOSE closes without expunging.
  if (expunge && !selected_->read_only && (selected_->rights & acl::kExpunge)) {
    // RFC 9051 §6.4.1: CLOSE expunges silently.
    std::vector<store::Uid> removed;
    if (auto ec = selected_->account->expunge_deleted(selected_->info.id, nullptr, removed)) {
      tagged_no(c.tag, store_error_text(ec));
      return;
    }
  }
  unselect();
  tagged_ok(c.tag, expunge ? "Close completed." : "Unselect completed.");
}

void Session::cmd_idle(const Command& c) {
  send("+ idling\r\n");
  idle_tag_ = c.tag;
  if (selected_) sync(true);
}

// Reports what changed in the store since the session last looked (RFC 9051 §7.5.1: EXPUNGE
// only when `allow_expunge`; EXISTS and FETCH FLAGS at the end of any command).
void Session::sync(bool allow_expunge) {
  SelectedMailbox& s = *selected_;
  // With update contexts (CONTEXT=SEARCH), the session's own changes count too.
  if (!s.dirty && !(allow_expunge && s.pending_expunges > 0) && updates_.empty()) return;
  std::string out;
  std::size_t added = 0;  // new messages appended to the map
  if (s.dirty) {
    store::ChangesSince ch;
    std::error_code ec = s.account->changes_since(s.info.id, s.modseq, ch);
    if (ec) {
      if (ec == store::Errc::no_such_mailbox) {
        // Deleted by another session: every message is gone.
        for (auto& e : s.messages) s.mark_expunged(e);
      }
    } else {
      s.dirty = false;
      for (store::Uid u : ch.expunged) {
        std::size_t i = s.find(u);
        if (i < s.messages.size()) s.mark_expunged(s.messages[i]);
      }
      const bool rev1 = !enabled_rev2_;
      std::optional<store::Uid> first_recent;  // claimed once, when a new message shows up
      for (const auto& m : ch.changed) {
        std::size_t i = s.find(m.uid);
        if (i < s.messages.size()) {
          auto& e = s.messages[i];
          if (e.expunged) continue;
          out += s.learn_keywords(m.flags);
          const bool flags_differ = s.update(e, m);
          if (flags_differ) {
            // RFC 9051 §7.5.2 / RFC 7162 §3.2.4: unsolicited FETCH with UID under QRESYNC,
            // and under NOTIFY FlagChange (RFC 5465 §5.1); UIDFETCH under UIDONLY (RFC 9586).
            std::string item = fetch_head(static_cast<std::uint32_t>(i + 1), m.uid);
            if (!enabled_uidonly_ && (enabled_qresync_ || (notify_ && (notify_->selected_events() &
                                                                       NotifyGroup::kFlagChange))))
              item += "UID " + std::to_string(m.uid) + " ";
            item += "FLAGS " + flag_list(m.flags, rev1 && e.recent);
            if (enabled_condstore_) item += " MODSEQ (" + std::to_string(m.modseq) + ")";
            item += ")\r\n";
            out += item;  // numbers before any expunge below: sent first
          }
        } else if (s.messages.empty() || m.uid > s.messages.back().uid) {
          out += s.learn_keywords(m.flags);
          if (!first_recent) first_recent = claim_recent(ch.mailbox.uid_next);
          SelectedMailbox::Entry e = s.entry_of(m);
          e.recent = m.uid >= *first_recent;
          s.messages.push_back(std::move(e));
          ++added;
        }
      }
      s.modseq = ch.mailbox.highest_modseq;
      s.info.uid_next = ch.mailbox.uid_next;
    }
  }
  // RFC 5267 §4.3.4: REMOVEFROM before the EXPUNGEs (their numbers are still valid).
  out += context_removals();
  std::string expunges;
  const bool any_expunged = s.pending_expunges > 0;
  // Only when something goes: the entries are moved into `kept` (moving them out and then
  // keeping the old vector would leave every kept entry hollow: keywords and ids gone).
  if (allow_expunge && any_expunged) {
    std::vector<std::uint32_t> vanished;
    std::size_t removed = 0;
    std::vector<SelectedMailbox::Entry> kept;
    kept.reserve(s.messages.size());
    for (std::size_t i = 0; i < s.messages.size(); ++i) {
      if (s.messages[i].expunged) {
        if (vanished_responses())  // RFC 7162 §3.2.10, RFC 9586 §3.2
          vanished.push_back(s.messages[i].uid);
        else
          expunges += "* " + std::to_string(i + 1 - removed) + " EXPUNGE\r\n";
        ++removed;
      } else {
        kept.push_back(std::move(s.messages[i]));
      }
    }
    if (removed) {
      s.messages = std::move(kept);
      s.pending_expunges = 0;
      // RFC 7162 §3.2.10: VANISHED replaces EXPUNGE once QRESYNC is enabled.
      if (!vanished.empty()) expunges = "* VANISHED " + compress_uids(vanished) + "\r\n";
      s.reported_exists -= static_cast<std::uint32_t>(removed);
    }
  }
  // FETCH lines computed above use numbers from before the expunges: send them first.
  std::string tail;
  if (s.messages.size() != s.reported_exists) {
    if (s.messages.size() > s.reported_exists)
      tail += "* " + std::to_string(s.messages.size()) + " EXISTS\r\n";
    s.reported_exists = static_cast<std::uint32_t>(s.messages.size());
  }
  if (!enabled_rev2_) {
    std::uint32_t recent = s.recent_count();
    if (recent != s.reported_recent) {
      tail += "* " + std::to_string(recent) + " RECENT\r\n";
      s.reported_recent = recent;
    }
  }
  // RFC 5267 §4.3.3: ADDTO after the EXISTS.
  std::string all = out + expunges + tail + context_additions();
  if (!all.empty()) send(std::move(all));
  // RFC 5465 §5.2: NOTIFY's MessageNew FETCH attributes follow the EXISTS.
  if (added > 0 && notify_) send_new_message_fetches(s.messages.size() - added);
}

}  // namespace estafeta::imap
