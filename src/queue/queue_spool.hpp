// queue_spool: the durable spool, the one place a received message lives between the 250
// and its deliveries (local now, remote with the outbound queue). One file per message in
// <data_dir>/spool/, laid out as queue_record.hpp says: data streamed in as it is received,
// then the envelope record and its trailer. A message is committed (and may be acknowledged)
// once commit() returned: data, record and trailer written, the file fdatasynced.
//
// One fsync per message: the spool keeps a reserve of empty files whose directory entries are
// already durable (created and the directory fsynced ahead of time, off the critical path), so
// committing a message needs only the file's own fdatasync. When the reserve is empty a file
// is created on the spot and the directory fsynced (shared with concurrent callers).
// Recovery: open() sorts what it finds: committed entries (valid trailer and record) are
// returned for delivery, empty files go back to the reserve, anything else was never
// acknowledged and is removed.
//
// Blocking (file I/O, fsync): call from worker threads. Thread-safe. Trust: the spool
// directory is ours (mode 0700); files read back are still parsed defensively. Memory: the
// reserve list and, per Writer, nothing but its file descriptor.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "queue/proto/queue_record.hpp"

namespace estafeta::delivery {
class GroupSync;
}

namespace estafeta::queue {

struct SpoolOptions {
  std::filesystem::path dir;  // <data_dir>/spool
  bool fsync = true;          // delivery.fsync: never off in production
  std::size_t reserve = 64;   // empty files kept ready
};

// A committed spool entry as read back.
struct SpoolEntry {
  std::string name;  // file name inside the spool directory
  SpoolEnvelope envelope;
  std::uint64_t file_size = 0;
};

class Spool;

// One message being received. Not thread-safe (one session uses it, one call at a time, from
// any worker). Destroying an uncommitted writer discards its file.
class SpoolWriter {
 public:
  ~SpoolWriter();
  SpoolWriter(const SpoolWriter&) = delete;
  SpoolWriter& operator=(const SpoolWriter&) = delete;

  // Appends message data (page cache only; no fsync).
  std::error_code append(std::string_view data);
  // Writes the record (data_length is filled in here) and trailer, fdatasyncs. After
  // success the entry is durable and named name().
  std::error_code commit(SpoolEnvelope& envelope);
  // Drops the file (a message that was refused or abandoned).
  void discard();
  const std::string& name() const { return name_; }
  std::uint64_t size() const { return size_; }
  bool committed() const { return committed_; }

 private:
  friend class Spool;
  SpoolWriter(Spool& spool, std::string name, int fd)
      : spool_(spool), name_(std::move(name)), fd_(fd) {}
  Spool& spool_;
  std::string name_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
  bool committed_ = false;
  bool failed_ = false;
};

class Spool {
 public:
  explicit Spool(SpoolOptions options);
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  // Creates the directory if needed and sorts its contents (see the file comment).
  // Committed entries found are appended to `recovered`.
  std::error_code open(std::vector<SpoolEntry>& recovered);
  // A writer for a new message, from the reserve or a fresh file.
  std::unique_ptr<SpoolWriter> begin(std::error_code& ec);
  // Reads a committed entry back.
  std::optional<SpoolEntry> load(const std::string& name, std::string& error) const;
  // Every committed entry now in the spool (for `estafeta queue list`); unreadable files are
  // reported in `errors`.
  std::vector<SpoolEntry> list(std::vector<std::string>& errors) const;
  // Appends a new record (per-recipient state) to an entry and fdatasyncs it.
  std::error_code update(const std::string& name, const SpoolEnvelope& envelope);
  // Removes an entry whose recipients are all done.
  std::error_code remove(const std::string& name);
  // Tops the reserve up (creates files, one directory fsync). Called in the background.
  std::error_code replenish();
  // True when the reserve ran low and nobody is topping it up yet; the caller should then
  // run replenish() on a worker. Marks a top-up as in progress.
  bool claim_replenish();

  const std::filesystem::path& dir() const { return options_.dir; }
  std::size_t reserve_size() const;
  std::uint64_t directory_fsyncs() const;

 private:
  friend class SpoolWriter;
  std::string new_name();
  std::filesystem::path path(const std::string& name) const { return options_.dir / name; }

  SpoolOptions options_;
  std::shared_ptr<delivery::GroupSync> sync_;
  mutable std::mutex mutex_;
  std::vector<std::string> reserve_;
  bool replenishing_ = false;
  std::atomic<std::uint64_t> counter_{0};
  std::string salt_;
};

// Reads the committed record of an open spool file of `size` octets.
std::optional<SpoolEnvelope> read_committed(int fd, std::uint64_t size, std::string& error);

}  // namespace estafeta::queue
