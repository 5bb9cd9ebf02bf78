// queue_remote_runner: see the header. Log lines, once per recipient and attempt, in the
// manner of Postfix's smtp(8): "<id>: to=<rcpt> relay=<host> attempts=N status=sent|deferred|
// bounced (<reply>)"; notices and operator requests are logged when they take effect.
#include "queue/queue_remote_runner.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <limits>

#include "base/log.hpp"
#include "queue/queue_bounce.hpp"
#include "queue/queue_control.hpp"

namespace estafeta::queue {

// One deliver() call: a destination and the messages it was given, each with the indices of
// its recipients in that destination.
struct RemoteRunner::Attempt {
  struct Item {
    std::string name;
    SpoolEnvelope env;                        // as when the attempt began
    std::vector<std::size_t> rcpts;           // indices into env.recipients
    std::shared_ptr<const std::string> data;  // Entry::data when the attempt began
    // One OutboundMessage per distinct envelope sender and alias among those recipients
    // (forwarded copies leave with their own, SpoolRecipient::sender, and "Delivered-To:
    // <via>" on top); groups[k] are the positions in `rcpts` that msgs[k] carries, in order.
    std::vector<std::shared_ptr<OutboundMessage>> msgs;
    std::vector<std::vector<std::size_t>> groups;
    // Per msgs[k]: the alias it would be forwarded for a second time ("" = none): that copy
    // is not sent but bounced as a forwarding loop.
    std::vector<std::string> loops;
  };
  std::string domain;
  std::vector<Item> items;
  std::shared_ptr<Life> life;  // copied while the runner was known to be alive
};

namespace {

constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();
// Small messages are read whole while the attempt is prepared (on a worker, where the spool
// file is opened anyway), so that the transport sends them from memory instead of asking the
// worker pool for each piece (two thread hops per message): at most kPreloadMessage octets
// per message and kPreloadAttempt per attempt (attempts in flight are bounded by
// max_destinations x destination_concurrency).
constexpr std::uint64_t kPreloadMessage = 64 * 1024;
constexpr std::uint64_t kPreloadAttempt = 256 * 1024;

bool remote_due_state(const SpoolRecipient& r) {
  return r.local.empty() && (r.state == RcptState::pending || r.state == RcptState::deferred);
}

// A spool file opened for one attempt; closed when the last reader lets go of it.
struct OpenFile {
  int fd = -1;
  explicit OpenFile(int f) : fd(f) {}
  ~OpenFile() {
    if (fd >= 0) ::close(fd);
  }
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;
};

// Whether the header of the message in `fd` (data from offset 0) already has a Delivered-To
// field naming `address` (case-insensitive, angle brackets allowed): the copy forwarded for
// that alias came back (Postfix's local(8) "mail forwarding loop").
bool delivered_to(std::string_view data, std::string_view address) {
  std::string_view head = data.substr(0, 64 * 1024);
  if (auto end = head.find("\r\n\r\n"); end != std::string::npos) head = head.substr(0, end + 2);
  auto lower = [](std::string_view v) {
    std::string out(v);
    for (char& c : out)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
  };
  const std::string want = lower(address);
  std::size_t pos = 0;
  while (pos < head.size()) {
    std::size_t eol = head.find("\r\n", pos);
    if (eol == std::string::npos) eol = head.size();
    const std::string line = lower(std::string_view(head).substr(pos, eol - pos));
    pos = eol + 2;
    if (!line.starts_with("delivered-to:")) continue;
    std::string_view v = std::string_view(line).substr(13);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t' || v.front() == '<'))
      v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '>'))
      v.remove_suffix(1);
    if (v == want) return true;
  }
  return false;
}

bool delivered_to(int fd, std::string_view address, std::uint64_t data_length) {
  std::string head(static_cast<std::size_t>(std::min<std::uint64_t>(data_length, 64 * 1024)), '\0');
  const ssize_t n = ::pread(fd, head.data(), head.size(), 0);
  head.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return delivered_to(head, address);
}

// The content the transport sends: our Received field, then the data as received, from
// `memory` when the message is still there (its data_length octets), else from `file`.
std::function<std::error_code(std::uint64_t, std::size_t, std::string&)> reader(
    std::shared_ptr<OpenFile> file, std::shared_ptr<const std::string> memory, std::string received,
    std::uint64_t data_length) {
  return [file = std::move(file), memory = std::move(memory), received = std::move(received),
          data_length](std::uint64_t offset, std::size_t max, std::string& out) -> std::error_code {
    out.clear();
    const std::uint64_t total = received.size() + data_length;
    if (offset >= total || max == 0) return {};
    std::uint64_t want = std::min<std::uint64_t>(max, total - offset);
    if (offset < received.size()) {
      std::uint64_t take = std::min<std::uint64_t>(want, received.size() - offset);
      out.append(received, offset, take);
      offset += take;
      want -= take;
    }
    if (want == 0) return {};
    std::uint64_t pos = offset - received.size();
    if (memory) {
      out.append(*memory, static_cast<std::size_t>(pos), static_cast<std::size_t>(want));
      return {};
    }
    std::size_t base = out.size();
    out.resize(base + want);
    std::size_t got = 0;
    while (got < want) {
      ssize_t n =
          ::pread(file->fd, out.data() + base + got, want - got, static_cast<off_t>(pos + got));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        out.resize(base + got);
        return n < 0 ? std::error_code(errno, std::generic_category())
                     : std::make_error_code(std::errc::io_error);  // shorter than the record says
      }
      got += static_cast<std::size_t>(n);
    }
    return {};
  };
}

std::string_view status_word(RcptState s) {
  switch (s) {
    case RcptState::delivered:
      return "sent";
    case RcptState::failed:
      return "bounced";
    default:
      return "deferred";
  }
}

}  // namespace

RemoteRunner::RemoteRunner(Spool& spool, Transport& transport, Post post, Inject inject,
                           RemoteOptions options)
    : spool_(spool),
      transport_(transport),
      post_(std::move(post)),
      inject_(std::move(inject)),
      options_(std::move(options)) {
  if (options_.settings.max_destinations == 0) options_.settings.max_destinations = 1;
  if (options_.settings.batch_size == 0) options_.settings.batch_size = 1;
  if (options_.settings.destination_concurrency == 0) options_.settings.destination_concurrency = 1;
}

RemoteRunner::~RemoteRunner() {
  stop();
  std::unique_lock lock(life_->mutex);  // waits for completions running now
  life_->alive = false;
}

std::int64_t RemoteRunner::now() const {
  if (options_.now) return options_.now();
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void RemoteRunner::start() {
  std::lock_guard lock(mutex_);
  if (started_ || stopping_) return;
  started_ = true;
  poked_ = true;  // read the control directory first
  thread_ = std::thread([this] { scheduler_loop(); });
}

void RemoteRunner::launch(const std::shared_ptr<Attempt>& a) {
  const bool in_memory =
      std::all_of(a->items.begin(), a->items.end(),
                  [](const Attempt::Item& item) { return item.data != nullptr; });
  auto start = [life = life_, this, a] {
    std::vector<std::shared_ptr<const OutboundMessage>> messages;
    Transport* transport = nullptr;
    {
      std::shared_lock alive(life->mutex);
      if (!life->alive) return;
      if (!prepare(a, messages)) return;
      transport = &transport_;
      a->life = life;
    }
    // Outside the shared lock: a transport may answer at once, on this thread.
    deliver(this, transport, a, std::move(messages));
  };
  if (in_memory)
    start();  // nothing blocking: see prepare()
  else
    post_(std::move(start));
}

void RemoteRunner::start_due(std::unique_lock<std::mutex>& lock) {
  // Before start() (or while the scheduler has control requests to read first, or stopping)
  // the scheduler thread decides.
  if (!started_ || stopping_ || poked_) {
    lock.unlock();
    cv_.notify_all();
    lock.lock();
    return;
  }
  bool wake = false;
  // A few rounds: take_due hands out at most batch_size messages per destination and says
  // (dirty_) when more are due at once; what is left after that goes to the scheduler.
  for (int round = 0; round < 4; ++round) {
    dirty_ = false;
    std::int64_t next_due = kNever;
    auto attempts = take_due(now(), next_due);
    // Something becomes due before the time the scheduler sleeps until: wake it to re-plan.
    if (scheduler_waiting_ && next_due < planned_due_) wake = true;
    in_flight_ += attempts.size();
    if (attempts.empty()) break;
    lock.unlock();
    for (auto& a : attempts) launch(a);
    lock.lock();
    if (!dirty_) break;
  }
  if (dirty_) wake = true;
  if (wake) {
    lock.unlock();
    cv_.notify_all();
    lock.lock();
  }
}

void RemoteRunner::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void RemoteRunner::poke() {
  {
    std::lock_guard lock(mutex_);
    poked_ = true;
  }
  cv_.notify_all();
}

std::size_t RemoteRunner::in_flight() const {
  std::lock_guard lock(mutex_);
  return in_flight_;
}

std::size_t RemoteRunner::queued() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

bool RemoteRunner::wait_idle(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return idle_cv_.wait_for(lock, timeout, [&] { return in_flight_ == 0; });
}

void RemoteRunner::submit(SpoolEntry entry) {
  std::unique_lock lock(mutex_);
  {
    // Stopping: the entry stays in the spool and is queued again at the next start.
    if (stopping_ || entries_.count(entry.name)) return;
    const auto& rs = entry.envelope.recipients;
    if (std::none_of(rs.begin(), rs.end(), remote_due_state)) return;  // nothing for us
    std::string name = entry.name;
    auto [it, fresh] = entries_.emplace(name, Entry{});
    it->second.env = std::move(entry.envelope);
    if (entry.data && entry.data->size() == it->second.env.data_length)
      it->second.data = std::move(entry.data);
    enqueue(name, it->second);
    start_due(lock);
    // Sent from memory only by the attempts that start now (they hold the data until they
    // are recorded); any later one reads the spool, and sees hold and delete requests first.
    auto e = entries_.find(name);
    if (e != entries_.end()) e->second.data.reset();
  }
}

void RemoteRunner::enqueue(const std::string& name, Entry& entry) {
  if (entry.held) return;
  std::map<std::string, std::int64_t> due;
  for (const auto& r : entry.env.recipients) {
    if (!remote_due_state(r)) continue;
    auto [it, fresh] = due.emplace(destination_domain(r.address), r.next_attempt);
    if (!fresh) it->second = std::min(it->second, r.next_attempt);
  }
  for (const auto& [domain, when] : due) {
    if (entry.flying.count(domain)) continue;  // queued again when that attempt is recorded
    auto w = entry.waiting.find(domain);
    if (w != entry.waiting.end()) {
      if (w->second == when) continue;
      destinations_[domain].waiting.erase({w->second, name});
    }
    entry.waiting[domain] = when;
    destinations_[domain].waiting.emplace(when, name);
  }
  dirty_ = true;
}

void RemoteRunner::dequeue(const std::string& name, Entry& entry) {
  for (const auto& [domain, when] : entry.waiting) {
    auto d = destinations_.find(domain);
    if (d != destinations_.end()) d->second.waiting.erase({when, name});
  }
  entry.waiting.clear();
}

void RemoteRunner::drop(const std::string& name) {
  auto it = entries_.find(name);
  if (it == entries_.end()) return;
  dequeue(name, it->second);
  entries_.erase(it);
}

void RemoteRunner::scheduler_loop() {
  using Steady = std::chrono::steady_clock;
  std::unique_lock lock(mutex_);
  Steady::time_point last_control = Steady::now();
  while (!stopping_) {
    if (poked_ || Steady::now() - last_control >= options_.control_poll) {
      poked_ = false;
      lock.unlock();
      apply_control();
      lock.lock();
      last_control = Steady::now();
      continue;
    }
    dirty_ = false;
    std::int64_t next_due = kNever;
    const std::int64_t t = now();
    auto attempts = take_due(t, next_due);
    if (!attempts.empty()) {
      in_flight_ += attempts.size();
      lock.unlock();
      for (auto& a : attempts) launch(a);
      lock.lock();
      continue;
    }
    Steady::time_point wake = last_control + options_.control_poll;
    if (next_due != kNever) {
      std::int64_t secs = std::max<std::int64_t>(0, next_due - t);
      wake = std::min(wake, Steady::now() + std::chrono::seconds(secs));
    }
    scheduler_waiting_ = true;
    planned_due_ = next_due;
    cv_.wait_until(lock, wake, [&] { return stopping_ || poked_ || dirty_; });
    scheduler_waiting_ = false;
  }
}

bool RemoteRunner::backlog(const Destination& d, std::int64_t t) const {
  const std::size_t want = std::min<std::size_t>(options_.settings.batch_size, kMinExtraBatch);
  std::size_t n = 0;
  for (auto w = d.waiting.begin(); w != d.waiting.end() && w->first <= t && n < want; ++w) ++n;
  return n >= want;
}

std::vector<std::shared_ptr<RemoteRunner::Attempt>> RemoteRunner::take_due(std::int64_t t,
                                                                           std::int64_t& next_due) {
  std::vector<std::shared_ptr<Attempt>> out;
  std::size_t newly_busy = 0;  // destinations that had no call in flight
  for (auto it = destinations_.begin(); it != destinations_.end();) {
    const std::string& domain = it->first;
    Destination& d = it->second;
    if (d.busy == 0 && d.waiting.empty()) {
      // Nothing queued: forget it, unless it is backed off (a dead destination stays so
      // for messages that come meanwhile).
      if (d.retry_at <= t) {
        it = destinations_.erase(it);
      } else {
        ++it;
      }
      continue;
    }
    if (d.busy >= options_.settings.destination_concurrency || d.waiting.empty()) {
      ++it;
      continue;
    }
    const std::int64_t due = std::max(d.retry_at, d.waiting.begin()->first);
    if (due > t) {
      next_due = std::min(next_due, due);
      ++it;
      continue;
    }
    if (d.busy == 0 && busy_ + newly_busy >= options_.settings.max_destinations) {
      ++it;  // woken again when an attempt ends
      continue;
    }
    if (d.busy > 0 && !backlog(d, t)) {
      ++it;  // a few messages wait for the call in flight rather than open a connection each
      continue;
    }
    auto a = std::make_shared<Attempt>();
    a->domain = domain;
    while (!d.waiting.empty() && d.waiting.begin()->first <= t &&
           a->items.size() < options_.settings.batch_size) {
      std::string name = d.waiting.begin()->second;
      d.waiting.erase(d.waiting.begin());
      auto e = entries_.find(name);
      if (e == entries_.end()) continue;
      Entry& entry = e->second;
      entry.waiting.erase(domain);
      if (entry.held) continue;
      Attempt::Item item;
      for (std::size_t i = 0; i < entry.env.recipients.size(); ++i) {
        const auto& r = entry.env.recipients[i];
        if (remote_due_state(r) && destination_domain(r.address) == domain) item.rcpts.push_back(i);
      }
      if (item.rcpts.empty()) continue;
      item.name = name;
      item.env = entry.env;
      item.data = entry.data;
      entry.flying.insert(domain);
      a->items.push_back(std::move(item));
    }
    if (!d.waiting.empty() && d.waiting.begin()->first <= t) dirty_ = true;  // the next batch
    if (!a->items.empty()) {
      if (d.busy++ == 0) ++newly_busy;
      out.push_back(std::move(a));
    }
    ++it;
  }
  busy_ += newly_busy;
  return out;
}

void RemoteRunner::apply_control() {
  ControlRequests req = read_control(spool_.dir());
  std::vector<std::string> consumed, unknown;
  {
    std::lock_guard lock(mutex_);
    auto make_due = [&](const std::string& name, Entry& e) {
      for (auto& r : e.env.recipients) {
        if (!remote_due_state(r)) continue;
        r.next_attempt = 0;  // recorded with the next attempt's update
        auto d = destinations_.find(destination_domain(r.address));
        if (d != destinations_.end()) {
          d->second.retry_at = 0;
          d->second.failures = 0;
        }
      }
      dequeue(name, e);
      enqueue(name, e);
    };
    for (auto& [name, e] : entries_) {
      auto h = req.held.find(name);
      bool held = h != req.held.end() && h->second == e.env.id;
      if (held && !e.held) {
        e.held = true;
        dequeue(name, e);
        log::info("queue", "{}: on hold", e.env.id);
      } else if (!held && e.held) {
        e.held = false;
        log::info("queue", "{}: released from hold", e.env.id);
        enqueue(name, e);
      }
    }
    if (req.retry_all) {
      for (auto& [name, e] : entries_) make_due(name, e);
      for (auto& [domain, d] : destinations_) {
        d.retry_at = 0;
        d.failures = 0;
      }
      consumed.push_back("all");
      log::info("queue", "retrying every queued message now ({})", entries_.size());
    }
    for (const auto& [name, id] : req.retry) {
      auto it = entries_.find(name);
      if (it != entries_.end() && it->second.env.id == id) {
        make_due(name, it->second);
        consumed.push_back(name);
        log::info("queue", "{}: retrying now", id);
      } else {
        unknown.push_back(name);
      }
    }
    dirty_ = true;
  }
  for (const auto& n : consumed) consume_retry(spool_.dir(), n);
  // A request for a message not (yet) ours waits for it, unless the message is gone.
  for (const auto& n : unknown) {
    std::error_code ec;
    if (!std::filesystem::exists(spool_.dir() / n, ec)) consume_retry(spool_.dir(), n);
  }
}

bool RemoteRunner::prepare(const std::shared_ptr<Attempt>& a,
                           std::vector<std::shared_ptr<const OutboundMessage>>& messages) {
  std::vector<std::string> held, gone;
  std::vector<Attempt::Item> kept;
  std::uint64_t preload_left = kPreloadAttempt;
  for (auto& item : a->items) {
    const SpoolEnvelope& env = item.env;
    // Committed a moment ago, its data still in memory: nothing to read (see the header);
    // the hold check is one stat() of a control file, as cheap as RCPT's accounts check.
    const std::shared_ptr<const std::string> data = item.data;
    if (hold_requested(spool_.dir(), item.name, env.id)) {
      held.push_back(item.name);
      continue;
    }
    const int fd = data ? -1 : ::open((spool_.dir() / item.name).c_str(), O_RDONLY | O_CLOEXEC);
    if (!data && fd < 0) {
      int err = errno;
      if (err == ENOENT) {
        log::info("queue", "{}: removed from the queue (deleted)", env.id);
      } else {
        log::error("queue", "{}: cannot read spool file {}: {}", env.id, item.name,
                   std::error_code(err, std::generic_category()).message());
      }
      gone.push_back(item.name);
      continue;
    }
    auto file = data ? nullptr : std::make_shared<OpenFile>(fd);
    item.msgs.clear();
    item.groups.clear();
    item.loops.clear();
    std::vector<std::string> vias;  // per msgs[k]
    for (std::size_t pos = 0; pos < item.rcpts.size(); ++pos) {
      const auto& r = env.recipients[item.rcpts[pos]];
      const std::string& sender = r.sender.empty() ? env.mail_from : r.sender;
      std::size_t k = 0;
      while (k < item.msgs.size() && (item.msgs[k]->mail_from != sender || vias[k] != r.via)) ++k;
      if (k == item.msgs.size()) {
        const std::string top =
            r.via.empty() ? env.received : env.received + "Delivered-To: " + r.via + "\r\n";
        auto msg = std::make_shared<OutboundMessage>();
        msg->spool_name = item.name;
        msg->id = env.id;
        msg->mail_from = sender;
        msg->ret = env.ret;
        msg->envid = env.envid;
        msg->smtputf8 = env.smtputf8;
        msg->requiretls = env.requiretls;
        msg->eight_bit = env.body == "8BITMIME" || env.body == "8bitmime";
        msg->size = top.size() + env.data_length;
        msg->read = reader(file, data, top, env.data_length);
        item.msgs.push_back(std::move(msg));
        item.groups.emplace_back();
        const bool loop = !r.via.empty() && (data ? delivered_to(*data, r.via)
                                                  : delivered_to(fd, r.via, env.data_length));
        item.loops.push_back(loop ? r.via : std::string());
        vias.push_back(r.via);
      }
      item.msgs[k]->recipients.push_back({r.address, r.notify, r.orcpt});
      item.groups[k].push_back(pos);
    }
    for (const auto& m : item.msgs) {
      if (m->size <= kPreloadMessage && m->size <= preload_left) {
        std::string whole;
        if (!m->read(0, static_cast<std::size_t>(m->size), whole) && whole.size() == m->size) {
          m->preloaded = std::move(whole);
          preload_left -= m->size;
        }  // else: the transport reads it again and reports what goes wrong
      }
      messages.push_back(m);
    }
    kept.push_back(std::move(item));
  }
  a->items = std::move(kept);
  bool empty = a->items.empty();
  {
    std::lock_guard lock(mutex_);
    for (const auto& n : held) {
      auto it = entries_.find(n);
      if (it == entries_.end()) continue;
      it->second.held = true;
      it->second.flying.erase(a->domain);
      log::info("queue", "{}: on hold", it->second.env.id);
    }
    for (const auto& n : gone) drop(n);
  }
  if (empty) attempt_done(a->domain, false, false);
  return !empty;
}

void RemoteRunner::deliver(RemoteRunner* self, Transport* transport, std::shared_ptr<Attempt> a,
                           std::vector<std::shared_ptr<const OutboundMessage>> messages) {
  // Runs outside the life lock (a transport may call `done` at once, on this thread): from
  // here on members are touched only by the checked callbacks.
  std::shared_ptr<Life> life = std::move(a->life);
  Transport::Done done = [life, self, a](std::vector<std::vector<RemoteReply>> replies) {
    Post post;
    {
      std::shared_lock alive(life->mutex);
      if (!life->alive) return;
      post = self->post_;
    }
    // Recording does file I/O: never on the transport's (network) thread.
    post([life, self, a, replies = std::move(replies)]() mutable {
      std::shared_lock alive(life->mutex);
      if (!life->alive) return;
      self->record(a, std::move(replies));
    });
  };
  if (a->domain.empty()) {
    // RFC 5321 §4.1.2: a remote recipient needs a domain; nothing to route to.
    std::vector<std::vector<RemoteReply>> replies;
    for (const auto& m : messages) {
      RemoteReply r;
      r.kind = RemoteReply::Kind::bounced;
      r.enhanced = "5.1.3";
      r.text = "the recipient address has no domain";
      replies.emplace_back(m->recipients.size(), r);
    }
    done(std::move(replies));
    return;
  }
  // Copies that would go round an alias chain again are bounced here, never sent; the
  // transport gets the others and its replies are put back in their places.
  std::vector<std::string> loops;
  for (const auto& item : a->items) loops.insert(loops.end(), item.loops.begin(), item.loops.end());
  if (std::all_of(loops.begin(), loops.end(), [](const std::string& l) { return l.empty(); })) {
    transport->deliver(a->domain, std::move(messages), std::move(done));
    return;
  }
  std::vector<std::shared_ptr<const OutboundMessage>> sent;
  std::vector<std::vector<RemoteReply>> replies(messages.size());
  for (std::size_t i = 0; i < messages.size(); ++i) {
    if (i < loops.size() && !loops[i].empty()) {
      RemoteReply r;
      r.kind = RemoteReply::Kind::bounced;
      r.enhanced = "5.4.6";
      r.text = "mail forwarding loop for " + loops[i];
      replies[i].assign(messages[i]->recipients.size(), r);
    } else {
      sent.push_back(messages[i]);
    }
  }
  if (sent.empty()) {
    done(std::move(replies));
    return;
  }
  transport->deliver(a->domain, std::move(sent),
                     [done = std::move(done), replies = std::move(replies)](
                         std::vector<std::vector<RemoteReply>> got) mutable {
                       std::size_t next = 0;
                       for (auto& r : replies)
                         if (r.empty() && next < got.size()) r = std::move(got[next++]);
                       done(std::move(replies));
                     });
}

void RemoteRunner::record(std::shared_ptr<Attempt> a,
                          std::vector<std::vector<RemoteReply>> replies) {
  const std::int64_t t = now();
  bool whole_failure = true, any_delivered = false, any_reply = false;
  RemoteReply missing;
  missing.enhanced = "4.3.0";
  missing.text = "the transport gave no reply for this recipient";
  std::size_t next = 0;  // replies[next]: the next message's (items have one or more)
  for (std::size_t i = 0; i < a->items.size(); ++i) {
    Attempt::Item& item = a->items[i];
    std::vector<RemoteReply> rs(item.rcpts.size(), missing);
    for (const auto& group : item.groups) {
      std::vector<RemoteReply> got =
          next < replies.size() ? std::move(replies[next]) : std::vector<RemoteReply>{};
      ++next;
      for (std::size_t j = 0; j < group.size() && j < got.size(); ++j)
        rs[group[j]] = std::move(got[j]);
    }
    for (const auto& r : rs) {
      any_reply = true;
      if (r.kind == RemoteReply::Kind::delivered) any_delivered = true;
      if (r.kind != RemoteReply::Kind::deferred || r.from_server) whole_failure = false;
    }
    std::shared_ptr<std::mutex> writing;
    {
      std::lock_guard lock(mutex_);
      auto it = entries_.find(item.name);
      if (it == entries_.end()) continue;
      writing = it->second.writing;
    }
    // One writer per record at a time; each update carries every result applied before it.
    std::lock_guard write_lock(*writing);
    SpoolEnvelope copy;
    std::vector<mime::DsnRecipient> notices;
    {
      std::lock_guard lock(mutex_);
      auto it = entries_.find(item.name);
      if (it == entries_.end()) continue;
      SpoolEnvelope& env = it->second.env;
      for (std::size_t j = 0; j < item.rcpts.size(); ++j) {
        SpoolRecipient& r = env.recipients[item.rcpts[j]];
        RcptOutcome o = apply_reply(r, rs[j], t, env.received_at, options_.settings.retry);
        log::info("queue", "{}: to=<{}> relay={} attempts={} status={} ({})", env.id, r.address,
                  r.remote_host.empty() ? "none" : r.remote_host, r.attempts, status_word(r.state),
                  r.reason);
        if (o.notice) notices.push_back(std::move(o.dsn));
      }
      copy = env;
    }
    if (!notices.empty()) send_notice(copy, *item.msgs.front(), std::move(notices));
    if (copy.finished()) {
      // Forgotten before its slot is freed: the slot's name comes back with the next message
      // committed into it, whose submit() must not find this finished one still queued (it
      // would be taken for a second submit of the same message and never sent). Every other
      // attempt on this message has recorded its results (the write lock), so none is flying.
      {
        std::lock_guard lock(mutex_);
        drop(item.name);
      }
      forget_requests(spool_.dir(), item.name);
      spool_.release(item.name);
      continue;
    }
    std::error_code ec = spool_.update(item.name, copy);
    if (ec && ec != std::errc::no_such_file_or_directory)
      log::error("queue", "{}: cannot record the delivery state: {}", copy.id, ec.message());
    std::lock_guard lock(mutex_);
    auto it = entries_.find(item.name);
    if (it == entries_.end()) continue;
    it->second.flying.erase(a->domain);
    if (ec == std::errc::no_such_file_or_directory) {
      log::info("queue", "{}: removed from the queue (deleted)", copy.id);
      drop(item.name);
    } else {
      enqueue(item.name, it->second);
    }
  }
  attempt_done(a->domain, any_reply && whole_failure, any_delivered);
}

void RemoteRunner::attempt_done(const std::string& domain, bool whole_failure, bool any_delivered) {
  std::unique_lock lock(mutex_);
  {
    auto it = destinations_.find(domain);
    if (it != destinations_.end()) {
      Destination& d = it->second;
      if (d.busy > 0 && --d.busy == 0) --busy_;
      if (any_delivered) {
        d.failures = 0;
        d.retry_at = 0;
      } else if (whole_failure && d.retry_at <= now()) {
        // (A concurrent attempt that failed as well, after a sibling already backed the
        // destination off, does not count again.)
        ++d.failures;
        d.retry_at = now() + backoff_seconds(d.failures, options_.settings.retry);
        log::warn("queue", "destination {} failed as a whole ({} in a row): backed off {} s",
                  domain, d.failures, d.retry_at - now());
      }
    }
    --in_flight_;
    dirty_ = true;
  }
  if (in_flight_ == 0) idle_cv_.notify_all();
  // What this attempt held back (the destination's next batch, another destination waiting
  // for max_destinations) starts from here, without waking the scheduler thread.
  start_due(lock);
}

void RemoteRunner::send_notice(const SpoolEnvelope& env, const OutboundMessage& msg,
                               std::vector<mime::DsnRecipient> recipients) {
  if (env.mail_from.empty() || !inject_) return;  // never a notice about a notice
  // The original: whole for RET=FULL (up to kMaxReturned), else enough to hold its header.
  const bool full = wants_full_return(env) && msg.size <= kMaxReturned;
  const std::uint64_t limit =
      full ? msg.size : std::min<std::uint64_t>(msg.size, kMaxReturnedHeader);
  std::string original, chunk;
  while (original.size() < limit) {
    if (auto ec = msg.read(original.size(),
                           std::min<std::uint64_t>(64 * 1024, limit - original.size()), chunk);
        ec || chunk.empty())
      break;
    original += chunk;
    if (!full && original.find("\r\n\r\n") != std::string::npos) break;
  }
  const std::size_t count = recipients.size();
  std::string notice =
      build_notice(env, std::move(recipients), std::move(original), options_.hostname, now());
  if (auto ec = inject_("", env.mail_from, std::move(notice))) {
    log::error("queue", "{}: cannot queue the delivery status notification to <{}>: {}", env.id,
               env.mail_from, ec.message());
    return;
  }
  log::info("queue", "{}: delivery status notification for {} recipient(s) sent to <{}>", env.id,
            count, env.mail_from);
}

}  // namespace estafeta::queue
