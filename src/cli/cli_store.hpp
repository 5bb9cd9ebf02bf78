// cli_store: opening the account database for the user/domain/alias subcommands.
#pragma once

#include <memory>

#include "auth/auth_account_store.hpp"
#include "config/config.hpp"

namespace estafeta::cli {

// Opens data_dir/accounts.db (creating it when missing). On failure prints the reason and
// returns nullptr.
std::unique_ptr<auth::AccountStore> open_store(const config::Config& config);

}  // namespace estafeta::cli
