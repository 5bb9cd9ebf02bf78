// store_sqlite: see store_sqlite.hpp.
#include "store/store_sqlite.hpp"

#include "base/log.hpp"
#include "store/api/store.hpp"

namespace estafeta::store {

std::error_code sqlite_error(int rc, sqlite3* db) {
  switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
      return {};
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Errc::index_corrupt;
    case SQLITE_FULL:
      return std::make_error_code(std::errc::no_space_on_device);
    default:
      log::warn("store", "sqlite: {} ({})", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc), rc);
      return std::make_error_code(std::errc::io_error);
  }
}

Stmt::Stmt(sqlite3* db, std::string_view sql) : db_(db) {
  rc_ = db ? sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &st_, nullptr)
           : SQLITE_MISUSE;
}

Stmt::~Stmt() {
  if (!st_) return;
  if (in_use_) {
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
    *in_use_ = false;
  } else {
    sqlite3_finalize(st_);
  }
}

Stmt Db::prepare(std::string_view sql) {
  if (!db_) return Stmt(nullptr, sql);
  auto it = cache_.find(std::string(sql));
  if (it == cache_.end()) {
    auto c = std::make_unique<Cached>();
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &c->st, nullptr) != SQLITE_OK) {
      if (c->st) sqlite3_finalize(c->st);
      return Stmt(db_, sql);  // reports the error
    }
    it = cache_.emplace(std::string(sql), std::move(c)).first;
  }
  if (it->second->in_use) return Stmt(db_, sql);
  it->second->in_use = true;
  return Stmt(db_, it->second->st, &it->second->in_use);
}

Stmt& Stmt::bind(int i, std::int64_t v) {
  if (st_ && rc_ == SQLITE_OK) rc_ = sqlite3_bind_int64(st_, i, v);
  return *this;
}

Stmt& Stmt::bind(int i, std::string_view v) {
  if (st_ && rc_ == SQLITE_OK)
    rc_ = sqlite3_bind_text64(st_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}

Stmt& Stmt::bind_blob(int i, std::string_view v) {
  if (st_ && rc_ == SQLITE_OK)
    rc_ = sqlite3_bind_blob64(st_, i, v.data(), v.size(), SQLITE_TRANSIENT);
  return *this;
}

Stmt& Stmt::bind_null(int i) {
  if (st_ && rc_ == SQLITE_OK) rc_ = sqlite3_bind_null(st_, i);
  return *this;
}

bool Stmt::step() {
  if (!st_ || (rc_ != SQLITE_OK && rc_ != SQLITE_ROW)) return false;
  rc_ = sqlite3_step(st_);
  return rc_ == SQLITE_ROW;
}

std::error_code Stmt::run() {
  while (step()) {
  }
  return ec();
}

std::string Stmt::text(int col) const {
  const void* p = sqlite3_column_blob(st_, col);
  int n = sqlite3_column_bytes(st_, col);
  if (!p || n <= 0) return {};
  return std::string(static_cast<const char*>(p), static_cast<std::size_t>(n));
}

Db::~Db() {
  close();
}

void Db::close() {
  for (auto& [sql, c] : cache_) sqlite3_finalize(c->st);
  cache_.clear();
  if (db_) sqlite3_close_v2(db_);
  db_ = nullptr;
}

namespace {
// Before SQLite's first use in the process: no global memory statistics, whose mutex every
// allocation of every connection would take (the server's threads contend on it).
[[maybe_unused]] const int kSqliteConfigured = [] {
  return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}();
}  // namespace

std::error_code Db::open(const std::filesystem::path& path) {
  close();
  int rc =
      sqlite3_open_v2(path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    auto ec = sqlite_error(rc, db_);
    close();
    return ec;
  }
  sqlite3_busy_timeout(db_, 10000);
  if (auto ec = exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;")) {
    close();
    return ec;
  }
  return {};
}

std::error_code Db::exec(std::string_view sql) {
  std::string s(sql);
  int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, nullptr);
  return sqlite_error(rc, db_);
}

Transaction::Transaction(Db& db) : db_(db) {
  begin_ec_ = db_.exec("BEGIN IMMEDIATE");
  open_ = !begin_ec_;
}

Transaction::~Transaction() {
  if (open_) db_.exec("ROLLBACK");
}

std::error_code Transaction::commit() {
  if (!open_) return begin_ec_ ? begin_ec_ : std::make_error_code(std::errc::invalid_argument);
  auto ec = db_.exec("COMMIT");
  if (!ec) open_ = false;
  return ec;
}

RelaxedSync::RelaxedSync(Db& db) : db_(db) {
  db_.prepare("PRAGMA synchronous=NORMAL").run();
}

RelaxedSync::~RelaxedSync() {
  db_.prepare("PRAGMA synchronous=FULL").run();
}

ReadTransaction::ReadTransaction(Db& db) : db_(db) {
  open_ = !db_.exec("BEGIN");
}

ReadTransaction::~ReadTransaction() {
  if (open_) db_.exec("ROLLBACK");
}

}  // namespace estafeta::store
