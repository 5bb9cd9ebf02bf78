// delivery_group_sync: see delivery_group_sync.hpp.
#include "delivery/delivery_group_sync.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "delivery/delivery_maildir.hpp"

namespace estafeta::delivery {

namespace {

std::error_code syncfs_of(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return {errno, std::generic_category()};
  std::error_code ec;
  if (::syncfs(fd) != 0) ec = {errno, std::generic_category()};
  ::close(fd);
  return ec;
}

}  // namespace

std::error_code GroupSync::sync(const std::filesystem::path& dir, Mode mode,
                                std::chrono::milliseconds linger) {
  const auto linger_until = std::chrono::steady_clock::now() + linger;
  const std::string key = (mode == Mode::directory ? "d:" : "f:") + dir.string();
  std::shared_ptr<Entry> e;
  {
    std::lock_guard lock(mutex_);
    auto& slot = entries_[key];
    if (!slot) slot = std::make_shared<Entry>();
    e = slot;
    ++e->users;
  }
  std::error_code result;
  {
    std::unique_lock lock(e->m);
    const uint64_t ticket = ++e->requested;  // our rename happened before this point
    // Each pass either finishes (covered) or runs one fsync; a waiter is covered by the
    // second fsync after it queued at the latest, so this loop ends.
    while (true) {
      if (e->done >= ticket) {
        result = e->error;
        break;
      }
      if (!e->running && linger.count() > 0 && std::chrono::steady_clock::now() < linger_until) {
        // In no hurry: a sync another caller starts meanwhile covers this ticket too.
        e->cv.wait_until(lock, linger_until);
        continue;
      }
      if (!e->running) {
        e->running = true;
        const uint64_t batch = e->requested;  // every ticket so far is covered by this fsync
        lock.unlock();
        std::error_code ec = mode == Mode::directory ? fsync_directory(dir) : syncfs_of(dir);
        {
          std::lock_guard g(mutex_);
          ++fsyncs_;
        }
        lock.lock();
        if (ec) e->error = ec;
        e->done = batch;
        e->running = false;
        e->cv.notify_all();
        continue;
      }
      e->cv.wait(lock);
    }
  }
  {
    std::lock_guard lock(mutex_);
    if (--e->users == 0) entries_.erase(key);
  }
  return result;
}

std::error_code GroupSync::sync_file(const std::filesystem::path& dir, int fd) {
  const std::string key = "f:" + dir.string();
  std::shared_ptr<Entry> e;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    if (it != entries_.end()) e = it->second;
  }
  bool alone = false;
  if (!e) {
    alone = true;  // nobody syncs this file system or waits for it
  } else {
    std::lock_guard lock(e->m);
    alone = !e->running && e->requested == e->done;
  }
  if (!alone) return sync(dir, Mode::file_system);
  std::error_code ec;
  if (::fdatasync(fd) != 0) ec = {errno, std::generic_category()};
  std::lock_guard lock(mutex_);
  ++fsyncs_;
  return ec;
}

uint64_t GroupSync::fsyncs() const {
  std::lock_guard lock(mutex_);
  return fsyncs_;
}

}  // namespace estafeta::delivery
