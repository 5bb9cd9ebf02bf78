// store_maildir_metadata: RFC 5464 METADATA in the embedded backend (MaildirAccount::metadata
// and set_metadata; see store.hpp). The index's `metadata` table answers; every change also
// rewrites the mailbox's estafeta-metadata file (the server's estafeta-server-metadata at the
// Maildir root), fsynced and renamed into place in the same index transaction, so that
// rebuild_index (which reads the files back) loses nothing. A mailbox's file lives in its
// folder directory: RENAME moves it, DELETE removes it with the folder. Memory: one
// mailbox's entries (at most kMaxMetadataEntries × kMaxMetadataValue octets).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

#include <fmt/format.h>

#include "base/base64.hpp"
#include "store/store_maildir_account.hpp"
#include "store/store_maildir_files.hpp"
#include "store/store_sqlite.hpp"

namespace estafeta::store {
namespace {

namespace fs = std::filesystem;

constexpr const char* kMetadataFile = "estafeta-metadata";
constexpr const char* kServerMetadataFile = "estafeta-server-metadata";

std::error_code errno_error() {
  return {errno, std::generic_category()};
}

}  // namespace

fs::path MaildirAccount::metadata_file(MailboxId id, const MailboxRow* row) const {
  return id == 0 || !row ? root_ / kServerMetadataFile : dir_of(*row) / kMetadataFile;
}

std::error_code MaildirAccount::write_metadata_file(MailboxId id, const MailboxRow* row) {
  std::vector<MetadataEntry> entries;
  if (auto ec = index_.metadata(id, entries)) return ec;
  const fs::path path = metadata_file(id, row);
  if (entries.empty()) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return errno_error();
    return fsync_ ? fsync_dir(path.parent_path()) : std::error_code();
  }
  std::string text;
  for (const MetadataEntry& e : entries)
    text += e.user + "\t" + e.name + "\t" + base64::encode(e.value) + "\n";
  fs::path tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return errno_error();
  std::error_code ec;
  if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    ec = errno_error();
  if (!ec && fsync_ && ::fsync(fd) != 0) ec = errno_error();
  ::close(fd);
  if (!ec && ::rename(tmp.c_str(), path.c_str()) != 0) ec = errno_error();
  if (!ec && fsync_) ec = fsync_dir(path.parent_path());
  return ec;
}

void MaildirAccount::read_metadata_file(MailboxId id, const MailboxRow* row, IndexReport& report) {
  std::ifstream in(metadata_file(id, row));
  std::string line;
  std::size_t n = 0;
  while (in && std::getline(in, line)) {
    std::size_t t1 = line.find('\t');
    std::size_t t2 = t1 == std::string::npos ? t1 : line.find('\t', t1 + 1);
    MetadataChange c;
    std::string value;
    if (t2 == std::string::npos || !base64::decode_strict(line.substr(t2 + 1), value) ||
        ++n > kMaxMetadataEntries) {
      report.problems.push_back(
          fmt::format("{}: metadata line skipped", metadata_file(id, row).string()));
      continue;
    }
    c.user = line.substr(0, t1);
    c.name = line.substr(t1 + 1, t2 - t1 - 1);
    c.value = std::move(value);
    index_.set_metadata(id, c);
  }
}

std::error_code MaildirAccount::metadata(MailboxId id, std::vector<MetadataEntry>& out) {
  std::lock_guard lock(mu_);
  out.clear();
  if (id != 0) {
    MailboxRow row;
    if (auto ec = index_.mailbox(id, row)) return ec;
  }
  return index_.metadata(id, out);
}

std::error_code MaildirAccount::set_metadata(MailboxId id,
                                             std::span<const MetadataChange> changes) {
  std::lock_guard lock(mu_);
  Transaction tx(index_.db());
  if (tx.begin_error()) return tx.begin_error();
  MailboxRow row;
  if (id != 0)
    if (auto ec = index_.mailbox(id, row)) return ec;
  for (const MetadataChange& c : changes)
    if (auto ec = index_.set_metadata(id, c)) return ec;
  std::size_t count = 0;
  if (auto ec = index_.metadata_count(id, count)) return ec;
  if (count > kMaxMetadataEntries) return Errc::too_many_metadata;  // rolled back
  if (auto ec = write_metadata_file(id, id != 0 ? &row : nullptr)) return ec;
  if (auto ec = tx.commit()) return ec;
  Changes notices;
  for (const MetadataChange& c : changes) {
    Change n{id, 0, Change::Kind::metadata, c.name};
    n.user = c.user;
    notices.push_back(std::move(n));
  }
  notify(notices);
  return {};
}

}  // namespace estafeta::store
