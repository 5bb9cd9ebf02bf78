// store_maildir_files: the file-system half of the embedded store: Maildir file names, flags
// in names, the per-mailbox state file, directory scans and durable writes.
//
// A message file is named "<unique>,U=<uid>,E=<email id>,S=<file size>" in new/ and the same
// with ":2,<flags>" in cur/ (the Maildir specification's info suffix). <unique> is
// "<sec>.M<usec>P<pid>Q<counter>.<host>" with '/' and ':' in the host escaped as \057 and
// \072. A delivered message also has ",K=<hash of its delivery key>" before S=. U= and E= let a
// rebuild from the files alone keep every UID and email id; S= is the file size (Dovecot reads it
// too). Flags: D \Draft, F \Flagged, P $Forwarded, R \Answered, S \Seen, T \Deleted; keywords are
// the letters a-z, mapped through the mailbox's keyword list (the 27th keyword on has no letter: it
// lives in the index only). The mailbox state file "estafeta-mailbox" in each Maildir directory
// holds UIDVALIDITY, a UIDNEXT that is never below any UID handed out and since removed, the
// special-use attribute and the keyword letters; it is written durably (temporary file, fsync,
// rename, directory fsync) when the mailbox is made and when one of those values must change.
// Input: names found on disk are untrusted (parsing never fails, it just finds fewer fields).
// Memory: a directory scan holds one name per file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "store/api/store.hpp"

namespace estafeta::store {

inline constexpr const char* kMailboxFile = "estafeta-mailbox";
inline constexpr std::size_t kMaxKeywordLetters = 26;

// What a message file name says.
struct FileName {
  std::string base;                   // everything before ":2," (the stable part)
  Uid uid = 0;                        // U=, 0 when absent
  std::string email_id;               // E=, "" when absent
  std::optional<std::uint64_t> size;  // S=
  std::string key;                    // K=: hash of the delivery key (deliver() only)
  std::string info;                   // after ":2," ("" in new/ or without info)
  bool has_info = false;
};

FileName parse_file_name(std::string_view name);
// "<unique>,U=<uid>,E=<id>,S=<size>", or with ",K=<key hash>" before S= for a delivery.
std::string make_base_name(std::string_view unique, Uid uid, std::string_view email_id,
                           std::uint64_t size, std::string_view key_hash = {});
// The stable hash (FNV-1a 64, 16 hex digits) a delivery key is kept as, in the index and in
// the file name, so that a file placed just before a crash is recognised as that delivery.
std::string delivery_key_hash(std::string_view key);
// A base name with U= (and E=) replaced or added: for foreign files given a UID.
std::string rebase_name(const FileName& f, Uid uid, std::string_view email_id);
// "<sec>.M<usec>P<pid>Q<counter>.<host>", unique on this host.
std::string unique_name();
// A fresh email id: "M" and 16 hex digits (RFC 8474 objectid syntax).
std::string new_email_id();

// Maildir info flags <-> Flags. `letters` is the mailbox keyword list (index = letter - 'a').
Flags flags_from_info(std::string_view info, const std::vector<std::string>& letters);
// The info string (sorted letters) for `flags`; keywords without a letter are left out.
std::string info_from_flags(const Flags& flags, const std::vector<std::string>& letters);

struct MailboxFile {
  std::uint32_t uid_validity = 0;
  Uid uid_next = 1;
  SpecialUse special_use = SpecialUse::none;
  std::vector<std::string> keywords;  // letter order
};
// Reads dir/estafeta-mailbox; false when missing or unreadable.
bool read_mailbox_file(const std::filesystem::path& dir, MailboxFile& out);
std::error_code write_mailbox_file(const std::filesystem::path& dir, const MailboxFile& f,
                                   bool durable);

std::string special_use_name(SpecialUse u);  // "sent", ... "" for none
SpecialUse special_use_from(std::string_view name);

// One file of a Maildir directory.
struct ScannedFile {
  std::string name;
  bool in_new = false;
};
// Files in dir/new and dir/cur (no dot files). Errors other than a missing directory are
// returned.
std::error_code scan_maildir(const std::filesystem::path& dir, std::vector<ScannedFile>& out);
// Makes dir, dir/cur, dir/new, dir/tmp (0700), fsyncing parents when `durable`.
std::error_code ensure_maildir(const std::filesystem::path& dir, bool durable);
std::error_code fsync_dir(const std::filesystem::path& dir);
// A stamp of dir/new and dir/cur (their modification times, to the nanosecond) for "has
// anything changed" checks; `newest` gets the later of the two times in seconds.
std::int64_t maildir_stamp(const std::filesystem::path& dir, std::int64_t* newest = nullptr);

}  // namespace estafeta::store
