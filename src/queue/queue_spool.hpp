// queue_spool: the durable spool, the one place a received message lives between the 250
// and its deliveries (local now, remote with the outbound queue). One file per message in
// <data_dir>/spool/, laid out as queue_record.hpp says: data streamed in as it is received,
// then the envelope record and its trailer. A message is committed (and may be acknowledged)
// once commit() returned: data, record and trailer written, the file synced.
//
// One fsync per message, and a cheap one: spool files are slots that are used again. Each was
// created once, filled with kSlotSize zero octets and made durable (file and directory) off
// the critical path; a message overwrites a free slot in place, so committing it needs one
// sync that writes data blocks only (no allocation, no size change, no directory entry: on
// ext4 without a journal that is a third of the time of a fresh file). A commit that is alone
// fdatasyncs its own file (no file-system-wide writeback to wait for); concurrent commits
// share one syncfs() of the spool's file system, which covers every commit written before it
// began (group commit, as GroupSync does for directories) and the Maildir files delivered
// since the last one: local delivery lingers for the next such flush instead of paying its
// own at once (sync_file_system), so under load a message costs one flush, not two. After delivery
// the slot's trailer is zeroed and the slot goes back to the reserve. When the reserve is empty a
// slot is created on the spot and the directory fsynced (shared with concurrent callers). Recovery:
// open() sorts what it finds: committed entries (a trailer whose MAC verifies under the spool key
// and data matching the record's CRC) are returned for delivery, everything else (free slots,
// messages never acknowledged) joins the reserve.
//
// Blocking (file I/O, fsync): call from worker threads. Thread-safe. Trust: the spool
// directory is ours (mode 0700); files read back are still parsed defensively. Memory: the
// reserve list and, per Writer, nothing but its file descriptor.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
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
  std::filesystem::path dir;    // <data_dir>/spool
  bool fsync = true;            // delivery.fsync: never off in production
  std::size_t reserve = 16;     // free slots kept ready (topped up when half are taken)
  std::size_t max_free = 1024;  // free slots kept at most; more are removed
};

// The size a slot is made with (a larger message grows its slot, which then stays larger).
inline constexpr std::size_t kSlotSize = 64 * 1024;

// A committed spool entry as read back.
struct SpoolEntry {
  std::string name;  // file name inside the spool directory
  SpoolEnvelope envelope;
  std::uint64_t file_size = 0;
  // The message data exactly as committed, when the session still had all of it in memory
  // (a small message with remote recipients; see kInMemoryData): the outbound queue's first
  // attempt sends it from here instead of reading the spool back. Null otherwise.
  std::shared_ptr<const std::string> data;
};

// Messages up to this size are handed to the outbound queue with their data (SpoolEntry::data).
inline constexpr std::size_t kInMemoryData = 64 * 1024;

class Spool;

// One message being received. Not thread-safe (one session uses it, one call at a time, from
// any worker). Destroying an uncommitted writer frees its slot.
class SpoolWriter {
 public:
  ~SpoolWriter();
  SpoolWriter(const SpoolWriter&) = delete;
  SpoolWriter& operator=(const SpoolWriter&) = delete;

  // Appends message data (page cache only; no fsync).
  std::error_code append(std::string_view data);
  std::uint32_t data_crc() const { return crc_; }
  // Writes the record (data_length is filled in here) and trailer, then syncs (its own
  // fdatasync when alone, else a shared syncfs: GroupSync::sync_file).
  // After success the entry is durable and named name(). Data with octets >= 0x80 gets body
  // "8BITMIME" unless the client said BINARYMIME: clients that send 8-bit text without
  // BODY=8BITMIME (sendmail, PHP, swaks, msmtp) are common, and the outbound queue must know,
  // to declare it or downgrade it for a next hop without 8BITMIME (RFC 6152 §3).
  std::error_code commit(SpoolEnvelope& envelope);
  // Gives the slot back (a message that was refused or abandoned); a slot whose writes failed
  // is removed instead.
  void discard();
  const std::string& name() const { return name_; }
  std::uint64_t size() const { return size_; }
  bool committed() const { return committed_; }

 private:
  friend class Spool;
  SpoolWriter(Spool& spool, std::string name, int fd, std::uint64_t capacity)
      : spool_(spool), name_(std::move(name)), fd_(fd), capacity_(capacity) {}
  Spool& spool_;
  std::string name_;
  int fd_ = -1;
  std::uint64_t capacity_ = 0;  // the slot's size when taken
  std::uint64_t size_ = 0;
  std::uint32_t crc_ = 0;
  bool eight_bit_ = false;  // an appended octet >= 0x80
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
  // For readers that do not open() (estafeta queue list): reads the spool key. A spool with
  // no key yet has no committed entries.
  std::error_code read_key();
  // A writer for a new message, from the reserve or a fresh file.
  std::unique_ptr<SpoolWriter> begin(std::error_code& ec);
  // Reads a committed entry back.
  std::optional<SpoolEntry> load(const std::string& name, std::string& error) const;
  // Every committed entry now in the spool (for `estafeta queue list`); unreadable files are
  // reported in `errors`.
  std::vector<SpoolEntry> list(std::vector<std::string>& errors) const;
  // Appends a new record (per-recipient state) to an entry and fdatasyncs it.
  std::error_code update(const std::string& name, const SpoolEnvelope& envelope);
  // An entry whose recipients are all done: its trailer is zeroed and the slot is free again
  // (no fsync: a crash before that is durable only leads to a redelivery that finds the
  // message already in its mailboxes). A slot a large message grew is cut back to kSlotSize;
  // past max_free slots the file is removed instead.
  void release(const std::string& name);
  // Removes an entry outright.
  std::error_code remove(const std::string& name);
  // Tops the reserve up (creates files, one directory fsync). Called in the background.
  std::error_code replenish();
  // True when the reserve ran low and nobody is topping it up yet; the caller should then
  // run replenish() on a worker. Marks a top-up as in progress.
  bool claim_replenish();

  const std::filesystem::path& dir() const { return options_.dir; }
  // Makes every write to the spool's file system made before this call durable: joins the
  // syncfs of a commit, waiting up to `linger` for one to start before running its own (local
  // delivery's Maildir files thus ride on the next concurrent commits' flush; a commit alone
  // joins this sync when one is waiting). Blocks.
  std::error_code sync_file_system(std::chrono::milliseconds linger);
  // True when `dir` lives on the spool's file system (so sync_file_system() covers it).
  bool same_file_system(const std::filesystem::path& dir) const;
  std::size_t reserve_size() const;
  std::uint64_t directory_fsyncs() const;

 private:
  friend class SpoolWriter;
  std::string new_name();
  std::filesystem::path path(const std::string& name) const { return options_.dir / name; }
  std::error_code load_key();       // reads the key, or makes one
  std::error_code load_key_file();  // reads the key
  // Creates a slot of kSlotSize zero octets (file fdatasynced, directory not).
  std::error_code make_slot(const std::string& name);
  void free_slot(std::string name);

  SpoolOptions options_;
  std::shared_ptr<delivery::GroupSync> sync_;
  mutable std::mutex mutex_;
  std::vector<std::string> reserve_;
  bool replenishing_ = false;
  std::atomic<std::uint64_t> counter_{0};
  std::string salt_;
  dev_t device_ = 0;  // of the spool directory, once open() made it
  SpoolKey key_{};
};

// Reads the committed record of an open spool file of `size` octets, checking the trailer's
// MAC under `key` and, when `check_data`, the data's CRC.
std::optional<SpoolEnvelope> read_committed(int fd, std::uint64_t size, const SpoolKey& key,
                                            bool check_data, std::string& error);

}  // namespace estafeta::queue
