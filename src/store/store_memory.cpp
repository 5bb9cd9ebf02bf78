// store_memory: the in-memory store (see store_memory.hpp).
#include "store/store_memory.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>

#include "mime/mime_date.hpp"
#include "mime/mime_imap_bodystructure.hpp"
#include "mime/mime_imap_envelope.hpp"
#include "mime/mime_parser.hpp"
#include "mime/mime_preview.hpp"
#include "store/store_fulltext_text.hpp"
#include "store/store_sort_keys.hpp"
#include "store/store_thread_ids.hpp"

namespace estafeta::store {
namespace {

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// Bare LF becomes CRLF: sizes are of the form IMAP serves (store.hpp, MessageInfo::size).
std::string to_crlf(std::string_view in) {
  std::string out;
  out.reserve(in.size() + in.size() / 32);
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r')) out.push_back('\r');
    out.push_back(in[i]);
  }
  return out;
}

// RFC822.SIZE of stored data: a bare LF (NewMessage::keep_bare_lf) counts as CRLF.
std::uint64_t imap_size(std::string_view data) {
  std::uint64_t n = data.size();
  for (std::size_t i = 0; i < data.size(); ++i)
    if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r')) ++n;
  return n;
}

CachedFields compute_cached(const std::string& data) {
  CachedFields c;
  c.ends_with_line_end = data.empty() || data.back() == '\n';
  mime::Message m = mime::parse(data);
  c.envelope = mime::imap_envelope(m);
  c.body_structure = mime::imap_bodystructure(m);
  mime::BodystructureOptions plain;
  plain.extended = false;
  c.body = mime::imap_bodystructure(m, 0, plain);
  c.header = std::string(m.header_bytes(m.root()));
  c.preview = mime::message_preview(m);  // RFC 8970
  if (const auto* f = m.find_field(m.root(), "Date")) {
    if (auto d = mime::parse_date(f->value)) {
      c.sent_date = d->to_unix();
      c.sent_tz = d->zone_minutes;
    }
  }
  c.sort = compute_sort_keys(m);
  return c;
}

// Keywords kept sorted and unique (case-insensitive), as Flags promises.
void normalize(Flags& f) {
  std::vector<std::string> out;
  for (auto& k : f.keywords) {
    bool dup = false;
    for (const auto& o : out) dup = dup || iequal(o, k);
    if (!dup && !k.empty()) out.push_back(k);
  }
  std::sort(out.begin(), out.end());
  f.keywords = std::move(out);
}

struct Message {
  MessageInfo info;
  std::shared_ptr<const std::string> data;
  std::shared_ptr<const CachedFields> cached;
};

bool deleted(const Message& m) {
  return (m.info.flags.system & kDeleted) != 0;
}

struct Mailbox {
  MailboxInfo info;                 // id, name, special_use, uid_validity, uid_next, modseq
  std::map<Uid, Message> messages;  // ascending UID
  std::vector<std::pair<Uid, ModSeq>> expunged;  // ascending MODSEQ
  std::set<std::string> keywords;          // every keyword ever used here (PERMANENTFLAGS bound)
  std::map<std::string, std::string> acl;  // RFC 4314: identifier -> rights
};

class MemoryBlob final : public Blob {
 public:
  explicit MemoryBlob(std::shared_ptr<const std::string> data) : data_(std::move(data)) {}
  std::uint64_t size() const override { return data_->size(); }
  std::error_code read(std::uint64_t offset, std::size_t n, std::string& out) override {
    out.clear();
    if (offset < data_->size()) out.assign(*data_, static_cast<std::size_t>(offset), n);
    return {};
  }

 private:
  std::shared_ptr<const std::string> data_;
};

// The watchers of one account. Shared with every Subscription, so that a subscription that
// outlives its account unsubscribes harmlessly.
struct WatchHub {
  std::mutex mutex;
  std::uint64_t next_id = 1;
  std::map<std::uint64_t, std::pair<MailboxId, std::function<void(const Change&)>>> watchers;

  void notify(const std::vector<Change>& changes) {
    if (changes.empty()) return;
    std::lock_guard lock(mutex);  // held while calling: an unsubscribe waits for the call
    for (const auto& c : changes)
      for (auto& [id, w] : watchers)
        if (w.first == 0 || w.first == c.mailbox) w.second(c);
  }
};

class MemorySubscription final : public Subscription {
 public:
  MemorySubscription(std::shared_ptr<WatchHub> hub, std::uint64_t id)
      : hub_(std::move(hub)), id_(id) {}
  ~MemorySubscription() override {
    std::lock_guard lock(hub_->mutex);
    hub_->watchers.erase(id_);
  }

 private:
  std::shared_ptr<WatchHub> hub_;
  std::uint64_t id_;
};

std::atomic<std::uint32_t> g_uid_validity{0};

std::uint32_t new_uid_validity() {
  std::uint32_t expected = 0;
  g_uid_validity.compare_exchange_strong(
      expected, static_cast<std::uint32_t>(now_seconds() & 0x3fffffff) + 1);
  return g_uid_validity.fetch_add(1);
}

class MemoryAccount final : public Account {
 public:
  MemoryAccount(std::string name, QuotaLimits defaults)
      : name_(std::move(name)), default_quota_(defaults) {
    MailboxInfo ignored;
    create_locked("INBOX", SpecialUse::none, ignored);
    create_locked("Sent", SpecialUse::sent, ignored);
    create_locked("Drafts", SpecialUse::drafts, ignored);
    create_locked("Trash", SpecialUse::trash, ignored);
    create_locked("Junk", SpecialUse::junk, ignored);
    create_locked("Archive", SpecialUse::archive, ignored);
  }

  const std::string& name() const override { return name_; }

  std::error_code list(std::vector<MailboxInfo>& out) override {
    std::lock_guard lock(mutex_);
    out.clear();
    for (const auto& [n, id] : by_name_) out.push_back(info_of(mailboxes_.at(id)));
    return {};
  }

  std::error_code find(std::string_view name, MailboxInfo& out) override {
    std::lock_guard lock(mutex_);
    Mailbox* m = by_name(name);
    if (!m) return Errc::no_such_mailbox;
    out = info_of(*m);
    return {};
  }

  std::error_code create(std::string_view name, SpecialUse use, MailboxInfo& out) override {
    {
      std::lock_guard lock(mutex_);
      // RFC 9208 §5.3 MAILBOX: the mailbox and the parents it brings count.
      std::string n = canonical_mailbox_name(name);
      if (valid_mailbox_name(n) && !by_name(n)) {
        std::uint64_t fresh = 1;
        for (std::size_t slash = n.find('/'); slash != std::string::npos;
             slash = n.find('/', slash + 1))
          fresh += by_name(n.substr(0, slash)) ? 0 : 1;
        if (quota_exceeded(limits_locked(), usage_locked(), 0, 0, fresh)) return Errc::over_quota;
      }
      if (auto ec = create_locked(name, use, out)) return ec;
    }
    Change c{out.id, out.highest_modseq, Change::Kind::created, out.name, {}, false};
    hub_->notify({c});
    return {};
  }

  std::error_code remove(std::string_view name) override {
    std::vector<Change> changes;
    {
      std::lock_guard lock(mutex_);
      std::string n = canonical_mailbox_name(name);
      if (n == "INBOX") return Errc::cannot_delete_inbox;
      Mailbox* m = by_name(n);
      if (!m) return Errc::no_such_mailbox;
      // Inferiors stay (RFC 9051 §6.3.4), as in the Maildir backend.
      MailboxId id = m->info.id;
      changes.push_back({id, m->info.highest_modseq + 1, Change::Kind::deleted, n, {}, false});
      by_name_.erase(n);
      mailboxes_.erase(id);
      metadata_.erase(id);
    }
    hub_->notify(changes);
    return {};
  }

  std::error_code rename(std::string_view from_raw, std::string_view to_raw) override {
    std::vector<Change> changes;
    {
      std::lock_guard lock(mutex_);
      std::string from = canonical_mailbox_name(from_raw);
      std::string to = canonical_mailbox_name(to_raw);
      if (!valid_mailbox_name(to)) return Errc::bad_mailbox_name;
      Mailbox* src = by_name(from);
      if (!src) return Errc::no_such_mailbox;
      if (by_name(to)) return Errc::mailbox_exists;
      if (to.size() > from.size() && to.compare(0, from.size(), from) == 0 &&
          to[from.size()] == '/')
        return Errc::bad_mailbox_name;  // into its own inferior
      if (from == "INBOX") {
        // RFC 9051 §6.3.6: the messages move to a new mailbox, INBOX stays, empty. INBOX
        // keeps its UIDVALIDITY and UIDNEXT (its UIDs are never reused); the new mailbox
        // gets its own UIDVALIDITY and the messages keep their UIDs.
        ensure_parents(to);
        MailboxInfo created;
        create_locked(to, SpecialUse::none, created);
        Mailbox& dst = mailboxes_.at(created.id);
        Mailbox& inbox = *by_name("INBOX");
        dst.messages = std::move(inbox.messages);
        inbox.messages.clear();
        dst.keywords = inbox.keywords;
        dst.info.uid_next = inbox.info.uid_next;
        ModSeq ms = ++dst.info.highest_modseq;
        for (auto& [uid, msg] : dst.messages) msg.info.modseq = ms;
        ModSeq ims = ++inbox.info.highest_modseq;
        for (auto& [uid, msg] : dst.messages) inbox.expunged.emplace_back(uid, ims);
        changes.push_back({inbox.info.id, ims});
        // RFC 5465 §5.4: a renamed INBOX is a new mailbox (and INBOX stays).
        changes.push_back({dst.info.id, ms, Change::Kind::created, to, {}, false});
      } else {
        ensure_parents(to);
        std::vector<std::string> names;
        for (const auto& [n, id] : by_name_)
          if (n == from || (n.size() > from.size() && n.compare(0, from.size(), from) == 0 &&
                            n[from.size()] == '/'))
            names.push_back(n);
        for (const auto& n : names) {
          std::string target = to + n.substr(from.size());
          if (by_name_.count(target)) return Errc::mailbox_exists;
        }
        for (const auto& n : names) {
          std::string target = to + n.substr(from.size());
          MailboxId id = by_name_.at(n);
          by_name_.erase(n);
          by_name_[target] = id;
          Mailbox& m = mailboxes_.at(id);
          m.info.name = target;
          changes.push_back({id, ++m.info.highest_modseq, Change::Kind::renamed, target, n, false});
        }
      }
    }
    hub_->notify(changes);
    return {};
  }

  std::error_code subscriptions(std::vector<std::string>& out) override {
    std::lock_guard lock(mutex_);
    out.assign(subscriptions_.begin(), subscriptions_.end());
    return {};
  }

  std::error_code subscribe(std::string_view name, bool on) override {
    std::string n = canonical_mailbox_name(name);
    if (!valid_mailbox_name(n)) return Errc::bad_mailbox_name;
    {
      std::lock_guard lock(mutex_);
      if (on)
        subscriptions_.insert(n);
      else
        subscriptions_.erase(n);
    }
    hub_->notify({Change{0, 0, Change::Kind::subscription, n, {}, on}});
    return {};
  }

  std::error_code snapshot(MailboxId mailbox, MailboxInfo& info,
                           std::vector<MessageInfo>& messages) override {
    std::lock_guard lock(mutex_);
    Mailbox* m = by_id(mailbox);
    if (!m) return Errc::no_such_mailbox;
    info = info_of(*m);
    messages.clear();
    messages.reserve(m->messages.size());
    for (const auto& [uid, msg] : m->messages) messages.push_back(msg.info);
    return {};
  }

  std::error_code changes_since(MailboxId mailbox, ModSeq since, ChangesSince& out) override {
    std::lock_guard lock(mutex_);
    Mailbox* m = by_id(mailbox);
    if (!m) return Errc::no_such_mailbox;
    out.changed.clear();
    out.expunged.clear();
    for (const auto& [uid, msg] : m->messages)
      if (msg.info.modseq > since) out.changed.push_back(msg.info);
    for (const auto& [uid, ms] : m->expunged)
      if (ms > since) out.expunged.push_back(uid);
    std::sort(out.expunged.begin(), out.expunged.end());
    out.expunged.erase(std::unique(out.expunged.begin(), out.expunged.end()), out.expunged.end());
    out.mailbox = info_of(*m);
    return {};
  }

  std::error_code cached(MailboxId mailbox, Uid uid, CachedFields& out) override {
    std::lock_guard lock(mutex_);
    const Message* msg = message(mailbox, uid);
    if (!msg) return by_id(mailbox) ? Errc::no_such_message : Errc::no_such_mailbox;
    out = *msg->cached;
    return {};
  }

  std::error_code sort_keys(MailboxId mailbox, unsigned fields,
                            std::vector<MessageSortKeys>& out) override {
    std::lock_guard lock(mutex_);
    Mailbox* m = by_id(mailbox);
    if (!m) return Errc::no_such_mailbox;
    out.clear();
    out.reserve(m->messages.size());
    for (const auto& [uid, msg] : m->messages) {
      MessageSortKeys& k = out.emplace_back();
      k.uid = uid;
      k.sent_date = msg.cached->sent_date;
      const SortKeys& c = msg.cached->sort;
      if (fields & kSortSubject) {
        k.keys.subject = c.subject;
        k.keys.reply = c.reply;
      }
      if (fields & kSortFrom) k.keys.from = c.from;
      if (fields & kSortTo) k.keys.to = c.to;
      if (fields & kSortCc) k.keys.cc = c.cc;
      if (fields & kSortDisplayFrom) k.keys.display_from = c.display_from;
      if (fields & kSortDisplayTo) k.keys.display_to = c.display_to;
      if (fields & kSortThreadIds) {
        k.keys.message_id = c.message_id;
        k.keys.references = c.references;
      }
    }
    return {};
  }

  std::error_code open(MailboxId mailbox, Uid uid, std::unique_ptr<Blob>& out) override {
    std::lock_guard lock(mutex_);
    const Message* msg = message(mailbox, uid);
    if (!msg) return by_id(mailbox) ? Errc::no_such_message : Errc::no_such_mailbox;
    out = std::make_unique<MemoryBlob>(msg->data);
    return {};
  }

  std::error_code append(MailboxId mailbox, const NewMessage& message, AppendResult& out) override {
    std::string data;
    if (auto ec = read_message(message, data)) return ec;
    auto cached = std::make_shared<const CachedFields>(compute_cached(data));
    std::vector<Change> changes;
    {
      std::lock_guard lock(mutex_);
      Mailbox* m = by_id(mailbox);
      if (!m) return Errc::no_such_mailbox;
      const QuotaUsage before = usage_locked();
      if (quota_exceeded(limits_locked(), before, imap_size(data), 1)) return Errc::over_quota;
      if (auto ec = add_locked(*m, std::move(data), std::move(cached), message, out)) return ec;
      changes.push_back({m->info.id, m->info.highest_modseq});
      warn_locked(before, changes);
    }
    hub_->notify(changes);
    return {};
  }

  std::error_code deliver(std::string_view name, const NewMessage& message,
                          std::string_view delivery_key, bool /*defer_sync*/,
                          AppendResult& out) override {
    std::string data;
    if (auto ec = read_message(message, data)) return ec;
    auto cached = std::make_shared<const CachedFields>(compute_cached(data));
    std::vector<Change> changes;
    {
      std::lock_guard lock(mutex_);
      if (!delivery_key.empty()) {
        auto it = delivered_.find(std::string(delivery_key));
        if (it != delivered_.end()) {
          out = it->second;
          out.existing = true;
          return {};
        }
      }
      std::string n = name.empty() ? std::string("INBOX") : canonical_mailbox_name(name);
      const QuotaUsage before = usage_locked();
      if (quota_exceeded(limits_locked(), before, imap_size(data), 1)) return Errc::over_quota;
      Mailbox* m = by_name(n);
      if (!m) {
        MailboxInfo created;
        if (auto ec = create_locked(n, SpecialUse::none, created)) return ec;
        m = by_id(created.id);
      }
      if (auto ec = add_locked(*m, std::move(data), std::move(cached), message, out)) return ec;
      if (!delivery_key.empty()) delivered_[std::string(delivery_key)] = out;
      changes.push_back({m->info.id, m->info.highest_modseq});
      warn_locked(before, changes);
    }
    hub_->notify(changes);
    return {};
  }

  std::error_code update_flags(MailboxId mailbox, const std::vector<Uid>& uids,
                               const FlagUpdate& update, FlagResult& out) override {
    out.changed.clear();
    out.modified.clear();
    Change change;
    {
      std::lock_guard lock(mutex_);
      Mailbox* m = by_id(mailbox);
      if (!m) return Errc::no_such_mailbox;
      Flags given = update.flags;
      normalize(given);
      if (update.mode != FlagUpdate::Mode::remove) {
        std::size_t fresh = 0;
        for (const auto& k : given.keywords) fresh += has_keyword(*m, k) ? 0 : 1;
        if (m->keywords.size() + fresh > kMaxKeywords) return Errc::too_many_keywords;
        for (const auto& k : given.keywords)
          if (k.size() > kMaxKeywordLength) return Errc::too_many_keywords;
      }
      ModSeq ms = m->info.highest_modseq + 1;
      for (Uid uid : uids) {
        auto it = m->messages.find(uid);
        if (it == m->messages.end()) continue;
        MessageInfo& info = it->second.info;
        if (update.unchanged_since && info.modseq > *update.unchanged_since) {
          out.modified.push_back(uid);
          continue;
        }
        Flags next = apply(info.flags, given, update.mode);
        if (next == info.flags) continue;
        info.flags = std::move(next);
        info.modseq = ms;
        out.changed.push_back(info);
      }
      std::sort(out.modified.begin(), out.modified.end());
      if (out.changed.empty()) return {};
      for (const auto& k : given.keywords)
        if (!has_keyword(*m, k)) m->keywords.insert(k);
      m->info.highest_modseq = ms;
      std::sort(out.changed.begin(), out.changed.end(),
                [](const MessageInfo& a, const MessageInfo& b) { return a.uid < b.uid; });
      change = {m->info.id, ms};
    }
    hub_->notify({change});
    return {};
  }

  std::error_code expunge(MailboxId mailbox, const std::vector<Uid>& uids,
                          std::vector<Uid>& out) override {
    return expunge_where(mailbox, &uids, false, out);
  }

  std::error_code expunge_deleted(MailboxId mailbox, const std::vector<Uid>* among,
                                  std::vector<Uid>& out) override {
    return expunge_where(mailbox, among, true, out);
  }

  std::error_code expunge_where(MailboxId mailbox, const std::vector<Uid>* among, bool only_deleted,
                                std::vector<Uid>& out) {
    out.clear();
    Change change;
    {
      std::lock_guard lock(mutex_);
      Mailbox* m = by_id(mailbox);
      if (!m) return Errc::no_such_mailbox;
      std::vector<Uid> uids;
      if (among) {
        for (Uid u : *among) {
          auto it = m->messages.find(u);
          if (it != m->messages.end() && (!only_deleted || deleted(it->second))) uids.push_back(u);
        }
      } else {
        for (const auto& [u, msg] : m->messages)
          if (!only_deleted || deleted(msg)) uids.push_back(u);
      }
      expunge_locked(*m, uids, out);
      if (out.empty()) return {};
      change = {m->info.id, m->info.highest_modseq};
    }
    hub_->notify({change});
    return {};
  }

  std::error_code copy(MailboxId from, const std::vector<Uid>& uids, MailboxId to,
                       CopyResult& out) override {
    return copy_or_move(from, uids, to, false, out);
  }

  std::error_code move(MailboxId from, const std::vector<Uid>& uids, MailboxId to,
                       CopyResult& out) override {
    return copy_or_move(from, uids, to, true, out);
  }

  std::unique_ptr<Subscription> watch(MailboxId mailbox,
                                      std::function<void(const Change&)> on_change) override {
    std::lock_guard lock(hub_->mutex);
    std::uint64_t id = hub_->next_id++;
    hub_->watchers[id] = {mailbox, std::move(on_change)};
    return std::make_unique<MemorySubscription>(hub_, id);
  }

  std::error_code quota(QuotaState& out) override {
    std::lock_guard lock(mutex_);
    out.own = own_quota_;
    out.limits = limits_locked();
    out.usage = usage_locked();
    return {};
  }

  std::error_code set_quota(const QuotaLimits& own) override {
    std::lock_guard lock(mutex_);
    own_quota_ = own;
    return {};
  }

  std::error_code rescan(MailboxId mailbox) override {
    std::lock_guard lock(mutex_);
    return by_id(mailbox) ? std::error_code() : make_error_code(Errc::no_such_mailbox);
  }

  // A simple index: the documents of the full-text index (store_fulltext_text.hpp), made
  // afresh at each search from the messages in memory; exact and always current.
  std::error_code fulltext_search(MailboxId mailbox, TextField field, std::string_view folded,
                                  FulltextResult& out) override {
    out = {};
    std::vector<std::pair<Uid, std::shared_ptr<const std::string>>> data;
    Uid last = 0;
    {
      std::lock_guard lock(mutex_);
      Mailbox* m = by_id(mailbox);
      if (!m) return Errc::no_such_mailbox;
      last = m->info.uid_next - 1;
      for (const auto& [uid, msg] : m->messages) data.emplace_back(uid, msg.data);
    }
    if (!fulltext_answerable(folded)) return {};
    out.covered_through = last;
    out.exact = true;
    for (const auto& [uid, bytes] : data) {
      FulltextDocument doc = fulltext_document(mime::parse(*bytes));
      auto has = [&](FulltextColumn c) {
        return doc[static_cast<std::size_t>(c)].find(folded) != std::string::npos;
      };
      bool hit = false;
      switch (field) {
        case TextField::subject:
          hit = has(kColSubject);
          break;
        case TextField::from:
          hit = has(kColFrom);
          break;
        case TextField::to:
          hit = has(kColTo);
          break;
        case TextField::cc:
          hit = has(kColCc);
          break;
        case TextField::bcc:
          hit = has(kColBcc);
          break;
        case TextField::body:
          hit = has(kColBody);
          break;
        case TextField::text:
          hit = has(kColHeaders) || has(kColBody);
          break;
      }
      if (hit) out.uids.push_back(uid);
    }
    return {};
  }

  std::error_code fulltext_catch_up(bool, FulltextStatus& out) override {
    return fulltext_status(out);
  }
  std::error_code fulltext_status(FulltextStatus& out) override {
    std::lock_guard lock(mutex_);
    out = {};
    for (const auto& [id, m] : mailboxes_) out.messages += m.messages.size();
    out.indexed = out.messages;  // always current (see fulltext_search)
    return {};
  }

  std::error_code check_index(IndexReport& out) override {
    std::lock_guard lock(mutex_);
    out = {};
    out.mailboxes = static_cast<std::uint32_t>(mailboxes_.size());
    for (const auto& [id, m] : mailboxes_)
      out.messages += static_cast<std::uint32_t>(m.messages.size());
    return {};
  }

  // Nothing to rebuild but the thread ids (RFC 8474 THREADID), given again in arrival order
  // from each message's Message-ID and references, as the Maildir backend's rebuild does.
  std::error_code rebuild_index(IndexReport& out) override {
    {
      std::lock_guard lock(mutex_);
      std::vector<Message*> all;
      for (auto& [id, m] : mailboxes_)
        for (auto& [uid, msg] : m.messages) all.push_back(&msg);
      std::stable_sort(all.begin(), all.end(), [](const Message* a, const Message* b) {
        return a->info.internal_date < b->info.internal_date;
      });
      threads_.clear();
      std::map<std::string, std::string> by_email;  // copies take the first one's thread
      for (Message* msg : all) {
        auto [it, fresh] = by_email.try_emplace(msg->info.email_id);
        if (fresh) it->second = thread_of_locked(msg->cached->sort, msg->info.email_id);
        msg->info.thread_id = it->second;
      }
    }
    return check_index(out);
  }

  std::error_code acl(MailboxId mailbox, std::vector<AclEntry>& out) override {
    std::lock_guard lock(mutex_);
    out.clear();
    auto it = mailboxes_.find(mailbox);
    if (it == mailboxes_.end()) return Errc::no_such_mailbox;
    for (const auto& [id, rights] : it->second.acl) out.push_back({id, rights});
    return {};
  }

  std::error_code set_acl(MailboxId mailbox, std::string_view identifier,
                          std::string_view rights) override {
    if (identifier.empty() || identifier.find_first_of(" \r\n") != std::string_view::npos ||
        rights.find_first_of(" \r\n") != std::string_view::npos)
      return std::make_error_code(std::errc::invalid_argument);
    std::lock_guard lock(mutex_);
    auto it = mailboxes_.find(mailbox);
    if (it == mailboxes_.end()) return Errc::no_such_mailbox;
    if (rights.empty())
      it->second.acl.erase(std::string(identifier));
    else
      it->second.acl[std::string(identifier)] = std::string(rights);
    return {};
  }

  std::error_code acl_all(std::vector<std::pair<std::string, AclEntry>>& out) override {
    std::lock_guard lock(mutex_);
    out.clear();
    for (const auto& [name, id] : by_name_)
      for (const auto& [ident, rights] : mailboxes_.at(id).acl)
        out.push_back({name, AclEntry{ident, rights}});
    return {};
  }

  std::error_code metadata(MailboxId mailbox, std::vector<MetadataEntry>& out) override {
    std::lock_guard lock(mutex_);
    out.clear();
    if (mailbox != 0 && !by_id(mailbox)) return Errc::no_such_mailbox;
    auto it = metadata_.find(mailbox);
    if (it == metadata_.end()) return {};
    for (const auto& [key, value] : it->second) out.push_back({key.second, key.first, value});
    return {};
  }

  std::error_code set_metadata(MailboxId mailbox,
                               std::span<const MetadataChange> changes) override {
    {
      std::lock_guard lock(mutex_);
      if (mailbox != 0 && !by_id(mailbox)) return Errc::no_such_mailbox;
      auto entries = metadata_[mailbox];  // a copy: all or nothing
      for (const MetadataChange& c : changes) {
        if (c.value)
          entries[{c.name, c.user}] = *c.value;
        else
          entries.erase({c.name, c.user});
      }
      if (entries.size() > kMaxMetadataEntries) return Errc::too_many_metadata;
      metadata_[mailbox] = std::move(entries);
    }
    std::vector<Change> notices;
    for (const MetadataChange& c : changes) {
      Change n{mailbox, 0, Change::Kind::metadata, c.name};
      n.user = c.user;
      notices.push_back(std::move(n));
    }
    hub_->notify(notices);
    return {};
  }

 private:
  static Flags apply(const Flags& current, const Flags& given, FlagUpdate::Mode mode) {
    Flags next;
    switch (mode) {
      case FlagUpdate::Mode::replace:
        next = given;
        break;
      case FlagUpdate::Mode::add:
        next = current;
        next.system |= given.system;
        for (const auto& k : given.keywords) next.keywords.push_back(k);
        normalize(next);
        break;
      case FlagUpdate::Mode::remove:
        next.system = static_cast<std::uint8_t>(current.system & ~given.system);
        for (const auto& k : current.keywords) {
          bool drop = false;
          for (const auto& g : given.keywords) drop = drop || iequal(g, k);
          if (!drop) next.keywords.push_back(k);
        }
        break;
    }
    return next;
  }

  static bool has_keyword(const Mailbox& m, const std::string& k) {
    for (const auto& o : m.keywords)
      if (iequal(o, k)) return true;
    return false;
  }

  static std::error_code read_message(const NewMessage& message, std::string& data) {
    std::string raw(message.prefix);
    if (message.fd >= 0) {
      std::size_t base = raw.size();
      raw.resize(base + message.length);
      std::uint64_t done = 0;
      while (done < message.length) {
        ssize_t n = ::pread(message.fd, raw.data() + base + done, message.length - done,
                            static_cast<off_t>(message.offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return {errno, std::generic_category()};
        if (n == 0) return std::make_error_code(std::errc::io_error);  // file shorter
        done += static_cast<std::uint64_t>(n);
      }
    } else {
      raw.append(message.bytes);
    }
    if (message.filter) {
      // The data (not the prefix) passes through the filter (store.hpp, NewMessage::filter).
      std::string filtered(message.prefix);
      std::string_view body = std::string_view(raw).substr(message.prefix.size());
      message.filter(body, false, filtered);
      message.filter({}, true, filtered);
      raw = std::move(filtered);
    }
    data = message.keep_bare_lf ? std::move(raw) : to_crlf(raw);
    return {};
  }

  std::error_code add_locked(Mailbox& m, std::string data,
                             std::shared_ptr<const CachedFields> cached, const NewMessage& message,
                             AppendResult& out) {
    Flags flags = message.flags;
    normalize(flags);
    std::size_t fresh = 0;
    for (const auto& k : flags.keywords) fresh += has_keyword(m, k) ? 0 : 1;
    if (m.keywords.size() + fresh > kMaxKeywords) return Errc::too_many_keywords;
    for (const auto& k : flags.keywords) m.keywords.insert(k);
    Message msg;
    msg.info.uid = m.info.uid_next++;
    msg.info.flags = std::move(flags);
    msg.info.modseq = ++m.info.highest_modseq;
    std::int64_t now = now_seconds();
    msg.info.internal_date = message.internal_date.value_or(now);
    msg.info.internal_tz = message.internal_tz;
    msg.info.save_date = now;
    msg.info.size = imap_size(data);
    msg.info.ends_with_line_end = data.empty() || data.back() == '\n';
    msg.info.email_id = "M" + std::to_string(++email_counter_) + "x" + std::to_string(now);
    msg.info.thread_id = thread_of_locked(cached->sort, msg.info.email_id);
    msg.data = std::make_shared<const std::string>(std::move(data));
    msg.cached = std::move(cached);
    out.uid_validity = m.info.uid_validity;
    out.uid = msg.info.uid;
    m.messages.emplace(msg.info.uid, std::move(msg));
    return {};
  }

  // RFC 8474 THREADID (store_thread_ids.hpp): the thread a message with these keys joins or
  // starts; its ids then map to it. One hash lookup per id.
  std::string thread_of_locked(const SortKeys& keys, std::string_view email_id) {
    const std::vector<std::string_view> ids = thread_link_ids(keys);
    std::string thread;
    for (std::string_view id : ids) {
      auto it = threads_.find(std::string(id));
      if (it != threads_.end()) {
        thread = it->second;
        break;
      }
    }
    if (thread.empty()) thread = new_thread_id(email_id);
    for (std::string_view id : ids) threads_.try_emplace(std::string(id), thread);
    return thread;
  }

  QuotaLimits limits_locked() const { return effective_quota(own_quota_, default_quota_); }

  QuotaUsage usage_locked() const {
    QuotaUsage u;
    u.mailboxes = mailboxes_.size();
    for (const auto& [id, m] : mailboxes_) {
      u.messages += m.messages.size();
      for (const auto& [uid, msg] : m.messages) u.storage += msg.info.size;
    }
    return u;
  }

  // After an append or delivery that found usage `before`: the 90 % warning into INBOX, not
  // counted against the limits (store_quota.hpp).
  void warn_locked(const QuotaUsage& before, std::vector<Change>& changes) {
    const QuotaLimits limits = limits_locked();
    const QuotaUsage after = usage_locked();
    const std::uint8_t which = quota_warning_step(limits, before, after, quota_warned_);
    Mailbox* inbox = which ? by_name("INBOX") : nullptr;
    if (!inbox) return;
    std::string text = quota_warning_message(name_, limits, after, which, now_seconds());
    auto cached = std::make_shared<const CachedFields>(compute_cached(text));
    NewMessage warning;
    AppendResult ignored;
    if (add_locked(*inbox, std::move(text), std::move(cached), warning, ignored)) return;
    changes.push_back({inbox->info.id, inbox->info.highest_modseq});
  }

  void expunge_locked(Mailbox& m, const std::vector<Uid>& uids, std::vector<Uid>& out) {
    ModSeq ms = m.info.highest_modseq + 1;
    for (Uid uid : uids)
      if (m.messages.erase(uid)) out.push_back(uid);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    if (out.empty()) return;
    m.info.highest_modseq = ms;
    for (Uid uid : out) m.expunged.emplace_back(uid, ms);
  }

  std::error_code copy_or_move(MailboxId from, const std::vector<Uid>& uids, MailboxId to,
                               bool move, CopyResult& out) {
    out = {};
    std::vector<Change> changes;
    {
      std::lock_guard lock(mutex_);
      Mailbox* src = by_id(from);
      Mailbox* dst = by_id(to);
      if (!src || !dst) return Errc::no_such_mailbox;
      std::vector<Uid> sorted(uids);
      std::sort(sorted.begin(), sorted.end());
      sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
      std::vector<const Message*> found;
      std::set<std::string> new_keywords;
      for (Uid uid : sorted) {
        auto it = src->messages.find(uid);
        if (it == src->messages.end()) continue;
        found.push_back(&it->second);
        for (const auto& k : it->second.info.flags.keywords)
          if (!has_keyword(*dst, k)) new_keywords.insert(k);
      }
      if (found.empty()) return {};
      if (!move) {
        std::uint64_t octets = 0;
        for (const Message* f : found) octets += f->info.size;
        if (quota_exceeded(limits_locked(), usage_locked(), octets, found.size()))
          return Errc::over_quota;
      }
      if (dst->keywords.size() + new_keywords.size() > kMaxKeywords) return Errc::too_many_keywords;
      dst->keywords.insert(new_keywords.begin(), new_keywords.end());
      out.uid_validity = dst->info.uid_validity;
      ModSeq ms = ++dst->info.highest_modseq;
      std::int64_t now = now_seconds();
      std::vector<Message> copies;
      for (const Message* s : found) {
        Message c = *s;
        c.info.uid = dst->info.uid_next++;
        c.info.modseq = ms;
        c.info.save_date = now;
        out.source.push_back(s->info.uid);
        out.target.push_back(c.info.uid);
        copies.push_back(std::move(c));
      }
      for (auto& c : copies) dst->messages.emplace(c.info.uid, std::move(c));
      changes.push_back({dst->info.id, ms});
      if (move && src != dst) {
        std::vector<Uid> removed;
        expunge_locked(*src, out.source, removed);
        changes.push_back({src->info.id, src->info.highest_modseq});
      } else if (move) {
        std::vector<Uid> removed;
        expunge_locked(*src, out.source, removed);
        changes.back().modseq = src->info.highest_modseq;
      }
    }
    hub_->notify(changes);
    return {};
  }

  std::error_code create_locked(std::string_view raw, SpecialUse use, MailboxInfo& out) {
    std::string name = canonical_mailbox_name(raw);
    if (!valid_mailbox_name(name)) return Errc::bad_mailbox_name;
    if (by_name(name)) return Errc::mailbox_exists;
    ensure_parents(name);
    Mailbox m;
    m.info.id = next_id_++;
    m.info.name = name;
    m.info.special_use = use;
    m.info.uid_validity = new_uid_validity();
    m.info.uid_next = 1;
    m.info.highest_modseq = 1;
    by_name_[name] = m.info.id;
    out = info_of(m);
    mailboxes_.emplace(m.info.id, std::move(m));
    return {};
  }

  // Creates the missing parents of `name` ("a/b/c" needs "a" and "a/b").
  void ensure_parents(const std::string& name) {
    for (std::size_t slash = name.find('/'); slash != std::string::npos;
         slash = name.find('/', slash + 1)) {
      std::string parent = name.substr(0, slash);
      if (by_name(parent)) continue;
      Mailbox m;
      m.info.id = next_id_++;
      m.info.name = canonical_mailbox_name(parent);
      m.info.uid_validity = new_uid_validity();
      by_name_[m.info.name] = m.info.id;
      mailboxes_.emplace(m.info.id, std::move(m));
    }
  }

  Mailbox* by_name(std::string_view raw) {
    auto it = by_name_.find(canonical_mailbox_name(raw));
    return it == by_name_.end() ? nullptr : &mailboxes_.at(it->second);
  }
  Mailbox* by_id(MailboxId id) {
    auto it = mailboxes_.find(id);
    return it == mailboxes_.end() ? nullptr : &it->second;
  }
  const Message* message(MailboxId mailbox, Uid uid) {
    Mailbox* m = by_id(mailbox);
    if (!m) return nullptr;
    auto it = m->messages.find(uid);
    return it == m->messages.end() ? nullptr : &it->second;
  }

  static MailboxInfo info_of(const Mailbox& m) {
    MailboxInfo i = m.info;
    i.messages = static_cast<std::uint32_t>(m.messages.size());
    i.unseen = i.deleted = 0;
    i.size = 0;
    for (const auto& [uid, msg] : m.messages) {
      if (!(msg.info.flags.system & kSeen)) ++i.unseen;
      if (msg.info.flags.system & kDeleted) ++i.deleted;
      i.size += msg.info.size;
    }
    return i;
  }

  std::string name_;
  const QuotaLimits default_quota_;
  QuotaLimits own_quota_{kQuotaDefault, kQuotaDefault, kQuotaDefault};
  std::uint8_t quota_warned_ = 0;  // QuotaResource bits warned about (quota_warning_step)
  std::mutex mutex_;
  std::map<MailboxId, Mailbox> mailboxes_;
  std::map<std::string, MailboxId> by_name_;
  // RFC 5464: per mailbox (0: the server), (name, user) -> value
  std::map<MailboxId, std::map<std::pair<std::string, std::string>, std::string>> metadata_;
  std::set<std::string> subscriptions_;
  std::map<std::string, AppendResult> delivered_;
  MailboxId next_id_ = 1;
  std::uint64_t email_counter_ = 0;
  // RFC 8474 THREADID: every Message-ID seen (own and referenced) -> its thread.
  std::unordered_map<std::string, std::string> threads_;
  std::shared_ptr<WatchHub> hub_ = std::make_shared<WatchHub>();
};

class MemoryStore final : public Store {
 public:
  explicit MemoryStore(QuotaLimits defaults) : default_quota_(defaults) {}
  std::error_code account(std::string_view name, std::shared_ptr<Account>& out) override {
    std::lock_guard lock(mutex_);
    auto it = accounts_.find(std::string(name));
    if (it == accounts_.end())
      it = accounts_
               .emplace(std::string(name),
                        std::make_shared<MemoryAccount>(std::string(name), default_quota_))
               .first;
    out = it->second;
    return {};
  }
  std::error_code remove_account(std::string_view name) override {
    std::lock_guard lock(mutex_);
    if (!accounts_.erase(std::string(name))) return Errc::no_such_account;
    return {};
  }

  // No registry: a test store has few accounts, each one's ACLs are read.
  std::error_code sharers(std::string_view user, std::vector<std::string>& owners) override {
    owners.clear();
    auto lower = [](std::string_view v) {
      std::string o(v);
      for (char& ch : o)
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
      return o;
    };
    auto domain = [&](std::string_view a) {
      std::size_t at = a.rfind('@');
      return at == std::string_view::npos ? std::string() : lower(a.substr(at + 1));
    };
    const std::string u = lower(user);
    std::lock_guard lock(mutex_);
    for (const auto& [name, account] : accounts_) {
      if (lower(name) == u || domain(name) != domain(u)) continue;
      std::vector<std::pair<std::string, AclEntry>> rows;
      account->acl_all(rows);
      for (const auto& [mailbox, e] : rows)
        if (!e.rights.empty() && (lower(e.identifier) == u || e.identifier == "anyone")) {
          owners.push_back(name);
          break;
        }
    }
    return {};
  }

 private:
  const QuotaLimits default_quota_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Account>> accounts_;
};

}  // namespace

std::shared_ptr<Store> make_memory_store(QuotaLimits default_quota) {
  return std::make_shared<MemoryStore>(default_quota);
}

}  // namespace estafeta::store
