// store_folder_names: mailbox names <-> Maildir++ folder directories for the embedded store.
// INBOX is the Maildir root (directory name ""); any other mailbox "a/b" is the folder
// directory ".a.b" inside the root: '/' in the mailbox name becomes '.', the Maildir++
// hierarchy separator. Each component is encoded like IMAP modified UTF-7 (RFC 3501 §5.1.3,
// Dovecot's choice for Maildir++ too): printable ASCII stays as it is, '&' is "&-", and runs
// of non-ASCII characters are "&" + modified BASE64 of their UTF-16 + "-". A '.' inside a
// component cannot stay literal (it is the separator), so it is encoded the same way as a
// non-ASCII character, "&AC4-" (U+002E); strict modified UTF-7 decoders refuse that form, ours
// accepts it. So every valid UTF-8 name round-trips, and a plain folder made by delivery to
// "user+tag" (directory ".tag") is the mailbox "tag".
// Input: mailbox names already checked by valid_mailbox_name, or directory names found on
// disk (untrusted: decoding refuses malformed ones). Output is bounded by 4x the input.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace estafeta::store {

// The folder directory name of a valid mailbox name: "" for INBOX, else "." + components.
std::string folder_dir_of(std::string_view mailbox_name);
// The longest folder directory name a file system takes (NAME_MAX on Linux).
inline constexpr std::size_t kMaxFolderDir = 255;

// The mailbox name of a folder directory name ("" -> "INBOX", ".a.b" -> "a/b"); nullopt when
// `dir` is not a well-formed folder name (no leading '.', empty component, bad encoding).
std::optional<std::string> mailbox_of_folder_dir(std::string_view dir);

// One component: encode / decode (exposed for tests).
std::string encode_folder_component(std::string_view utf8);
std::optional<std::string> decode_folder_component(std::string_view encoded);

}  // namespace estafeta::store
