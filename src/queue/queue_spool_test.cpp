// queue_spool_test: the spool's life cycle on a real directory: reserve files, streamed data,
// commit, read back, per-recipient updates, recovery sorting (committed / empty / unfinished),
// and the local runner delivering exactly once, also when a mailbox already holds the message
// (redelivery after a crash) and after a failed attempt.
#include "queue/queue_spool.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "base/test_temp_dir.hpp"
#include "delivery/delivery_maildir.hpp"
#include "queue/queue_local_runner.hpp"

namespace estafeta::queue {
namespace {

namespace fs = std::filesystem;

class SpoolTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = tmp_.path(); }
  SpoolOptions options() { return SpoolOptions{dir_ / "spool", true, 4}; }
  SpoolEnvelope envelope(const std::string& user = "alice") {
    SpoolEnvelope e;
    e.id = "ID1";
    e.mail_from = "sender@example.net";
    e.received = "Received: from x by y; now\r\n";
    e.maildir_name = delivery::maildir_base_name("host");
    SpoolRecipient r;
    r.address = user + "@example.org";
    r.local.push_back({r.address, (dir_ / "mail" / user).string(), "", r.address});
    e.recipients.push_back(r);
    return e;
  }
  // Opens `spool` on the test directory; with `slots`, makes its free slots ahead.
  static void open(Spool& spool, bool slots = false) {
    std::vector<SpoolEntry> found;
    ASSERT_FALSE(spool.open(found));
    if (slots) {
      ASSERT_FALSE(spool.replenish());
    }
  }
  // Receives `data` into a new spool entry under `e` and commits it; returns its name.
  static std::string commit(Spool& spool, std::string_view data, SpoolEnvelope& e) {
    std::error_code ec;
    auto w = spool.begin(ec);
    if (!w || w->append(data) || w->commit(e)) {
      ADD_FAILURE() << "commit failed: " << ec.message();
      return {};
    }
    return w->name();
  }
  // Committed entries in the spool (free slots are not entries).
  static std::size_t entries(const Spool& spool) {
    std::vector<std::string> errors;
    return spool.list(errors).size();
  }
  std::vector<fs::path> files(const fs::path& d) {
    std::vector<fs::path> out;
    if (!fs::exists(d)) return out;
    for (const auto& e : fs::directory_iterator(d)) out.push_back(e.path());
    return out;
  }
  static std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  estafeta::testing::TempDir tmp_;
  fs::path dir_;
};

TEST_F(SpoolTest, CommitThenLoad) {
  Spool spool(options());
  std::vector<SpoolEntry> found;
  ASSERT_FALSE(spool.open(found));
  EXPECT_TRUE(found.empty());
  ASSERT_FALSE(spool.replenish());
  EXPECT_EQ(spool.reserve_size(), 4u);
  std::error_code ec;
  auto w = spool.begin(ec);
  ASSERT_TRUE(w) << ec.message();
  EXPECT_EQ(spool.reserve_size(), 3u);
  ASSERT_FALSE(w->append("Subject: a\r\n\r\n"));
  ASSERT_FALSE(w->append("body\r\n"));
  SpoolEnvelope e = envelope();
  ASSERT_FALSE(w->commit(e));
  EXPECT_EQ(e.data_length, 20u);
  std::string error;
  auto back = spool.load(w->name(), error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->envelope.id, "ID1");
  EXPECT_EQ(back->envelope.data_length, 20u);
  EXPECT_EQ(read(dir_ / "spool" / w->name()).substr(0, 20), "Subject: a\r\n\r\nbody\r\n");
  EXPECT_EQ(fs::file_size(dir_ / "spool" / w->name()), kSlotSize);  // written in place
  EXPECT_EQ(entries(spool), 1u);
  // A reader that only knows the key sees the same.
  Spool reader(options());
  ASSERT_FALSE(reader.read_key());
  EXPECT_EQ(entries(reader), 1u);
}

// 8-bit data the client did not declare (sendmail, PHP, swaks send it without BODY=8BITMIME)
// is recorded as 8BITMIME, so the outbound queue declares it or downgrades it.
TEST_F(SpoolTest, EightBitDataIsRecordedAs8BitMime) {
  Spool spool(options());
  std::vector<SpoolEntry> found;
  ASSERT_FALSE(spool.open(found));
  std::error_code ec;
  for (const char* body : {"caf\xc3\xa9\r\n", "plain\r\n"}) {
    auto w = spool.begin(ec);
    ASSERT_TRUE(w) << ec.message();
    ASSERT_FALSE(w->append("Subject: a\r\n\r\n"));
    ASSERT_FALSE(w->append(body));
    SpoolEnvelope e = envelope();
    ASSERT_FALSE(w->commit(e));
    std::string error;
    auto back = spool.load(w->name(), error);
    ASSERT_TRUE(back) << error;
    EXPECT_EQ(back->envelope.body, body[0] == 'c' ? "8BITMIME" : "") << body;
  }
}

TEST_F(SpoolTest, UpdateAppendsANewState) {
  Spool spool(options());
  open(spool);
  std::error_code ec;
  auto w = spool.begin(ec);
  ASSERT_TRUE(w);
  ASSERT_FALSE(w->append("x\r\n"));
  SpoolEnvelope e = envelope();
  ASSERT_FALSE(w->commit(e));
  e.recipients[0].state = RcptState::deferred;
  e.recipients[0].reason = "disk full";
  ASSERT_FALSE(spool.update(w->name(), e));
  std::string error;
  auto back = spool.load(w->name(), error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->envelope.recipients[0].state, RcptState::deferred);
  EXPECT_EQ(back->envelope.recipients[0].reason, "disk full");
  EXPECT_EQ(back->envelope.data_length, 3u);
}

TEST_F(SpoolTest, OpenSortsWhatItFinds) {
  std::string committed;
  {
    Spool spool(options());
    open(spool, true);
    SpoolEnvelope e = envelope();
    committed = commit(spool, "data\r\n", e);
    std::error_code ec;
    // An unfinished message: data, no trailer (the process died before commit).
    auto partial = spool.begin(ec);
    ASSERT_FALSE(partial->append("half a message"));
    std::string pname = partial->name();
    // Simulate the crash: the file stays.
    fs::copy_file(dir_ / "spool" / pname, dir_ / "spool" / "keep");
    partial.reset();
    fs::rename(dir_ / "spool" / "keep", dir_ / "spool" / pname);
  }
  Spool spool(options());
  std::vector<SpoolEntry> found;
  ASSERT_FALSE(spool.open(found));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].name, committed);
  EXPECT_EQ(spool.reserve_size(), 3u);  // 4 made, 1 holds a message, the unfinished one is free
  EXPECT_EQ(files(dir_ / "spool").size(), 5u);  // the 4 slots and the key
}

TEST_F(SpoolTest, DiscardFreesTheSlot) {
  Spool spool(options());
  open(spool);
  std::error_code ec;
  auto w = spool.begin(ec);  // no reserve: created on the spot
  ASSERT_TRUE(w);
  EXPECT_EQ(spool.directory_fsyncs(), 1u);
  ASSERT_FALSE(w->append("x"));
  w->discard();
  EXPECT_EQ(spool.reserve_size(), 1u);
  EXPECT_EQ(entries(spool), 0u);
}

TEST_F(SpoolTest, ListReportsDamageAndSkipsFreeSlots) {
  Spool spool(options());
  open(spool, true);
  SpoolEnvelope e = envelope();
  std::string name = commit(spool, "x\r\n", e);
  {
    std::fstream f(dir_ / "spool" / name, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(3 + 20);  // inside the record: its MAC no longer verifies
    f.put('#');
  }
  std::vector<std::string> errors;
  EXPECT_TRUE(spool.list(errors).empty());
  ASSERT_EQ(errors.size(), 1u);  // the damaged entry, not the free slots
  EXPECT_NE(errors[0].find("MAC"), std::string::npos) << errors[0];
}

TEST_F(SpoolTest, APeersForgedTrailerIsNeverAMessage) {
  Spool spool(options());
  std::vector<SpoolEntry> found;
  ASSERT_FALSE(spool.open(found));
  std::error_code ec;
  auto w = spool.begin(ec);  // a fresh file: the data ends the file
  // Message data ending in a record and trailer that point at a mailbox of the peer's choice,
  // sealed with a key the peer had to guess.
  SpoolEnvelope evil = envelope();
  evil.recipients[0].local[0].maildir = "/etc/cron.d";
  std::string record = encode_record(evil);
  SpoolKey guess{};
  Trailer t{0, static_cast<std::uint32_t>(record.size()), siphash24(guess, record)};
  auto trailer = encode_trailer(t);
  ASSERT_FALSE(w->append(record + std::string(trailer.data(), trailer.size())));
  std::string name = w->name();
  fs::copy_file(dir_ / "spool" / name, dir_ / "spool" / "keep");  // the crash mid-message
  w.reset();
  fs::rename(dir_ / "spool" / "keep", dir_ / "spool" / name);
  Spool again(options());
  ASSERT_FALSE(again.open(found));
  EXPECT_TRUE(found.empty());
  EXPECT_EQ(entries(again), 0u);
}

TEST_F(SpoolTest, AReusedSlotTornByACrashIsNotTheOldMessage) {
  Spool spool(options());
  open(spool, true);
  SpoolEnvelope e = envelope();
  std::string name = commit(spool, "old message\r\n", e);
  std::error_code ec;
  std::string committed = read(dir_ / "spool" / name);
  spool.release(name);
  EXPECT_EQ(entries(spool), 0u);
  // The slot is reused; the crash leaves the new data and the old trailer (its zeroing never
  // reached the disk).
  auto w2 = spool.begin(ec);
  while (w2->name() != name) w2 = spool.begin(ec);
  ASSERT_FALSE(w2->append("NEW message\r\n"));
  std::string torn = read(dir_ / "spool" / name);
  torn.replace(torn.size() - kTrailerSize, kTrailerSize,
               committed.substr(committed.size() - kTrailerSize));
  std::ofstream(dir_ / "spool" / "torn", std::ios::binary) << torn;
  w2.reset();
  fs::rename(dir_ / "spool" / "torn", dir_ / "spool" / name);
  Spool again(options());
  std::vector<SpoolEntry> found;
  ASSERT_FALSE(again.open(found));
  EXPECT_TRUE(found.empty());  // the data CRC tells the new data from the old
}

TEST_F(SpoolTest, RunnerDeliversOnceAndRemovesTheEntry) {
  Spool spool(options());
  open(spool);
  delivery::LocalDelivery delivery({true, "host"});
  LocalRunner runner(spool, delivery, [](std::function<void()> f) { f(); });
  SpoolEnvelope e = envelope();
  std::string name = commit(spool, "Return-Path: <forged@x>\r\nSubject: s\r\n\r\nbody\r\n", e);
  std::string error;
  auto entry = spool.load(name, error);
  ASSERT_TRUE(entry);
  runner.deliver(*entry, false);
  auto got = files(dir_ / "mail" / "alice" / "new");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(read(got[0]),
            "Return-Path: <sender@example.net>\r\nDelivered-To: alice@example.org\r\n"
            "Received: from x by y; now\r\nSubject: s\r\n\r\nbody\r\n");
  EXPECT_EQ(entries(spool), 0u);
  EXPECT_EQ(spool.reserve_size(), 1u);  // the slot is free again
  // A redelivery of the same entry (a crash before the removal was durable) adds nothing.
  runner.deliver(*entry, true);
  EXPECT_EQ(files(dir_ / "mail" / "alice" / "new").size(), 1u);
}

TEST_F(SpoolTest, RecoveryDeliversOnlyWhereMissing) {
  Spool spool(options());
  open(spool);
  delivery::LocalDelivery delivery({true, "host"});
  LocalRunner runner(spool, delivery, [](std::function<void()> f) { f(); });
  std::error_code ec;
  auto w = spool.begin(ec);
  ASSERT_FALSE(w->append("Subject: s\r\n\r\nb\r\n"));
  SpoolEnvelope e = envelope("alice");
  SpoolEnvelope bob = envelope("bob");
  e.recipients.push_back(bob.recipients[0]);
  ASSERT_FALSE(w->commit(e));
  // Bob's mailbox already got it before the crash (same base name).
  delivery::MessageSource src;
  src.bytes = "Subject: s\r\n\r\nb\r\n";
  src.length = src.bytes.size();
  auth::MailboxTarget bt{"bob@example.org", dir_ / "mail" / "bob", "", "bob@example.org"};
  ASSERT_FALSE(delivery.deliver(e.mail_from, std::span(&bt, 1), src, e.maildir_name, false));
  std::string error;
  auto entry = spool.load(w->name(), error);
  ASSERT_TRUE(entry);
  runner.deliver(*entry, true);
  EXPECT_EQ(files(dir_ / "mail" / "alice" / "new").size(), 1u);
  EXPECT_EQ(files(dir_ / "mail" / "bob" / "new").size(), 1u);
  EXPECT_EQ(entries(spool), 0u);
}

TEST_F(SpoolTest, FailedDeliveryIsDeferredWithItsReason) {
  Spool spool(options());
  open(spool);
  delivery::LocalDelivery delivery({true, "host"});
  std::vector<std::function<void()>> posted;
  LocalRunner runner(spool, delivery, [&](std::function<void()> f) { posted.push_back(f); });
  std::ofstream(dir_ / "mail") << "a file where the mail directory should be";
  SpoolEnvelope e = envelope();
  std::string name = commit(spool, "x\r\n", e);
  std::string error;
  auto entry = spool.load(name, error);
  runner.deliver(*entry, false);
  fs::remove(dir_ / "mail");
  auto back = spool.load(name, error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->envelope.recipients[0].state, RcptState::deferred);
  EXPECT_NE(back->envelope.recipients[0].reason.find("Not a directory"), std::string::npos);
  EXPECT_EQ(back->envelope.recipients[0].attempts, 1u);
  // The retry (what the retry thread would post) delivers it.
  runner.deliver(*back, true);
  EXPECT_EQ(files(dir_ / "mail" / "alice" / "new").size(), 1u);
  EXPECT_EQ(entries(spool), 0u);
}

TEST_F(SpoolTest, GroupSyncReleasesAfterTheSync) {
  Spool spool(options());
  open(spool);
  delivery::LocalDelivery delivery({true, "host"});
  LocalRunner runner(
      spool, delivery, [](std::function<void()> f) { f(); }, std::chrono::seconds(60),
      /*group_sync=*/true);
  runner.start({});
  for (int i = 0; i < 5; ++i) {
    std::error_code ec;
    auto w = spool.begin(ec);
    ASSERT_FALSE(w->append("Subject: s\r\n\r\nbody\r\n"));
    SpoolEnvelope e = envelope(i % 2 ? "alice" : "bob");
    ASSERT_FALSE(w->commit(e));
    std::string error;
    runner.submit(*spool.load(w->name(), error));
  }
  ASSERT_TRUE(runner.wait_idle(std::chrono::seconds(10)));
  EXPECT_EQ(files(dir_ / "mail" / "alice" / "new").size(), 2u);
  EXPECT_EQ(files(dir_ / "mail" / "bob" / "new").size(), 3u);
  EXPECT_EQ(entries(spool), 0u);
  runner.stop();
  runner.finish();
}

TEST_F(SpoolTest, StartDeliversWhatOpenRecovered) {
  {
    Spool before(options());
    open(before);
    SpoolEnvelope e = envelope();
    ASSERT_FALSE(commit(before, "Subject: s\r\n\r\nleft by a crash\r\n", e).empty());
  }
  Spool spool(options());
  std::vector<SpoolEntry> found;
  ASSERT_FALSE(spool.open(found));
  ASSERT_EQ(found.size(), 1u);
  delivery::LocalDelivery delivery({true, "host"});
  LocalRunner runner(spool, delivery, [](std::function<void()> f) { f(); });
  runner.start(std::move(found));
  EXPECT_TRUE(runner.wait_idle(std::chrono::seconds(10)));
  EXPECT_EQ(files(dir_ / "mail" / "alice" / "new").size(), 1u);
  EXPECT_EQ(entries(spool), 0u);
}

TEST_F(SpoolTest, FreeSlotsPastMaxFreeAreRemoved) {
  SpoolOptions o = options();
  o.max_free = 1;
  Spool spool(o);
  open(spool);
  SpoolEnvelope a = envelope(), b = envelope();
  std::string first = commit(spool, "a\r\n", a);
  std::string second = commit(spool, "b\r\n", b);
  spool.release(first);
  spool.release(second);
  EXPECT_EQ(spool.reserve_size(), 1u);
  EXPECT_TRUE(fs::exists(dir_ / "spool" / first));
  EXPECT_FALSE(fs::exists(dir_ / "spool" / second));
}

TEST(LocalRunner, BackoffGrows) {
  using std::chrono::seconds;
  EXPECT_EQ(LocalRunner::backoff(1, seconds(60)).count(), 60);
  EXPECT_EQ(LocalRunner::backoff(2, seconds(60)).count(), 300);
  EXPECT_LT(LocalRunner::backoff(2, seconds(60)), LocalRunner::backoff(3, seconds(60)));
  EXPECT_EQ(LocalRunner::backoff(40, seconds(60)).count(), 3600);
  EXPECT_EQ(LocalRunner::backoff(1, seconds(1)).count(), 1);
}

}  // namespace
}  // namespace estafeta::queue
