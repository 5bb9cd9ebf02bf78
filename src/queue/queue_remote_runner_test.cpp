// queue_remote_runner_test: the outbound queue over a real spool in a temporary directory,
// with a fake Transport (answers given by the test), a fake clock (advanced by the test, then
// poke()) and a small worker pool: per-recipient results, the retry schedule, destination
// backoff, expiry, notices (contents, null sender, NOTIFY), a restart mid-way, operator
// requests, batching, and the hand-over from the LocalRunner.
#include "queue/queue_remote_runner.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <fstream>

#include "base/test_temp_dir.hpp"
#include "delivery/delivery_maildir.hpp"
#include "queue/queue_control.hpp"
#include "queue/queue_local_runner.hpp"

namespace estafeta::queue {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A few worker threads; the destructor runs what is left, then joins.
class TestPool {
 public:
  TestPool() {
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { loop(); });
  }
  ~TestPool() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  void post(std::function<void()> f) {
    {
      std::lock_guard lock(mutex_);
      jobs_.push_back(std::move(f));
    }
    cv_.notify_one();
  }

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
      cv_.wait(lock, [&] { return done_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      auto f = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      f();
      lock.lock();
    }
  }
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  bool done_ = false;
};

// Keeps every deliver() call until the test answers it (or answers at once with `respond`).
class FakeTransport : public Transport {
 public:
  struct Call {
    std::string domain;
    std::vector<std::shared_ptr<const OutboundMessage>> messages;
    Done done;
  };
  std::function<std::vector<std::vector<RemoteReply>>(const Call&)> respond;

  void deliver(std::string domain, std::vector<std::shared_ptr<const OutboundMessage>> messages,
               Done done) override {
    Call c{std::move(domain), std::move(messages), std::move(done)};
    if (respond) {
      auto replies = respond(c);
      c.done(std::move(replies));
      std::lock_guard lock(mutex_);
      answered_.push_back(std::move(c));
      return;
    }
    std::lock_guard lock(mutex_);
    pending_.push_back(std::move(c));
  }
  std::size_t pending() {
    std::lock_guard lock(mutex_);
    return pending_.size();
  }
  std::size_t calls() {
    std::lock_guard lock(mutex_);
    return pending_.size() + answered_.size();
  }
  // The oldest unanswered call (the test must have seen pending() > 0).
  Call take() {
    std::lock_guard lock(mutex_);
    Call c = std::move(pending_.front());
    pending_.pop_front();
    return c;
  }

 private:
  std::mutex mutex_;
  std::deque<Call> pending_;
  std::vector<Call> answered_;
};

RemoteReply reply(RemoteReply::Kind kind, int code, std::string enhanced, std::string text,
                  bool from_server = true) {
  RemoteReply r;
  r.kind = kind;
  r.code = code;
  r.enhanced = std::move(enhanced);
  r.text = std::move(text);
  r.from_server = from_server;
  r.remote_host = from_server ? "mx.remote.example" : "";
  return r;
}
const RemoteReply kOk = reply(RemoteReply::Kind::delivered, 250, "2.0.0", "ok queued");
const RemoteReply kBusy = reply(RemoteReply::Kind::deferred, 451, "4.3.0", "busy, try later");
const RemoteReply kNoUser = reply(RemoteReply::Kind::bounced, 550, "5.1.1", "no such user");
const RemoteReply kUnreachable =
    reply(RemoteReply::Kind::deferred, 0, "4.4.1", "connection refused", false);

template <class F>
bool eventually(F f, std::chrono::milliseconds limit = 5000ms) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (!f()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

constexpr std::string_view kMessage =
    "From: Sender <sender@example.net>\r\nTo: bob@remote.example\r\nSubject: hello\r\n"
    "Message-ID: <m1@example.net>\r\n\r\nthe body line\r\n";

class RemoteRunnerTest : public ::testing::Test {
 protected:
  struct Notice {
    std::string from, rcpt, message;
  };

  void SetUp() override {
    dir_ = tmp_.path();
    spool_ = std::make_unique<Spool>(SpoolOptions{dir_ / "spool", false, 4});
    std::vector<SpoolEntry> found;
    ASSERT_FALSE(spool_->open(found));
  }
  void TearDown() override {
    runner_.reset();
    pool_.reset();
  }

  RemoteOptions options() {
    RemoteOptions o;
    o.hostname = "mx.test.example";
    o.control_poll = 20ms;
    o.now = [this] { return clock_.load(); };
    o.settings = settings_;
    return o;
  }
  void start() {
    if (!pool_) pool_ = std::make_unique<TestPool>();
    runner_ = std::make_unique<RemoteRunner>(
        *spool_, transport_, [this](std::function<void()> f) { pool_->post(std::move(f)); },
        [this](const std::string& from, const std::string& rcpt, std::string message) {
          std::lock_guard lock(mutex_);
          notices_.push_back({from, rcpt, std::move(message)});
          return std::error_code();
        },
        options());
    runner_->start();
  }
  SpoolEnvelope envelope(std::vector<std::string> rcpts, std::string from = "sender@example.net") {
    SpoolEnvelope e;
    e.id = "ID" + std::to_string(++ids_);
    e.mail_from = std::move(from);
    e.received = "Received: from client by mx.test.example; now\r\n";
    e.received_at = clock_.load();
    for (auto& a : rcpts) {
      SpoolRecipient r;
      r.address = a;
      e.recipients.push_back(r);
    }
    return e;
  }
  // Commits a message and returns it as read back.
  SpoolEntry commit(SpoolEnvelope e, std::string_view data = kMessage) {
    std::error_code ec;
    auto w = spool_->begin(ec);
    EXPECT_TRUE(w);
    EXPECT_FALSE(w->append(data));
    EXPECT_FALSE(w->commit(e));
    std::string error;
    auto entry = spool_->load(w->name(), error);
    EXPECT_TRUE(entry) << error;
    return *entry;
  }
  std::optional<SpoolEnvelope> record(const std::string& name) {
    std::string error;
    auto e = spool_->load(name, error);
    if (!e) return std::nullopt;
    return e->envelope;
  }
  std::size_t entries() {
    std::vector<std::string> errors;
    return spool_->list(errors).size();
  }
  std::size_t notice_count() {
    std::lock_guard lock(mutex_);
    return notices_.size();
  }
  Notice notice(std::size_t i) {
    std::lock_guard lock(mutex_);
    return notices_.at(i);
  }
  // Answers the oldest call with one reply for each of its recipients.
  // With `idle`, waits until nothing is in flight (not when more attempts follow at once).
  FakeTransport::Call answer(const std::vector<RemoteReply>& per_rcpt_of_first,
                             const RemoteReply* rest = nullptr, bool idle = true) {
    EXPECT_TRUE(eventually([&] { return transport_.pending() > 0; }));
    FakeTransport::Call c = transport_.take();
    std::vector<std::vector<RemoteReply>> replies;
    for (std::size_t i = 0; i < c.messages.size(); ++i) {
      if (i == 0) {
        replies.push_back(per_rcpt_of_first);
      } else {
        replies.emplace_back(c.messages[i]->recipients.size(), rest ? *rest : kOk);
      }
    }
    auto copy = c;
    c.done(std::move(replies));
    if (idle) {
      EXPECT_TRUE(runner_->wait_idle(5s));
    }
    return copy;
  }
  void advance(std::int64_t seconds) {
    clock_ += seconds;
    runner_->poke();
  }
  // No deliver() call comes within a short while.
  void expect_quiet() {
    std::this_thread::sleep_for(60ms);
    EXPECT_EQ(transport_.pending(), 0u);
  }

  estafeta::testing::TempDir tmp_;
  fs::path dir_;
  std::unique_ptr<Spool> spool_;
  FakeTransport transport_;
  std::unique_ptr<TestPool> pool_;
  std::unique_ptr<RemoteRunner> runner_;
  std::atomic<std::int64_t> clock_{1800000000};
  Settings settings_;
  std::mutex mutex_;
  std::vector<Notice> notices_;
  int ids_ = 0;
};

// A finished message's slot is reused at once by the next message committed (same file
// name): that message must be queued, not taken for the finished one submitted again. Two
// threads commit and submit while deliveries finish on the pool; every message must leave
// (before the fix a few of them stayed "pending" with no attempt until a restart).
TEST_F(RemoteRunnerTest, AMessageInAReusedSlotIsSentToo) {
  std::atomic<int> sent{0};
  transport_.respond = [&](const FakeTransport::Call& c) {
    std::vector<std::vector<RemoteReply>> replies;
    for (const auto& m : c.messages) replies.emplace_back(m->recipients.size(), kOk);
    sent += static_cast<int>(c.messages.size());
    return replies;
  };
  start();
  constexpr int kEach = 300;
  auto inject = [&](int thread) {
    for (int i = 0; i < kEach; ++i) {
      SpoolEnvelope e;
      e.id = "T" + std::to_string(thread) + "N" + std::to_string(i);
      e.mail_from = "sender@example.net";
      e.received_at = clock_.load();
      SpoolRecipient r;
      r.address = "u" + std::to_string(i) + "@remote.example";
      e.recipients.push_back(r);
      std::error_code ec;
      auto w = spool_->begin(ec);
      ASSERT_TRUE(w) << ec.message();
      ASSERT_FALSE(w->append(kMessage));
      ASSERT_FALSE(w->commit(e));
      runner_->submit(SpoolEntry{w->name(), e, 0});
    }
  };
  std::thread a(inject, 1), b(inject, 2);
  a.join();
  b.join();
  EXPECT_TRUE(eventually([&] { return sent == 2 * kEach && runner_->queued() == 0; }, 20s))
      << sent << " of " << 2 * kEach << " sent, " << runner_->queued() << " still queued";
}

TEST_F(RemoteRunnerTest, EachRecipientGetsItsOwnOutcome) {
  start();
  SpoolEntry e = commit(envelope({"a@Remote.Example", "b@remote.example", "c@remote.example"}));
  runner_->submit(e);
  auto call = answer({kOk, kBusy, kNoUser});
  EXPECT_EQ(call.domain, "remote.example");
  ASSERT_EQ(call.messages.size(), 1u);
  const OutboundMessage& m = *call.messages[0];
  EXPECT_EQ(m.mail_from, "sender@example.net");
  ASSERT_EQ(m.recipients.size(), 3u);
  EXPECT_EQ(m.recipients[0].address, "a@Remote.Example");
  // The content: our Received field, then the message as received.
  std::string content, chunk;
  while (!m.read(content.size(), 7, chunk) && !chunk.empty()) content += chunk;
  EXPECT_EQ(content, e.envelope.received + std::string(kMessage));
  EXPECT_EQ(m.size, content.size());

  auto rec = record(e.name);
  ASSERT_TRUE(rec);
  const auto& rs = rec->recipients;
  EXPECT_EQ(rs[0].state, RcptState::delivered);
  EXPECT_EQ(rs[1].state, RcptState::deferred);
  EXPECT_EQ(rs[1].attempts, 1u);
  EXPECT_EQ(rs[1].next_attempt, clock_.load() + 300);
  EXPECT_EQ(rs[1].reason, "451 4.3.0 busy, try later");
  EXPECT_EQ(rs[1].remote_host, "mx.remote.example");
  EXPECT_TRUE(rs[1].remote_reply);
  EXPECT_EQ(rs[2].state, RcptState::failed);
  EXPECT_EQ(rs[2].reason, "550 5.1.1 no such user");
  // One notice, for the failed recipient only.
  ASSERT_EQ(notice_count(), 1u);
  Notice n = notice(0);
  EXPECT_EQ(n.from, "");
  EXPECT_EQ(n.rcpt, "sender@example.net");
  EXPECT_NE(n.message.find("From: Mail Delivery System <MAILER-DAEMON@mx.test.example>"),
            std::string::npos);
  EXPECT_NE(n.message.find("multipart/report; report-type=delivery-status"), std::string::npos);
  EXPECT_NE(n.message.find("Final-Recipient: rfc822; c@remote.example"), std::string::npos);
  EXPECT_EQ(n.message.find("Final-Recipient: rfc822; b@remote.example"), std::string::npos);
  EXPECT_NE(n.message.find("Action: failed"), std::string::npos);
  EXPECT_NE(n.message.find("Status: 5.1.1"), std::string::npos);
  EXPECT_NE(n.message.find("Remote-MTA: dns; mx.remote.example"), std::string::npos);
  EXPECT_NE(n.message.find("Diagnostic-Code: smtp; 550 5.1.1 no such user"), std::string::npos);
  // RET absent: the original's header, not its body.
  EXPECT_NE(n.message.find("text/rfc822-headers"), std::string::npos);
  EXPECT_NE(n.message.find("Subject: hello"), std::string::npos);
  EXPECT_EQ(n.message.find("the body line"), std::string::npos);
  EXPECT_NE(n.message.find("In-Reply-To: <m1@example.net>"), std::string::npos);
  EXPECT_EQ(runner_->queued(), 1u);
}

TEST_F(RemoteRunnerTest, ForwardedCopiesCarryDeliveredToAndLoopsAreBounced) {
  start();
  // b is forwarded for fwd@fwd.example (first time: sent with Delivered-To on top); c for
  // loop@fwd.example, whose Delivered-To the message already has: it came back, a loop.
  SpoolEnvelope env = envelope({"a@remote.example", "b@remote.example", "c@remote.example"});
  for (std::size_t i : {1u, 2u})
    env.recipients[i].sender = "SRS0=ABCDE=AA=example.net=s@fwd.example";
  env.recipients[1].via = "fwd@fwd.example";
  env.recipients[2].via = "Loop@Fwd.Example";
  const std::string data = "Delivered-To: <loop@fwd.example>\r\n" + std::string(kMessage);
  SpoolEntry e = commit(env, data);
  runner_->submit(e);
  ASSERT_TRUE(eventually([&] { return transport_.pending() > 0; }));
  FakeTransport::Call c = transport_.take();
  ASSERT_EQ(c.messages.size(), 2u);  // the looped copy never reaches the transport
  EXPECT_EQ(c.messages[0]->recipients[0].address, "a@remote.example");
  ASSERT_EQ(c.messages[1]->recipients.size(), 1u);
  EXPECT_EQ(c.messages[1]->recipients[0].address, "b@remote.example");
  std::string content;
  ASSERT_FALSE(c.messages[1]->read(0, 1 << 20, content));
  EXPECT_EQ(content.size(), c.messages[1]->size);
  EXPECT_TRUE(content.starts_with(env.received + "Delivered-To: fwd@fwd.example\r\n")) << content;
  ASSERT_FALSE(c.messages[0]->read(0, 1 << 20, content));
  EXPECT_EQ(content.find("Delivered-To: fwd"), std::string::npos);
  c.done({{kOk}, {kOk}});
  ASSERT_TRUE(runner_->wait_idle(5s));
  auto rec = record(e.name);
  ASSERT_TRUE(!rec || rec->recipients[2].state == RcptState::failed);
  ASSERT_EQ(notice_count(), 1u);
  EXPECT_NE(notice(0).message.find("5.4.6 mail forwarding loop for Loop@Fwd.Example"),
            std::string::npos)
      << notice(0).message;
}

// Small messages come with their content preloaded (no worker hop to send them); one larger
// than 64 KiB is left to read().
TEST_F(RemoteRunnerTest, SmallMessagesArePreloaded) {
  start();
  SpoolEntry small = commit(envelope({"a@remote.example"}));
  const std::string big_body = "Subject: big\r\n\r\n" + std::string(70 * 1024, 'x') + "\r\n";
  SpoolEntry big = commit(envelope({"b@remote.example"}), big_body);
  runner_->submit(small);
  runner_->submit(big);
  std::size_t seen = 0;
  for (int i = 0; i < 2 && seen < 2; ++i) {
    ASSERT_TRUE(eventually([&] { return transport_.pending() > 0; }));
    FakeTransport::Call c = transport_.take();
    std::vector<std::vector<RemoteReply>> replies;
    for (const auto& m : c.messages) {  // read before the reply releases the spool slot
      ++seen;
      std::string content, chunk;
      while (!m->read(content.size(), 64 * 1024, chunk) && !chunk.empty()) content += chunk;
      EXPECT_EQ(content.size(), m->size);
      if (m->id == small.envelope.id) {
        EXPECT_EQ(m->preloaded, content);
      } else {
        EXPECT_EQ(m->id, big.envelope.id);
        EXPECT_TRUE(m->preloaded.empty());
      }
      replies.emplace_back(m->recipients.size(), kOk);
    }
    c.done(std::move(replies));
  }
  EXPECT_EQ(seen, 2u);
  EXPECT_TRUE(runner_->wait_idle(5s));
}

// A message handed over with its data in memory (SpoolEntry::data, from the session that
// committed it) goes to the transport from there, on the submitting thread: deliver() has
// been called when submit() returns, and the content is the memory's (here made to differ
// from the spool's, same length, to tell them apart). A message that has to wait for its
// destination reads the spool when its turn comes, and sees hold requests first.
TEST_F(RemoteRunnerTest, AFreshMessageGoesFromMemoryAWaitingOneFromTheSpool) {
  settings_.destination_concurrency = 1;
  start();
  runner_->submit(commit(envelope({"w@warm.example"})));  // the scheduler's first control read
  answer({kOk});
  std::string memory(kMessage);
  memory.replace(memory.find("hello"), 5, "HELLO");
  SpoolEntry first = commit(envelope({"a@remote.example"}));
  first.data = std::make_shared<const std::string>(memory);
  runner_->submit(first);
  ASSERT_EQ(transport_.pending(), 1u);  // no trip to the pool before deliver()
  SpoolEntry second = commit(envelope({"b@remote.example"}));
  second.data = std::make_shared<const std::string>(memory);
  runner_->submit(second);  // the destination is busy: it waits
  SpoolEntry held = commit(envelope({"c@other.example"}));
  ASSERT_EQ(hold_message(*spool_, held.envelope.id), "");
  held.data = std::make_shared<const std::string>(memory);
  FakeTransport::Call c = transport_.take();
  ASSERT_EQ(c.messages.size(), 1u);
  EXPECT_EQ(c.messages[0]->preloaded, first.envelope.received + memory);
  std::string content;
  ASSERT_FALSE(c.messages[0]->read(0, 1 << 20, content));
  EXPECT_EQ(content, first.envelope.received + memory);
  c.done({{kOk}});
  ASSERT_TRUE(eventually([&] { return transport_.pending() > 0; }));
  c = transport_.take();
  ASSERT_EQ(c.messages.size(), 1u);
  EXPECT_EQ(c.messages[0]->id, second.envelope.id);
  EXPECT_EQ(c.messages[0]->preloaded, second.envelope.received + std::string(kMessage));
  c.done({{kOk}});
  EXPECT_TRUE(runner_->wait_idle(5s));
  EXPECT_FALSE(record(first.name));  // both delivered: slots released
  EXPECT_FALSE(record(second.name));
  // A hold request made before the message was handed over is honoured all the same.
  runner_->submit(held);
  expect_quiet();
  ASSERT_TRUE(record(held.name));
  EXPECT_EQ(record(held.name)->recipients[0].attempts, 0u);
}

TEST_F(RemoteRunnerTest, ForwardedCopiesLeaveWithTheirOwnSender) {
  start();
  SpoolEnvelope env = envelope({"a@remote.example", "b@remote.example", "c@remote.example"});
  env.recipients[1].sender = "SRS0=ABCDE=AA=example.net=sender@fwd.example";
  env.recipients[1].orcpt = "rfc822;fwd@fwd.example";
  SpoolEntry e = commit(env);
  runner_->submit(e);
  ASSERT_TRUE(eventually([&] { return transport_.pending() > 0; }));
  FakeTransport::Call c = transport_.take();
  // Two messages for one destination: the message's sender for a and c, the SRS one for b.
  ASSERT_EQ(c.messages.size(), 2u);
  EXPECT_EQ(c.messages[0]->mail_from, "sender@example.net");
  ASSERT_EQ(c.messages[0]->recipients.size(), 2u);
  EXPECT_EQ(c.messages[0]->recipients[0].address, "a@remote.example");
  EXPECT_EQ(c.messages[0]->recipients[1].address, "c@remote.example");
  EXPECT_EQ(c.messages[1]->mail_from, env.recipients[1].sender);
  ASSERT_EQ(c.messages[1]->recipients.size(), 1u);
  EXPECT_EQ(c.messages[1]->recipients[0].address, "b@remote.example");
  EXPECT_EQ(c.messages[1]->recipients[0].orcpt, "rfc822;fwd@fwd.example");
  // Replies go back to the right recipients.
  c.done({{kOk, kBusy}, {kNoUser}});
  ASSERT_TRUE(runner_->wait_idle(5s));
  auto rec = record(e.name);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->recipients[0].state, RcptState::delivered);
  EXPECT_EQ(rec->recipients[1].state, RcptState::failed);
  EXPECT_EQ(rec->recipients[1].sender, env.recipients[1].sender);
  EXPECT_EQ(rec->recipients[2].state, RcptState::deferred);
  // Our own bounce goes to the original sender, naming the alias.
  ASSERT_EQ(notice_count(), 1u);
  EXPECT_EQ(notice(0).rcpt, "sender@example.net");
  EXPECT_NE(notice(0).message.find("Original-Recipient: rfc822; fwd@fwd.example"),
            std::string::npos);
}

TEST_F(RemoteRunnerTest, ADeferredRecipientIsRetriedAfterTheBackoff) {
  start();
  SpoolEntry e = commit(envelope({"a@remote.example", "b@remote.example"}));
  runner_->submit(e);
  answer({kOk, kBusy});
  advance(299);
  expect_quiet();
  advance(1);
  auto call = answer({kBusy});
  ASSERT_EQ(call.messages[0]->recipients.size(), 1u);
  EXPECT_EQ(call.messages[0]->recipients[0].address, "b@remote.example");
  auto rec = record(e.name);
  EXPECT_EQ(rec->recipients[1].attempts, 2u);
  EXPECT_EQ(rec->recipients[1].next_attempt, clock_.load() + 600);  // doubled
  advance(600);
  answer({kOk});
  EXPECT_EQ(entries(), 0u);  // every recipient done: the slot is released
  EXPECT_EQ(runner_->queued(), 0u);
  EXPECT_EQ(notice_count(), 0u);
}

TEST_F(RemoteRunnerTest, ADestinationThatFailsAsAWholeIsBackedOffAsAWhole) {
  start();
  SpoolEntry first = commit(envelope({"a@dead.example"}));
  runner_->submit(first);
  answer({kUnreachable});
  // A new message for that destination waits for the destination's retry time, although
  // its own recipient is due now.
  SpoolEntry second = commit(envelope({"b@dead.example"}));
  runner_->submit(second);
  // Other destinations are not affected.
  SpoolEntry other = commit(envelope({"c@alive.example"}));
  runner_->submit(other);
  auto call = answer({kOk});
  EXPECT_EQ(call.domain, "alive.example");
  expect_quiet();
  advance(300);
  call = answer({kOk}, &kOk);
  EXPECT_EQ(call.domain, "dead.example");
  EXPECT_EQ(call.messages.size(), 2u);  // both, over the same connection
  EXPECT_EQ(entries(), 0u);
  // The success cleared the backoff: a new message goes at once.
  runner_->submit(commit(envelope({"d@dead.example"})));
  answer({kOk});
}

TEST_F(RemoteRunnerTest, ServerDeferralsDoNotBackOffTheDestination) {
  start();
  runner_->submit(commit(envelope({"a@remote.example"})));
  answer({kBusy});
  runner_->submit(commit(envelope({"b@remote.example"})));
  answer({kOk});  // tried at once: the destination answered
}

TEST_F(RemoteRunnerTest, AnExpiredRecipientFailsWith447AndABounce) {
  start();
  SpoolEnvelope env = envelope({"a@remote.example"});
  env.received_at = clock_.load() - 5 * 86400 + 10;  // expires in 10 s
  env.recipients[0].notify = "FAILURE";
  SpoolEntry e = commit(env);
  runner_->submit(e);
  answer({kBusy});
  auto rec = record(e.name);
  EXPECT_EQ(rec->recipients[0].next_attempt, clock_.load() + 10);  // a last try at expiry
  advance(10);
  answer({kBusy});
  EXPECT_EQ(entries(), 0u);
  ASSERT_EQ(notice_count(), 1u);
  std::string n = notice(0).message;
  EXPECT_NE(n.find("Action: failed"), std::string::npos);
  EXPECT_NE(n.find("Status: 4.4.7"), std::string::npos);
  EXPECT_NE(n.find("Diagnostic-Code: smtp; 451 4.3.0 busy, try later"), std::string::npos);
}

TEST_F(RemoteRunnerTest, NeverANoticeToTheNullSender) {
  start();
  SpoolEntry e = commit(envelope({"a@remote.example"}, ""));
  runner_->submit(e);
  answer({kNoUser});
  EXPECT_EQ(entries(), 0u);
  EXPECT_EQ(notice_count(), 0u);
}

TEST_F(RemoteRunnerTest, NotifyNeverMeansNoNotice) {
  start();
  SpoolEnvelope env = envelope({"a@remote.example"});
  env.recipients[0].notify = "NEVER";
  runner_->submit(commit(env));
  answer({kNoUser});
  EXPECT_EQ(notice_count(), 0u);
}

TEST_F(RemoteRunnerTest, SuccessIsReportedWhenAskedAndNotPassedOn) {
  start();
  SpoolEnvelope env = envelope({"a@remote.example", "b@remote.example", "c@remote.example"});
  env.recipients[0].notify = "SUCCESS,FAILURE";
  env.recipients[0].orcpt = "rfc822;a@remote.example";
  env.recipients[1].notify = "SUCCESS";
  env.envid = "env-42";
  runner_->submit(commit(env));
  RemoteReply passed = kOk;
  passed.dsn_passed_on = true;  // b's next hop reports itself
  answer({kOk, passed, kOk});
  ASSERT_EQ(notice_count(), 1u);
  std::string n = notice(0).message;
  EXPECT_NE(n.find("Subject: Delivery Status Notification (Success)"), std::string::npos);
  EXPECT_NE(n.find("Action: relayed"), std::string::npos);
  EXPECT_NE(n.find("Final-Recipient: rfc822; a@remote.example"), std::string::npos);
  EXPECT_NE(n.find("Original-Recipient: rfc822; a@remote.example"), std::string::npos);
  EXPECT_NE(n.find("Original-Envelope-Id: env-42"), std::string::npos);
  EXPECT_EQ(n.find("b@remote.example;"), std::string::npos);
  EXPECT_EQ(n.find("Final-Recipient: rfc822; c@"), std::string::npos);  // no NOTIFY: no news
}

TEST_F(RemoteRunnerTest, ADelayNoticeGoesOnceAfterTheWarningTime) {
  start();
  SpoolEnvelope env = envelope({"a@remote.example", "b@remote.example"});
  env.received_at = clock_.load() - 4 * 3600;
  env.recipients[1].notify = "FAILURE";  // no DELAY: no delay notice for b
  SpoolEntry e = commit(env);
  runner_->submit(e);
  answer({kBusy, kBusy});
  ASSERT_EQ(notice_count(), 1u);
  std::string n = notice(0).message;
  EXPECT_NE(n.find("Subject: Delivery Status Notification (Delay)"), std::string::npos);
  EXPECT_NE(n.find("Action: delayed"), std::string::npos);
  EXPECT_NE(n.find("Will-Retry-Until:"), std::string::npos);
  EXPECT_NE(n.find("Final-Recipient: rfc822; a@remote.example"), std::string::npos);
  EXPECT_EQ(n.find("Final-Recipient: rfc822; b@remote.example"), std::string::npos);
  EXPECT_TRUE(record(e.name)->recipients[0].delay_notified);
  advance(300);
  answer({kBusy, kBusy});
  EXPECT_EQ(notice_count(), 1u);  // once only
}

TEST_F(RemoteRunnerTest, RetFullReturnsTheWholeMessage) {
  start();
  SpoolEnvelope env = envelope({"a@remote.example"});
  env.ret = "FULL";
  runner_->submit(commit(env));
  answer({kNoUser});
  ASSERT_EQ(notice_count(), 1u);
  std::string n = notice(0).message;
  EXPECT_NE(n.find("Content-Type: message/rfc822"), std::string::npos);
  EXPECT_NE(n.find("the body line"), std::string::npos);
  EXPECT_NE(n.find("Received: from client by mx.test.example"), std::string::npos);
}

TEST_F(RemoteRunnerTest, ALostFinalReplyIsRetriedAtMostOnce) {
  start();
  SpoolEntry e = commit(envelope({"a@remote.example"}));
  runner_->submit(e);
  RemoteReply lost =
      reply(RemoteReply::Kind::deferred, 0, "4.4.2", "timeout after the final dot", false);
  lost.final_reply_lost = true;
  answer({lost});
  auto rec = record(e.name);
  EXPECT_EQ(rec->recipients[0].state, RcptState::deferred);
  EXPECT_TRUE(rec->recipients[0].reply_lost);
  advance(300);
  answer({lost});
  EXPECT_EQ(entries(), 0u);  // failed: no third copy
  ASSERT_EQ(notice_count(), 1u);
  EXPECT_NE(notice(0).message.find("Status: 4.4.2"), std::string::npos);
}

TEST_F(RemoteRunnerTest, ARestartResumesFromTheRecord) {
  settings_.batch_size = 1;
  start();
  SpoolEntry deferred = commit(envelope({"a@one.example"}));
  SpoolEntry unanswered = commit(envelope({"b@two.example"}));
  runner_->submit(deferred);
  runner_->submit(unanswered);
  ASSERT_TRUE(eventually([&] { return transport_.pending() == 2; }));
  FakeTransport::Call c1 = transport_.take(), c2 = transport_.take();
  if (c1.domain != "one.example") std::swap(c1, c2);
  c1.done({{kBusy}});
  ASSERT_TRUE(eventually([&] { return record(deferred.name)->recipients[0].attempts == 1; }));
  // The server dies with two's attempt at the transport; its reply comes too late.
  runner_.reset();
  c2.done({{kOk}});
  pool_.reset();
  // A new server over the same spool directory.
  spool_ = std::make_unique<Spool>(SpoolOptions{dir_ / "spool", false, 4});
  std::vector<SpoolEntry> found;
  ASSERT_FALSE(spool_->open(found));
  ASSERT_EQ(found.size(), 2u);
  start();
  for (auto& f : found) runner_->submit(f);
  // two.example was never recorded: tried at once; one.example waits for its next_attempt.
  auto call = answer({kOk});
  EXPECT_EQ(call.domain, "two.example");
  expect_quiet();
  advance(300);
  call = answer({kOk});
  EXPECT_EQ(call.domain, "one.example");
  EXPECT_EQ(entries(), 0u);
}

TEST_F(RemoteRunnerTest, HoldReleaseRetryAndDelete) {
  start();
  SpoolEntry e = commit(envelope({"a@remote.example"}));
  ASSERT_EQ(hold_message(*spool_, e.envelope.id), "");
  EXPECT_TRUE(is_held(spool_->dir(), e));
  runner_->submit(e);
  expect_quiet();  // held before its first attempt
  ASSERT_EQ(release_message(*spool_, e.name), "");
  EXPECT_NE(release_message(*spool_, e.name), "");  // not on hold any more
  runner_->poke();
  answer({kBusy});
  // Retry: due now although its next attempt is 300 s away.
  ASSERT_EQ(retry_messages(*spool_, e.envelope.id), "");
  runner_->poke();
  answer({kBusy});
  EXPECT_EQ(record(e.name)->recipients[0].attempts, 2u);
  EXPECT_FALSE(fs::exists(control_dir(spool_->dir()) / "retry" / e.name));  // consumed
  // Retry every message.
  ASSERT_EQ(retry_messages(*spool_, ""), "");
  runner_->poke();
  answer({kBusy});
  // Delete: gone from the spool at once, forgotten by the runner at its next attempt.
  ASSERT_EQ(delete_message(*spool_, e.envelope.id), "");
  EXPECT_EQ(entries(), 0u);
  EXPECT_NE(delete_message(*spool_, e.envelope.id), "");
  advance(4000);
  ASSERT_TRUE(eventually([&] { return runner_->queued() == 0; }));
  EXPECT_EQ(transport_.pending(), 0u);
  EXPECT_NE(hold_message(*spool_, "NOSUCHID"), "");
}

TEST_F(RemoteRunnerTest, AHoldIsKeptAcrossARestart) {
  SpoolEntry e = commit(envelope({"a@remote.example"}));
  ASSERT_EQ(hold_message(*spool_, e.name), "");
  start();
  runner_->submit(e);
  expect_quiet();
  EXPECT_EQ(runner_->queued(), 1u);
  ASSERT_EQ(release_message(*spool_, e.envelope.id), "");
  runner_->poke();
  answer({kOk});
  EXPECT_EQ(entries(), 0u);
}

TEST_F(RemoteRunnerTest, BatchesAndDestinationsAreBounded) {
  settings_.batch_size = 2;
  settings_.max_destinations = 1;
  settings_.destination_concurrency = 1;  // one call per destination: the batches come in turn
  start();
  for (int i = 0; i < 3; ++i) runner_->submit(commit(envelope({"x@one.example"})));
  runner_->submit(commit(envelope({"y@two.example"})));
  ASSERT_TRUE(eventually([&] { return transport_.pending() == 1; }));
  std::this_thread::sleep_for(60ms);
  EXPECT_EQ(transport_.pending(), 1u);  // one destination at a time
  std::size_t total = 0;
  for (int calls = 0; calls < 3; ++calls) {
    auto c = answer({kOk}, &kOk, false);
    EXPECT_LE(c.messages.size(), 2u);
    total += c.messages.size();
  }
  EXPECT_EQ(total, 4u);
  EXPECT_TRUE(runner_->wait_idle(5s));
  EXPECT_TRUE(eventually([&] { return entries() == 0; }));
}

TEST_F(RemoteRunnerTest, ATransportMayAnswerAtOnceOnTheCallingThread) {
  transport_.respond = [](const FakeTransport::Call& c) {
    std::vector<std::vector<RemoteReply>> out;
    for (const auto& m : c.messages) out.emplace_back(m->recipients.size(), kOk);
    return out;
  };
  start();
  for (int i = 0; i < 5; ++i) runner_->submit(commit(envelope({"a@remote.example"})));
  ASSERT_TRUE(eventually([&] { return entries() == 0; }));
  EXPECT_TRUE(runner_->wait_idle(5s));
}

TEST_F(RemoteRunnerTest, LocalAndRemoteRecipientsOfOneMessage) {
  start();
  delivery::LocalDelivery delivery({false, "host"});
  LocalRunner local(*spool_, delivery, [](std::function<void()> f) { f(); });
  local.set_remote([this](SpoolEntry e) { runner_->submit(std::move(e)); });
  SpoolEnvelope env = envelope({"alice@example.org", "bob@remote.example"});
  env.maildir_name = delivery::maildir_base_name("host");
  env.recipients[0].local.push_back(
      {"alice@example.org", (dir_ / "mail" / "alice").string(), "", "alice@example.org"});
  SpoolEntry e = commit(env);
  local.deliver(e, false);
  std::size_t in_maildir = 0;
  for (const auto& f : fs::directory_iterator(dir_ / "mail" / "alice" / "new")) {
    (void)f;
    ++in_maildir;
  }
  EXPECT_EQ(in_maildir, 1u);
  auto rec = record(e.name);
  ASSERT_TRUE(rec);  // still spooled: bob is pending
  EXPECT_EQ(rec->recipients[0].state, RcptState::delivered);
  auto call = answer({kOk});
  ASSERT_EQ(call.messages[0]->recipients.size(), 1u);
  EXPECT_EQ(call.messages[0]->recipients[0].address, "bob@remote.example");
  EXPECT_EQ(entries(), 0u);
}

TEST_F(RemoteRunnerTest, RecoveredEntriesReachTheRemoteRunnerThroughTheLocalRunner) {
  SpoolEnvelope env = envelope({"bob@remote.example"});
  SpoolEntry e = commit(env);
  start();
  delivery::LocalDelivery delivery({false, "host"});
  LocalRunner local(*spool_, delivery, [](std::function<void()> f) { f(); });
  local.set_remote([this](SpoolEntry x) { runner_->submit(std::move(x)); });
  std::vector<SpoolEntry> recovered{e};
  local.start(std::move(recovered));
  answer({kOk});
  EXPECT_EQ(entries(), 0u);
  local.stop();
}

// A message with nothing local goes to the hook on the submitting thread (no worker job);
// one with local recipients still goes through the pool first.
TEST_F(RemoteRunnerTest, RemoteOnlyMailIsHandedOverWithoutAWorker) {
  delivery::LocalDelivery delivery({false, "host"});
  int posted = 0;
  LocalRunner local(*spool_, delivery, [&](std::function<void()> f) {
    ++posted;
    f();
  });
  std::vector<std::string> handed;
  local.set_remote([&](SpoolEntry x) { handed.push_back(x.name); });
  SpoolEntry remote_only = commit(envelope({"bob@remote.example"}));
  local.submit(remote_only);
  EXPECT_EQ(posted, 0);
  ASSERT_EQ(handed.size(), 1u);
  EXPECT_EQ(handed[0], remote_only.name);
  EXPECT_EQ(local.in_flight(), 0u);
  SpoolEnvelope env = envelope({"alice@example.org", "carol@remote.example"});
  env.maildir_name = delivery::maildir_base_name("host");
  env.recipients[0].local.push_back(
      {"alice@example.org", (dir_ / "mail" / "alice").string(), "", "alice@example.org"});
  SpoolEntry both = commit(env);
  local.submit(both);
  EXPECT_EQ(posted, 1);
  ASSERT_EQ(handed.size(), 2u);
  EXPECT_EQ(handed[1], both.name);
}

TEST_F(RemoteRunnerTest, WithoutTheHookRemoteRecipientsStayPending) {
  delivery::LocalDelivery delivery({false, "host"});
  LocalRunner local(*spool_, delivery, [](std::function<void()> f) { f(); });
  SpoolEntry e = commit(envelope({"bob@remote.example"}));
  local.deliver(e, true);
  auto rec = record(e.name);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->recipients[0].state, RcptState::pending);
}

TEST_F(RemoteRunnerTest, DestinationConcurrencyAllowsParallelBatches) {
  settings_.batch_size = 1;
  settings_.destination_concurrency = 2;
  start();
  for (int i = 0; i < 3; ++i) runner_->submit(commit(envelope({"x@one.example"})));
  ASSERT_TRUE(eventually([&] { return transport_.pending() == 2; }));
  std::this_thread::sleep_for(60ms);
  EXPECT_EQ(transport_.pending(), 2u);  // two batches to one destination, not three
  std::size_t total = 0;
  for (int calls = 0; calls < 3; ++calls) {
    auto c = answer({kOk}, &kOk, false);
    EXPECT_EQ(c.messages.size(), 1u);
    total += c.messages.size();
  }
  EXPECT_EQ(total, 3u);
  EXPECT_TRUE(runner_->wait_idle(5s));
  EXPECT_TRUE(eventually([&] { return entries() == 0; }));
}

}  // namespace
}  // namespace estafeta::queue
