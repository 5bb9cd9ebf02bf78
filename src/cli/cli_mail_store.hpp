// cli_mail_store: opening one account's mailbox store for the `mailbox` and `index`
// subcommands (cmd_mailbox.cpp, cmd_index.cpp), and removing it (`user del --purge`). The account
// must exist in the account database; its mail is the embedded store's (store/store_maildir.hpp)
// under data_dir/mail. Run as root, the command first takes the identity of the owner of
// data_dir/mail, or of data_dir before mail/ exists (the service user `serve` handed them to), so
// that every file it makes stays usable by the server. Input: the operator's command line
// (trusted); names are checked by the store.
#pragma once

#include <memory>
#include <string>

#include "config/config.hpp"
#include "store/api/store.hpp"
#include "store/store_maildir.hpp"

namespace estafeta::cli {

// The embedded store's options for the CLI: one account open, fsync, the [quota] defaults.
store::MaildirStoreOptions mail_store_options(const config::Config& config);

// The account of `address` (canonical form), or nullptr after printing why not.
std::shared_ptr<store::Account> open_mail_account(const config::Config& config,
                                                  const std::string& address);

// Removes all mail of `address` (canonical form; the account itself is the caller's
// business): "" when done or there was none, else what went wrong.
std::string remove_mail_of(const config::Config& config, const std::string& address);

}  // namespace estafeta::cli
