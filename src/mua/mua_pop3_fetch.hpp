// mua_pop3_fetch: `mail fetch`: downloads over POP3 (the core in proto/mua_pop3_client.hpp)
// over a mua::Connection into the account's local Maildir (mua_maildir.hpp). The UIDLs
// fetched are remembered in a state file (one per account, appended and fsync'd after each
// message is stored, rewritten at the end to the ones the server still lists), so a second
// fetch does not download a message again; with delete_after each message is deleted on the
// server after it is stored (and messages stored by an earlier run are deleted without being
// downloaded again). Memory: one message at a time (at most Pop3Limits::max_message).
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>

#include "base/result.hpp"
#include "mua/mua_account.hpp"
#include "mua/proto/mua_pop3_client.hpp"

namespace estafeta::mua {

struct FetchOptions {
  bool delete_after = false;
  std::filesystem::path uidl_file;  // "" = data_home()/pop3/NAME.uidl
  std::chrono::seconds io_timeout{120};
};

// The result (Pop3Done: counts, skipped messages, error). Progress lines go to `out`.
Pop3Done fetch_pop3(const Account& account, const std::string& password,
                    const FetchOptions& options, std::FILE* out);

}  // namespace estafeta::mua
