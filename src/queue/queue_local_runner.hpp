// queue_local_runner: local delivery from the spool. Each committed entry is handed to the
// worker pool, delivered into the Maildirs its local recipients resolved to when it was
// accepted (delivery::LocalDelivery, one file hard-linked into every mailbox), and removed
// from the spool once every mailbox holds it durably. A failed delivery (disk full, a
// permission problem) marks the recipients deferred with the reason, appends that state to
// the spool record and retries later with a growing delay (delivery.retry_interval, default
// 1 minute, then 5, 15, 30 minutes, then hourly).
//
// Exactly once across crashes: the Maildir file name of a message is chosen when it is
// spooled and kept in its record; entries found at start-up (and every retry) are delivered
// with skip_existing, so a mailbox that already got the message before the crash is left
// alone and only the missing ones are written. An entry is released (its spool slot freed)
// only after its files and directories were fsynced; a crash before the release is durable
// only repeats that check.
//
// Group commit (when constructed with group_sync): deliveries write their Maildir files
// without an fsync each and join a batch; one thread makes each batch durable with one
// syncfs() per file system (a single flush instead of two fsyncs per message), then releases
// the batch's spool slots. When the Maildirs share the spool's file system, that syncfs is
// the next spool commit's (waited for up to kSyncLinger, run by the thread only if no
// message arrives meanwhile): one flush per message in all. The spool, not the Maildir, is
// what the 250 promised, so this adds no risk: an entry stays in the spool until a syncfs
// that began after its files were written returned.
//
// SUCCESS notices (RFC 3461 §5.2.2): a local recipient whose NOTIFY asks for SUCCESS gets its
// sender a "delivered" report once the message is durably in its mailboxes, through the
// set_notices() hook (queue_bounce.hpp builds it; RET decides how much of the message goes
// back). The original is read from the spool before its slot is released.
//
// Encryption at rest (set_encryption(), delivery_encryption.hpp): a mailbox whose user has
// published an S/MIME certificate gets its own copy, encrypted to it; the others share the
// plain one. A copy that cannot be encrypted (a certificate expired since it was published,
// a message over the S/MIME size bound) is delivered as it is, with a warning in the log:
// mail is never held back or lost for it.
//
// Remote recipients: once the local ones are delivered, an entry with remote recipients
// still to do goes to the outbound queue through the set_remote() hook (recovered entries
// whose local part is already done go there at start, through the same path).
//
// Thread-safe. Blocking work runs through `post` (the worker pool); one small thread sleeps
// until the next retry is due, one more runs the group syncs. Memory: one map entry per
// deferred message, one batch entry per delivered message waiting for its sync.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "delivery/delivery_encryption.hpp"
#include "delivery/local_delivery.hpp"
#include "queue/queue_spool.hpp"

namespace estafeta::queue {

class LocalRunner {
 public:
  using Post = std::function<void(std::function<void()>)>;

  // `retry_interval` (delivery.retry_interval) is the first retry's delay.
  LocalRunner(Spool& spool, delivery::LocalDelivery& delivery, Post post,
              std::chrono::seconds retry_interval = std::chrono::seconds(60),
              bool group_sync = false);
  ~LocalRunner();
  LocalRunner(const LocalRunner&) = delete;
  LocalRunner& operator=(const LocalRunner&) = delete;

  // Hands an entry whose local recipients are all done, and which still has remote ones
  // pending or deferred, to the outbound queue (queue::RemoteRunner::submit), which owns it
  // from then on: this runner neither writes its record again nor releases it. Set before
  // start(). Without it, remote recipients stay pending in the spool.
  void set_remote(std::function<void(SpoolEntry)> hand_over);
  // Spools a notice (mail_from "", rcpt the original sender, the message): see the file
  // comment. `hostname` names the reporting MTA. Set before start().
  using Inject = std::function<std::error_code(const std::string& mail_from,
                                               const std::string& rcpt, std::string message)>;
  void set_notices(Inject inject, std::string hostname);
  // Encrypts the copies of users who published a certificate (nullptr: never). Before start().
  void set_encryption(const delivery::AtRestEncryption* encryption);
  // Starts the retry thread and schedules what open() recovered.
  void start(std::vector<SpoolEntry> recovered);
  // A message was just committed: deliver it soon (on the pool). One with nothing local to
  // do goes to the set_remote() hook at once, on the calling thread.
  void submit(SpoolEntry entry);
  // No more deliveries are started; those running finish on the pool.
  void stop();
  // After the pool has finished (joined): the last group sync runs, the sync thread ends.
  void finish();
  // Deliveries started and not yet finished.
  std::size_t in_flight() const;
  // Blocks until nothing is in flight or `timeout` passed (tests and shutdown).
  bool wait_idle(std::chrono::milliseconds timeout) const;

  // Delivers one entry now, on the calling thread (the worker). Public for tests.
  void deliver(SpoolEntry entry, bool recovering);

  // The delay before attempt `attempts` + 1: 1, 5, 15, 30, then 60 times `interval`.
  static std::chrono::seconds backoff(std::uint32_t attempts, std::chrono::seconds interval);

 private:
  // How long a delivered batch waits for a spool commit's syncfs before running its own.
  static constexpr std::chrono::milliseconds kSyncLinger{20};

  struct Delivered {
    SpoolEntry entry;
    std::vector<std::filesystem::path> dirs;
    std::size_t rcpts = 0, mailboxes = 0;
  };
  void schedule(const std::string& name, std::chrono::system_clock::time_point when);
  void retry_loop();
  void sync_loop();
  void finished_one();
  // The message is in every mailbox, durably: release its slot (or record its state), log.
  void complete(Delivered& d);
  // The SUCCESS notice for the recipients of `env` just delivered, when they asked for one.
  void notify_delivered(const SpoolEntry& entry, const std::vector<std::size_t>& delivered);
  // Delivers the encrypted copies for `sealed` (targets whose users published a certificate,
  // with those certificates); the first error, if any.
  std::error_code deliver_sealed(
      const SpoolEntry& entry, int fd,
      const std::vector<std::pair<auth::MailboxTarget, std::string>>& sealed, bool again,
      bool defer_sync, std::vector<std::filesystem::path>* dirs);
  // Delivery failed with `ec`: record the deferral, schedule the retry.
  void defer(SpoolEntry& entry, std::error_code ec);

  Spool& spool_;
  delivery::LocalDelivery& delivery_;
  Post post_;
  std::function<void(SpoolEntry)> hand_over_;
  Inject inject_;
  const delivery::AtRestEncryption* encryption_ = nullptr;
  std::string hostname_;
  std::chrono::seconds retry_interval_;
  const bool group_sync_;
  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;       // the retry and sync threads'
  mutable std::condition_variable idle_cv_;  // wait_idle()'s: in_flight_ changed
  std::multimap<std::chrono::system_clock::time_point, std::string> retries_;
  std::size_t in_flight_ = 0;
  bool stopping_ = false;
  std::thread thread_;
  std::vector<Delivered> to_sync_;  // written, waiting for the next group sync
  bool finishing_ = false;
  std::thread syncer_;
};

}  // namespace estafeta::queue
