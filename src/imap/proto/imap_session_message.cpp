// imap_session_message: the commands on messages (RFC 9051 §6.3.12, §6.4): FETCH through
// imap_fetch (big whole-message literals streamed from the Blob), SEARCH through
// imap_search_eval (ESEARCH RFC 4731, SEARCHRES RFC 5182, MODSEQ RFC 7162), STORE (with
// UNCHANGEDSINCE and the MODIFIED code, RFC 7162 §3.1.3), COPY and MOVE (COPYUID, RFC 4315,
// RFC 6851), EXPUNGE and UID EXPUNGE, APPEND and MULTIAPPEND (APPENDUID, RFC 3502). Message
// number sets are checked against the map and expanded at most to its size; UID sets are
// applied to the map's UIDs, never expanded by themselves.
#include <algorithm>
#include <memory>

#include "imap/proto/imap_date.hpp"
#include "imap/proto/imap_fetch.hpp"
#include "imap/proto/imap_response_strings.hpp"
#include "imap/proto/imap_search_eval.hpp"
#include "imap/proto/imap_search_index.hpp"
#include "imap/proto/imap_sequence.hpp"
#include "imap/proto/imap_session.hpp"
#include "imap/proto/imap_session_selected.hpp"
#include "mime/mime_parser.hpp"

namespace estafeta::imap {
namespace {

// Whole messages bigger than this are streamed from the Blob rather than copied.
constexpr std::uint64_t kStreamThreshold = 256 * 1024;

bool ieq(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

// Flags as the client wrote them -> store flags. \Recent is ignored (it cannot be stored,
// RFC 3501 §2.3.2); another unknown system flag is an error.
bool to_store_flags(const FlagList& list, store::Flags& out) {
  out = {};
  for (const auto& f : list) {
    if (!f.empty() && f[0] == '\\') {
      if (ieq(f, "\\Seen"))
        out.system |= store::kSeen;
      else if (ieq(f, "\\Answered"))
        out.system |= store::kAnswered;
      else if (ieq(f, "\\Flagged"))
        out.system |= store::kFlagged;
      else if (ieq(f, "\\Deleted"))
        out.system |= store::kDeleted;
      else if (ieq(f, "\\Draft"))
        out.system |= store::kDraft;
      else if (ieq(f, "\\Recent"))
        continue;
      else
        return false;
    } else {
      bool dup = false;
      for (const auto& k : out.keywords) dup = dup || ieq(k, f);
      if (!dup) out.keywords.push_back(f);
    }
  }
  std::sort(out.keywords.begin(), out.keywords.end());
  return true;
}

std::error_code read_all(store::Blob& blob, std::string& out) {
  out.clear();
  std::string piece;
  std::uint64_t size = blob.size();
  out.reserve(static_cast<std::size_t>(size));
  while (out.size() < size) {
    if (auto ec = blob.read(out.size(), 1 << 20, piece)) return ec;
    if (piece.empty()) break;
    out += piece;
  }
  return {};
}

// True when a FETCH item needs the cached fields (ENVELOPE, BODYSTRUCTURE, header sections)
// or the message; FLAGS, UID, sizes and dates come from MessageInfo alone, so the common
// "FETCH 1:* (UID FLAGS)" costs no store lookup per message.
bool items_need_cache(const std::vector<FetchItem>& items) {
  for (const auto& i : items) {
    switch (i.kind) {
      case FetchItem::Kind::flags:
      case FetchItem::Kind::internal_date:
      case FetchItem::Kind::rfc822_size:
      case FetchItem::Kind::uid:
      case FetchItem::Kind::modseq:
      case FetchItem::Kind::save_date:
      case FetchItem::Kind::email_id:
      case FetchItem::Kind::thread_id:
        break;
      default:
        return true;
    }
  }
  return false;
}

// The same for SEARCH keys: flags, sizes, dates, sets and MODSEQ need no cached fields, and
// TEXT and BODY read the message file, which has the header too. Keys `skip` is true of (the
// full-text index answers them) need nothing.
bool key_needs_cache(const SearchKey& k,
                     const std::function<bool(const SearchKey&)>* skip = nullptr) {
  if (skip && (*skip)(k)) return false;
  switch (k.kind) {
    case SearchKey::Kind::bcc:
    case SearchKey::Kind::cc:
    case SearchKey::Kind::from:
    case SearchKey::Kind::subject:
    case SearchKey::Kind::to:
    case SearchKey::Kind::header:
    case SearchKey::Kind::sent_before:
    case SearchKey::Kind::sent_on:
    case SearchKey::Kind::sent_since:
      return true;
    default:
      break;
  }
  for (const auto& c : k.children)
    if (key_needs_cache(c, skip)) return true;
  return false;
}

// RFC 8474 SEARCH EMAILID / THREADID: the ids are rebuilt from the compact entries only then.
bool search_uses_object_ids(const SearchKey& k) {
  if (k.kind == SearchKey::Kind::email_id || k.kind == SearchKey::Kind::thread_id) return true;
  return std::any_of(k.children.begin(), k.children.end(), search_uses_object_ids);
}

}  // namespace

bool Session::runs_without_store(const Command& c) const {
  if (closed_ || sasl_) return false;
  const SelectedMailbox* s = selected_.get();
  // Another user's mailbox: its rights are read again before each command (a store read).
  if (s && s->account != account_) return false;
  const bool clean = !s || s->clean();
  if (std::holds_alternative<Capability>(c.body) || std::holds_alternative<Noop>(c.body))
    return clean;
  if (std::holds_alternative<Idle>(c.body)) return clean && state_ != State::not_authenticated;
  if (!s || !clean || state_ != State::selected) return false;
  if (const auto* f = std::get_if<Fetch>(&c.body))
    return !f->changed_since && !f->vanished && !fetch_needs_message(f->items) &&
           !items_need_cache(f->items);
  if (const auto* se = std::get_if<Search>(&c.body))
    return !key_needs_cache(se->key) && !search_needs_message(se->key);
  return false;
}

bool Session::line_runs_without_store() const {
  if (!idle_tag_ || sasl_) return false;
  const SelectedMailbox* s = selected_.get();
  return !s || s->clean();
}

// The entries a set designates, as indexes into the map, ascending. Message numbers beyond
// the mailbox are a BAD (RFC 9051 §9 seq-number); UIDs that do not exist are ignored.
bool Session::resolve_set(const Command& c, const SequenceSet& set, bool uid,
                          std::vector<std::uint32_t>& indexes) {
  SelectedMailbox& s = *selected_;
  indexes.clear();
  const auto size = static_cast<std::uint32_t>(s.messages.size());
  if (set.saved) {
    // RFC 5182 §2.1: "$" is the saved UIDs; those gone since are skipped.
    if (!saved_search_valid_) return true;
    for (store::Uid u : saved_search_) {
      std::size_t i = s.find(u);
      if (i < s.messages.size()) indexes.push_back(static_cast<std::uint32_t>(i));
    }
    std::sort(indexes.begin(), indexes.end());
    return apply_message_limit(c, uid, indexes);
  }
  if (uid) {
    std::vector<std::uint32_t> uids;
    uids.reserve(s.messages.size());
    for (const auto& e : s.messages) uids.push_back(e.uid);
    for (std::uint32_t u : select_uids(set, uids))
      indexes.push_back(static_cast<std::uint32_t>(s.find(u)));
    return apply_message_limit(c, true, indexes);
  }
  if (size == 0 || !sequence_set_within(set, size)) {
    tagged_bad(c.tag, "Error in IMAP command " + c.name + ": Invalid messageset");
    return false;
  }
  for (std::uint32_t n : expand_sequence_set(set, size)) indexes.push_back(n - 1);
  return apply_message_limit(c, false, indexes);
}

bool Session::apply_message_limit(const Command& c, bool uid, std::vector<std::uint32_t>& indexes) {
  const std::size_t limit = options_.message_limit;
  if (indexes.size() <= limit) return true;
  if (!uid) {
    tagged_no(c.tag, "[MESSAGELIMIT " + std::to_string(limit) + "] " + c.name +
                         " would process more than " + std::to_string(limit) +
                         " messages; use a smaller set or the UID form.");
    return false;
  }
  indexes.erase(indexes.begin(), indexes.end() - static_cast<std::ptrdiff_t>(limit));
  message_limit_hit_ = true;
  return true;
}

// A CONDSTORE-enabling command while a mailbox is selected (RFC 7162 §3.1): the client
// learns the mailbox's HIGHESTMODSEQ at once, as SELECT would have told it.
void Session::enable_condstore_in_selected() {
  if (enabled_condstore_) return;
  enabled_condstore_ = true;
  if (selected_) send("* OK [HIGHESTMODSEQ " + std::to_string(selected_->modseq) + "] Highest\r\n");
}

void Session::cmd_fetch(const Command& c, const Fetch& f) {
  std::vector<std::uint32_t> indexes;
  if (!resolve_set(c, f.set, f.uid, indexes)) return;
  if (f.vanished && (!f.uid || !enabled_qresync_ || !f.changed_since)) {
    tagged_bad(c.tag, "VANISHED needs UID FETCH, QRESYNC and CHANGEDSINCE.");
    return;
  }
  // RFC 7162 §3.1: CHANGEDSINCE and the MODSEQ item are CONDSTORE-enabling.
  if (f.changed_since) enable_condstore_in_selected();
  for (const auto& item : f.items)
    if (item.kind == FetchItem::Kind::modseq) enable_condstore_in_selected();
  SelectedMailbox& s = *selected_;
  const store::MailboxId box = s.info.id;

  // RFC 7162 §3.2.6: VANISHED (EARLIER) for UIDs of the set expunged since CHANGEDSINCE.
  if (f.vanished) {
    store::ChangesSince ch;
    if (!s.account->changes_since(box, *f.changed_since, ch)) {
      std::vector<std::uint32_t> gone;
      for (store::Uid u : ch.expunged)
        if (sequence_set_contains(f.set, u, s.info.uid_next ? s.info.uid_next - 1 : 0))
          gone.push_back(u);
      if (!gone.empty()) send("* VANISHED (EARLIER) " + compress_uids(gone) + "\r\n");
    }
  }

  // Implicit \Seen first (RFC 9051 §6.4.5), in one store call.
  std::vector<store::Uid> to_see;
  if (!s.read_only && (s.rights & acl::kSeen)) {  // RFC 4314 §4: \Seen needs "s"
    for (std::uint32_t i : indexes) {
      const auto& e = s.messages[i];
      if (e.expunged) continue;
      if (f.changed_since && e.modseq <= *f.changed_since) continue;
      if (fetch_sets_seen(f.items, s.flags_of(e))) to_see.push_back(e.uid);
    }
  }
  if (!to_see.empty()) {
    store::FlagUpdate up;
    up.mode = store::FlagUpdate::Mode::add;
    up.flags.system = store::kSeen;
    store::FlagResult fr;
    if (!s.account->update_flags(box, to_see, up, fr)) {
      for (const auto& m : fr.changed) {
        std::size_t i = s.find(m.uid);
        if (i < s.messages.size()) s.update(s.messages[i], m);
      }
    }
  }

  FetchOptions fo;
  fo.uid_command = f.uid;
  fo.modseq = enabled_condstore_;
  fo.utf8 = enabled_utf8_ || enabled_rev2_;
  fo.uid_only = enabled_uidonly_;
  bool failed = false;
  bool unknown_cte = false;
  bool skipped_expunged = false;  // a message of the set expunged by another session
  const bool needs_bytes = fetch_needs_message(f.items);
  const bool needs_cached = needs_bytes || items_need_cache(f.items);
  const bool wants_ids = std::any_of(f.items.begin(), f.items.end(), [](const FetchItem& it) {
    return it.kind == FetchItem::Kind::email_id || it.kind == FetchItem::Kind::thread_id;
  });
  // Cached fields kBatch messages at a time, one index read each (FETCH 1:50 ENVELOPE).
  constexpr std::size_t kBatch = 64;
  std::vector<std::optional<store::CachedFields>> cached_batch;
  std::size_t batch_from = 0;
  bool batch_loaded = false;
  for (std::size_t k = 0; k < indexes.size(); ++k) {
    const std::uint32_t i = indexes[k];
    auto& e = s.messages[i];
    if (e.expunged) {  // RFC 9051 §7.5.1: may be skipped until its EXPUNGE
      skipped_expunged = true;
      continue;
    }
    if (f.changed_since && e.modseq <= *f.changed_since) continue;
    if (needs_cached && indexes.size() > 1 && (!batch_loaded || k - batch_from >= kBatch)) {
      batch_loaded = true;
      std::vector<store::Uid> batch;
      for (std::size_t j = k; j < indexes.size() && batch.size() < kBatch; ++j)
        batch.push_back(s.messages[indexes[j]].uid);
      batch_from = k;
      if (s.account->cached_many(box, batch, cached_batch)) cached_batch.clear();
    }
    store::CachedFields cached;
    std::error_code cached_ec;
    if (!needs_cached) {
      // nothing to look up
    } else if (k - batch_from < cached_batch.size()) {
      if (cached_batch[k - batch_from])
        cached = std::move(*cached_batch[k - batch_from]);
      else
        cached_ec = store::Errc::no_such_message;
    } else {
      cached_ec = s.account->cached(box, e.uid, cached);
    }
    if (auto ec = cached_ec) {
      // Expunged by another session since the last sync: left out now, its EXPUNGE follows
      // when allowed (RFC 9051 §7.5.1).
      if (ec == store::Errc::no_such_message)
        s.dirty = true;
      else
        failed = true;
      continue;
    }
    const store::MessageInfo info = s.info_of(e, wants_ids);
    FetchMessage m;
    m.seq = i + 1;
    m.info = &info;
    m.cached = &cached;
    FetchOptions o = fo;
    o.recent = !enabled_rev2_ && e.recent;
    o.add_flags = std::binary_search(to_see.begin(), to_see.end(), e.uid);  // ascending
    std::shared_ptr<store::Blob> blob;
    if (needs_bytes && e.size >= kStreamThreshold) {
      std::unique_ptr<store::Blob> b;
      if (!s.account->open(box, e.uid, b) && b) {
        blob = std::move(b);
        if (auto plan = plan_fetch_stream(m, f.items, blob->size(), o)) {
          send(std::move(plan->before));
          Output lit;
          lit.kind = Output::Kind::literal;
          lit.blob = blob;
          lit.offset = plan->offset;
          lit.length = plan->length;
          out_.push_back(std::move(lit));
          send(std::move(plan->after));
          continue;
        }
      }
    }
    const store::Uid uid = e.uid;
    m.load = [&, uid](std::string& out) -> std::error_code {
      if (!blob) {
        std::unique_ptr<store::Blob> b;
        if (auto ec = s.account->open(box, uid, b)) return ec;
        blob = std::move(b);
      }
      return read_all(*blob, out);
    };
    FetchResult r = render_fetch(m, f.items, o);
    if (r.status == FetchResult::Status::unknown_cte) {
      unknown_cte = true;
      continue;
    }
    if (r.status != FetchResult::Status::ok) {
      if (r.error == store::Errc::no_such_message) {
        s.dirty = true;  // expunged meanwhile, as above
        skipped_expunged = true;
      } else {
        failed = true;
      }
      continue;
    }
    send(std::move(r.text));
  }
  sync(f.uid);
  if (unknown_cte)
    tagged_no(c.tag, "[UNKNOWN-CTE] Unknown Content-Transfer-Encoding.");
  else if (failed)
    tagged_no(c.tag, "[UNAVAILABLE] Some messages could not be read.");
  // RFC 5530 §3: why some are missing, when their EXPUNGE must wait (UID FETCH sends it).
  else if (skipped_expunged && !f.uid)
    tagged_ok(c.tag, "[EXPUNGEISSUED] Some of the requested messages no longer exist.");
  else
    tagged_ok(c.tag, f.uid ? "UID FETCH completed." : "Fetch completed.");
}

// The messages of the selected mailbox that match `key` (not expunged), as ascending indexes
// into its map: the evaluation SEARCH, SORT and THREAD (and CONTEXT updates) share. With
// `relevancy`, each match's RFC 6203 score (1-100) too.
void Session::search_indexes(const SearchKey& key, std::vector<std::uint32_t>& indexes,
                             std::vector<std::uint8_t>* relevancy) {
  indexes.clear();
  if (relevancy) relevancy->clear();
  SelectedMailbox& s = *selected_;
  // ALL (SORT and THREAD of a whole mailbox, a plain SEARCH ALL): every message not expunged,
  // nothing to evaluate or read.
  if (key.kind == SearchKey::Kind::all) {
    indexes.reserve(s.messages.size());
    for (std::size_t i = 0; i < s.messages.size(); ++i)
      if (!s.messages[i].expunged) indexes.push_back(static_cast<std::uint32_t>(i));
    if (relevancy) relevancy->assign(indexes.size(), 100);
    return;
  }
  const store::MailboxId box = s.info.id;
  SearchContext ctx;
  ctx.max_seq = static_cast<std::uint32_t>(s.messages.size());
  ctx.max_uid = s.messages.empty() ? 0 : s.messages.back().uid;
  ctx.saved = saved_search_valid_ ? &saved_search_ : nullptr;
  ctx.now = now();
  ctx.server_tz = options_.server_tz;

  const bool wants_ids = search_uses_object_ids(key);
  // The full-text index answers the string keys for the messages it covers and narrows the
  // messages to evaluate (imap_search_index.hpp); the others are scanned, with the same
  // results. A message the index answers for reads only what the other keys need.
  SearchIndexPlan plan;
  plan.prepare(*s.account, box, key);
  if (!plan.empty()) ctx.index = &plan;
  const std::function<bool(const SearchKey&)> skip = [&](const SearchKey& k) {
    return plan.skips(k);
  };
  const bool needs_cached = key_needs_cache(key);
  const bool reads_messages = search_needs_message(key);
  const bool covered_needs_cached = ctx.index ? key_needs_cache(key, &skip) : needs_cached;
  const bool covered_reads = ctx.index ? search_needs_message(key, skip) : reads_messages;
  const std::optional<std::vector<std::size_t>> only =
      plan.candidates(key, s.messages.size(), [&](std::size_t i) { return s.messages[i].uid; });
  const std::size_t total = only ? only->size() : s.messages.size();
  auto wants = [&](std::size_t i, bool& cache, bool& message) {
    const bool covered = ctx.index && plan.covers(s.messages[i].uid);
    cache = covered ? covered_needs_cached : needs_cached;
    message = covered ? covered_reads : reads_messages;
  };
  // Header keys read the cached fields of the messages they evaluate, TEXT and BODY those
  // messages: kBatch messages at a time, one index read each.
  constexpr std::size_t kBatch = 64;
  std::vector<std::size_t> batch_of;  // message indexes of the loaded batch, ascending
  std::vector<std::optional<store::CachedFields>> cached_batch;  // by batch slot
  std::vector<std::unique_ptr<store::Blob>> blobs;               // by batch slot
  auto load_batch = [&](std::size_t from) {
    batch_of.clear();
    std::vector<store::Uid> cache_uids, blob_uids;
    std::vector<std::size_t> cache_slots, blob_slots;
    for (std::size_t n = from; n < total && batch_of.size() < kBatch; ++n) {
      const std::size_t i = only ? (*only)[n] : n;
      if (s.messages[i].expunged) continue;
      bool c = false, m = false;
      wants(i, c, m);
      if (!c && !m) continue;
      if (c) {
        cache_uids.push_back(s.messages[i].uid);
        cache_slots.push_back(batch_of.size());
      }
      if (m) {
        blob_uids.push_back(s.messages[i].uid);
        blob_slots.push_back(batch_of.size());
      }
      batch_of.push_back(i);
    }
    cached_batch.assign(batch_of.size(), std::nullopt);
    blobs.clear();
    blobs.resize(batch_of.size());
    std::vector<std::optional<store::CachedFields>> got_cached;
    if (!cache_uids.empty() && !s.account->cached_many(box, cache_uids, got_cached))
      for (std::size_t j = 0; j < got_cached.size() && j < cache_slots.size(); ++j)
        cached_batch[cache_slots[j]] = std::move(got_cached[j]);
    std::vector<std::unique_ptr<store::Blob>> got_blobs;
    if (!blob_uids.empty() && !s.account->open_many(box, blob_uids, got_blobs))
      for (std::size_t j = 0; j < got_blobs.size() && j < blob_slots.size(); ++j)
        blobs[blob_slots[j]] = std::move(got_blobs[j]);
  };
  for (std::size_t n = 0; n < total; ++n) {
    const std::size_t i = only ? (*only)[n] : n;
    const auto& e = s.messages[i];
    if (e.expunged) continue;
    bool want_cached = false, want_message = false;
    wants(i, want_cached, want_message);
    std::size_t slot = batch_of.size();
    if (want_cached || want_message) {
      auto it = std::lower_bound(batch_of.begin(), batch_of.end(), i);
      if (it == batch_of.end() || *it != i) {
        load_batch(n);
        it = std::lower_bound(batch_of.begin(), batch_of.end(), i);
      }
      slot = static_cast<std::size_t>(it - batch_of.begin());
    }
    store::CachedFields cached;
    if (want_cached) {
      if (slot < cached_batch.size() && cached_batch[slot]) {
        cached = std::move(*cached_batch[slot]);
      } else if (s.account->cached(box, e.uid, cached)) {
        s.dirty = true;  // gone meanwhile: the sync after the search finds its expunge
        continue;
      }
    }
    std::string bytes;
    std::unique_ptr<mime::Message> parsed;
    bool tried = false;
    const store::MessageInfo info = s.info_of(e, wants_ids);
    SearchMessage m;
    m.seq = static_cast<std::uint32_t>(i + 1);
    m.info = &info;
    m.cached = want_cached ? &cached : nullptr;
    m.recent = !enabled_rev2_ && e.recent;
    const store::Uid uid = e.uid;
    m.parsed = [&, uid, slot]() -> const mime::Message* {
      if (!tried) {
        tried = true;
        std::unique_ptr<store::Blob> blob;
        if (slot < blobs.size() && blobs[slot])
          blob = std::move(blobs[slot]);
        else if (s.account->open(box, uid, blob))
          s.dirty = true;  // gone meanwhile, as above
        if (blob && !read_all(*blob, bytes))
          parsed = std::make_unique<mime::Message>(mime::parse(bytes));
      }
      return parsed.get();
    };
    int score = 100;
    if (!search_matches(key, m, ctx, relevancy ? &score : nullptr)) continue;
    if (relevancy) relevancy->push_back(static_cast<std::uint8_t>(score));
    indexes.push_back(static_cast<std::uint32_t>(i));
  }
}

void Session::cmd_search(const Command& c, const Search& se) {
  if (se.charset && !ieq(*se.charset, "UTF-8") && !ieq(*se.charset, "US-ASCII")) {
    tagged_no(c.tag, "[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset.");
    return;
  }
  // RFC 5267 §4.3: a tag already naming an update context cannot start another.
  if (se.ret.update && update_tag_in_use(c.tag)) {
    tagged_bad(c.tag, "Tag reuse.");
    return;
  }
  // RFC 6203 §4: "The RELEVANCY return option MUST NOT be used unless a FUZZY search key is
  // also given."
  if (se.ret.relevancy && !search_has_fuzzy(se.key)) {
    tagged_bad(c.tag, "Error in IMAP command SEARCH: RELEVANCY needs a FUZZY search key");
    return;
  }
  SelectedMailbox& s = *selected_;
  bool uses_modseq = search_uses_modseq(se.key);
  if (uses_modseq) enable_condstore_in_selected();
  std::vector<std::uint32_t> indexes;
  std::vector<std::uint8_t> relevancy;  // of each match, when RELEVANCY was asked
  search_indexes(se.key, indexes, se.ret.relevancy ? &relevancy : nullptr);
  // RFC 9738: a result that lists the messages is bounded (COUNT, MIN, MAX and PARTIAL are not).
  const bool lists_all = !se.ret.specified || se.ret.all || se.ret.save;
  if (lists_all && indexes.size() > options_.message_limit) {
    const std::size_t before = indexes.size();
    if (!apply_message_limit(c, se.uid, indexes)) return;
    if (!relevancy.empty())
      relevancy.erase(relevancy.begin(),
                      relevancy.begin() + static_cast<std::ptrdiff_t>(before - indexes.size()));
  }
  std::vector<std::uint32_t> numbers;
  std::vector<store::ModSeq> modseqs;  // of each match, in order
  std::vector<store::Uid> uids;
  store::ModSeq highest = 0;
  numbers.reserve(indexes.size());
  uids.reserve(indexes.size());
  for (std::uint32_t i : indexes) {
    const auto& e = s.messages[i];
    numbers.push_back(se.uid ? e.uid : i + 1);
    uids.push_back(e.uid);
    modseqs.push_back(e.modseq);
    highest = std::max(highest, e.modseq);
  }
  std::optional<store::ModSeq> modseq;
  if (uses_modseq && !numbers.empty()) {
    modseq = highest;
    // RFC 4731 §3.2 / RFC 7162 §3.1.5: with only MIN and/or MAX asked for, the MODSEQ is the
    // highest of the messages returned, not of every match.
    const SearchReturn& r = se.ret;
    if (r.specified && (r.min || r.max) && !r.all && !r.count && !r.partial) {
      store::ModSeq shown = 0;
      if (r.min) shown = std::max(shown, modseqs.front());
      if (r.max) shown = std::max(shown, modseqs.back());
      modseq = shown;
    }
  }
  if (se.ret.save) {
    saved_search_ = search_saved_result(se.ret, uids);
    saved_search_valid_ = true;
  }
  // RFC 9051 §7.3.4: an IMAP4rev2 client gets ESEARCH even without RETURN.
  if (se.ret.specified || enabled_rev2_) {
    send(format_esearch(c.tag, se.uid, se.ret, numbers, modseq,
                        se.ret.relevancy ? &relevancy : nullptr));
  } else {
    send(format_search(numbers, modseq));
  }
  if (se.ret.update) add_update_context(c.tag, se, std::move(uids));
  sync(se.uid);
  // RFC 5530 §3, RFC 2180 §4.1: messages the client still counts but another session expunged
  // (before the search, or while it read them) are never matched; when their EXPUNGE must wait
  // (SEARCH by number), EXPUNGEISSUED tells it why the result may lack one it expects.
  if (!se.uid && s.pending_expunges > 0)
    tagged_ok(c.tag, "[EXPUNGEISSUED] Search completed.");
  else
    tagged_ok(c.tag, se.uid ? "UID SEARCH completed." : "Search completed.");
}

void Session::cmd_store(const Command& c, const Store& st) {
  std::vector<std::uint32_t> indexes;
  if (!resolve_set(c, st.set, st.uid, indexes)) return;
  SelectedMailbox& s = *selected_;
  if (s.read_only) {
    tagged_no(c.tag, "[READ-ONLY] Mailbox is read-only.");
    return;
  }
  store::FlagUpdate up;
  if (!to_store_flags(st.flags, up.flags)) {
    tagged_bad(c.tag, "Invalid system flag.");
    return;
  }
  up.mode = st.mode == Store::Mode::add      ? store::FlagUpdate::Mode::add
            : st.mode == Store::Mode::remove ? store::FlagUpdate::Mode::remove
                                             : store::FlagUpdate::Mode::replace;
  // RFC 4314 §4: \Seen needs "s", \Deleted "t", any other flag "w" (a replace changes all).
  const acl::Rights need = up.mode == store::FlagUpdate::Mode::replace
                               ? acl::Rights(acl::kSeen | acl::kWrite | acl::kDeleteMessage)
                               : rights_for_flags(up.flags);
  if ((s.rights & need) != need) {
    tagged_no(c.tag, "[NOPERM] Permission denied.");
    return;
  }
  if (st.unchanged_since) {
    up.unchanged_since = *st.unchanged_since;
    enable_condstore_in_selected();
  }
  std::vector<store::Uid> uids;
  for (std::uint32_t i : indexes)
    if (!s.messages[i].expunged) uids.push_back(s.messages[i].uid);
  store::FlagResult fr;
  if (!uids.empty()) {
    if (auto ec = s.account->update_flags(s.info.id, uids, up, fr)) {
      tagged_no(c.tag, store_error_text(ec));
      return;
    }
  }
  const bool rev1 = !enabled_rev2_;
  std::sort(fr.modified.begin(), fr.modified.end());
  std::string out;
  std::vector<bool> changed(s.messages.size(), false);
  for (const auto& m : fr.changed) {
    std::size_t i = s.find(m.uid);
    if (i == s.messages.size()) continue;
    s.update(s.messages[i], m);
    changed[i] = true;
    out += s.learn_keywords(m.flags);
  }
  // Caught up to one change before ours, and ours is the next MODSEQ: nobody changed anything
  // in between, so the session is caught up to ours too (its announcement will be skipped).
  if (!fr.changed.empty() && !s.dirty && fr.changed.front().modseq == s.modseq + 1)
    s.modseq = fr.changed.front().modseq;
  // A message the store neither changed nor refused may have been expunged by another
  // session that has not told us yet: catch up (without announcing expunges, not allowed
  // during a STORE by number) so that no FETCH invents flags for a message that is gone.
  if (fr.changed.size() + fr.modified.size() < uids.size()) {
    s.dirty = true;
    std::string pending = out;
    out.clear();
    send(std::move(pending));
    sync(false);
  }
  // RFC 9051 §6.4.6: the flags of every message of the set, as a FETCH of FLAGS would give
  // them, changed or not (those refused by UNCHANGEDSINCE excepted, RFC 7162 §3.1.3); with
  // .SILENT none, except that CONDSTORE still reports each new MODSEQ (RFC 7162 §3.1.3).
  for (std::uint32_t i : indexes) {
    const auto& e = s.messages[i];
    if (e.expunged) continue;
    if (std::binary_search(fr.modified.begin(), fr.modified.end(), e.uid)) continue;
    if (st.silent && !(enabled_condstore_ && changed[i])) continue;
    std::string items;
    if (!st.silent) {
      items += "FLAGS ";
      append_flag_list(items, s.flags_of(e), rev1 && e.recent);
    }
    if ((st.uid || enabled_qresync_) && !enabled_uidonly_) {
      if (!items.empty()) items += ' ';
      items += "UID " + std::to_string(e.uid);
    }
    if (enabled_condstore_) {
      if (!items.empty()) items += ' ';
      items += "MODSEQ (" + std::to_string(e.modseq) + ")";
    }
    out += fetch_head(static_cast<std::uint32_t>(i + 1), e.uid) + items + ")\r\n";
  }
  send(std::move(out));
  sync(st.uid);
  if (!fr.modified.empty()) {
    std::vector<std::uint32_t> shown;
    for (store::Uid u : fr.modified) {
      if (st.uid) {
        shown.push_back(u);
      } else {
        std::size_t i = s.find(u);
        if (i < s.messages.size()) shown.push_back(static_cast<std::uint32_t>(i + 1));
      }
    }
    tagged_ok(c.tag, "[MODIFIED " + compress_uids(shown) + "] Conditional STORE failed.");
    return;
  }
  // Messages expunged meanwhile are left out silently (RFC 2180 §4.2.1), as Dovecot does:
  // a NO would make clients report an error for a race they cannot avoid.
  tagged_ok(c.tag, "Store completed.");
}

void Session::cmd_copy(const Command& c, const Copy& cp) {
  std::vector<std::uint32_t> indexes;
  if (!resolve_set(c, cp.set, cp.uid, indexes)) return;
  SelectedMailbox& s = *selected_;
  if (cp.move && s.read_only) {
    tagged_no(c.tag, "[READ-ONLY] Mailbox is read-only.");
    return;
  }
  // RFC 4314 §4 and RFC 6851 §3.3: MOVE needs "t" and "e" on the source.
  if (cp.move &&
      (s.rights & (acl::kDeleteMessage | acl::kExpunge)) != (acl::kDeleteMessage | acl::kExpunge)) {
    tagged_no(c.tag, "[NOPERM] Permission denied.");
    return;
  }
  // RFC 9051 §6.4.7: TRYCREATE when the destination does not exist; "i" needed on it.
  MailboxRef dest_ref;
  if (!mailbox_for(c, cp.mailbox, acl::kInsert, dest_ref, "[TRYCREATE] Mailbox doesn't exist."))
    return;
  const store::MailboxInfo& dest = dest_ref.info;
  std::vector<store::Uid> uids;
  for (std::uint32_t i : indexes)
    if (!s.messages[i].expunged) uids.push_back(s.messages[i].uid);
  if (uids.empty()) {
    if (selected_) sync(cp.uid || cp.move);
    tagged_ok(c.tag, cp.move ? "No messages found." : "No messages found.");
    return;
  }
  store::CopyResult r;
  std::error_code ec;
  if (dest_ref.account == s.account && dest_ref.rights == acl::kAll) {
    ec = cp.move ? s.account->move(s.info.id, uids, dest.id, r)
                 : s.account->copy(s.info.id, uids, dest.id, r);
  } else {
    // Into another owner's store (or with rights that limit the flags): message by message.
    ec = copy_across(s, uids, dest_ref, r);
    if (!ec && cp.move) {
      std::vector<store::Uid> removed;
      ec = s.account->expunge(s.info.id, r.source, removed);
    }
  }
  if (ec) {
    tagged_no(c.tag, store_error_text(ec));
    return;
  }
  std::string copyuid;
  if (!r.source.empty())
    copyuid = "[COPYUID " + std::to_string(r.uid_validity) + " " + compress_uids(r.source) + " " +
              compress_uids(r.target) + "] ";
  if (cp.move) {
    // RFC 6851 §4.3: COPYUID in an untagged OK before the expunges.
    if (!copyuid.empty()) send("* OK " + copyuid + "Moved UIDs.\r\n");
    s.dirty = true;
    sync(true);
    tagged_ok(c.tag, "Move completed.");
    return;
  }
  if (is_selected(dest_ref)) s.dirty = true;
  sync(cp.uid);
  tagged_ok(c.tag, copyuid + "Copy completed.");
}

// COPY into another account's mailbox (RFC 4314 shared mailboxes), or with flags the
// destination's rights do not allow (dropped, RFC 4314 §4): each message read and appended,
// with its flags and INTERNALDATE. Holds one message at a time.
std::error_code Session::copy_across(SelectedMailbox& s, const std::vector<store::Uid>& uids,
                                     const MailboxRef& dest, store::CopyResult& out) {
  out = {};
  for (store::Uid uid : uids) {
    std::size_t i = s.find(uid);
    if (i == s.messages.size()) continue;
    std::unique_ptr<store::Blob> blob;
    std::error_code ec = s.account->open(s.info.id, uid, blob);
    if (ec == store::Errc::no_such_message) continue;
    if (ec) return ec;
    std::string data, piece;
    for (std::uint64_t off = 0; off < blob->size(); off += piece.size()) {
      if ((ec = blob->read(off, 1 << 20, piece))) return ec;
      if (piece.empty()) break;
      data += piece;
    }
    store::NewMessage m;
    m.bytes = data;
    m.keep_bare_lf = true;  // stored already as the store keeps it
    m.flags = s.flags_of(s.messages[i]);
    drop_forbidden_flags(m.flags, dest.rights);
    m.internal_date = s.messages[i].internal_date;
    m.internal_tz = s.messages[i].internal_tz;
    store::AppendResult r;
    if ((ec = dest.account->append(dest.info.id, m, r))) {
      if (!out.target.empty()) {
        std::vector<store::Uid> removed;
        dest.account->expunge(dest.info.id, out.target, removed);  // undo (all or nothing)
      }
      out = {};
      return ec;
    }
    out.uid_validity = r.uid_validity;
    out.source.push_back(uid);
    out.target.push_back(r.uid);
  }
  return {};
}

void Session::cmd_expunge(const Command& c, const Expunge& ex) {
  SelectedMailbox& s = *selected_;
  if (s.read_only) {
    tagged_no(c.tag, "[READ-ONLY] Mailbox is read-only.");
    return;
  }
  if (!(s.rights & acl::kExpunge)) {  // RFC 4314 §4
    tagged_no(c.tag, "[NOPERM] Permission denied.");
    return;
  }
  // The store checks \Deleted as it has it now (another session may have changed it). Plain
  // EXPUNGE also removes messages this session has not learnt of yet: their \Deleted was set
  // by another session, and RFC 9051 §6.4.3 speaks of the mailbox, not of this view of it.
  std::vector<store::Uid> uids;
  if (ex.uids) {
    std::vector<std::uint32_t> indexes;
    if (!resolve_set(c, *ex.uids, true, indexes)) return;
    for (std::uint32_t i : indexes)
      if (!s.messages[i].expunged) uids.push_back(s.messages[i].uid);
  }
  std::vector<store::Uid> removed;
  if (!ex.uids || !uids.empty()) {
    if (auto ec = s.account->expunge_deleted(s.info.id, ex.uids ? &uids : nullptr, removed)) {
      tagged_no(c.tag, store_error_text(ec));
      return;
    }
  }
  s.dirty = true;
  sync(true);
  tagged_ok(c.tag, "Expunge completed.");
}

bool Session::new_message_of(const Command& c, const AppendMessage& m, store::NewMessage& out) {
  if (m.data.size() > options_.append_limit) {
    tagged_no(c.tag, "[TOOBIG] Message too large.");
    return false;
  }
  if (!to_store_flags(m.flags, out.flags)) {
    tagged_bad(c.tag, "Invalid system flag.");
    return false;
  }
  if (m.internal_date) {
    int zone = 0;
    auto t = parse_date_time(*m.internal_date, &zone);
    if (!t) {
      tagged_bad(c.tag, "Invalid internal date.");
      return false;
    }
    out.internal_date = *t;
    out.internal_tz = zone;
  }
  out.bytes = m.data;
  // RFC 3516 §4.4: a literal8's binary content is kept as sent (bare LFs too); a plain
  // literal is text, its bare LFs stored as CRLF.
  out.keep_bare_lf = m.binary;
  return true;
}

void Session::cmd_append(const Command& c, const Append& a) {
  MailboxRef ref;  // RFC 4314 §4: APPEND needs "i"
  if (!mailbox_for(c, a.mailbox, acl::kInsert, ref, "[TRYCREATE] Mailbox doesn't exist.")) return;
  const store::MailboxInfo& dest = ref.info;
  if (a.messages.empty()) {
    tagged_bad(c.tag, "Missing message.");
    return;
  }
  // Check everything before appending anything (RFC 3502 §6: all or nothing).
  std::vector<store::NewMessage> news(a.messages.size());
  for (std::size_t i = 0; i < a.messages.size(); ++i) {
    if (!new_message_of(c, a.messages[i], news[i])) return;
    drop_forbidden_flags(news[i].flags, ref.rights);  // RFC 4314 §4: silently
  }
  // RFC 3502 §6 with RFC 9208: a MULTIAPPEND that would pass a limit stores none of its
  // messages (each append is still checked by the store, for writers racing this one).
  if (news.size() > 1) {
    store::QuotaState q;
    std::uint64_t octets = 0;
    for (const auto& m : a.messages) {
      octets += m.data.size();
      if (!m.binary)  // a bare LF counts as CRLF in RFC822.SIZE
        for (std::size_t i = 0; i < m.data.size(); ++i)
          octets += m.data[i] == '\n' && (i == 0 || m.data[i - 1] != '\r') ? 1 : 0;
    }
    if (!ref.account->quota(q) && store::quota_exceeded(q.limits, q.usage, octets, news.size())) {
      tagged_no(c.tag, store_error_text(store::Errc::over_quota));
      return;
    }
  }
  std::vector<std::uint32_t> uids;
  std::uint32_t uid_validity = 0;
  for (std::size_t i = 0; i < news.size(); ++i) {
    store::AppendResult r;
    if (auto ec = ref.account->append(dest.id, news[i], r)) {
      if (!uids.empty()) {
        std::vector<store::Uid> removed;
        ref.account->expunge(dest.id, uids, removed);  // undo the earlier ones
      }
      tagged_no(c.tag, store_error_text(ec));
      return;
    }
    uid_validity = r.uid_validity;
    uids.push_back(r.uid);
  }
  if (selected_ && is_selected(ref)) {
    selected_->dirty = true;
    sync(true);
  } else if (selected_) {
    sync(true);
  }
  tagged_ok(c.tag, "[APPENDUID " + std::to_string(uid_validity) + " " + compress_uids(uids) +
                       "] Append completed.");
}

}  // namespace estafeta::imap
