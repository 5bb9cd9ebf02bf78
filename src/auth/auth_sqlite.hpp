// auth_sqlite: a thin RAII layer over the SQLite C API for the account database: one
// Connection (WAL, busy_timeout, foreign keys on, schema checked) and Statement (prepared,
// bound by position, stepped). Also owns the schema and its version table. Errors come back
// as messages, never exceptions. Input is trusted SQL text from this library; bound values
// may be hostile and are never interpolated into SQL.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace estafeta::auth {

// The schema version this code reads and writes (table schema_version).
inline constexpr int kSchemaVersion = 1;

// Creates `dir` (and parents) when missing; the data dir itself gets mode 0700, as it holds
// password hashes and mail. Returns "" or a one-line message.
std::string make_data_dir(const std::filesystem::path& dir);

class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Statement(Statement&&) noexcept;
  Statement& operator=(Statement&&) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();  // finalizes unless borrowed from a Connection cache (reset instead)

  explicit operator bool() const { return stmt_ != nullptr; }
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, int64_t value);
  // Steps once: true when a row is available; false at the end or on error (see ok()).
  bool step();
  bool ok() const { return ok_; }
  std::string text(int column) const;
  int64_t integer(int column) const;
  void reset();

 private:
  friend class Connection;
  void release();  // resets a cached statement, finalizes an owned one

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  bool cached_ = false;
  bool ok_ = true;
};

class Connection {
 public:
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Opens `file` (created when `create` is true), sets WAL and busy_timeout, creates or checks
  // the schema. On failure returns nullptr and sets `error` to a one-line message.
  static std::unique_ptr<Connection> open(const std::filesystem::path& file, bool create,
                                          std::string& error);

  // A prepared statement, cached per connection and reset on destruction of the handle.
  Statement prepare(const char* sql);
  // Runs SQL with no results (may hold several statements). False on error (see error()).
  bool exec(const char* sql);
  std::string error() const;
  int64_t changes() const;

  // BEGIN IMMEDIATE / COMMIT / ROLLBACK.
  bool begin();
  bool commit();
  void rollback();

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  bool ensure_schema(std::string& error);

  sqlite3* db_ = nullptr;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;
};

}  // namespace estafeta::auth
