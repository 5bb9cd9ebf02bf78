// delivery_group_sync: group commit for directory fsyncs. Concurrent deliveries into the same
// Maildir each rename a file into new/ and must then fsync new/ before acknowledging. One
// fsync that starts after a rename covers it, so callers queue on the directory: the first
// becomes the leader and fsyncs; everyone whose rename happened before that fsync started is
// done when it ends; later arrivals elect the next leader. N concurrent deliveries into one
// mailbox cost about two directory fsyncs instead of N.
// Safety: a caller returns success only after an fsync that started after its call began
// succeeded. If any fsync of a directory fails, every caller waiting on that directory at the
// time (and any that join before the waiters drain) gets the error: false failures (the
// client retries) are possible, false successes are not. A caller in no hurry (background
// work whose durability nobody waits on) may linger: it waits up to that long for a sync
// someone else starts, and runs one itself only if none came, so that one flush serves both.
// Memory: one small entry per directory with callers in flight, removed when the last
// leaves. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <unordered_map>

namespace estafeta::delivery {

class GroupSync {
 public:
  enum class Mode {
    directory,    // fsync of the directory: its entries (renames, links) are durable
    file_system,  // syncfs() of the file system holding it: every write to it so far is
                  // durable with a single flush, however many files (the spool's commits)
  };
  // Syncs `dir` (or joins a sync of it that starts after this call). Blocks. With a linger,
  // first waits up to that long for another caller's sync to start and cover this one.
  std::error_code sync(const std::filesystem::path& dir, Mode mode = Mode::directory,
                       std::chrono::milliseconds linger = std::chrono::milliseconds(0));
  // For a caller that needs only its own open file `fd` (in `dir`'s file system) durable, as
  // a spool commit: when nobody else is syncing `dir` or waiting for it, fdatasync(fd) alone
  // (that file's pages only: no file-system-wide writeback, whose hand-off to the flusher
  // thread and whose unrelated dirty data a lone commit would wait for); otherwise it joins
  // the group as sync(dir, Mode::file_system) does, so that concurrent commits still share
  // one flush. A caller arriving during a lone fdatasync starts a group sync of its own.
  std::error_code sync_file(const std::filesystem::path& dir, int fd);
  // fsync system calls made so far (for tests and statistics).
  uint64_t fsyncs() const;

 private:
  struct Entry {
    std::mutex m;
    std::condition_variable cv;
    uint64_t requested = 0;  // tickets handed out
    uint64_t done = 0;       // every ticket <= done is covered by a finished fsync
    bool running = false;
    std::error_code error;  // sticky while the entry lives
    int users = 0;          // guarded by GroupSync::mutex_
  };

  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<Entry>> entries_;
  uint64_t fsyncs_ = 0;  // guarded by mutex_
};

}  // namespace estafeta::delivery
