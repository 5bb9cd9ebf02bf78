// imap_session_context: CONTEXT=SEARCH (RFC 5267 §4.3): SEARCH / UID SEARCH RETURN (UPDATE)
// keeps the search and its result, and as the selected mailbox changes (other sessions'
// changes that sync() reads, and the session's own STORE, APPEND, COPY, EXPUNGE) the session
// sends "* ESEARCH (TAG "t") [UID] ADDTO (0 set)" and "REMOVEFROM (0 set)" (position 0: a
// SEARCH result is in mailbox order, §4.3.3); CANCELUPDATE stops them; they end with the
// selection. Only messages whose MODSEQ grew since the context last looked are evaluated
// again (so a flag search costs nothing when nothing changed, and a BODY search reads only the
// changed messages). Memory: at most kMaxUpdateContexts contexts per session, each its search
// key (bounded by the parser) and its result (one UID per matching message).
//
// Notes:
// - Ordering (RFC 5267 §4.3.3-4.3.4, RFC 5465 §5.1-5.2): REMOVEFROM after the FETCH of the
//   flag change that caused it and before the EXPUNGE whose message it removes; ADDTO after
//   the EXISTS of the new messages (and before NOTIFY's MessageNew FETCH).
// - A message waiting for its EXPUNGE (one that may not be announced yet) no longer counts as
//   a match: it is removed from the result at once, with the number it still has.
// - Sequence numbers in the search program are those of the moment each message is evaluated
//   again, not of the SEARCH command (RFC 5267 §4.3 wants the latter; Dovecot does the same
//   as here).
#include <algorithm>

#include "imap/proto/imap_search_eval.hpp"
#include "imap/proto/imap_session.hpp"
#include "imap/proto/imap_session_selected.hpp"
#include "mime/mime_parser.hpp"

namespace estafeta::imap {
namespace {

std::string quoted(const std::string& tag) {
  std::string out = "\"";
  for (char ch : tag) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

std::string esearch_prefix(const std::string& tag, bool uid) {
  return "* ESEARCH (TAG " + quoted(tag) + ")" + (uid ? " UID" : "");
}

}  // namespace

bool Session::update_tag_in_use(const std::string& tag) const {
  return std::any_of(updates_.begin(), updates_.end(),
                     [&](const UpdateContext& u) { return u.tag == tag; });
}

void Session::add_update_context(const std::string& tag, const Search& se,
                                 std::vector<store::Uid> result) {
  // RFC 5267 §4.3.1: past the limit, an untagged NO [NOUPDATE "tag"]; the search answers still.
  if (updates_.size() >= kMaxUpdateContexts) {
    send("* NO [NOUPDATE " + quoted(tag) + "] Too many update contexts.\r\n");
    return;
  }
  UpdateContext u;
  u.tag = tag;
  u.uid = se.uid;
  u.key = se.key;
  u.result = std::move(result);
  for (const auto& e : selected_->messages) u.evaluated = std::max(u.evaluated, e.modseq);
  updates_.push_back(std::move(u));
}

void Session::add_sort_context(const std::string& tag, const Sort& so,
                               std::vector<store::Uid> result, std::vector<store::Uid> order) {
  Search se;
  se.uid = so.uid;
  se.key = so.key;
  add_update_context(tag, se, std::move(result));
  if (updates_.empty() || updates_.back().tag != tag) return;  // NOUPDATE
  UpdateContext& u = updates_.back();
  u.sorted = true;
  u.criteria = so.criteria;
  u.order = std::move(order);
}

void Session::cmd_cancelupdate(const Command& c, const CancelUpdate& cu) {
  for (const auto& t : cu.tags)
    if (!update_tag_in_use(t)) {
      tagged_no(c.tag, "Unknown tag.");
      return;
    }
  for (const auto& t : cu.tags)
    std::erase_if(updates_, [&](const UpdateContext& u) { return u.tag == t; });
  tagged_ok(c.tag, "Updates cancelled.");
}

// Does message `i` of the selected mailbox match the context's search now?
bool Session::context_matches(const UpdateContext& u, std::size_t i, const SearchContext& ctx) {
  SelectedMailbox& s = *selected_;
  const auto& e = s.messages[i];
  const store::MailboxId box = s.info.id;
  store::CachedFields cached;
  const bool needs_cached = search_reads_cache(u.key);
  if (needs_cached && s.account->cached(box, e.uid, cached)) return false;  // gone meanwhile
  const store::MessageInfo info = s.info_of(e);
  std::string bytes;
  std::unique_ptr<mime::Message> parsed;
  bool tried = false;
  SearchMessage m;
  m.seq = static_cast<std::uint32_t>(i + 1);
  m.info = &info;
  m.cached = needs_cached ? &cached : nullptr;
  m.recent = !enabled_rev2_ && e.recent;
  const store::Uid uid = e.uid;
  m.parsed = [&, uid]() -> const mime::Message* {
    if (!tried) {
      tried = true;
      std::unique_ptr<store::Blob> blob;
      if (!s.account->open(box, uid, blob) && blob) {
        std::string piece;
        bool ok = true;
        for (std::uint64_t off = 0; off < blob->size();) {
          if (blob->read(off, 64 * 1024, piece) || piece.empty()) {
            ok = false;
            break;
          }
          bytes += piece;
          off += piece.size();
        }
        if (ok) parsed = std::make_unique<mime::Message>(mime::parse(bytes));
      }
    }
    return parsed.get();
  };
  return search_matches(u.key, m, ctx);
}

// Before the EXPUNGEs of a sync: evaluates the changed messages of every context, sends the
// REMOVEFROM of each (numbers as the client knows them now) and keeps what is to be added
// (UIDs) for context_additions().
std::string Session::context_removals() {
  if (updates_.empty() || !selected_) return {};
  SelectedMailbox& s = *selected_;
  SearchContext ctx;
  ctx.max_seq = static_cast<std::uint32_t>(s.messages.size());
  ctx.max_uid = s.messages.empty() ? 0 : s.messages.back().uid;
  ctx.saved = saved_search_valid_ ? &saved_search_ : nullptr;
  ctx.now = now();
  ctx.server_tz = options_.server_tz;
  std::string out;
  for (auto& u : updates_) {
    u.adding.clear();
    std::vector<store::Uid> kept;
    std::vector<std::uint32_t> removed;  // numbers as the client knows them
    store::ModSeq highest = u.evaluated;
    std::size_t r = 0;  // walks u.result (ascending UIDs) along the map
    for (std::size_t i = 0; i < s.messages.size(); ++i) {
      const auto& e = s.messages[i];
      while (r < u.result.size() && u.result[r] < e.uid) ++r;  // vanished without a trace
      const bool was = r < u.result.size() && u.result[r] == e.uid;
      bool now_matches = was;
      if (e.expunged) {
        now_matches = false;
      } else if (e.modseq > u.evaluated) {
        now_matches = context_matches(u, i, ctx);
        highest = std::max(highest, e.modseq);
      }
      if (was && !now_matches) removed.push_back(u.uid ? e.uid : static_cast<std::uint32_t>(i + 1));
      if (now_matches) kept.push_back(e.uid);
      if (!was && now_matches) u.adding.push_back(e.uid);
    }
    u.evaluated = highest;
    if (u.sorted && !removed.empty()) {
      // CONTEXT=SORT: each removed message with its position in the sorted result, last
      // position first, so every position holds when the client applies them in order.
      std::vector<std::pair<std::size_t, std::uint32_t>> at;  // (1-based position, number)
      std::vector<store::Uid> gone;
      for (store::Uid uid : u.result)
        if (!std::binary_search(kept.begin(), kept.end(), uid)) gone.push_back(uid);
      for (std::size_t p = 0; p < u.order.size(); ++p) {
        if (!std::binary_search(gone.begin(), gone.end(), u.order[p])) continue;
        std::size_t i = s.find(u.order[p]);
        at.emplace_back(p + 1, u.uid ? u.order[p] : static_cast<std::uint32_t>(i + 1));
      }
      std::erase_if(u.order, [&](store::Uid uid) {
        return std::binary_search(gone.begin(), gone.end(), uid);
      });
      std::string list;
      for (auto it = at.rbegin(); it != at.rend(); ++it)
        list += (list.empty() ? "" : " ") + std::to_string(it->first) + ' ' +
                std::to_string(it->second);
      out += esearch_prefix(u.tag, u.uid) + " REMOVEFROM (" + list + ")\r\n";
      u.result = std::move(kept);
      continue;
    }
    u.result = std::move(kept);
    if (!removed.empty())
      out += esearch_prefix(u.tag, u.uid) + " REMOVEFROM (0 " + compress_sequence_set(removed) +
             ")\r\n";
  }
  return out;
}

// After the EXISTS of a sync: the ADDTO of every context (numbers after the EXPUNGEs sent).
std::string Session::context_additions() {
  if (updates_.empty() || !selected_) return {};
  SelectedMailbox& s = *selected_;
  std::string out;
  for (auto& u : updates_) {
    if (u.adding.empty()) continue;
    if (u.sorted) {
      out += sort_context_additions(u);
      continue;
    }
    std::vector<std::uint32_t> numbers;
    for (store::Uid uid : u.adding) {
      if (u.uid) {
        numbers.push_back(uid);
        continue;
      }
      std::size_t i = s.find(uid);
      if (i < s.messages.size()) numbers.push_back(static_cast<std::uint32_t>(i + 1));
    }
    u.adding.clear();
    if (!numbers.empty())
      out += esearch_prefix(u.tag, u.uid) + " ADDTO (0 " + compress_sequence_set(numbers) + ")\r\n";
  }
  return out;
}

// CONTEXT=SORT: the result sorted again with its new messages, and each new message with its
// position in it, first position first (RFC 5267 §4.3.2: every position is where the message
// is once the ones before it in the list are inserted).
std::string Session::sort_context_additions(UpdateContext& u) {
  SelectedMailbox& s = *selected_;
  std::vector<std::uint32_t> indexes, ordered;
  for (store::Uid uid : u.result) {
    std::size_t i = s.find(uid);
    if (i < s.messages.size()) indexes.push_back(static_cast<std::uint32_t>(i));
  }
  std::vector<store::Uid> adding = std::move(u.adding);
  u.adding.clear();
  std::sort(adding.begin(), adding.end());
  if (sorted_indexes(u.criteria, indexes, ordered)) return {};
  std::string list;
  u.order.clear();
  for (std::size_t p = 0; p < ordered.size(); ++p) {
    const store::Uid uid = s.messages[ordered[p]].uid;
    u.order.push_back(uid);
    if (!std::binary_search(adding.begin(), adding.end(), uid)) continue;
    list += (list.empty() ? "" : " ") + std::to_string(p + 1) + ' ' +
            std::to_string(u.uid ? uid : ordered[p] + 1);
  }
  if (list.empty()) return {};
  return esearch_prefix(u.tag, u.uid) + " ADDTO (" + list + ")\r\n";
}

}  // namespace estafeta::imap
