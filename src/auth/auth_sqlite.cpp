// auth_sqlite: see auth_sqlite.hpp. The schema (version 1):
//   schema_version(version)              one row
//   domains(name PRIMARY KEY, created)   lower-case ASCII domain names
//   users(address PRIMARY KEY, domain, password_hash, created)
//   aliases(source, target, PRIMARY KEY(source, target)); source "@domain" is a catch-all
// Addresses are stored normalised (lower case, see auth_address.hpp), so lookups are plain
// equality on the primary keys.
#include "auth/auth_sqlite.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace estafeta::auth {

std::string make_data_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return "";
  std::filesystem::create_directories(dir, ec);
  if (ec) return dir.string() + ": " + ec.message();
  if (::chmod(dir.c_str(), 0700) != 0) return dir.string() + ": " + std::strerror(errno);
  return "";
}

Statement::Statement(Statement&& o) noexcept
    : db_(o.db_), stmt_(std::exchange(o.stmt_, nullptr)), cached_(o.cached_), ok_(o.ok_) {}

Statement& Statement::operator=(Statement&& o) noexcept {
  if (this != &o) {
    release();
    db_ = o.db_;
    stmt_ = std::exchange(o.stmt_, nullptr);
    cached_ = o.cached_;
    ok_ = o.ok_;
  }
  return *this;
}

Statement::~Statement() {
  release();
}

void Statement::release() {
  if (!stmt_) return;
  if (cached_) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  } else {
    sqlite3_finalize(stmt_);
  }
  stmt_ = nullptr;
}

Statement& Statement::bind(int index, std::string_view text) {
  if (stmt_ && sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()),
                                 SQLITE_TRANSIENT) != SQLITE_OK)
    ok_ = false;
  return *this;
}

Statement& Statement::bind(int index, int64_t value) {
  if (stmt_ && sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) ok_ = false;
  return *this;
}

bool Statement::step() {
  if (!stmt_ || !ok_) {
    ok_ = false;
    return false;
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) ok_ = false;
  return false;
}

std::string Statement::text(int column) const {
  const unsigned char* p = sqlite3_column_text(stmt_, column);
  int n = sqlite3_column_bytes(stmt_, column);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n))
           : std::string();
}

int64_t Statement::integer(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

void Statement::reset() {
  if (stmt_) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  ok_ = true;
}

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

std::unique_ptr<Connection> Connection::open(const std::filesystem::path& file, bool create,
                                             std::string& error) {
  if (create) {
    // The file holds password hashes: create it 0600 before SQLite does (SQLite gives its
    // -wal and -shm files the database's mode and, under root, its owner). When root creates
    // it, it belongs to the owner of its directory, the account the server runs as.
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      std::filesystem::path dir = file.parent_path().empty() ? "." : file.parent_path();
      struct stat st {};
      if (::geteuid() == 0 && ::stat(dir.c_str(), &st) == 0)
        (void)!::fchown(fd, st.st_uid, st.st_gid);
      ::close(fd);
    }
  }
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(file.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    error = file.string() + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close_v2(db);
    return nullptr;
  }
  std::unique_ptr<Connection> c(new Connection(db));
  sqlite3_busy_timeout(db, 5000);
  sqlite3_extended_result_codes(db, 1);
  if (!c->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")) {
    error = file.string() + ": " + c->error();
    return nullptr;
  }
  if (!c->ensure_schema(error)) {
    error = file.string() + ": " + error;
    return nullptr;
  }
  return c;
}

bool Connection::ensure_schema(std::string& error) {
  Statement s =
      prepare("SELECT count(*) FROM sqlite_master WHERE type='table' AND name='schema_version'");
  if (!s.step()) {
    error = this->error();
    return false;
  }
  bool present = s.integer(0) != 0;
  s.reset();
  if (!present) {
    if (!begin()) {
      error = this->error();
      return false;
    }
    // Re-check inside the write lock: another process may have created it meanwhile.
    Statement again =
        prepare("SELECT count(*) FROM sqlite_master WHERE type='table' AND name='schema_version'");
    bool raced = again.step() && again.integer(0) != 0;
    again.reset();
    if (!raced) {
      bool ok = exec(
          "CREATE TABLE schema_version(version INTEGER NOT NULL);"
          "INSERT INTO schema_version(version) VALUES (1);"
          "CREATE TABLE domains(name TEXT PRIMARY KEY NOT NULL, created INTEGER NOT NULL);"
          "CREATE TABLE users(address TEXT PRIMARY KEY NOT NULL,"
          " domain TEXT NOT NULL REFERENCES domains(name),"
          " password_hash TEXT NOT NULL, created INTEGER NOT NULL);"
          "CREATE INDEX users_domain ON users(domain, created);"
          "CREATE TABLE aliases(source TEXT NOT NULL, target TEXT NOT NULL,"
          " PRIMARY KEY(source, target));");
      if (!ok) {
        error = this->error();
        rollback();
        return false;
      }
    }
    if (!commit()) {
      error = this->error();
      rollback();
      return false;
    }
  }
  Statement v = prepare("SELECT version FROM schema_version");
  if (!v.step()) {
    error = "schema_version table is empty or unreadable";
    return false;
  }
  int64_t version = v.integer(0);
  if (version != kSchemaVersion) {
    error = "schema version " + std::to_string(version) + " is not supported (expected " +
            std::to_string(kSchemaVersion) + ")";
    return false;
  }
  return true;
}

Statement Connection::prepare(const char* sql) {
  auto it = cache_.find(sql);
  sqlite3_stmt* stmt = nullptr;
  if (it != cache_.end()) {
    stmt = it->second;
  } else {
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
      Statement bad;
      bad.db_ = db_;
      bad.ok_ = false;
      return bad;
    }
    cache_.emplace(sql, stmt);
  }
  Statement s(db_, stmt);
  s.cached_ = true;
  return s;
}

bool Connection::exec(const char* sql) {
  return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
}

std::string Connection::error() const {
  return sqlite3_errmsg(db_);
}

int64_t Connection::changes() const {
  return sqlite3_changes64(db_);
}

bool Connection::begin() {
  return exec("BEGIN IMMEDIATE");
}
bool Connection::commit() {
  return exec("COMMIT");
}
void Connection::rollback() {
  if (!sqlite3_get_autocommit(db_)) exec("ROLLBACK");
}

}  // namespace estafeta::auth
