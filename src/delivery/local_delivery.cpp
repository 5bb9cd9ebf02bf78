// local_delivery: see local_delivery.hpp. One call streams the message into an unnamed file
// (O_TMPFILE) in the first target's new/, fsyncs it and links it into every target's new/
// through /proc/self/fd (copying when the link crosses file systems or is refused), then
// fsyncs each distinct new/ directory once. Where O_TMPFILE or /proc is missing it writes
// the first target's tmp/<base>, hard-links that into every further target's new/ and
// renames it into the first one's new/. Notes:
//  - Identical targets (same Maildir and folder) are delivered once.
//  - The final name is "<base>,S=<size>"; base names are unique per host, so rename() and
//    link() never replace an existing message.
//  - Links come from the file in tmp/, which no Maildir reader touches; a failure part-way
//    unlinks every copy made by this call before returning the error.
//  - The new/ directories are fsynced after every file is in place, through GroupSync:
//    concurrent deliveries into the same mailbox share directory fsyncs (group commit).
#include "delivery/local_delivery.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <string>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>

#include "base/fault_injection.hpp"
#include "base/log.hpp"
#include "delivery/delivery_group_sync.hpp"
#include "delivery/delivery_headers.hpp"
#include "delivery/delivery_maildir.hpp"
#include "delivery/delivery_return_path_filter.hpp"

namespace estafeta::delivery {

namespace {

std::error_code last_error() {
  return {errno, std::generic_category()};
}

std::string system_hostname() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

std::error_code write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t w = ::write(fd, data.data(), data.size());
    if (w < 0) {
      if (errno == EINTR) continue;
      return last_error();
    }
    data.remove_prefix(static_cast<std::size_t>(w));
  }
  return {};
}

constexpr std::size_t kBlock = 64 * 1024;

// Streams header + Received + data (Return-Path fields removed) into a new file `path`;
// returns its size in `size`. The file is removed on failure.
// Streams header + Received + data (Return-Path fields removed) into `fd`, fsyncing when
// asked; returns the size written in `size`.
std::error_code write_content(int fd, std::string_view header, const MessageSource& src,
                              bool durable, std::uint64_t& size) {
  std::error_code ec;
  std::string out;
  out.reserve(kBlock + header.size() + src.received.size());
  out.append(header);
  out.append(src.received);
  size = 0;
  ReturnPathFilter filter;
  std::string block;
  std::uint64_t pos = 0;
  while (!ec && pos < src.length) {
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(kBlock, src.length - pos));
    std::string_view chunk;
    if (src.fd >= 0) {
      block.resize(want);
      ssize_t n = ::pread(src.fd, block.data(), want, static_cast<off_t>(src.offset + pos));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ec = n < 0 ? last_error() : std::make_error_code(std::errc::io_error);
        break;
      }
      chunk = std::string_view(block.data(), static_cast<std::size_t>(n));
    } else {
      chunk = src.bytes.substr(static_cast<std::size_t>(pos), want);
    }
    pos += chunk.size();
    filter.feed(chunk, out);
    if (pos >= src.length) filter.finish(out);
    if (out.size() >= kBlock) {
      ec = write_all(fd, out);
      size += out.size();
      out.clear();
    }
  }
  if (src.length == 0) filter.finish(out);
  if (!ec && !out.empty()) {
    ec = write_all(fd, out);
    size += out.size();
  }
  if (!ec && durable && ::fsync(fd) != 0) ec = last_error();
  return ec;
}

// Streams the message into a new file `path` (see write_content); removed on failure.
std::error_code write_message(const std::filesystem::path& path, std::string_view header,
                              const MessageSource& src, bool durable, std::uint64_t& size) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EEXIST) {
    // Our own leftover from a crash (the name comes from the spool record): never truncate
    // it, it may be linked into another mailbox already; unlink it and start afresh.
    ::unlink(path.c_str());
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  }
  if (fd < 0) return last_error();
  std::error_code ec = write_content(fd, header, src, durable, size);
  if (::close(fd) != 0 && !ec) ec = last_error();
  if (ec) ::unlink(path.c_str());
  return ec;
}

}  // namespace

LocalDelivery::LocalDelivery(DeliveryOptions options)
    : options_(std::move(options)), sync_(std::make_shared<GroupSync>()) {
  if (options_.hostname.empty()) options_.hostname = system_hostname();
  escaped_host_ = maildir_escape_host(options_.hostname);
}

std::error_code LocalDelivery::deliver(std::string_view return_path,
                                       std::span<const auth::MailboxTarget> targets,
                                       std::string_view message) {
  MessageSource src;
  src.bytes = message;
  src.length = message.size();
  return deliver(return_path, targets, src, maildir_base_name(escaped_host_), false);
}

std::error_code LocalDelivery::deliver(std::string_view return_path,
                                       std::span<const auth::MailboxTarget> targets,
                                       const MessageSource& source, std::string_view base_name,
                                       bool skip_existing, bool defer_sync,
                                       std::vector<std::filesystem::path>* synced_dirs) {
  if (options_.store)
    return deliver_to_store(return_path, targets, source, base_name, defer_sync, synced_dirs);
  std::error_code ec =
      deliver_once(return_path, targets, source, base_name, skip_existing, defer_sync, synced_dirs);
  // A Maildir removed behind our back (it was known complete): the failure made us forget it,
  // so once more checks and re-creates it.
  if (ec == std::errc::no_such_file_or_directory)
    ec = deliver_once(return_path, targets, source, base_name, skip_existing, defer_sync,
                      synced_dirs);
  return ec;
}

// Through the store: one deliver() per distinct mailbox, each with its own Delivered-To.
// A failure part-way leaves the mailboxes already done as they are: their delivery keys
// make the retry skip them, so nothing is duplicated.
std::error_code LocalDelivery::deliver_to_store(std::string_view return_path,
                                                std::span<const auth::MailboxTarget> targets,
                                                const MessageSource& source,
                                                std::string_view base_name, bool defer_sync,
                                                std::vector<std::filesystem::path>* synced_dirs) {
  std::unordered_set<std::string> seen;
  bool first = true;
  std::error_code full;  // the first over_quota, returned once the others are done
  for (const auth::MailboxTarget& t : targets) {
    // A Maildir++ folder name uses '.' between levels; the store's names use '/'.
    std::string mailbox = t.folder;
    std::replace(mailbox.begin(), mailbox.end(), '.', '/');
    if (!seen.insert(t.user + '\0' + mailbox).second) continue;
    if (!first) fault::point("delivery-between-mailboxes");
    first = false;
    std::shared_ptr<store::Account> account;
    if (auto ec = options_.store->account(t.user, account)) {
      log::error("delivery", "cannot open the mailboxes of {}: {}", t.user, ec.message());
      return ec;
    }
    const std::string prefix = trace_headers(return_path, t.address) + std::string(source.received);
    store::NewMessage m;
    m.prefix = prefix;
    m.fd = source.fd;
    m.offset = source.offset;
    m.length = source.length;
    m.bytes = source.bytes;
    auto filter = std::make_shared<ReturnPathFilter>();
    m.filter = [filter](std::string_view in, bool last, std::string& out) {
      if (!in.empty()) filter->feed(in, out);
      if (last) filter->finish(out);
    };
    // The key names this message in this mailbox: a redelivery after a crash finds it.
    const std::string key = std::string(base_name) + '/' + mailbox;
    store::AppendResult r;
    if (auto ec = account->deliver(mailbox, m, key, defer_sync, r); ec == store::Errc::over_quota) {
      // RFC 9208 limits: this mailbox waits (the spool retries the message), the others of
      // the message are still delivered now; the retry skips them by their keys.
      log::info("delivery", "{} to {}: over quota, deferred", base_name, t.user);
      if (!full) full = ec;
      continue;
    } else if (ec) {
      log::error("delivery", "cannot deliver {} to {} ({}): {}", base_name, t.user,
                 mailbox.empty() ? "INBOX" : mailbox, ec.message());
      return ec;
    }
    if (r.existing)
      log::info("delivery", "{} ({}) already holds {}: not delivered again", t.user,
                mailbox.empty() ? "INBOX" : mailbox, base_name);
    if (synced_dirs) synced_dirs->push_back(t.maildir);
  }
  return full;
}

std::error_code LocalDelivery::deliver_once(std::string_view return_path,
                                            std::span<const auth::MailboxTarget> targets,
                                            const MessageSource& source, std::string_view base_name,
                                            bool skip_existing, bool defer_sync,
                                            std::vector<std::filesystem::path>* synced_dirs) {
  // Distinct destination directories, in order of first appearance.
  struct Dest {
    std::filesystem::path dir;
    bool folder;
    const auth::MailboxTarget* target;
  };
  std::vector<Dest> dests;
  std::unordered_set<std::string> seen;
  for (const auto& t : targets) {
    std::filesystem::path dir = t.folder.empty() ? t.maildir : t.maildir / ("." + t.folder);
    if (seen.insert(dir.string()).second) dests.push_back({std::move(dir), !t.folder.empty(), &t});
  }
  if (dests.empty()) return {};
  const std::string base(base_name);
  // Delivered-To only for a single mailbox: the file is shared by hard links. Decided on
  // every mailbox of the message, so a redelivery writes the same bytes.
  const std::string header = trace_headers(
      return_path, dests.size() == 1 ? std::string_view(dests[0].target->address) : "");
  const bool durable = options_.fsync && !defer_sync;

  std::vector<const Dest*> todo;
  for (const auto& d : dests) {
    if (skip_existing && maildir_has_message(d.dir, base)) {
      log::info("delivery", "{} already holds {}: not delivered again", d.dir.string(), base);
      continue;
    }
    if (!known_maildir(d.dir)) {
      if (d.folder) {
        // A Maildir++ folder lives inside its Maildir: make sure the root exists too.
        if (auto ec = maildir_ensure(d.target->maildir, false, durable)) return ec;
      }
      if (auto ec = maildir_ensure(d.dir, d.folder, durable)) {
        log::error("delivery", "cannot create Maildir {}: {}", d.dir.string(), ec.message());
        return ec;
      }
      remember_maildir(d.dir, true);
    }
    todo.push_back(&d);
  }
  if (todo.empty()) return {};

  // Every file is in place: make the new/ directories durable (or leave that to the caller).
  auto finish = [&]() -> std::error_code {
    if (synced_dirs)
      for (const Dest* d : todo) synced_dirs->push_back(d->dir);
    if (durable) {
      for (const Dest* d : todo) {
        if (auto ec = sync_->sync(d->dir / "new")) {
          log::error("delivery", "cannot fsync {}/new: {}", d->dir.string(), ec.message());
          return ec;
        }
      }
    }
    return {};
  };

  // Preferred: an unnamed file (O_TMPFILE) in the first mailbox's new/, linked complete into
  // every mailbox's new/: one directory operation per mailbox, nothing ever half-written under
  // a name, and no name in tmp/ that a crash could leave behind.
  std::vector<std::filesystem::path> made;
  int anon = options_.unnamed_files
                 ? ::open((todo[0]->dir / "new").c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600)
                 : -1;
  if (anon >= 0) {
    std::uint64_t size = 0;
    std::error_code ec = write_content(anon, header, source, durable, size);
    const std::string name = fmt::format("{},S={}", base, size);
    const std::string proc = fmt::format("/proc/self/fd/{}", anon);
    bool fallback = false;
    for (std::size_t i = 0; !ec && i < todo.size(); ++i) {
      std::filesystem::path dst = todo[i]->dir / "new" / name;
      if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, dst.c_str(), AT_SYMLINK_FOLLOW) == 0) {
        made.push_back(dst);
      } else if (i == 0 && (errno == ENOENT || errno == EPERM)) {
        fallback = true;  // no /proc (a chroot) or links refused: the tmp/ way below
        break;
      } else if (errno == EXDEV || errno == EMLINK || errno == EPERM) {
        std::filesystem::path copy_tmp = todo[i]->dir / "tmp" / base;
        std::uint64_t copy_size = 0;
        ec = write_message(copy_tmp, header, source, durable, copy_size);
        if (!ec && ::rename(copy_tmp.c_str(), dst.c_str()) != 0) {
          ec = last_error();
          ::unlink(copy_tmp.c_str());
        }
        if (!ec) made.push_back(dst);
      } else {
        ec = last_error();
      }
      if (!ec && i + 1 < todo.size()) fault::point("delivery-between-mailboxes");
    }
    ::close(anon);
    if (ec) {
      log::error("delivery", "cannot deliver {} into {}: {}; removing the {} copies already made",
                 name, todo[0]->dir.string(), ec.message(), made.size());
      for (const auto& p : made) ::unlink(p.c_str());
      for (const Dest* d : todo) remember_maildir(d->dir, false);  // check them again next time
      return ec;
    }
    if (!fallback) return finish();
  }

  const std::filesystem::path tmp = todo[0]->dir / "tmp" / base;
  std::uint64_t size = 0;
  if (auto ec = write_message(tmp, header, source, durable, size)) {
    log::error("delivery", "cannot write {}: {}", tmp.string(), ec.message());
    remember_maildir(todo[0]->dir, false);
    return ec;
  }
  const std::string name = fmt::format("{},S={}", base, size);
  auto undo = [&](std::error_code ec, const std::filesystem::path& where, const char* what) {
    log::error("delivery", "cannot {} {}: {}; removing the {} copies already made", what,
               where.string(), ec.message(), made.size());
    for (const auto& p : made) ::unlink(p.c_str());
    ::unlink(tmp.c_str());
    for (const Dest* d : todo) remember_maildir(d->dir, false);
    return ec;
  };
  for (std::size_t i = 1; i < todo.size(); ++i) {
    std::filesystem::path dst = todo[i]->dir / "new" / name;
    if (::link(tmp.c_str(), dst.c_str()) == 0) {
      made.push_back(dst);
    } else {
      int err = errno;
      if (err != EXDEV && err != EMLINK && err != EPERM)
        return undo(std::error_code(err, std::generic_category()), dst, "link");
      // Another file system (or links refused): write a copy the same way.
      std::filesystem::path copy_tmp = todo[i]->dir / "tmp" / base;
      std::uint64_t copy_size = 0;
      if (auto ec = write_message(copy_tmp, header, source, durable, copy_size))
        return undo(ec, copy_tmp, "write");
      if (::rename(copy_tmp.c_str(), dst.c_str()) != 0) {
        std::error_code ec = last_error();
        ::unlink(copy_tmp.c_str());
        return undo(ec, dst, "rename into");
      }
      made.push_back(dst);
    }
    fault::point("delivery-between-mailboxes");
  }
  std::filesystem::path first = todo[0]->dir / "new" / name;
  if (::rename(tmp.c_str(), first.c_str()) != 0) return undo(last_error(), first, "rename into");
  return finish();
}

bool LocalDelivery::known_maildir(const std::filesystem::path& dir) const {
  std::lock_guard lock(known_mutex_);
  return known_.count(dir.string()) != 0;
}

void LocalDelivery::remember_maildir(const std::filesystem::path& dir, bool known) {
  std::lock_guard lock(known_mutex_);
  if (!known) {
    known_.erase(dir.string());
    return;
  }
  if (known_.size() >= kMaxKnownMaildirs) known_.clear();
  known_.insert(dir.string());
}

std::error_code LocalDelivery::sync_filesystems(const std::vector<std::filesystem::path>& all) {
  std::vector<std::filesystem::path> dirs(all);
  std::sort(dirs.begin(), dirs.end());
  dirs.erase(std::unique(dirs.begin(), dirs.end()), dirs.end());
  std::vector<dev_t> done;
  for (const auto& dir : dirs) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return last_error();
    struct stat st {};
    std::error_code ec;
    if (::fstat(fd, &st) != 0) {
      ec = last_error();
    } else if (std::find(done.begin(), done.end(), st.st_dev) == done.end()) {
      if (::syncfs(fd) != 0) ec = last_error();
      done.push_back(st.st_dev);
    }
    ::close(fd);
    if (ec) return ec;
  }
  return {};
}

uint64_t LocalDelivery::directory_fsyncs() const {
  return sync_->fsyncs();
}

}  // namespace estafeta::delivery
