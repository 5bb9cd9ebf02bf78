// smtp_recipient_cache: RCPT TO verdicts of "local" remembered while the account database is
// unchanged, so that the recipients a busy MX sees again and again are answered on the network
// thread, without a hop to a worker and an SQLite lookup (about a tenth of the time of a small
// message). Unchanged means: accounts.db and its write-ahead log have the same inode, size and
// modification time as when the verdict was found (`estafeta user del`, `alias del` and every
// other change write one of them), and no more than the TTL has passed. The RCPT answer comes
// from here, and the spool commit at the end of DATA takes a relayed recipient whose "not our
// domain" verdict still holds under the same stamp as it is; it resolves every other
// recipient afresh.
// "Not one of our domains" is kept per domain (the relay decision a submission server makes
// for every outgoing message): the directory answers it from the domain alone, except for
// postmaster (postmaster@<our host name> is ours) and SRS addresses (only in our domains), so
// postmaster is never answered from a domain entry. Other refusals and temporary failures
// are never kept. The same goes for MAIL FROM on submission:
// "this authenticated user may send as this address" (Directory::may_send_as) is kept under
// the same rule, so that every message of a logged-in sender does not cost a worker hop; the
// spool commit does not re-check the sender, so only a yes is kept and only while the
// database is unchanged. The two stat() calls per check read inodes
// the kernel has cached (the server opened these files); they do not wait on the disk.
// Thread-safe (one mutex; a hash probe). Memory: at most kMaxEntries entries per table, a
// table dropped whole when full.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "smtp/proto/smtp_server_session.hpp"

namespace estafeta::smtp {

class RecipientCache {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kMaxEntries = 10000;

  // What the account database looks like on disk; equal stamps mean no change in between.
  struct Stamp {
    std::uint64_t db_ino = 0, db_size = 0, db_mtime = 0;
    std::uint64_t wal_ino = 0, wal_size = 0, wal_mtime = 0;
    bool valid = false;  // false: the files could not be looked at; nothing is kept or found
    bool operator==(const Stamp&) const = default;
  };
  static Stamp stamp_of(const std::filesystem::path& accounts_db);

  explicit RecipientCache(Clock::duration ttl = std::chrono::seconds(10)) : ttl_(ttl) {}

  std::optional<RecipientVerdict> find(std::string_view address, const Stamp& stamp,
                                       Clock::time_point now);
  // `stamp` is the one taken before the lookup that gave `verdict`.
  void remember(std::string_view address, RecipientVerdict verdict, const Stamp& stamp,
                Clock::time_point now);
  // MAIL FROM as `address` by the authenticated `user`: true when a yes was found under
  // `stamp` within the TTL; remember_sender keeps only a yes.
  bool sender_allowed(std::string_view user, std::string_view address, const Stamp& stamp,
                      Clock::time_point now);
  void remember_sender(std::string_view user, std::string_view address, bool allowed,
                       const Stamp& stamp, Clock::time_point now);

 private:
  struct Entry {
    RecipientVerdict verdict;
    Stamp stamp;
    Clock::time_point expires;
  };
  // "@domain" (lower case) for an address whose not_local_domain verdict holds for its whole
  // domain; "" when none (no domain, postmaster).
  static std::string domain_key(std::string_view address);

  const Clock::duration ttl_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  struct SenderEntry {
    Stamp stamp;
    Clock::time_point expires;
  };
  std::unordered_map<std::string, SenderEntry> senders_;  // "user\naddress"
};

}  // namespace estafeta::smtp
