// cli_mail_store: see cli_mail_store.hpp.
#include "cli/cli_mail_store.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "auth/auth_address.hpp"
#include "cli/cli_store.hpp"
#include "cli/commands.hpp"
#include "store/store_maildir.hpp"

namespace estafeta::cli {

store::MaildirStoreOptions mail_store_options(const config::Config& config) {
  store::MaildirStoreOptions o{config.data_dir, 1, true};
  o.default_quota = {config.quota.storage_kib, config.quota.messages, config.quota.mailboxes};
  return o;
}

namespace {

// As root, becomes the owner of data_dir/mail (or of data_dir while mail/ does not exist)
// when that is someone else: `serve` hands both to run_as_user.
bool become_mail_owner(const config::Config& config) {
  if (::geteuid() != 0) return true;
  struct stat st {};
  if (::stat((config.data_dir / "mail").c_str(), &st) != 0 &&
      ::stat(config.data_dir.c_str(), &st) != 0)
    return true;
  if (st.st_uid == 0) return true;
  if (::setegid(st.st_gid) != 0 || ::seteuid(st.st_uid) != 0) {
    fail(std::string("cannot switch to the owner of the mail directory: ") + std::strerror(errno));
    return false;
  }
  return true;
}

}  // namespace

std::shared_ptr<store::Account> open_mail_account(const config::Config& config,
                                                  const std::string& address) {
  auto parsed = auth::parse_account(address);
  if (!parsed) {
    fail("invalid account address: " + address);
    return nullptr;
  }
  const std::string name = parsed->full();
  {
    auto accounts = open_store(config);
    if (!accounts) return nullptr;
    if (!accounts->has_user(name)) {
      fail("no such user: " + name);
      return nullptr;
    }
  }
  if (!become_mail_owner(config)) return nullptr;
  auto store = store::make_maildir_store(mail_store_options(config));
  std::shared_ptr<store::Account> account;
  if (auto ec = store->account(name, account)) {
    fail("cannot open the mailboxes of " + name + ": " + ec.message());
    return nullptr;
  }
  return account;
}

std::string remove_mail_of(const config::Config& config, const std::string& address) {
  if (!become_mail_owner(config)) return "cannot switch to the owner of the mail directory";
  auto store = store::make_maildir_store(mail_store_options(config));
  std::error_code ec = store->remove_account(address);
  if (ec && ec != store::Errc::no_such_account) return ec.message();
  return "";
}

}  // namespace estafeta::cli
