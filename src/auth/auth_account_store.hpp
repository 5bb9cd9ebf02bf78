// auth_account_store: the administrative side of the account database (data_dir/accounts.db),
// used by the `estafeta user|domain|alias` commands: add, delete and list domains, users and
// aliases; set passwords. Addresses are validated and normalised (auth_address.hpp) before
// they are stored; password hashes must pass check_imported_hash (auth_password.hpp). Input
// comes from the local administrator (trusted, but checked so a typo cannot corrupt the
// database or escape the Maildir tree). One connection; not for concurrent use. Every
// method returns "" on success, else a one-line message naming the problem.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace estafeta::auth {

class Connection;

struct UserInfo {
  std::string address;
  int64_t created = 0;  // Unix time
};

struct AliasInfo {
  std::string source;  // "sales@example.org", or "@example.org" for a catch-all
  std::string target;
};

class AccountStore {
 public:
  explicit AccountStore(std::filesystem::path data_dir);
  ~AccountStore();
  AccountStore(const AccountStore&) = delete;
  AccountStore& operator=(const AccountStore&) = delete;

  // Opens (creating data_dir, the database and its schema when missing).
  std::string open();

  std::string add_domain(std::string_view domain);
  // Refuses while users or aliases of the domain remain.
  std::string del_domain(std::string_view domain);
  std::string list_domains(std::vector<std::string>& out);

  // Adds an account with a ready hash (hash_password or an imported one). Adds the domain
  // when it is not there yet and then sets `domain_added`.
  std::string add_user(std::string_view address, std::string_view password_hash,
                       bool& domain_added);
  // True when the account exists (false also on database errors).
  bool has_user(std::string_view address);
  std::string set_password(std::string_view address, std::string_view password_hash);
  // Deletes the account; its Maildir stays on disk. Aliases pointing at it stay too.
  std::string del_user(std::string_view address);
  std::string list_users(std::vector<UserInfo>& out);

  // Adds source -> target pairs. source is an address or "@domain" (catch-all) in a local
  // domain and not an existing account; targets are addresses (not "@domain"). Pairs already
  // present are kept once.
  std::string add_alias(std::string_view source, const std::vector<std::string>& targets);
  // Deletes one pair, or every pair of `source` when target is empty.
  std::string del_alias(std::string_view source, std::string_view target);
  std::string list_aliases(std::vector<AliasInfo>& out);

  // The Maildir of an account: data_dir/mail/<domain>/<localpart>.
  std::filesystem::path maildir_of(std::string_view address) const;

 private:
  std::string db_error(std::string_view what) const;

  std::filesystem::path data_dir_;
  std::unique_ptr<Connection> db_;
};

}  // namespace estafeta::auth
