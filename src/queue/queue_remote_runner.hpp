// queue_remote_runner: the outbound queue. Holds the spool entries with remote recipients
// (those whose SpoolRecipient::local is empty), groups their due recipients by destination
// domain and hands each due domain's messages to the Transport in one deliver() call (at
// most Settings::batch_size messages; at most Settings::max_destinations domains with calls
// in flight, at most Settings::destination_concurrency calls per domain). Each reply is applied per
// recipient (queue_retry_schedule.hpp: delivered, deferred with Postfix's backoff, failed on 5xx or
// after max_lifetime) and the message's record is rewritten with Spool::update once per message and
// attempt, so a restart resumes where the record says (entries are rescheduled by their
// next_attempt). A destination whose attempt failed as a whole (every reply deferred by the
// transport itself, from_server = false: no route, nothing reachable) is backed off as a whole:
// none of its messages is tried before its next retry time; a delivery there clears it (Postfix's
// dead destination). The sender gets one notice per message and attempt for the recipients that
// failed, were delayed past Settings.retry.delay_warning or were relayed with NOTIFY=SUCCESS
// (queue_bounce.hpp), through the `inject` hook, which spools it like a received message;
// never for a null sender.
//
// Ownership: the LocalRunner owns an entry until its local recipients are done, then hands
// it over (LocalRunner::set_remote -> submit()); from then on this runner is the only writer
// of its record and releases its slot once every recipient is delivered or failed. Operator
// requests (hold, retry, delete) reach it through files (queue_control.hpp).
//
// Exactly once: a recipient's state is recorded after each attempt; a crash between the
// remote 250 and that update repeats the delivery (RFC 5321 §6.1 accepts duplicates over
// losses). A reply lost after the final dot is retried at most once more. A notice is injected
// before the record that makes it due is written: a crash between the two may repeat a
// notice, never lose one.
//
// Threads: blocking work (reading entries and control files, record updates, notices) runs
// through `post` (the worker pool); one small scheduler thread wakes at the next due time,
// every control_poll, or when poked; work that is due at once when a message is submitted
// or an attempt ends is started by that caller (start_due), sparing a thread wake-up per
// message; Transport::done may come on any thread and is posted to the pool. Thread-safe. Memory:
// one envelope (the record: addresses and state, no message data) per queued message, one set entry
// per (destination, message) waiting; per attempt in flight the content of its small messages,
// read with the envelope (at most 64 KiB a message, 256 KiB an attempt; see
// OutboundMessage::preloaded), and for an attempt that began as its message was submitted with
// its data (SpoolEntry::data, at most 64 KiB) that data, which spares it the spool read and the
// worker;
// a notice holds the original message (RET=FULL, up to kMaxReturned) or its header while it is
// built.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "queue/queue_config.hpp"
#include "queue/queue_retry_schedule.hpp"
#include "queue/queue_spool.hpp"
#include "queue/queue_transport.hpp"

namespace estafeta::queue {

struct RemoteOptions {
  Settings settings;     // [queue]
  std::string hostname;  // notices come from MAILER-DAEMON@hostname
  // How often the control directory is read for hold/retry requests (also on poke()).
  std::chrono::milliseconds control_poll{5000};
  // Unix seconds now; empty = the system clock (tests pass a fake one, then poke()).
  std::function<std::int64_t()> now;
};

class RemoteRunner {
 public:
  using Post = std::function<void(std::function<void()>)>;
  // Spools a notice: mail_from is "" (null sender), rcpt the original sender, message the
  // whole CRLF message. Called from a worker thread.
  using Inject = std::function<std::error_code(const std::string& mail_from,
                                               const std::string& rcpt, std::string message)>;

  RemoteRunner(Spool& spool, Transport& transport, Post post, Inject inject, RemoteOptions options);
  // Stops; attempts still at the transport are forgotten (their replies are ignored, their
  // records stay as last written: the next start retries them).
  ~RemoteRunner();
  RemoteRunner(const RemoteRunner&) = delete;
  RemoteRunner& operator=(const RemoteRunner&) = delete;

  // Starts the scheduler thread (entries come through submit(), also the recovered ones: the
  // LocalRunner hands them over).
  void start();
  // An entry whose local part is done (or absent): its pending/deferred remote recipients are
  // scheduled by their next_attempt. An entry already queued, or without remote recipients
  // to do, is ignored.
  void submit(SpoolEntry entry);
  // No new attempts start; those at the transport may still finish and are recorded.
  void stop();
  // Reads the control directory and schedules what is due, now.
  void poke();
  // Attempts started and not yet recorded.
  std::size_t in_flight() const;
  // Messages in the queue (tests, status).
  std::size_t queued() const;
  // Blocks until nothing is in flight or `timeout` passed (tests and shutdown).
  bool wait_idle(std::chrono::milliseconds timeout) const;

 private:
  struct Entry {
    SpoolEnvelope env;  // the latest state, what the record says once written
    std::shared_ptr<std::mutex> writing = std::make_shared<std::mutex>();
    std::map<std::string, std::int64_t> waiting;  // destination -> due, as queued there
    std::set<std::string> flying;                 // destinations attempting it now
    bool held = false;
    // The data as committed (SpoolEntry::data), only while submit() starts what is due:
    // the attempts taken then keep it (Attempt::Item::data) and need no file I/O.
    std::shared_ptr<const std::string> data;
  };
  struct Destination {
    std::set<std::pair<std::int64_t, std::string>> waiting;  // (due, entry name)
    std::size_t busy = 0;        // deliver() calls in flight (destination_concurrency)
    std::int64_t retry_at = 0;   // backed off as a whole until then
    std::uint32_t failures = 0;  // attempts in a row that failed as a whole
  };
  struct Attempt;  // one deliver() call (defined in the .cpp)

  // A destination with a call in flight gets another (up to destination_concurrency) only
  // when at least this many of its messages (or batch_size, if smaller) are due: a trickle
  // waits for the current call instead of costing a connection per message.
  static constexpr std::size_t kMinExtraBatch = 10;
  bool backlog(const Destination& d, std::int64_t t) const;

  std::int64_t now() const;
  // Queues `name`'s due remote recipients at their destinations (lock held).
  void enqueue(const std::string& name, Entry& entry);
  void dequeue(const std::string& name, Entry& entry);
  void scheduler_loop();
  // Starts what is due now from the calling thread (lock held on entry and exit; released
  // while posting), and wakes the scheduler only when it must re-plan (something due before
  // the time it sleeps until, more batches left, control requests to read, not started).
  void start_due(std::unique_lock<std::mutex>& lock);
  // Starts the attempt: prepare() and deliver(), on a worker, or on the calling thread when
  // every message of it is in memory (nothing to read from the spool).
  void launch(const std::shared_ptr<Attempt>& attempt);
  // Takes what is due (lock held); returns the attempts to start and the next wake time.
  std::vector<std::shared_ptr<Attempt>> take_due(std::int64_t now, std::int64_t& next_due);
  // Reads hold and retry requests (queue_control.hpp) and applies them.
  void apply_control();
  // Leaves out held and deleted messages, opens the others' spool files (on a worker); a
  // message still in memory (a first attempt begun as it was handed over) is only checked
  // for a hold request (one stat()). False when nothing is left (the attempt is then over).
  bool prepare(const std::shared_ptr<Attempt>& attempt,
               std::vector<std::shared_ptr<const OutboundMessage>>& messages);
  // Hands the attempt to the transport, outside the life lock (static: the runner may be
  // destroyed meanwhile; `self` is used only inside checked callbacks).
  static void deliver(RemoteRunner* self, Transport* transport, std::shared_ptr<Attempt> attempt,
                      std::vector<std::shared_ptr<const OutboundMessage>> messages);
  // On a worker: applies the replies, sends notices, updates or releases each record.
  void record(std::shared_ptr<Attempt> attempt, std::vector<std::vector<RemoteReply>> replies);
  // Forgets an entry that left the queue (lock held).
  void drop(const std::string& name);
  void attempt_done(const std::string& domain, bool whole_failure, bool any_delivered);
  void send_notice(const SpoolEnvelope& env, const OutboundMessage& msg,
                   std::vector<mime::DsnRecipient> recipients);

  Spool& spool_;
  Transport& transport_;
  Post post_;
  Inject inject_;
  RemoteOptions options_;
  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;       // the scheduler thread's
  mutable std::condition_variable idle_cv_;  // wait_idle()'s: in_flight_ reached 0
  std::map<std::string, Entry> entries_;
  std::map<std::string, Destination> destinations_;
  std::size_t busy_ = 0;       // destinations with a deliver() call in flight
  std::size_t in_flight_ = 0;  // attempts posted and not yet recorded
  bool stopping_ = false;
  bool poked_ = false;  // read the control directory
  bool dirty_ = false;  // the queue changed: look for due work
  bool started_ = false;
  bool scheduler_waiting_ = false;  // the scheduler thread sleeps ...
  std::int64_t planned_due_ = 0;    // ... until this due time (or control_poll)
  std::thread thread_;
  // Completions hold it shared while they touch the runner; the destructor takes it
  // exclusively and clears `alive`, so a reply arriving after destruction does nothing.
  struct Life {
    std::shared_mutex mutex;
    bool alive = true;
  };
  std::shared_ptr<Life> life_ = std::make_shared<Life>();
};

}  // namespace estafeta::queue
