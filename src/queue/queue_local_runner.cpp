// queue_local_runner: see the header. The log line "delivered" names the message id, the
// sender, the recipients and the mailboxes, once per message.
#include "queue/queue_local_runner.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "base/fault_injection.hpp"
#include "base/log.hpp"
#include "queue/queue_bounce.hpp"
#include "queue/queue_retry_schedule.hpp"

namespace estafeta::queue {
namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

LocalRunner::LocalRunner(Spool& spool, delivery::LocalDelivery& delivery, Post post,
                         std::chrono::seconds retry_interval, bool group_sync)
    : spool_(spool),
      delivery_(delivery),
      post_(std::move(post)),
      retry_interval_(retry_interval),
      group_sync_(group_sync) {}

LocalRunner::~LocalRunner() {
  stop();
  finish();
}

void LocalRunner::finish() {
  {
    std::lock_guard lock(mutex_);
    finishing_ = true;
  }
  cv_.notify_all();
  if (syncer_.joinable() && syncer_.get_id() != std::this_thread::get_id()) syncer_.join();
}

void LocalRunner::sync_loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    cv_.wait(lock, [&] { return finishing_ || !to_sync_.empty(); });
    if (to_sync_.empty()) break;  // finishing, nothing left
    std::vector<Delivered> batch;
    batch.swap(to_sync_);
    lock.unlock();
    std::vector<std::filesystem::path> dirs;
    for (const auto& d : batch) dirs.insert(dirs.end(), d.dirs.begin(), d.dirs.end());
    const bool on_spool_fs = std::all_of(
        dirs.begin(), dirs.end(), [&](const auto& dir) { return spool_.same_file_system(dir); });
    std::error_code ec = on_spool_fs ? spool_.sync_file_system(kSyncLinger)
                                     : delivery::LocalDelivery::sync_filesystems(dirs);
    for (auto& d : batch) {
      if (ec) {
        defer(d.entry, ec);
      } else {
        complete(d);
      }
    }
    lock.lock();
    in_flight_ -= batch.size();
    idle_cv_.notify_all();
  }
}

std::chrono::seconds LocalRunner::backoff(std::uint32_t attempts, std::chrono::seconds interval) {
  static constexpr int kFactor[] = {1, 1, 5, 15, 30, 60};
  return interval * kFactor[std::min<std::uint32_t>(attempts, 5)];
}

void LocalRunner::set_remote(std::function<void(SpoolEntry)> hand_over) {
  hand_over_ = std::move(hand_over);
}

void LocalRunner::start(std::vector<SpoolEntry> recovered) {
  {
    std::lock_guard lock(mutex_);
    if (thread_.joinable()) return;
    thread_ = std::thread([this] { retry_loop(); });
    if (group_sync_) syncer_ = std::thread([this] { sync_loop(); });
  }
  if (!recovered.empty())
    log::info("queue", "{} message(s) found in the spool: finishing their delivery",
              recovered.size());
  for (auto& e : recovered) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
      ++in_flight_;
    }
    // Posted without the lock held: a pool that runs the job at once must not deadlock.
    post_([this, e = std::move(e)]() mutable { deliver(std::move(e), true); });
  }
}

void LocalRunner::submit(SpoolEntry entry) {
  const auto& rs = entry.envelope.recipients;
  const bool local_work = std::any_of(rs.begin(), rs.end(), [](const SpoolRecipient& r) {
    return !r.local.empty() && r.state != RcptState::delivered && r.state != RcptState::failed;
  });
  {
    std::lock_guard lock(mutex_);
    // Stopping: the entry stays in the spool and is delivered at the next start.
    if (stopping_) return;
    if (local_work || !hand_over_) ++in_flight_;
  }
  if (!local_work && hand_over_) {
    // Nothing local to do: straight to the outbound queue, on the caller's thread (what
    // deliver() would do for it, without the trip to the worker pool).
    hand_over_(std::move(entry));
    return;
  }
  post_([this, e = std::move(entry)]() mutable { deliver(std::move(e), false); });
}

void LocalRunner::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

std::size_t LocalRunner::in_flight() const {
  std::lock_guard lock(mutex_);
  return in_flight_;
}

bool LocalRunner::wait_idle(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return idle_cv_.wait_for(lock, timeout, [&] { return in_flight_ == 0; });
}

void LocalRunner::finished_one() {
  {
    std::lock_guard lock(mutex_);
    --in_flight_;
  }
  idle_cv_.notify_all();  // wait_idle() only: the retry and sync threads need not wake
}

void LocalRunner::schedule(const std::string& name, std::chrono::system_clock::time_point when) {
  {
    std::lock_guard lock(mutex_);
    retries_.emplace(when, name);
  }
  cv_.notify_all();
}

void LocalRunner::retry_loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (retries_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto due = retries_.begin()->first;
    if (std::chrono::system_clock::now() < due) {
      cv_.wait_until(lock, due);
      continue;
    }
    std::string name = retries_.begin()->second;
    retries_.erase(retries_.begin());
    ++in_flight_;
    lock.unlock();
    post_([this, name] {
      std::string error;
      if (auto e = spool_.load(name, error)) {
        deliver(std::move(*e), true);
      } else {
        log::warn("queue", "spool entry {} can no longer be read: {}", name, error);
        finished_one();
      }
    });
    lock.lock();
  }
}

void LocalRunner::deliver(SpoolEntry entry, bool recovering) {
  SpoolEnvelope& env = entry.envelope;
  Delivered done;
  std::vector<auth::MailboxTarget> targets;
  for (const auto& r : env.recipients) {
    if (r.local.empty() || r.state == RcptState::delivered || r.state == RcptState::failed)
      continue;
    ++done.rcpts;
    for (const auto& t : r.local)
      targets.push_back(auth::MailboxTarget{t.user, t.maildir, t.folder, t.address});
  }
  done.mailboxes = targets.size();
  // Users who published a certificate get their own, encrypted, copy.
  std::vector<std::pair<auth::MailboxTarget, std::string>> sealed;
  if (encryption_) {
    std::vector<auth::MailboxTarget> plain;
    for (auto& t : targets) {
      std::string cert = encryption_->certificate(t.user);
      if (cert.empty())
        plain.push_back(std::move(t));
      else
        sealed.emplace_back(std::move(t), std::move(cert));
    }
    targets = std::move(plain);
  }
  // Group sync needs the sync thread; without it (tests, a runner never started) each
  // delivery syncs itself.
  const bool deferred_sync = group_sync_ && syncer_.joinable();
  std::error_code ec;
  fault::point("delivery-before-write");
  if (!targets.empty() || !sealed.empty()) {
    int fd = ::open((spool_.dir() / entry.name).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      ec = std::error_code(errno, std::generic_category());
    } else {
      delivery::MessageSource src;
      src.received = env.received;
      src.fd = fd;
      src.offset = 0;
      src.length = env.data_length;
      bool again = recovering;
      for (const auto& r : env.recipients) again = again || r.attempts > 0;
      if (!targets.empty())
        ec = delivery_.deliver(env.mail_from, targets, src, env.maildir_name, again, deferred_sync,
                               &done.dirs);
      if (!ec && !sealed.empty())
        ec = deliver_sealed(entry, fd, sealed, again, deferred_sync, &done.dirs);
      ::close(fd);
    }
  }
  if (ec) {
    defer(entry, ec);
    finished_one();
    return;
  }
  done.entry = std::move(entry);
  if (deferred_sync && !done.dirs.empty()) {
    {
      std::lock_guard lock(mutex_);
      to_sync_.push_back(std::move(done));
    }
    cv_.notify_all();  // the sync thread counts it out of in_flight_
    return;
  }
  complete(done);
  finished_one();
}

void LocalRunner::complete(Delivered& d) {
  SpoolEnvelope& env = d.entry.envelope;
  fault::point("spool-after-delivery");
  std::vector<std::size_t> now_delivered;
  for (std::size_t i = 0; i < env.recipients.size(); ++i) {
    SpoolRecipient& r = env.recipients[i];
    if (r.local.empty() || r.state == RcptState::failed) continue;
    if (r.state != RcptState::delivered && notify_wants(r.notify, NotifyOn::success))
      now_delivered.push_back(i);
    r.state = RcptState::delivered;
  }
  if (!now_delivered.empty()) notify_delivered(d.entry, now_delivered);  // before the release
  const bool to_remote = hand_over_ && !env.finished();
  if (env.finished()) {
    spool_.release(d.entry.name);
  } else if (to_remote && d.rcpts == 0) {
    // Nothing local happened (no local recipients, or done before a restart): the record
    // is already right.
  } else if (auto up = spool_.update(d.entry.name, env)) {
    log::error("queue", "{}: cannot record delivery state: {}", env.id, up.message());
  }
  if (d.rcpts > 0)
    log::info("queue", "{}: delivered from=<{}> recipients={} mailboxes={} size={}{}", env.id,
              env.mail_from, d.rcpts, d.mailboxes, env.data_length,
              env.auth_user.empty() ? std::string() : " user=" + env.auth_user);
  // Last: from here on the outbound queue owns the entry.
  if (to_remote) hand_over_(std::move(d.entry));
}

void LocalRunner::set_encryption(const delivery::AtRestEncryption* encryption) {
  encryption_ = encryption;
}

std::error_code LocalRunner::deliver_sealed(
    const SpoolEntry& entry, int fd,
    const std::vector<std::pair<auth::MailboxTarget, std::string>>& sealed, bool again,
    bool defer_sync, std::vector<std::filesystem::path>* dirs) {
  const SpoolEnvelope& env = entry.envelope;
  // The whole message, as the plain copies get it: our Received field, then the data.
  std::string message = env.received;
  const std::size_t head = message.size();
  message.resize(head + env.data_length);
  std::size_t got = 0;
  while (got < env.data_length) {
    const ssize_t n =
        ::pread(fd, message.data() + head + got, env.data_length - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      return n < 0 ? std::error_code(errno, std::generic_category())
                   : std::make_error_code(std::errc::io_error);
    got += static_cast<std::size_t>(n);
  }
  for (const auto& [target, cert] : sealed) {
    auto enc = encryption_->seal(message, target.user, cert);
    delivery::MessageSource src;
    if (enc) {
      src.bytes = *enc;
    } else {
      log::warn("queue", "{}: stored unencrypted for {}: {}", env.id, target.user,
                enc.error().text);
      src.bytes = message;
    }
    src.length = src.bytes.size();
    const auto one = std::span<const auth::MailboxTarget>(&target, 1);
    if (auto ec =
            delivery_.deliver(env.mail_from, one, src, env.maildir_name, again, defer_sync, dirs))
      return ec;
  }
  return {};
}

void LocalRunner::set_notices(Inject inject, std::string hostname) {
  inject_ = std::move(inject);
  hostname_ = std::move(hostname);
}

void LocalRunner::notify_delivered(const SpoolEntry& entry,
                                   const std::vector<std::size_t>& delivered) {
  const SpoolEnvelope& env = entry.envelope;
  if (env.mail_from.empty() || !inject_) return;  // never a notice about a notice
  const bool full = wants_full_return(env) && env.data_length <= kMaxReturned;
  const std::uint64_t limit =
      full ? env.data_length : std::min<std::uint64_t>(env.data_length, kMaxReturnedHeader);
  std::string original = env.received;
  const std::size_t head = original.size();
  original.resize(head + limit);
  int fd = ::open((spool_.dir() / entry.name).c_str(), O_RDONLY | O_CLOEXEC);
  const ssize_t got = fd < 0 ? -1 : ::pread(fd, original.data() + head, limit, 0);
  if (fd >= 0) ::close(fd);
  original.resize(head + static_cast<std::size_t>(std::max<ssize_t>(got, 0)));
  std::vector<mime::DsnRecipient> recipients;
  for (std::size_t i : delivered) {
    mime::DsnRecipient d;
    d.final_recipient = env.recipients[i].address;
    d.original_recipient = env.recipients[i].orcpt;
    d.action = mime::DsnAction::delivered;
    d.status = "2.0.0";
    d.last_attempt = std::chrono::system_clock::now();
    recipients.push_back(std::move(d));
  }
  std::string notice =
      build_notice(env, std::move(recipients), std::move(original), hostname_, unix_now());
  // Spooling the notice is blocking work of its own: on the pool, not this (sync) thread.
  post_([this, id = env.id, to = env.mail_from, notice = std::move(notice)]() mutable {
    if (auto ec = inject_("", to, std::move(notice)))
      log::error("queue", "{}: cannot queue the delivery notice to <{}>: {}", id, to, ec.message());
    else
      log::info("queue", "{}: delivery notice sent to <{}>", id, to);
  });
}

void LocalRunner::defer(SpoolEntry& entry, std::error_code ec) {
  SpoolEnvelope& env = entry.envelope;
  std::uint32_t attempts = 0;
  auto delay = backoff(1, retry_interval_);
  for (auto& r : env.recipients) {
    if (r.local.empty() || r.state == RcptState::delivered || r.state == RcptState::failed)
      continue;
    r.state = RcptState::deferred;
    r.reason = "local delivery failed: " + ec.message();
    ++r.attempts;
    attempts = std::max(attempts, r.attempts);
    delay = backoff(r.attempts, retry_interval_);
    r.next_attempt = unix_now() + delay.count();
  }
  log::warn("queue", "{}: delivery deferred (attempt {}): {}; next try in {} s", env.id, attempts,
            ec.message(), delay.count());
  if (auto up = spool_.update(entry.name, env))
    log::error("queue", "{}: cannot record the deferral: {}", env.id, up.message());
  schedule(entry.name, std::chrono::system_clock::now() + delay);
}

}  // namespace estafeta::queue
