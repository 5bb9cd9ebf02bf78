// store_index: see store_index.hpp.
#include "store/store_index.hpp"

#include <unordered_map>

#include "store/store_maildir_files.hpp"
#include "store/store_thread_ids.hpp"

namespace estafeta::store {
namespace {

// 2: per-mailbox counts kept by triggers, expunge log indexed by MODSEQ, \Deleted index.
// 3: whether each message ends with a line end (POP3's exact sizes without opening files).
// 4: the IMAP extensions' data (sort and thread keys, previews, mailbox ids, metadata,
//    access rights, quota usage) kept beside the messages.
// 5: RFC 8474 thread ids: each message's, and the account's Message-ID -> thread table.
// An index of another version is rebuilt from the Maildir when the account opens.
constexpr int kSchemaVersion = 5;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS mailboxes(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  dir TEXT NOT NULL UNIQUE,
  special_use TEXT NOT NULL DEFAULT '',
  uidvalidity INTEGER NOT NULL,
  uidnext INTEGER NOT NULL,
  highestmodseq INTEGER NOT NULL,
  file_uidnext INTEGER NOT NULL,
  keywords TEXT NOT NULL DEFAULT '',
  stamp INTEGER NOT NULL DEFAULT 0,
  n_messages INTEGER NOT NULL DEFAULT 0,
  n_unseen INTEGER NOT NULL DEFAULT 0,
  n_deleted INTEGER NOT NULL DEFAULT 0,
  total_size INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS messages(
  mailbox INTEGER NOT NULL,
  uid INTEGER NOT NULL,
  base TEXT NOT NULL,
  in_new INTEGER NOT NULL,
  file_info TEXT NOT NULL,
  flags INTEGER NOT NULL,
  keywords TEXT NOT NULL,
  modseq INTEGER NOT NULL,
  internal_date INTEGER NOT NULL,
  internal_tz INTEGER NOT NULL,
  save_date INTEGER NOT NULL,
  size INTEGER NOT NULL,
  email_id TEXT NOT NULL,
  sent_date INTEGER NOT NULL,
  sent_tz INTEGER NOT NULL,
  ends_line INTEGER NOT NULL DEFAULT 1,
  envelope TEXT NOT NULL,
  body TEXT NOT NULL,
  body_structure TEXT NOT NULL,
  header BLOB NOT NULL,
  preview TEXT NOT NULL DEFAULT '',  -- RFC 8970 PREVIEW (CachedFields::preview)
  sort_subject BLOB NOT NULL DEFAULT '',
  sort_reply INTEGER NOT NULL DEFAULT 0,
  sort_from BLOB NOT NULL DEFAULT '',
  sort_to BLOB NOT NULL DEFAULT '',
  sort_cc BLOB NOT NULL DEFAULT '',
  sort_display_from BLOB NOT NULL DEFAULT '',
  sort_display_to BLOB NOT NULL DEFAULT '',
  message_id BLOB NOT NULL DEFAULT '',
  refs BLOB NOT NULL DEFAULT '',
  thread_id TEXT NOT NULL DEFAULT '',  -- RFC 8474 THREADID (store_thread_ids.hpp)
  PRIMARY KEY(mailbox, uid));
CREATE INDEX IF NOT EXISTS messages_modseq ON messages(mailbox, modseq);
CREATE INDEX IF NOT EXISTS messages_deleted ON messages(mailbox, uid) WHERE flags & 8;
-- SORT / THREAD read these columns of a whole mailbox: a covering index keeps that scan off
-- the wide rows (cached envelope, body structure and header).
CREATE INDEX IF NOT EXISTS messages_sort ON messages(mailbox, uid, sent_date, sort_subject,
  sort_reply, sort_from, sort_to, sort_cc, sort_display_from, sort_display_to, message_id, refs);
CREATE TABLE IF NOT EXISTS expunged(
  mailbox INTEGER NOT NULL, uid INTEGER NOT NULL, modseq INTEGER NOT NULL,
  PRIMARY KEY(mailbox, uid));
CREATE INDEX IF NOT EXISTS expunged_modseq ON expunged(mailbox, modseq);
-- STATUS MESSAGES/UNSEEN/DELETED/SIZE without counting rows (flags: 1 \Seen, 8 \Deleted).
CREATE TRIGGER IF NOT EXISTS messages_counts_insert AFTER INSERT ON messages BEGIN
  UPDATE mailboxes SET n_messages = n_messages + 1, n_unseen = n_unseen + ((NEW.flags & 1) = 0),
    n_deleted = n_deleted + ((NEW.flags & 8) != 0), total_size = total_size + NEW.size
  WHERE id = NEW.mailbox;
END;
CREATE TRIGGER IF NOT EXISTS messages_counts_delete AFTER DELETE ON messages BEGIN
  UPDATE mailboxes SET n_messages = n_messages - 1, n_unseen = n_unseen - ((OLD.flags & 1) = 0),
    n_deleted = n_deleted - ((OLD.flags & 8) != 0), total_size = total_size - OLD.size
  WHERE id = OLD.mailbox;
END;
CREATE TRIGGER IF NOT EXISTS messages_counts_update AFTER UPDATE OF mailbox, flags, size
ON messages BEGIN
  UPDATE mailboxes SET n_messages = n_messages - 1, n_unseen = n_unseen - ((OLD.flags & 1) = 0),
    n_deleted = n_deleted - ((OLD.flags & 8) != 0), total_size = total_size - OLD.size
  WHERE id = OLD.mailbox;
  UPDATE mailboxes SET n_messages = n_messages + 1, n_unseen = n_unseen + ((NEW.flags & 1) = 0),
    n_deleted = n_deleted + ((NEW.flags & 8) != 0), total_size = total_size + NEW.size
  WHERE id = NEW.mailbox;
END;
-- RFC 8474 THREADID: every Message-ID the account has seen (a message's own and those it
-- refers to) -> the thread it belongs to (store_thread_ids.hpp). Rows outlive their messages
-- (a late reply to an expunged message still joins its thread); a rebuild recomputes them.
CREATE TABLE IF NOT EXISTS threads(msgid BLOB PRIMARY KEY, thread TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS subscriptions(name TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS deliveries(
  key TEXT PRIMARY KEY, mailbox INTEGER NOT NULL, uid INTEGER NOT NULL,
  uidvalidity INTEGER NOT NULL, at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS deliveries_at ON deliveries(at);
-- RFC 4314 access control lists (the folder's estafeta-acl file is the copy a rebuild reads).
CREATE TABLE IF NOT EXISTS acl(
  mailbox INTEGER NOT NULL, identifier TEXT NOT NULL, rights TEXT NOT NULL,
  PRIMARY KEY(mailbox, identifier));
-- RFC 5464 METADATA: mailbox 0 is the server; user '' for /shared entries. Also in the
-- estafeta-metadata file of each folder (and estafeta-server-metadata), which rebuilds read.
CREATE TABLE IF NOT EXISTS metadata(
  mailbox INTEGER NOT NULL, name TEXT NOT NULL, user TEXT NOT NULL, value BLOB NOT NULL,
  PRIMARY KEY(mailbox, name, user));
)sql";

constexpr const char* kMessageColumns =
    "uid, flags, keywords, modseq, internal_date, internal_tz, save_date, size, email_id, "
    "ends_line, thread_id";
constexpr int kInfoColumns = 11;  // what read_info reads

MessageInfo read_info(const Stmt& s, int c) {
  MessageInfo m;
  m.uid = static_cast<Uid>(s.i64(c));
  m.flags.system = static_cast<std::uint8_t>(s.i64(c + 1));
  m.flags.keywords = split_keywords(s.text(c + 2));
  m.modseq = static_cast<ModSeq>(s.i64(c + 3));
  m.internal_date = s.i64(c + 4);
  m.internal_tz = static_cast<std::int32_t>(s.i64(c + 5));
  m.save_date = s.i64(c + 6);
  m.size = static_cast<std::uint64_t>(s.i64(c + 7));
  m.email_id = s.text(c + 8);
  m.ends_with_line_end = s.i64(c + 9) != 0;
  m.thread_id = s.text(c + 10);
  return m;
}

constexpr const char* kMailboxColumns =
    "id, name, dir, special_use, uidvalidity, uidnext, highestmodseq, file_uidnext, keywords, "
    "stamp, n_messages, n_unseen, n_deleted, total_size";

MailboxRow read_mailbox(const Stmt& s) {
  MailboxRow r;
  r.id = s.i64(0);
  r.name = s.text(1);
  r.dir = s.text(2);
  r.special_use = special_use_from(s.text(3));
  r.uid_validity = static_cast<std::uint32_t>(s.i64(4));
  r.uid_next = static_cast<Uid>(s.i64(5));
  r.highest_modseq = static_cast<ModSeq>(s.i64(6));
  r.file_uid_next = static_cast<Uid>(s.i64(7));
  r.keywords = split_keywords(s.text(8));
  r.stamp = s.i64(9);
  r.messages = static_cast<std::uint32_t>(s.i64(10));
  r.unseen = static_cast<std::uint32_t>(s.i64(11));
  r.deleted = static_cast<std::uint32_t>(s.i64(12));
  r.size = static_cast<std::uint64_t>(s.i64(13));
  return r;
}

}  // namespace

std::string join_keywords(const std::vector<std::string>& k) {
  std::string out;
  for (const auto& w : k) {
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

std::vector<std::string> split_keywords(std::string_view s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t j = s.find(' ', i);
    if (j == std::string_view::npos) j = s.size();
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::error_code Index::open(const std::filesystem::path& file, bool& created) {
  created = false;
  if (auto ec = db_.open(file)) return ec;
  // Reading the schema detects a file that is not a database (SQLITE_NOTADB).
  Stmt probe = db_.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'meta'");
  bool row = probe.step();
  if (auto ec = probe.ec()) return ec;
  bool exists = row && probe.i64(0) > 0;
  if (!exists) {
    if (auto ec = db_.exec(kSchema)) return ec;
    if (auto ec = set_meta("schema", kSchemaVersion)) return ec;
    created = true;
    return {};
  }
  other_format_ = 0;
  std::int64_t v = meta("schema", -1);
  if (v != kSchemaVersion) {
    if (v > 0) other_format_ = v;
    return Errc::index_corrupt;
  }
  return {};
}

std::int64_t Index::meta(std::string_view key, std::int64_t fallback) {
  Stmt s = db_.prepare("SELECT value FROM meta WHERE key = ?1");
  s.bind(1, key);
  return s.step() ? s.i64(0) : fallback;
}

std::error_code Index::set_meta(std::string_view key, std::int64_t value) {
  return db_.prepare("INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)")
      .bind(1, key)
      .bind(2, value)
      .run();
}

std::error_code Index::clear() {
  return db_.exec(
      "DELETE FROM mailboxes; DELETE FROM messages; DELETE FROM expunged; "
      "DELETE FROM subscriptions; DELETE FROM acl; DELETE FROM metadata; DELETE FROM threads;");
}

std::error_code Index::mailboxes(std::vector<MailboxRow>& out) {
  out.clear();
  Stmt s = db_.prepare(std::string("SELECT ") + kMailboxColumns +
                       " FROM mailboxes ORDER BY name <> 'INBOX', name");
  while (s.step()) out.push_back(read_mailbox(s));
  return s.ec();
}

std::error_code Index::mailbox(std::string_view name, MailboxRow& out) {
  Stmt s =
      db_.prepare(std::string("SELECT ") + kMailboxColumns + " FROM mailboxes WHERE name = ?1");
  s.bind(1, name);
  if (s.step()) {
    out = read_mailbox(s);
    return {};
  }
  if (auto ec = s.ec()) return ec;
  return Errc::no_such_mailbox;
}

std::error_code Index::mailbox(MailboxId id, MailboxRow& out) {
  Stmt s = db_.prepare(std::string("SELECT ") + kMailboxColumns + " FROM mailboxes WHERE id = ?1");
  s.bind(1, id);
  if (s.step()) {
    out = read_mailbox(s);
    return {};
  }
  if (auto ec = s.ec()) return ec;
  return Errc::no_such_mailbox;
}

std::error_code Index::insert_mailbox(MailboxRow& r) {
  Stmt s = db_.prepare(
      "INSERT INTO mailboxes(name, dir, special_use, uidvalidity, uidnext, "
      "highestmodseq, file_uidnext, keywords, stamp, id) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  s.bind(1, r.name)
      .bind(2, r.dir)
      .bind(3, special_use_name(r.special_use))
      .bind(4, r.uid_validity)
      .bind(5, r.uid_next)
      .bind(6, static_cast<std::int64_t>(r.highest_modseq))
      .bind(7, r.file_uid_next)
      .bind(8, join_keywords(r.keywords))
      .bind(9, r.stamp);
  if (r.id != 0)
    s.bind(10, r.id);
  else
    s.bind_null(10);  // a new id
  auto ec = s.run();
  if (!ec && r.id == 0) r.id = db_.last_insert_rowid();
  return ec;
}

std::error_code Index::update_mailbox(const MailboxRow& r) {
  return db_
      .prepare(
          "UPDATE mailboxes SET name = ?2, dir = ?3, special_use = ?4, uidvalidity = ?5, "
          "uidnext = ?6, highestmodseq = ?7, file_uidnext = ?8, keywords = ?9, stamp = ?10 "
          "WHERE id = ?1")
      .bind(1, r.id)
      .bind(2, r.name)
      .bind(3, r.dir)
      .bind(4, special_use_name(r.special_use))
      .bind(5, r.uid_validity)
      .bind(6, r.uid_next)
      .bind(7, static_cast<std::int64_t>(r.highest_modseq))
      .bind(8, r.file_uid_next)
      .bind(9, join_keywords(r.keywords))
      .bind(10, r.stamp)
      .run();
}

std::error_code Index::delete_mailbox(MailboxId id) {
  for (const char* sql :
       {"DELETE FROM messages WHERE mailbox = ?1", "DELETE FROM expunged WHERE mailbox = ?1",
        "DELETE FROM deliveries WHERE mailbox = ?1", "DELETE FROM acl WHERE mailbox = ?1",
        "DELETE FROM metadata WHERE mailbox = ?1", "DELETE FROM mailboxes WHERE id = ?1"})
    if (auto ec = db_.prepare(sql).bind(1, id).run()) return ec;
  return {};
}

std::error_code Index::deleted(MailboxId id, std::vector<Uid>& out) {
  out.clear();
  Stmt s = db_.prepare("SELECT uid FROM messages WHERE mailbox = ?1 AND flags & 8 ORDER BY uid");
  s.bind(1, id);
  while (s.step()) out.push_back(static_cast<Uid>(s.i64(0)));
  return s.ec();
}

std::error_code Index::file_location(MailboxId id, Uid uid, std::string& dir, MessageRow& out) {
  Stmt s = db_.prepare(
      "SELECT b.dir, m.base, m.in_new, m.file_info FROM messages m JOIN mailboxes b "
      "ON b.id = m.mailbox WHERE m.mailbox = ?1 AND m.uid = ?2");
  s.bind(1, id).bind(2, uid);
  if (s.step()) {
    dir = s.text(0);
    out.base = s.text(1);
    out.in_new = s.i64(2) != 0;
    out.file_info = s.text(3);
    return {};
  }
  if (auto ec = s.ec()) return ec;
  // Which is missing, the mailbox or the message?
  MailboxRow row;
  if (auto ec = mailbox(id, row)) return ec;
  return Errc::no_such_message;
}

std::error_code Index::counts(MailboxId id, MailboxInfo& info) {
  Stmt s = db_.prepare(
      "SELECT count(*), coalesce(sum((flags & 1) = 0), 0), coalesce(sum((flags & 8) != 0), 0), "
      "coalesce(sum(size), 0) FROM messages WHERE mailbox = ?1");
  s.bind(1, id);
  if (s.step()) {
    info.messages = static_cast<std::uint32_t>(s.i64(0));
    info.unseen = static_cast<std::uint32_t>(s.i64(1));
    info.deleted = static_cast<std::uint32_t>(s.i64(2));
    info.size = static_cast<std::uint64_t>(s.i64(3));
  }
  return s.ec();
}

std::error_code Index::messages(MailboxId id, std::vector<MessageRow>& out) {
  out.clear();
  Stmt s = db_.prepare(std::string("SELECT ") + kMessageColumns +
                       ", base, in_new, file_info FROM messages WHERE mailbox = ?1 ORDER BY uid");
  s.bind(1, id);
  while (s.step()) {
    MessageRow r;
    r.info = read_info(s, 0);
    r.base = s.text(kInfoColumns);
    r.in_new = s.i64(kInfoColumns + 1) != 0;
    r.file_info = s.text(kInfoColumns + 2);
    out.push_back(std::move(r));
  }
  return s.ec();
}

std::error_code Index::message(MailboxId id, Uid uid, MessageRow& out) {
  Stmt s = db_.prepare(std::string("SELECT ") + kMessageColumns +
                       ", base, in_new, file_info FROM messages WHERE mailbox = ?1 AND uid = ?2");
  s.bind(1, id).bind(2, uid);
  if (s.step()) {
    out.info = read_info(s, 0);
    out.base = s.text(kInfoColumns);
    out.in_new = s.i64(kInfoColumns + 1) != 0;
    out.file_info = s.text(kInfoColumns + 2);
    return {};
  }
  if (auto ec = s.ec()) return ec;
  return Errc::no_such_message;
}

std::error_code Index::changed_since(MailboxId id, ModSeq since, std::vector<MessageInfo>& out) {
  out.clear();
  Stmt s = db_.prepare(std::string("SELECT ") + kMessageColumns +
                       " FROM messages WHERE mailbox = ?1 AND modseq > ?2 ORDER BY uid");
  s.bind(1, id).bind(2, static_cast<std::int64_t>(since));
  while (s.step()) out.push_back(read_info(s, 0));
  return s.ec();
}

std::error_code Index::expunged_since(MailboxId id, ModSeq since, std::vector<Uid>& out) {
  out.clear();
  Stmt s = db_.prepare("SELECT uid FROM expunged WHERE mailbox = ?1 AND modseq > ?2 ORDER BY uid");
  s.bind(1, id).bind(2, static_cast<std::int64_t>(since));
  while (s.step()) out.push_back(static_cast<Uid>(s.i64(0)));
  return s.ec();
}

std::error_code Index::thread_of(const SortKeys& keys, std::string_view email_id,
                                 std::string& out) {
  // One primary-key lookup per id until one is known (store_thread_ids.hpp), then one
  // INSERT OR IGNORE per id: at most 2 * (kMaxThreadLinks + 1) statements, each O(log n).
  const std::vector<std::string_view> ids = thread_link_ids(keys);
  out.clear();
  // (prepare() hands out the connection's cached statement: no parse per id.)
  for (std::string_view id : ids) {
    Stmt s = db_.prepare("SELECT thread FROM threads WHERE msgid = ?1");
    s.bind_blob(1, id);
    if (s.step()) {
      out = s.text(0);
      break;
    }
    if (auto ec = s.ec()) return ec;
  }
  if (out.empty()) out = new_thread_id(email_id);
  for (std::string_view id : ids) {
    if (auto ec = db_.prepare("INSERT OR IGNORE INTO threads(msgid, thread) VALUES(?1, ?2)")
                      .bind_blob(1, id)
                      .bind(2, out)
                      .run())
      return ec;
  }
  return {};
}

std::error_code Index::assign_threads() {
  if (auto ec = db_.exec("DELETE FROM threads")) return ec;
  // In arrival order, as the messages first came (INTERNALDATE; the files' times after a
  // rebuild), so that a parent that came after its reply joins the reply's thread again.
  // Copies share an email id and take the thread the first one got.
  struct Row {
    MailboxId mailbox;
    Uid uid;
    std::string email_id;
    SortKeys keys;
  };
  std::vector<Row> rows;
  {
    Stmt s = db_.prepare(
        "SELECT mailbox, uid, email_id, message_id, refs FROM messages "
        "ORDER BY internal_date, mailbox, uid");
    while (s.step()) {
      Row& r = rows.emplace_back();
      r.mailbox = s.i64(0);
      r.uid = static_cast<Uid>(s.i64(1));
      r.email_id = s.text(2);
      r.keys.message_id = s.text(3);
      r.keys.references = s.text(4);
    }
    if (auto ec = s.ec()) return ec;
  }
  std::unordered_map<std::string, std::string> by_email;
  for (const Row& r : rows) {
    std::string thread;
    if (auto it = by_email.find(r.email_id); it != by_email.end()) {
      thread = it->second;
    } else {
      if (auto ec = thread_of(r.keys, r.email_id, thread)) return ec;
      by_email.emplace(r.email_id, thread);
    }
    if (auto ec = db_.prepare("UPDATE messages SET thread_id = ?3 WHERE mailbox = ?1 AND uid = ?2")
                      .bind(1, r.mailbox)
                      .bind(2, static_cast<std::int64_t>(r.uid))
                      .bind(3, thread)
                      .run())
      return ec;
  }
  return {};
}

std::error_code Index::insert_message(MailboxId id, MessageRow& r, const CachedFields& c) {
  if (r.info.thread_id.empty() && assign_threads_)
    if (auto ec = thread_of(c.sort, r.info.email_id, r.info.thread_id)) return ec;
  return db_
      .prepare(
          "INSERT INTO messages(mailbox, uid, base, in_new, file_info, flags, keywords, modseq, "
          "internal_date, internal_tz, save_date, size, email_id, sent_date, sent_tz, envelope, "
          "body, body_structure, header, ends_line, preview, sort_subject, sort_reply, "
          "sort_from, sort_to, sort_cc, sort_display_from, sort_display_to, message_id, refs, "
          "thread_id) "
          "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
          "?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31)")
      .bind(1, id)
      .bind(2, r.info.uid)
      .bind(3, r.base)
      .bind(4, r.in_new ? 1 : 0)
      .bind(5, r.file_info)
      .bind(6, r.info.flags.system)
      .bind(7, join_keywords(r.info.flags.keywords))
      .bind(8, static_cast<std::int64_t>(r.info.modseq))
      .bind(9, r.info.internal_date)
      .bind(10, r.info.internal_tz)
      .bind(11, r.info.save_date)
      .bind(12, static_cast<std::int64_t>(r.info.size))
      .bind(13, r.info.email_id)
      .bind(14, c.sent_date)
      .bind(15, c.sent_tz)
      .bind(16, c.envelope)
      .bind(17, c.body)
      .bind(18, c.body_structure)
      .bind_blob(19, c.header)
      .bind(20, c.ends_with_line_end ? 1 : 0)
      .bind(21, c.preview)
      .bind_blob(22, c.sort.subject)
      .bind(23, c.sort.reply ? 1 : 0)
      .bind_blob(24, c.sort.from)
      .bind_blob(25, c.sort.to)
      .bind_blob(26, c.sort.cc)
      .bind_blob(27, c.sort.display_from)
      .bind_blob(28, c.sort.display_to)
      .bind_blob(29, c.sort.message_id)
      .bind_blob(30, c.sort.references)
      .bind(31, r.info.thread_id)
      .run();
}

std::error_code Index::update_flags(MailboxId id, Uid uid, const Flags& f, ModSeq modseq) {
  return db_
      .prepare(
          "UPDATE messages SET flags = ?3, keywords = ?4, modseq = ?5 WHERE mailbox = ?1 AND "
          "uid = ?2")
      .bind(1, id)
      .bind(2, uid)
      .bind(3, f.system)
      .bind(4, join_keywords(f.keywords))
      .bind(5, static_cast<std::int64_t>(modseq))
      .run();
}

std::error_code Index::update_file(MailboxId id, Uid uid, const std::string& base, bool in_new,
                                   const std::string& file_info) {
  return db_
      .prepare(
          "UPDATE messages SET base = ?3, in_new = ?4, file_info = ?5 WHERE mailbox = ?1 AND "
          "uid = ?2")
      .bind(1, id)
      .bind(2, uid)
      .bind(3, base)
      .bind(4, in_new ? 1 : 0)
      .bind(5, file_info)
      .run();
}

std::error_code Index::update_size(MailboxId id, Uid uid, std::uint64_t size) {
  return db_.prepare("UPDATE messages SET size = ?3 WHERE mailbox = ?1 AND uid = ?2")
      .bind(1, id)
      .bind(2, uid)
      .bind(3, static_cast<std::int64_t>(size))
      .run();
}

std::error_code Index::expunge(MailboxId id, Uid uid, ModSeq modseq) {
  if (auto ec = db_.prepare("DELETE FROM messages WHERE mailbox = ?1 AND uid = ?2")
                    .bind(1, id)
                    .bind(2, uid)
                    .run())
    return ec;
  return db_.prepare("INSERT OR REPLACE INTO expunged(mailbox, uid, modseq) VALUES(?1, ?2, ?3)")
      .bind(1, id)
      .bind(2, uid)
      .bind(3, static_cast<std::int64_t>(modseq))
      .run();
}

std::error_code Index::cached(MailboxId id, Uid uid, CachedFields& out) {
  Stmt s = db_.prepare(
      "SELECT envelope, body_structure, body, header, sent_date, sent_tz, ends_line, preview, "
      "sort_subject, sort_reply, sort_from, sort_to, sort_cc, sort_display_from, "
      "sort_display_to, message_id, refs FROM messages WHERE mailbox = ?1 AND uid = ?2");
  s.bind(1, id).bind(2, uid);
  if (s.step()) {
    out.envelope = s.text(0);
    out.body_structure = s.text(1);
    out.body = s.text(2);
    out.header = s.text(3);
    out.sent_date = s.i64(4);
    out.sent_tz = static_cast<std::int32_t>(s.i64(5));
    out.ends_with_line_end = s.i64(6) != 0;
    out.preview = s.text(7);
    out.sort.subject = s.text(8);
    out.sort.reply = s.i64(9) != 0;
    out.sort.from = s.text(10);
    out.sort.to = s.text(11);
    out.sort.cc = s.text(12);
    out.sort.display_from = s.text(13);
    out.sort.display_to = s.text(14);
    out.sort.message_id = s.text(15);
    out.sort.references = s.text(16);
    return {};
  }
  if (auto ec = s.ec()) return ec;
  return Errc::no_such_message;
}

std::error_code Index::sort_keys(MailboxId id, unsigned fields, std::vector<MessageSortKeys>& out) {
  out.clear();
  // Only the columns asked for: a SORT by ARRIVAL or DATE reads two integers per message.
  std::string sql = "SELECT uid, sent_date";
  if (fields & kSortSubject) sql += ", sort_subject, sort_reply";
  if (fields & kSortFrom) sql += ", sort_from";
  if (fields & kSortTo) sql += ", sort_to";
  if (fields & kSortCc) sql += ", sort_cc";
  if (fields & kSortDisplayFrom) sql += ", sort_display_from";
  if (fields & kSortDisplayTo) sql += ", sort_display_to";
  if (fields & kSortThreadIds) sql += ", message_id, refs";
  sql += " FROM messages WHERE mailbox = ?1 ORDER BY uid";
  Stmt s = db_.prepare(sql);
  s.bind(1, id);
  while (s.step()) {
    MessageSortKeys& k = out.emplace_back();
    k.uid = static_cast<Uid>(s.i64(0));
    k.sent_date = s.i64(1);
    int c = 2;
    if (fields & kSortSubject) {
      k.keys.subject = s.text(c++);
      k.keys.reply = s.i64(c++) != 0;
    }
    if (fields & kSortFrom) k.keys.from = s.text(c++);
    if (fields & kSortTo) k.keys.to = s.text(c++);
    if (fields & kSortCc) k.keys.cc = s.text(c++);
    if (fields & kSortDisplayFrom) k.keys.display_from = s.text(c++);
    if (fields & kSortDisplayTo) k.keys.display_to = s.text(c++);
    if (fields & kSortThreadIds) {
      k.keys.message_id = s.text(c++);
      k.keys.references = s.text(c++);
    }
  }
  return s.ec();
}

std::error_code Index::subscriptions(std::vector<std::string>& out) {
  out.clear();
  Stmt s = db_.prepare("SELECT name FROM subscriptions ORDER BY name");
  while (s.step()) out.push_back(s.text(0));
  return s.ec();
}

std::error_code Index::subscribe(std::string_view name, bool on) {
  return db_
      .prepare(on ? "INSERT OR IGNORE INTO subscriptions(name) VALUES(?1)"
                  : "DELETE FROM subscriptions WHERE name = ?1")
      .bind(1, name)
      .run();
}

std::error_code Index::acl(MailboxId id, std::vector<AclEntry>& out) {
  out.clear();
  Stmt s = db_.prepare("SELECT identifier, rights FROM acl WHERE mailbox = ?1 ORDER BY identifier");
  s.bind(1, id);
  while (s.step()) out.push_back({s.text(0), s.text(1)});
  return s.ec();
}

std::error_code Index::set_acl(MailboxId id, std::string_view identifier, std::string_view rights) {
  if (rights.empty())
    return db_.prepare("DELETE FROM acl WHERE mailbox = ?1 AND identifier = ?2")
        .bind(1, id)
        .bind(2, identifier)
        .run();
  return db_.prepare("INSERT OR REPLACE INTO acl(mailbox, identifier, rights) VALUES(?1, ?2, ?3)")
      .bind(1, id)
      .bind(2, identifier)
      .bind(3, rights)
      .run();
}

std::error_code Index::acl_all(std::vector<std::pair<std::string, AclEntry>>& out) {
  out.clear();
  Stmt s = db_.prepare(
      "SELECT m.name, a.identifier, a.rights FROM acl a JOIN mailboxes m ON m.id = a.mailbox "
      "ORDER BY m.name, a.identifier");
  while (s.step()) out.push_back({s.text(0), AclEntry{s.text(1), s.text(2)}});
  return s.ec();
}

bool Index::delivery(std::string_view key, MailboxId& mailbox, Uid& uid, std::uint32_t& validity) {
  Stmt s = db_.prepare("SELECT mailbox, uid, uidvalidity FROM deliveries WHERE key = ?1");
  s.bind(1, key);
  if (!s.step()) return false;
  mailbox = s.i64(0);
  uid = static_cast<Uid>(s.i64(1));
  validity = static_cast<std::uint32_t>(s.i64(2));
  return true;
}

std::error_code Index::put_delivery(std::string_view key, MailboxId mailbox, Uid uid,
                                    std::uint32_t validity, std::int64_t now) {
  return db_
      .prepare(
          "INSERT OR REPLACE INTO deliveries(key, mailbox, uid, uidvalidity, at) "
          "VALUES(?1, ?2, ?3, ?4, ?5)")
      .bind(1, key)
      .bind(2, mailbox)
      .bind(3, uid)
      .bind(4, validity)
      .bind(5, now)
      .run();
}

std::error_code Index::prune_deliveries(std::int64_t before) {
  return db_.prepare("DELETE FROM deliveries WHERE at < ?1").bind(1, before).run();
}

std::error_code Index::quota_usage(QuotaUsage& out) {
  Stmt s = db_.prepare(
      "SELECT count(*), coalesce(sum(n_messages), 0), coalesce(sum(total_size), 0) FROM "
      "mailboxes");
  out = {};
  if (s.step()) {
    out.mailboxes = static_cast<std::uint64_t>(s.i64(0));
    out.messages = static_cast<std::uint64_t>(s.i64(1));
    out.storage = static_cast<std::uint64_t>(s.i64(2));
  }
  return s.ec();
}

std::error_code Index::deleted_size(MailboxId id, std::uint64_t& out) {
  Stmt s =
      db_.prepare("SELECT coalesce(sum(size), 0) FROM messages WHERE mailbox = ?1 AND flags & 8");
  s.bind(1, id);
  out = 0;
  if (s.step()) out = static_cast<std::uint64_t>(s.i64(0));
  return s.ec();
}

std::error_code Index::metadata(MailboxId id, std::vector<MetadataEntry>& out) {
  out.clear();
  Stmt s =
      db_.prepare("SELECT user, name, value FROM metadata WHERE mailbox = ?1 ORDER BY name, user");
  s.bind(1, id);
  while (s.step()) out.push_back({s.text(0), s.text(1), s.text(2)});
  return s.ec();
}

std::error_code Index::set_metadata(MailboxId id, const MetadataChange& c) {
  if (!c.value)
    return db_.prepare("DELETE FROM metadata WHERE mailbox = ?1 AND name = ?2 AND user = ?3")
        .bind(1, id)
        .bind(2, c.name)
        .bind(3, c.user)
        .run();
  return db_
      .prepare("INSERT OR REPLACE INTO metadata(mailbox, name, user, value) VALUES(?1, ?2, ?3, ?4)")
      .bind(1, id)
      .bind(2, c.name)
      .bind(3, c.user)
      .bind_blob(4, *c.value)
      .run();
}

std::error_code Index::metadata_count(MailboxId id, std::size_t& out) {
  Stmt s = db_.prepare("SELECT count(*) FROM metadata WHERE mailbox = ?1");
  s.bind(1, id);
  out = s.step() ? static_cast<std::size_t>(s.i64(0)) : 0;
  return s.ec();
}

}  // namespace estafeta::store
