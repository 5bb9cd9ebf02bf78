// delivery_maildir: the file-system half of the MDA. Creates Maildir and Maildir++ folder
// directories (mode 0700), makes unique file names per the Maildir specification
// ("<sec>.M<usec>P<pid>Q<counter>.<host>,S=<size>", host with "/" and ":" escaped as \057 and
// \072), and fsyncs directories. Paths come from the account database (trusted); the folder
// name comes from a +detail tag that auth::SqliteDirectory has already checked exists.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace estafeta::delivery {

// `host` escaped for use in a Maildir file name: "/" -> "\057", ":" -> "\072".
std::string maildir_escape_host(std::string_view host);

// A name unique within this host: seconds, microseconds, pid and a process-wide counter,
// then the escaped host and ",S=<size>" (the file size, which Dovecot reads to avoid a stat).
std::string maildir_unique_name(std::string_view escaped_host, std::size_t size);
// The same without ",S=<size>": chosen when a message is spooled, so that a redelivery after
// a crash can tell whether a mailbox already holds it (maildir_has_message).
std::string maildir_base_name(std::string_view escaped_host);

// True when new/ or cur/ of Maildir `dir` holds a file named `base_name` (followed by nothing,
// ",..." or ":2,flags"). Reads both directories: for recovery, not the common path.
bool maildir_has_message(const std::filesystem::path& dir, std::string_view base_name);

// Makes sure `dir` is a Maildir (dir, dir/cur, dir/new, dir/tmp, each 0700), creating missing
// parents. When `folder` is true, `dir` is a Maildir++ folder and also gets the empty
// "maildirfolder" marker file. When `durable` is true the parent of every directory created
// is fsynced, so the new directory entries survive a crash.
std::error_code maildir_ensure(const std::filesystem::path& dir, bool folder, bool durable);

// fsync of a directory (opened O_RDONLY|O_DIRECTORY).
std::error_code fsync_directory(const std::filesystem::path& dir);

}  // namespace estafeta::delivery
