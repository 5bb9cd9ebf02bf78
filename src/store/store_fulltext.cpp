// store_fulltext: see the header.
#include "store/store_fulltext.hpp"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "base/log.hpp"
#include "mime/mime_parser.hpp"
#include "mime/mime_search_fuzzy.hpp"
#include "store/store_fulltext_text.hpp"

namespace estafeta::store {

namespace {

constexpr int kFormat = 2;  // 2: vocab, vdel (FUZZY)
constexpr auto kSettle = std::chrono::milliseconds(300);
constexpr auto kIdleExit = std::chrono::seconds(30);

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS boxes (
  mailbox INTEGER PRIMARY KEY,
  uid_validity INTEGER NOT NULL,
  slot INTEGER NOT NULL,
  indexed_uid INTEGER NOT NULL,
  modseq INTEGER NOT NULL,
  docs INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS vocab (word TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS vdel (variant TEXT NOT NULL, word TEXT NOT NULL,
                                 PRIMARY KEY (variant, word)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS skipped (slot INTEGER NOT NULL, uid INTEGER NOT NULL,
                                    PRIMARY KEY (slot, uid)) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
  c_subject, c_from, c_to, c_cc, c_bcc, c_headers, c_body,
  content = '', detail = full, tokenize = 'trigram case_sensitive 1');
)sql";

std::int64_t rowid_of(std::int64_t slot, Uid uid) {
  return (slot << 32) | static_cast<std::int64_t>(uid);
}

std::int64_t meta_get(Db& db, std::string_view key, std::int64_t dflt) {
  Stmt st = db.prepare("SELECT value FROM meta WHERE key = ?1");
  st.bind(1, key);
  return st.step() ? st.i64(0) : dflt;
}

std::error_code meta_set(Db& db, std::string_view key, std::int64_t v) {
  Stmt st = db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)");
  st.bind(1, key).bind(2, v);
  return st.run();
}

// Opens `db` on `file` with the schema; a file of another format is emptied first.
std::error_code open_db(Db& db, const std::filesystem::path& file) {
  if (auto ec = db.open(file)) return ec;
  if (auto ec = db.exec("PRAGMA synchronous=NORMAL")) return ec;
  if (auto ec = db.exec(kSchema)) return ec;
  std::int64_t format = meta_get(db, "format", 0);
  if (format != kFormat) {
    if (auto ec =
            db.exec("DELETE FROM boxes; DELETE FROM skipped; DELETE FROM vocab; DELETE FROM vdel;"
                    "INSERT INTO fts(fts) VALUES('delete-all');"))
      return ec;
    if (auto ec = meta_set(db, "format", kFormat)) return ec;
  }
  return {};
}

}  // namespace

FulltextIndex::FulltextIndex(Account& account, std::filesystem::path file)
    : account_(account), file_(std::move(file)) {}

FulltextIndex::~FulltextIndex() {
  std::thread t;
  {
    std::lock_guard lock(thread_mu_);
    stop_ = true;
    t = std::move(thread_);
    // A thread running at nice 10 on a busy machine can take long to reach its next stop
    // check: back to normal priority so that shutdown does not wait on it (best effort).
    if (tid_ != 0) setpriority(PRIO_PROCESS, static_cast<id_t>(tid_), 0);
  }
  cv_.notify_all();
  if (t.joinable()) t.join();
}

void FulltextIndex::poke() {
  std::thread old;
  {
    std::lock_guard lock(thread_mu_);
    if (stop_) return;
    poked_ = true;
    if (running_) {
      cv_.notify_all();
      return;
    }
    old = std::move(thread_);  // finished: joins at once
    running_ = true;
    thread_ = std::thread([this] { run(); });
  }
  if (old.joinable()) old.join();
}

void FulltextIndex::run() {
  // Below the protocol threads: indexing only uses CPU no one else wants (Linux: per thread).
  const auto tid = static_cast<int>(syscall(SYS_gettid));
  setpriority(PRIO_PROCESS, static_cast<id_t>(tid), 10);
  std::unique_lock lock(thread_mu_);
  tid_ = tid;
  for (;;) {
    if (!cv_.wait_for(lock, kIdleExit, [this] { return poked_ || stop_; })) break;  // idle
    if (stop_) break;
    // Let a burst of deliveries settle: one catch-up for all of them.
    cv_.wait_for(lock, kSettle, [this] { return stop_; });
    if (stop_) break;
    poked_ = false;
    lock.unlock();
    {
      std::lock_guard w(write_mu_);
      if (auto ec = catch_up_locked(false); ec && ec != std::errc::operation_canceled)
        log::warn("store", "{}: full-text index: {}", account_.name(), ec.message());
    }
    lock.lock();
  }
  running_ = false;
  tid_ = 0;
}

std::error_code FulltextIndex::open_writer() {
  if (writer_.is_open()) return {};
  std::error_code ec = open_db(writer_, file_);
  if (ec == Errc::index_corrupt) {
    reset_damaged(ec);
    ec = open_db(writer_, file_);
  }
  if (ec) writer_.close();
  return ec;
}

// Under write_mu_: closes both connections and deletes the file (it is rebuilt).
void FulltextIndex::reset_damaged(std::error_code ec) {
  log::warn("store", "{}: full-text index {} unreadable ({}); rebuilt", account_.name(),
            file_.string(), ec.message());
  std::lock_guard r(read_mu_);
  writer_.close();
  reader_.close();
  known_words_.clear();
  words_loaded_ = false;
  std::error_code ignored;
  for (const char* suffix : {"", "-wal", "-shm"})
    std::filesystem::remove(file_.string() + suffix, ignored);
}

std::error_code FulltextIndex::catch_up(bool rebuild, FulltextStatus& out) {
  std::lock_guard w(write_mu_);
  std::error_code ec = catch_up_locked(rebuild);
  if (ec == Errc::index_corrupt) {
    reset_damaged(ec);
    ec = catch_up_locked(true);
  }
  if (ec) return ec;
  writer_.exec("PRAGMA wal_checkpoint(TRUNCATE)");  // the file alone has it all (sizes)
  return status_locked(out);
}

std::error_code FulltextIndex::status(FulltextStatus& out) {
  std::lock_guard w(write_mu_);
  return status_locked(out);
}

std::error_code FulltextIndex::status_locked(FulltextStatus& out) {
  out = {};
  std::vector<MailboxInfo> boxes;
  if (auto ec = account_.list(boxes)) return ec;
  if (auto ec = open_writer()) return ec;
  for (const MailboxInfo& b : boxes) {
    out.messages += b.messages;
    Stmt st = writer_.prepare(
        "SELECT slot, indexed_uid FROM boxes WHERE mailbox = ?1 AND uid_validity = ?2");
    st.bind(1, b.id).bind(2, static_cast<std::int64_t>(b.uid_validity));
    if (!st.step()) continue;
    std::int64_t slot = st.i64(0);
    auto through = static_cast<Uid>(st.i64(1));
    if (through + 1 >= b.uid_next) {
      Stmt sk = writer_.prepare("SELECT count(*) FROM skipped WHERE slot = ?1");
      sk.bind(1, slot);
      std::uint64_t skipped = sk.step() ? static_cast<std::uint64_t>(sk.i64(0)) : 0;
      out.indexed += b.messages - std::min<std::uint64_t>(skipped, b.messages);
    } else {  // partly: count what it covers
      MailboxInfo info;
      std::vector<MessageInfo> msgs;
      if (auto ec = account_.snapshot(b.id, info, msgs)) return ec;
      for (const MessageInfo& m : msgs) out.indexed += m.uid <= through ? 1 : 0;
    }
  }
  std::uint64_t size = 0;
  for (const char* suffix : {"", "-wal"}) {
    struct stat sb {};
    if (::stat((file_.string() + suffix).c_str(), &sb) == 0)
      size += static_cast<std::uint64_t>(sb.st_size);
  }
  out.file_size = size;
  return {};
}

std::error_code FulltextIndex::catch_up_locked(bool rebuild) {
  if (auto ec = open_writer()) return ec;
  std::vector<MailboxInfo> boxes;
  if (auto ec = account_.list(boxes)) return ec;
  // Garbage: rows of slots no mailbox uses any more, and of expunged messages.
  std::uint64_t docs = 0, live = 0;
  {
    Stmt st = writer_.prepare("SELECT mailbox, uid_validity, docs FROM boxes");
    while (st.step()) {
      docs += static_cast<std::uint64_t>(st.i64(2));
      auto it = std::find_if(boxes.begin(), boxes.end(), [&](const MailboxInfo& b) {
        return b.id == st.i64(0) && b.uid_validity == static_cast<std::uint32_t>(st.i64(1));
      });
      if (it != boxes.end()) live += it->messages;
    }
    if (auto ec = st.ec()) return ec;
  }
  std::uint64_t garbage = docs > live ? docs - live : 0;
  if (rebuild || (garbage > kGarbageFloor && garbage > live)) {
    Transaction tx(writer_);
    if (tx.begin_error()) return tx.begin_error();
    if (auto ec = writer_.exec(
            "DELETE FROM boxes; DELETE FROM skipped; DELETE FROM vocab; DELETE FROM vdel;"
            "INSERT INTO fts(fts) VALUES('delete-all');"))
      return ec;
    if (auto ec = tx.commit()) return ec;
    known_words_.clear();
    words_loaded_ = false;
    if (!rebuild)
      log::info("store", "{}: full-text index: {} rows of expunged messages; rebuilt",
                account_.name(), garbage);
  }
  for (const MailboxInfo& b : boxes) {
    {
      std::lock_guard lock(thread_mu_);
      if (stop_) return {};
    }
    if (auto ec = index_mailbox(b)) {
      if (ec == make_error_code(Errc::no_such_mailbox)) continue;  // deleted meanwhile
      return ec;
    }
  }
  return {};
}

std::error_code FulltextIndex::index_mailbox(const MailboxInfo& b) {
  std::int64_t slot = 0;
  Uid through = 0;
  ModSeq modseq = 0;
  {
    Stmt st = writer_.prepare(
        "SELECT uid_validity, slot, indexed_uid, modseq FROM boxes WHERE mailbox = ?1");
    st.bind(1, b.id);
    if (st.step() && static_cast<std::uint32_t>(st.i64(0)) == b.uid_validity) {
      slot = st.i64(1);
      through = static_cast<Uid>(st.i64(2));
      modseq = static_cast<ModSeq>(st.i64(3));
    } else {
      if (auto ec = st.ec()) return ec;
      // New, or a new UIDVALIDITY: a fresh slot; the old one's rows are garbage.
      std::int64_t next = meta_get(writer_, "next_slot", 1);
      if (auto ec = meta_set(writer_, "next_slot", next + 1)) return ec;
      Stmt up = writer_.prepare(
          "INSERT INTO boxes (mailbox, uid_validity, slot, indexed_uid, modseq, docs) "
          "VALUES (?1, ?2, ?3, 0, 0, 0) ON CONFLICT (mailbox) DO UPDATE SET "
          "uid_validity = ?2, slot = ?3, indexed_uid = 0, modseq = 0");
      up.bind(1, b.id).bind(2, static_cast<std::int64_t>(b.uid_validity)).bind(3, next);
      if (auto ec = up.run()) return ec;
      slot = next;
    }
  }
  if (through + 1 >= b.uid_next) return {};  // nothing new
  ChangesSince changes;
  if (auto ec = account_.changes_since(b.id, modseq, changes)) return ec;
  if (changes.mailbox.uid_validity != b.uid_validity) return {};  // changed meanwhile
  std::vector<Uid> todo;
  for (const MessageInfo& m : changes.changed)
    if (m.uid > through) todo.push_back(m.uid);  // ascending
  const Uid last = changes.mailbox.uid_next - 1;
  for (std::size_t at = 0; at < todo.size() || at == 0; at += kBatch) {
    {
      std::lock_guard lock(thread_mu_);
      if (stop_) return {};
    }
    std::span<const Uid> batch(todo.data() + at, std::min(kBatch, todo.size() - at));
    std::vector<std::unique_ptr<Blob>> blobs;
    if (!batch.empty())
      if (auto ec = account_.open_many(b.id, batch, blobs)) return ec;
    std::vector<std::pair<Uid, FulltextDocument>> docs;
    std::vector<Uid> skipped;
    std::string bytes;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      {
        std::lock_guard lock(thread_mu_);
        if (stop_) return {};  // the account closes: what is done so far is not committed
      }
      Blob* blob = blobs.size() > i ? blobs[i].get() : nullptr;
      if (!blob) continue;  // expunged meanwhile
      bool ok = blob->size() <= kMaxMessage;
      if (ok) {
        bytes.clear();
        std::string chunk;
        for (std::uint64_t off = 0; off < blob->size(); off += chunk.size()) {
          if (blob->read(off, 1 << 20, chunk) || chunk.empty()) {
            ok = false;
            break;
          }
          bytes.append(chunk);
        }
      }
      if (!ok) {
        skipped.push_back(batch[i]);
        continue;
      }
      FulltextDocument doc = fulltext_document(mime::parse(bytes));
      std::uint64_t text = 0;
      for (const auto& column : doc) text += column.size();
      if (text > kMaxText) {
        skipped.push_back(batch[i]);
        continue;
      }
      docs.emplace_back(batch[i], std::move(doc));
    }
    const bool final_batch = at + kBatch >= todo.size();
    Transaction tx(writer_);
    if (tx.begin_error()) return tx.begin_error();
    {  // Another process (estafeta index fulltext) may have indexed these meanwhile.
      Stmt st = writer_.prepare("SELECT slot, indexed_uid FROM boxes WHERE mailbox = ?1");
      st.bind(1, b.id);
      if (!st.step() || st.i64(0) != slot) return st.ec();  // changed under us: next time
      const auto now = static_cast<Uid>(st.i64(1));
      if (now > through) {
        std::erase_if(docs, [&](const auto& d) { return d.first <= now; });
        std::erase_if(skipped, [&](Uid u) { return u <= now; });
        through = now;
      }
    }
    for (const auto& [uid, doc] : docs) {
      if (auto ec = add_vocabulary(doc)) return ec;
      Stmt ins = writer_.prepare(
          "INSERT INTO fts (rowid, c_subject, c_from, c_to, c_cc, c_bcc, c_headers, c_body) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
      ins.bind(1, rowid_of(slot, uid));
      for (int c = 0; c < kColumns; ++c) ins.bind(c + 2, doc[static_cast<std::size_t>(c)]);
      if (auto ec = ins.run()) return ec;
    }
    for (Uid uid : skipped) {
      Stmt ins = writer_.prepare("INSERT OR IGNORE INTO skipped (slot, uid) VALUES (?1, ?2)");
      ins.bind(1, slot).bind(2, static_cast<std::int64_t>(uid));
      if (auto ec = ins.run()) return ec;
    }
    // Every UID up to here is now indexed, skipped or gone; after the last batch, every UID
    // the mailbox had handed out when changes_since answered.
    Uid now_through = final_batch ? last : batch.back();
    Stmt up = writer_.prepare(
        "UPDATE boxes SET indexed_uid = ?2, modseq = ?3, docs = docs + ?4 WHERE mailbox = ?1");
    up.bind(1, b.id)
        .bind(2, static_cast<std::int64_t>(std::max(now_through, through)))
        .bind(3, static_cast<std::int64_t>(final_batch ? changes.mailbox.highest_modseq : modseq))
        .bind(4, static_cast<std::int64_t>(docs.size()));
    if (auto ec = up.run()) return ec;
    if (auto ec = tx.commit()) return ec;
    if (final_batch) break;
  }
  return {};
}

std::error_code FulltextIndex::add_vocabulary(const FulltextDocument& doc) {
  if (!words_loaded_) {
    Stmt st = writer_.prepare("SELECT word FROM vocab");
    while (st.step()) known_words_.insert(st.text(0));
    if (auto ec = st.ec()) return ec;
    words_loaded_ = true;
  }
  std::size_t added = 0;
  for (const std::string& col : doc) {
    for (std::string& w : mime::fuzzy_words(col)) {
      if (!mime::fuzzy_vocabulary_word(w) || known_words_.count(w)) continue;
      // A large message brings tens of thousands of new words, each with its deletion
      // variants: look for shutdown now and then (the caller's transaction is rolled back,
      // the message indexed at the next start).
      if (++added % 256 == 0) {
        std::lock_guard lock(thread_mu_);
        if (stop_) return std::make_error_code(std::errc::operation_canceled);
      }
      Stmt ins = writer_.prepare("INSERT OR IGNORE INTO vocab (word) VALUES (?1)");
      ins.bind(1, w);
      if (auto ec = ins.run()) return ec;
      for (const std::string& d : mime::one_deletions(w)) {
        Stmt del = writer_.prepare("INSERT OR IGNORE INTO vdel (variant, word) VALUES (?1, ?2)");
        del.bind(1, d).bind(2, w);
        if (auto ec = del.run()) return ec;
      }
      known_words_.insert(std::move(w));
    }
  }
  return {};
}

bool FulltextIndex::open_reader() {
  if (reader_.is_open()) return true;
  std::error_code oc;
  if (!std::filesystem::exists(file_, oc)) return false;  // none yet: scan
  oc = reader_.open(file_);
  if (!oc) oc = reader_.exec("PRAGMA query_only=1");
  if (oc) reader_.close();
  return !oc;
}

std::error_code FulltextIndex::box_state(MailboxId box, std::uint32_t uid_validity,
                                         std::int64_t& slot, Uid& through) {
  slot = 0;
  through = 0;
  Stmt st = reader_.prepare(
      "SELECT slot, indexed_uid FROM boxes WHERE mailbox = ?1 AND uid_validity = ?2");
  st.bind(1, box).bind(2, static_cast<std::int64_t>(uid_validity));
  if (st.step()) {
    slot = st.i64(0);
    through = static_cast<Uid>(st.i64(1));
  }
  return st.ec();
}

std::error_code FulltextIndex::match_rowids(std::string_view expression, std::int64_t slot,
                                            Uid through, std::vector<Uid>& out) {
  out.clear();
  Stmt st = reader_.prepare("SELECT rowid FROM fts WHERE fts MATCH ?1 AND rowid BETWEEN ?2 AND ?3");
  st.bind(1, expression).bind(2, rowid_of(slot, 1)).bind(3, rowid_of(slot, through));
  while (st.step()) out.push_back(static_cast<Uid>(st.i64(0) & 0xFFFFFFFF));
  std::sort(out.begin(), out.end());
  return st.ec();
}

// A result whose covered messages are UIDs up to `through` but the skipped ones.
static std::error_code covered_part(Db& db, std::int64_t slot, Uid through, FulltextResult& r) {
  r.covered_through = through;
  r.exact = true;
  Stmt sk = db.prepare("SELECT uid FROM skipped WHERE slot = ?1 ORDER BY uid");
  sk.bind(1, slot);
  while (sk.step()) r.not_covered.push_back(static_cast<Uid>(sk.i64(0)));
  return sk.ec();
}

void FulltextIndex::handle_read_error(std::error_code ec) {
  // Under read_mu_ released by the caller. The file is unreadable: rebuilt in the background,
  // scanned meanwhile.
  if (ec == Errc::index_corrupt) {
    {
      std::lock_guard w(write_mu_);
      reset_damaged(ec);
    }
    poke();
  }
}

std::error_code FulltextIndex::search(MailboxId box, std::uint32_t uid_validity, TextField field,
                                      std::string_view folded, FulltextResult& out) {
  out = {};
  if (!fulltext_answerable(folded)) return {};
  std::error_code ec;
  {
    std::lock_guard r(read_mu_);
    if (!open_reader()) return {};
    ReadTransaction tx(reader_);
    std::int64_t slot = 0;
    Uid through = 0;
    ec = box_state(box, uid_validity, slot, through);
    if (!ec && through > 0) {
      FulltextResult res;
      ec = covered_part(reader_, slot, through, res);
      if (!ec) ec = match_rowids(fulltext_match_expression(field, folded), slot, through, res.uids);
      if (!ec) out = std::move(res);
    }
    if (!ec) return {};
    reader_.close();
  }
  handle_read_error(ec);
  return {};
}

std::error_code FulltextIndex::fuzzy(MailboxId box, std::uint32_t uid_validity, TextField field,
                                     std::string_view folded, FulltextResult& out) {
  out = {};
  const std::vector<std::string> words = mime::fuzzy_query_words(folded);
  if (words.empty()) return {};
  for (const std::string& w : words)
    if (!fulltext_answerable(w)) return {};  // odd bytes: the scan decides
  std::error_code ec;
  {
    std::lock_guard r(read_mu_);
    if (!open_reader()) return {};
    ReadTransaction tx(reader_);
    std::int64_t slot = 0;
    Uid through = 0;
    ec = box_state(box, uid_validity, slot, through);
    FulltextResult res;
    // The vocabulary words one edit away from each word (mime_search_fuzzy.hpp).
    for (const std::string& w : words) {
      std::vector<std::string> found;
      if (!ec && mime::utf8_length(w) >= mime::kFuzzyTypoMin) {
        std::vector<std::string> dels = mime::one_deletions(w);
        auto consider = [&](std::string v) {
          if (v != w && mime::fuzzy_vocabulary_word(v) && mime::within_one_edit(w, v) &&
              fulltext_answerable(v) && std::find(found.begin(), found.end(), v) == found.end())
            found.push_back(std::move(v));
        };
        for (const std::string& d : dels) {  // w has one character too many
          Stmt st = reader_.prepare("SELECT word FROM vocab WHERE word = ?1");
          st.bind(1, d);
          while (st.step()) consider(st.text(0));
          if ((ec = st.ec())) break;
        }
        std::vector<std::string> keys = dels;  // substitutions and swaps
        keys.push_back(w);                     // w lacks a character
        for (const std::string& k : keys) {
          if (ec) break;
          Stmt st = reader_.prepare("SELECT word FROM vdel WHERE variant = ?1 LIMIT 256");
          st.bind(1, k);
          while (st.step()) consider(st.text(0));
          ec = st.ec();
        }
        std::sort(found.begin(), found.end());
        if (found.size() > 64) found.resize(64);
      }
      res.variants.push_back(std::move(found));
    }
    if (!ec && through > 0) {
      ec = covered_part(reader_, slot, through, res);
      // Per word: messages containing it (score 100) or only a variant (50); every word must.
      std::vector<std::pair<Uid, int>> acc;  // ascending UID, summed score
      for (std::size_t i = 0; i < words.size() && !ec; ++i) {
        std::vector<Uid> exact, typo;
        ec = match_rowids(fulltext_match_expression(field, words[i]), slot, through, exact);
        if (!ec && !res.variants[i].empty()) {
          std::string expr = fulltext_match_any(field, res.variants[i]);
          ec = match_rowids(expr, slot, through, typo);
        }
        std::vector<std::pair<Uid, int>> next;
        auto score_of = [&](Uid u) {
          if (std::binary_search(exact.begin(), exact.end(), u)) return mime::kFuzzyExact;
          if (std::binary_search(typo.begin(), typo.end(), u)) return mime::kFuzzyTypo;
          return 0;
        };
        if (i == 0) {
          std::vector<Uid> all;
          std::set_union(exact.begin(), exact.end(), typo.begin(), typo.end(),
                         std::back_inserter(all));
          for (Uid u : all) next.emplace_back(u, score_of(u));
        } else {
          for (const auto& [u, sum] : acc)
            if (int sc = score_of(u)) next.emplace_back(u, sum + sc);
        }
        acc = std::move(next);
      }
      if (!ec) {
        for (const auto& [u, sum] : acc) {
          res.uids.push_back(u);
          res.scores.push_back(static_cast<std::uint8_t>(
              std::clamp<int>(sum / static_cast<int>(words.size()), 1, 100)));
        }
      }
    }
    if (!ec) {
      if (through == 0) {  // nothing covered: only the variants, for the scan
        res.covered_through = 0;
        res.uids.clear();
        res.scores.clear();
      }
      out = std::move(res);
      return {};
    }
    reader_.close();
  }
  handle_read_error(ec);
  return {};
}

}  // namespace estafeta::store
