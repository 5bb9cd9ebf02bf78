// auth_sqlite_directory: auth::Directory over the SQLite account database (data_dir/
// accounts.db), used by the protocol servers. Resolution rules (Postfix virtual + Dovecot):
// the domain must be in `domains` (else not_local_domain); then exact user > exact alias
// (targets expanded recursively, depth <= 10, loops cut) > detail "user+tag" (base user or
// alias) > catch-all alias "@domain" > postmaster fallback > unknown_user. Postmaster
// (RFC 5321 §4.5.1) always resolves in a local domain: user or alias postmaster@domain if
// defined, else the catch-all; if those are missing or lead to no mailbox, the oldest user of
// that domain, else the oldest user of any domain. A bare "postmaster" (no domain, RFC 5321
// §4.1.1.3), and postmaster@<hostname> when hostname is not itself a local domain, is
// postmaster@hostname when hostname is a local domain, else postmaster@<first domain by name>.
// Input is unauthenticated envelope data: addresses that are not local@domain within RFC 5321
// lengths (64 + 255) are refused without a query; one expansion yields at most 1000 targets
// and looks up at most 5000 addresses. Thread-safe: a small pool of SQLite connections (WAL,
// busy_timeout 5 s), one taken per call; every call blocks (SQLite, password hashing), so run
// it on a worker. When accounts.db is replaced (a restored backup) or removed, the pooled
// connections to the old file are dropped at the next call (one stat() per call), so the
// server reads the file now at that path or, if none can be opened, reports it unavailable.
// Forwarding (enable_forwarding, when the server has an outbound queue): alias targets in
// other domains become Resolution::forwards (counted in the same 1000-target bound, loops cut
// as for local ones) instead of being dropped with a warning, and SRS0/SRS1 addresses at our
// domains (queue_srs.hpp) resolve to the address they stand for when their hash and age check
// out, else to unknown_user; forward_sender() rewrites a sender outside our domains with SRS.
#pragma once

#include <sys/types.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auth/auth_login_cache.hpp"
#include "auth/directory.hpp"

namespace estafeta::auth {

class Connection;  // auth_sqlite.hpp

struct DirectoryOptions {
  std::filesystem::path data_dir;  // accounts.db and mail/<domain>/<localpart>/ live here
  std::string hostname;            // for the bare "postmaster" recipient
  char detail_separator = '+';     // config delivery.detail_separator
  bool detail_to_folder = false;   // config delivery.detail_to_folder
  // config auth.login_cache_ttl: passwords that passed are remembered this long (keyed hash,
  // auth_login_cache.hpp); 0 = every login pays a hash.
  std::chrono::seconds login_cache_ttl{0};
};

class SqliteDirectory final : public Directory {
 public:
  // Cheap: touches nothing until open() or the first call.
  explicit SqliteDirectory(DirectoryOptions options);
  ~SqliteDirectory() override;
  SqliteDirectory(const SqliteDirectory&) = delete;
  SqliteDirectory& operator=(const SqliteDirectory&) = delete;

  // Opens data_dir/accounts.db (creating data_dir, the file and the schema when missing) and
  // checks the schema version. Call once at startup. Returns "" on success, else a one-line
  // message naming the file and the problem.
  std::string open();

  Resolution resolve(std::string_view address) override;
  std::optional<std::string> authenticate(std::string_view login,
                                          std::string_view password) override;
  // unavailable when the database cannot be opened or read (locked past busy_timeout).
  LoginCheck check_login(std::string_view login, std::string_view password) override;
  bool may_send_as(std::string_view user, std::string_view address) override;
  // SRS: "" or null sender kept, a sender in one of our domains kept (SPF passes for it
  // already), any other rewritten into `via_domain` (SRS0, or SRS1 for an SRS address).
  std::string forward_sender(std::string_view mail_from, std::string_view via_domain) override;

  // Turns forwarding on with the SRS secret (16 octets, queue::load_srs_key). Call once before
  // the directory is used from other threads.
  void enable_forwarding(const std::array<std::uint8_t, 16>& srs_key) { srs_key_ = srs_key; }
  bool forwarding() const { return srs_key_.has_value(); }

  const DirectoryOptions& options() const { return options_; }

 private:
  // A pooled connection and the database file generation it was opened on.
  struct Pooled {
    std::unique_ptr<Connection> conn;
    std::uint64_t generation = 0;
    explicit operator bool() const { return conn != nullptr; }
    Connection* operator->() const { return conn.get(); }
    Connection& operator*() const { return *conn; }
  };
  Pooled acquire();
  void release(Pooled c);

  DirectoryOptions options_;
  LoginCache login_cache_;
  std::optional<std::array<std::uint8_t, 16>> srs_key_;  // set: forwarding on
  std::mutex mutex_;
  std::vector<Pooled> idle_;  // at most kMaxIdle kept
  // The identity of accounts.db the pool was opened on; a new one bumps generation_.
  dev_t file_dev_ = 0;
  ino_t file_ino_ = 0;
  std::uint64_t generation_ = 0;
};

}  // namespace estafeta::auth
