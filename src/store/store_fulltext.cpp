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
#include "store/store_fulltext_text.hpp"

namespace estafeta::store {

namespace {

constexpr int kFormat = 1;
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
    if (auto ec = db.exec("DELETE FROM boxes; DELETE FROM skipped;"
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
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
  std::unique_lock lock(thread_mu_);
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
      if (auto ec = catch_up_locked(false))
        log::warn("store", "{}: full-text index: {}", account_.name(), ec.message());
    }
    lock.lock();
  }
  running_ = false;
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
    if (auto ec = writer_.exec("DELETE FROM boxes; DELETE FROM skipped;"
                               "INSERT INTO fts(fts) VALUES('delete-all');"))
      return ec;
    if (auto ec = tx.commit()) return ec;
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
      docs.emplace_back(batch[i], fulltext_document(mime::parse(bytes)));
    }
    const bool final_batch = at + kBatch >= todo.size();
    Transaction tx(writer_);
    if (tx.begin_error()) return tx.begin_error();
    for (const auto& [uid, doc] : docs) {
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

std::error_code FulltextIndex::search(MailboxId box, std::uint32_t uid_validity, TextField field,
                                      std::string_view folded, FulltextResult& out) {
  out = {};
  if (!fulltext_answerable(folded)) return {};
  std::error_code ec;
  {
    std::lock_guard r(read_mu_);
    if (!reader_.is_open()) {
      std::error_code oc;
      if (!std::filesystem::exists(file_, oc)) return {};  // none yet: scan
      oc = reader_.open(file_);
      if (!oc) oc = reader_.exec("PRAGMA query_only=1");
      if (oc) {
        reader_.close();
        return {};  // no index yet: scan
      }
    }
    ReadTransaction tx(reader_);
    std::int64_t slot = 0;
    Uid through = 0;
    {
      Stmt st = reader_.prepare(
          "SELECT slot, indexed_uid FROM boxes WHERE mailbox = ?1 AND uid_validity = ?2");
      st.bind(1, box).bind(2, static_cast<std::int64_t>(uid_validity));
      if (st.step()) {
        slot = st.i64(0);
        through = static_cast<Uid>(st.i64(1));
      }
      ec = st.ec();
    }
    if (!ec && through > 0) {
      FulltextResult res;
      res.covered_through = through;
      res.exact = true;
      Stmt sk = reader_.prepare("SELECT uid FROM skipped WHERE slot = ?1 ORDER BY uid");
      sk.bind(1, slot);
      while (sk.step()) res.not_covered.push_back(static_cast<Uid>(sk.i64(0)));
      ec = sk.ec();
      if (!ec) {
        Stmt st =
            reader_.prepare("SELECT rowid FROM fts WHERE fts MATCH ?1 AND rowid BETWEEN ?2 AND ?3");
        st.bind(1, fulltext_match_expression(field, folded))
            .bind(2, rowid_of(slot, 1))
            .bind(3, rowid_of(slot, through));
        while (st.step()) res.uids.push_back(static_cast<Uid>(st.i64(0) & 0xFFFFFFFF));
        ec = st.ec();
      }
      if (!ec) {
        std::sort(res.uids.begin(), res.uids.end());
        out = std::move(res);
      }
    }
    if (!ec) return {};
    reader_.close();
  }
  // The file is unreadable: rebuilt in the background, scanned meanwhile.
  if (ec == Errc::index_corrupt) {
    {
      std::lock_guard w(write_mu_);
      reset_damaged(ec);
    }
    poke();
  }
  return {};
}

}  // namespace estafeta::store
