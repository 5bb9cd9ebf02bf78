// mua_maildir: writes a message into a local Maildir for `mail fetch` (the Maildir layout of
// https://cr.yp.to/proto/maildir.html): tmp/, new/, cur/ made with mode 0700 when missing;
// the message written to tmp/ under a unique name, fsync'd, renamed into new/, and new/
// fsync'd, so a crash leaves either the whole message or nothing. Files are 0600.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace estafeta::mua {

// Stores `message` (written as given); returns the file's path in new/.
Result<std::filesystem::path> maildir_store(const std::filesystem::path& maildir,
                                            std::string_view message);

}  // namespace estafeta::mua
