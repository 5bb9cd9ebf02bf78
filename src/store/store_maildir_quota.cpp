// store_maildir_quota: the embedded backend's quota (RFC 9208; store.hpp Account::quota has the
// rules, store_quota.hpp the arithmetic). Usage is read from the per-mailbox counts the index
// triggers keep (one row per mailbox, inside the writer's transaction, so two writers never
// both pass a limit). The account's own limits are the file estafeta-quota in the Maildir
// root, beside "subscriptions": the operator's setting survives index rebuilds and is seen
// by every process (the CLI writes it while the server runs; one stat() per check notices).
// Trust: the file is the operator's (parsed strictly; a file that does not parse is logged
// and the store's default applies). Memory: constant.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <sstream>

#include "base/log.hpp"
#include "store/store_maildir_account.hpp"
#include "store/store_maildir_files.hpp"

namespace estafeta::store {
namespace fs = std::filesystem;
namespace {

constexpr const char* kQuotaFile = "estafeta-quota";
constexpr const char* kWarnedMeta = "quota_warned";

std::error_code errno_code() {
  return {errno, std::generic_category()};
}

}  // namespace

QuotaLimits MaildirAccount::quota_limits_locked() {
  const fs::path file = root_ / kQuotaFile;
  struct stat st {};
  FileId id;
  if (::stat(file.c_str(), &st) == 0) {
    id.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    id.ino = static_cast<std::int64_t>(st.st_ino);
    id.size = static_cast<std::int64_t>(st.st_size);
  }
  if (!(id == quota_file_)) {
    QuotaLimits own{kQuotaDefault, kQuotaDefault, kQuotaDefault};
    if (id.size >= 0) {
      std::ifstream in(file);
      std::stringstream text;
      text << in.rdbuf();
      if (!parse_quota_setting(text.str(), own)) {
        log::warn("store", "{}: {} cannot be read; the default quota applies", name_,
                  file.string());
        own = {kQuotaDefault, kQuotaDefault, kQuotaDefault};
      }
    }
    own_quota_ = own;
    quota_file_ = id;
  }
  return effective_quota(own_quota_, default_quota_);
}

std::error_code MaildirAccount::quota_check_locked(std::uint64_t octets, std::uint64_t messages,
                                                   std::uint64_t mailboxes, QuotaUsage& usage) {
  const QuotaLimits limits = quota_limits_locked();
  usage = {};
  if (!limits.any()) return {};  // no limit: no usage needed (nor any warning)
  if (auto ec = index_.quota_usage(usage)) return ec;
  if (quota_exceeded(limits, usage, octets, messages, mailboxes)) return Errc::over_quota;
  return {};
}

std::uint8_t MaildirAccount::quota_warning_locked(const QuotaUsage& before,
                                                  const QuotaUsage& after) {
  const QuotaLimits limits = quota_limits_locked();
  if (!limits.storage_kib && !limits.messages) return 0;
  auto warned = static_cast<std::uint8_t>(index_.meta(kWarnedMeta, 0));
  const std::uint8_t was = warned;
  const std::uint8_t warn = quota_warning_step(limits, before, after, warned);
  // Part of the caller's transaction: remembered exactly when the change commits.
  if (warned != was) index_.set_meta(kWarnedMeta, warned);
  return warn;
}

void MaildirAccount::send_quota_warning(std::uint8_t which) {
  MailboxId inbox = 0;
  QuotaLimits limits;
  QuotaUsage usage;
  {
    std::lock_guard lock(mu_);
    MailboxRow row;
    if (index_.mailbox("INBOX", row) || index_.quota_usage(usage)) return;
    inbox = row.id;
    limits = quota_limits_locked();
  }
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const std::string text = quota_warning_message(name_, limits, usage, which, now);
  NewMessage m;
  m.bytes = text;
  AppendResult ignored;
  if (auto ec = append_message(inbox, m, /*exempt=*/true, ignored))
    log::warn("store", "{}: cannot add the quota warning to INBOX: {}", name_, ec.message());
  else
    log::info("store", "{}: quota warning sent (storage {} of {} KiB, {} of {} messages)", name_,
              storage_kib(usage.storage), limits.storage_kib, usage.messages, limits.messages);
}

std::error_code MaildirAccount::quota(QuotaState& out) {
  std::lock_guard lock(mu_);
  out.limits = quota_limits_locked();
  out.own = own_quota_;
  return index_.quota_usage(out.usage);
}

std::error_code MaildirAccount::set_quota(const QuotaLimits& own) {
  std::lock_guard lock(mu_);
  const fs::path file = root_ / kQuotaFile;
  std::error_code ec;
  if (own == QuotaLimits{kQuotaDefault, kQuotaDefault, kQuotaDefault}) {
    if (::unlink(file.c_str()) != 0 && errno != ENOENT) return errno_code();
  } else {
    const std::string text = format_quota_setting(own);
    const fs::path tmp = root_ / (std::string(kQuotaFile) + ".tmp");
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return errno_code();
    if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
      ec = errno_code();
    if (!ec && fsync_ && ::fsync(fd) != 0) ec = errno_code();
    ::close(fd);
    if (!ec && ::rename(tmp.c_str(), file.c_str()) != 0) ec = errno_code();
    if (ec) {
      ::unlink(tmp.c_str());
      return ec;
    }
  }
  if (fsync_) ec = fsync_dir(root_);
  quota_file_ = FileId{};
  quota_file_.size = -2;  // forces a read at the next check
  quota_limits_locked();
  return ec;
}

std::error_code MaildirAccount::deleted_size(MailboxId mailbox, std::uint64_t& out) {
  std::lock_guard lock(mu_);
  MailboxRow row;
  if (auto ec = index_.mailbox(mailbox, row)) return ec;
  return index_.deleted_size(mailbox, out);
}

}  // namespace estafeta::store
