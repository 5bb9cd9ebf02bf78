// local_delivery: see local_delivery.hpp. One call writes the message file once into the
// first target's tmp/, fsyncs it, renames it into new/, hard-links it into every further
// target's new/ (copying when the link crosses file systems or is refused), then fsyncs each
// distinct new/ directory once. Notes:
//  - Identical targets (same Maildir and folder) are delivered once.
//  - Every name is unique per host (delivery_maildir.hpp), so rename() and link() never
//    replace an existing message.
//  - The new/ directories are fsynced after every file is in place, through GroupSync:
//    concurrent deliveries into the same mailbox share directory fsyncs (group commit).
//    The message file itself is fsynced by each call before its rename.
#include "delivery/local_delivery.hpp"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <string>
#include <unordered_set>
#include <vector>

#include "base/log.hpp"
#include "delivery/delivery_group_sync.hpp"
#include "delivery/delivery_headers.hpp"
#include "delivery/delivery_maildir.hpp"

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

// Writes all of `parts` to `fd`, resuming after short writes; bounded by the total size.
std::error_code write_all(int fd, std::vector<iovec> parts) {
  std::size_t i = 0;
  while (i < parts.size()) {
    int n = static_cast<int>(std::min<std::size_t>(parts.size() - i, IOV_MAX));
    ssize_t w = ::writev(fd, &parts[i], n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return last_error();
    }
    auto left = static_cast<std::size_t>(w);
    while (i < parts.size() && left >= parts[i].iov_len) {
      left -= parts[i].iov_len;
      ++i;
    }
    if (i < parts.size() && left > 0) {
      parts[i].iov_base = static_cast<char*>(parts[i].iov_base) + left;
      parts[i].iov_len -= left;
    }
  }
  return {};
}

// Creates `path` exclusively and writes `parts` into it, fsyncing when asked.
std::error_code write_file(const std::filesystem::path& path, const std::vector<iovec>& parts,
                           bool durable) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return last_error();
  std::error_code ec = write_all(fd, parts);
  if (!ec && durable && ::fsync(fd) != 0) ec = last_error();
  if (::close(fd) != 0 && !ec) ec = last_error();
  if (ec) ::unlink(path.c_str());
  return ec;
}

// Writes the file into dir/tmp/name and renames it to dir/new/name.
std::error_code write_into(const std::filesystem::path& dir, const std::string& name,
                           const std::vector<iovec>& parts, bool durable) {
  std::filesystem::path tmp = dir / "tmp" / name;
  std::filesystem::path dst = dir / "new" / name;
  if (auto ec = write_file(tmp, parts, durable)) return ec;
  if (::rename(tmp.c_str(), dst.c_str()) != 0) {
    std::error_code ec = last_error();
    ::unlink(tmp.c_str());
    return ec;
  }
  return {};
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

  // Delivered-To only for a single mailbox: the file is shared by hard links.
  const std::string header = trace_headers(
      return_path, dests.size() == 1 ? std::string_view(dests[0].target->address) : "");
  std::vector<iovec> parts;
  parts.push_back({const_cast<char*>(header.data()), header.size()});
  if (!message.empty()) parts.push_back({const_cast<char*>(message.data()), message.size()});
  const std::string name = maildir_unique_name(escaped_host_, header.size() + message.size());
  const bool durable = options_.fsync;

  std::filesystem::path first_new;
  for (const auto& d : dests) {
    if (d.folder) {
      // A Maildir++ folder lives inside its Maildir: make sure the root exists too.
      if (auto ec = maildir_ensure(d.target->maildir, false, durable)) return ec;
    }
    if (auto ec = maildir_ensure(d.dir, d.folder, durable)) {
      log::error("delivery", "cannot create Maildir {}: {}", d.dir.string(), ec.message());
      return ec;
    }
    std::filesystem::path dst = d.dir / "new" / name;
    if (first_new.empty()) {
      if (auto ec = write_into(d.dir, name, parts, durable)) {
        log::error("delivery", "cannot write {}: {}", dst.string(), ec.message());
        return ec;
      }
      first_new = dst;
    } else if (::link(first_new.c_str(), dst.c_str()) != 0) {
      int err = errno;
      if (err != EXDEV && err != EMLINK && err != EPERM) {
        std::error_code ec(err, std::generic_category());
        log::error("delivery", "cannot link {}: {}", dst.string(), ec.message());
        return ec;
      }
      // Another file system (or links refused): write a copy the same way.
      if (auto ec = write_into(d.dir, name, parts, durable)) {
        log::error("delivery", "cannot write {}: {}", dst.string(), ec.message());
        return ec;
      }
    }
  }
  if (durable) {
    for (const auto& d : dests) {
      if (auto ec = sync_->sync(d.dir / "new")) {
        log::error("delivery", "cannot fsync {}/new: {}", d.dir.string(), ec.message());
        return ec;
      }
    }
  }
  return {};
}

uint64_t LocalDelivery::directory_fsyncs() const {
  return sync_->fsyncs();
}

}  // namespace estafeta::delivery
