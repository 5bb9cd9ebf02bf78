// store_acl_registry: the embedded store's registry of shared mailboxes (RFC 4314): which
// accounts grant something to whom, so that LIST finds another user's shared mailboxes by
// opening only the accounts that share with that user. One SQLite file per store
// (<data_dir>/mail/shared-mailboxes.sqlite) with rows (owner, mailbox, identifier, domain),
// replaced per owner whenever that owner's ACLs change (set_acl, rename, remove, rebuild).
// The owners' indexes hold the truth; the registry is a hint that may name an owner who no
// longer grants anything (callers check the owner's ACL). Trusted input (the accounts' own
// ACL rows). Memory: one owner's rows at a time. Thread-safe (one mutex).
#pragma once

#include <filesystem>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "store/api/store.hpp"
#include "store/store_sqlite.hpp"

namespace estafeta::store {

class AclRegistry {
 public:
  explicit AclRegistry(std::filesystem::path file) : file_(std::move(file)) {}
  // Replaces the rows of `owner` with its positive entries among `rows` (mailbox, entry).
  std::error_code publish(const std::string& owner,
                          const std::vector<std::pair<std::string, AclEntry>>& rows);
  // Owners other than `user` with a row for `user` or for "anyone" of the user's domain.
  std::error_code sharers(std::string_view user, std::vector<std::string>& owners);

 private:
  std::error_code open_locked();

  std::filesystem::path file_;
  std::mutex mu_;
  Db db_;
};

}  // namespace estafeta::store
