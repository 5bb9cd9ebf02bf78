// store_sqlite: the small SQLite wrapper the embedded store's index uses: a connection (Db)
// and prepared statements (Stmt) with RAII, bind/column helpers and errors as
// std::error_code (SQLITE_CORRUPT and SQLITE_NOTADB become store::Errc::index_corrupt, any
// other failure std::errc::io_error after logging SQLite's message). Not thread-safe: one
// Db per open account, used under that account's mutex. Trusted input only (our own SQL;
// values are always bound, never spliced into SQL text).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>

namespace estafeta::store {

// The error code for an SQLite result code (SQLITE_OK/ROW/DONE give no error).
std::error_code sqlite_error(int rc, sqlite3* db);

class Stmt {
 public:
  Stmt() = default;
  Stmt(sqlite3* db, std::string_view sql);
  // A statement from Db's cache: reset (not finalized) when done, `in_use` cleared.
  Stmt(sqlite3* db, sqlite3_stmt* st, bool* in_use) : db_(db), st_(st), in_use_(in_use) {}
  ~Stmt();
  Stmt(Stmt&& o) noexcept : db_(o.db_), st_(o.st_), rc_(o.rc_), in_use_(o.in_use_) {
    o.st_ = nullptr;
    o.in_use_ = nullptr;
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int i, std::int64_t v);
  Stmt& bind(int i, std::string_view v);  // TEXT
  Stmt& bind_blob(int i, std::string_view v);
  Stmt& bind_null(int i);
  // Steps once: true when a row is there. Errors are kept in ec().
  bool step();
  // Steps to completion; returns the error if any.
  std::error_code run();
  std::error_code ec() const { return sqlite_error(rc_, db_); }

  std::int64_t i64(int col) const { return sqlite3_column_int64(st_, col); }
  std::string text(int col) const;
  bool is_null(int col) const { return sqlite3_column_type(st_, col) == SQLITE_NULL; }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* st_ = nullptr;
  int rc_ = SQLITE_OK;
  bool* in_use_ = nullptr;
};

class Db {
 public:
  Db() = default;
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Opens (creating) `path`: WAL, synchronous=FULL, foreign keys off, busy timeout 10 s.
  std::error_code open(const std::filesystem::path& path);
  void close();
  bool is_open() const { return db_ != nullptr; }
  sqlite3* handle() const { return db_; }

  std::error_code exec(std::string_view sql);
  // Statements are prepared once per connection and kept (the hot paths run the same few
  // statements for every message); a statement already in use is prepared afresh.
  Stmt prepare(std::string_view sql);
  std::int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
  int changes() const { return sqlite3_changes(db_); }

 private:
  struct Cached {
    sqlite3_stmt* st = nullptr;
    bool in_use = false;
  };
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, std::unique_ptr<Cached>> cache_;
};

// BEGIN IMMEDIATE ... COMMIT; rolled back when destroyed without commit().
class Transaction {
 public:
  explicit Transaction(Db& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  const std::error_code& begin_error() const { return begin_ec_; }
  std::error_code commit();

 private:
  Db& db_;
  bool open_ = false;
  std::error_code begin_ec_;
};

// While it lives, commits are not flushed (PRAGMA synchronous=NORMAL under WAL: consistent
// after a crash, the last commits may be lost on power failure); FULL again afterwards. Made
// outside a transaction.
class RelaxedSync {
 public:
  explicit RelaxedSync(Db& db);
  ~RelaxedSync();
  RelaxedSync(const RelaxedSync&) = delete;
  RelaxedSync& operator=(const RelaxedSync&) = delete;

 private:
  Db& db_;
};

// A read transaction (BEGIN DEFERRED): one consistent view for several statements, without
// taking the write lock, and one WAL read lock instead of one per statement. Ends (ROLLBACK;
// nothing was written) when destroyed.
class ReadTransaction {
 public:
  explicit ReadTransaction(Db& db);
  ~ReadTransaction();
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;

 private:
  Db& db_;
  bool open_ = false;
};

}  // namespace estafeta::store
