// cmd_user: `estafeta user add|passwd|del [--purge]|list`. Accounts are full addresses and log in
// with that address; adding one in a new domain adds the domain. Passwords are hashed here with
// yescrypt (or an existing hash is imported after libcrypt checks it) and never printed.
#include <cstdio>

#include "auth/auth_address.hpp"
#include "auth/auth_password.hpp"
#include "cli/cli_mail_store.hpp"
#include "cli/cli_password.hpp"
#include "cli/cli_store.hpp"
#include "cli/commands.hpp"

namespace estafeta::cli {

namespace {

// Produces the hash to store from the chosen password source; "" and a message on failure.
std::string new_hash(const PasswordInput& input, std::string& error) {
  if (input.source == PasswordInput::Source::hash) {
    error = auth::check_imported_hash(input.hash);
    if (!error.empty()) error = "--hash: " + error;
    return error.empty() ? input.hash : "";
  }
  std::string password;
  error = input.source == PasswordInput::Source::stdin_line ? read_password_stdin(password)
                                                            : prompt_new_password(password);
  if (!error.empty()) return "";
  std::string hash = auth::hash_password(password);
  scrub(password);
  if (hash.empty()) error = "could not hash the password (libcrypt failed)";
  return hash;
}

// The stored form of an address (lower case), for messages.
std::string canonical(const std::string& address) {
  auto a = auth::parse_address(address);
  return a ? a->full() : address;
}

}  // namespace

int run_user_add(const config::Config& config, const std::string& address,
                 const PasswordInput& password) {
  if (!auth::parse_account(address)) return fail("invalid account address: " + address);
  auto store = open_store(config);
  if (!store) return 1;
  if (store->has_user(address)) return fail("user " + canonical(address) + " already exists");
  std::string error;
  std::string hash = new_hash(password, error);
  if (hash.empty()) return fail(error);
  bool domain_added = false;
  if (std::string e = store->add_user(address, hash, domain_added); !e.empty()) return fail(e);
  auto a = auth::parse_account(address);
  if (domain_added) std::printf("added domain %s\n", a->domain.c_str());
  std::printf("added user %s\n", a->full().c_str());
  return 0;
}

int run_user_passwd(const config::Config& config, const std::string& address,
                    const PasswordInput& password) {
  auto store = open_store(config);
  if (!store) return 1;
  // Check the account first, so nobody types a password twice for a typo.
  if (!store->has_user(address)) return fail("no such user: " + canonical(address));
  std::string error;
  std::string hash = new_hash(password, error);
  if (hash.empty()) return fail(error);
  if (std::string e = store->set_password(address, hash); !e.empty()) return fail(e);
  std::printf("password changed for %s\n", canonical(address).c_str());
  return 0;
}

int run_user_del(const config::Config& config, const std::string& address, bool purge) {
  auto store = open_store(config);
  if (!store) return 1;
  const std::string maildir = store->maildir_of(address).string();
  if (std::string e = store->del_user(address); !e.empty()) return fail(e);
  if (purge) {
    if (std::string e = remove_mail_of(config, canonical(address)); !e.empty())
      return fail("deleted user " + canonical(address) + " but not its mail in " + maildir + ": " +
                  e);
    std::printf("deleted user %s and its mail\n", canonical(address).c_str());
  } else {
    std::printf("deleted user %s (its mail stays in %s)\n", canonical(address).c_str(),
                maildir.c_str());
  }
  std::vector<auth::AliasInfo> aliases;
  if (store->list_aliases(aliases).empty()) {
    for (const auto& a : aliases) {
      if (a.target == canonical(address))
        std::fprintf(stderr, "estafeta: warning: alias %s still points at %s\n", a.source.c_str(),
                     a.target.c_str());
    }
  }
  return 0;
}

int run_user_list(const config::Config& config) {
  auto store = open_store(config);
  if (!store) return 1;
  std::vector<auth::UserInfo> users;
  if (std::string e = store->list_users(users); !e.empty()) return fail(e);
  for (const auto& u : users) std::printf("%s\n", u.address.c_str());
  return 0;
}

}  // namespace estafeta::cli
