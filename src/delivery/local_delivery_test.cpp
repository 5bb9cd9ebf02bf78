// local_delivery_test: files land in new/ with Return-Path/Delivered-To and the exact bytes,
// hard links per target, dedupe, folders, missing directories, unique names under
// concurrency, and the Maildir name format.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include "base/test_temp_dir.hpp"
#include "delivery/delivery_group_sync.hpp"
#include "delivery/delivery_headers.hpp"
#include "delivery/delivery_maildir.hpp"
#include "delivery/local_delivery.hpp"
#include "store/store_memory.hpp"

namespace estafeta::delivery {
namespace {

namespace fs = std::filesystem;
using auth::MailboxTarget;

class DeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/estafeta-delivery-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  MailboxTarget target(const std::string& user, std::string folder = "") {
    auto at = user.find('@');
    return MailboxTarget{user, dir_ / "mail" / user.substr(at + 1) / user.substr(0, at),
                         std::move(folder), user};
  }
  static std::vector<fs::path> files(const fs::path& d) {
    std::vector<fs::path> out;
    if (!fs::exists(d)) return out;
    for (const auto& e : fs::directory_iterator(d)) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
  }
  static std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  fs::path dir_;
  const std::string msg_ = "Received: from x\r\nSubject: hi\r\n\r\nbody line\r\n.dot\r\n";
};

TEST_F(DeliveryTest, SingleTargetGetsDeliveredTo) {
  LocalDelivery d({true, "mx.example.org"});
  MailboxTarget t = target("alice@example.org");
  ASSERT_FALSE(d.deliver("sender@example.net", std::span(&t, 1), msg_));
  auto fs_new = files(t.maildir / "new");
  ASSERT_EQ(fs_new.size(), 1u);
  EXPECT_EQ(read(fs_new[0]),
            "Return-Path: <sender@example.net>\r\nDelivered-To: alice@example.org\r\n" + msg_);
  EXPECT_TRUE(files(t.maildir / "tmp").empty());
  EXPECT_TRUE(fs::is_directory(t.maildir / "cur"));
  struct stat st {};
  ASSERT_EQ(::stat(t.maildir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat(fs_new[0].c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // ",S=" carries the file size.
  std::string name = fs_new[0].filename().string();
  auto s = name.rfind(",S=");
  ASSERT_NE(s, std::string::npos);
  EXPECT_EQ(std::stoul(name.substr(s + 3)), static_cast<unsigned long>(st.st_size));
  EXPECT_TRUE(std::regex_match(name, std::regex(R"(\d+\.M\d+P\d+Q\d+\.mx\.example\.org,S=\d+)")))
      << name;
}

TEST_F(DeliveryTest, NullSenderAndEmptyMessage) {
  LocalDelivery d({false, "h"});
  MailboxTarget t = target("a@example.org");
  ASSERT_FALSE(d.deliver("", std::span(&t, 1), ""));
  auto f = files(t.maildir / "new");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(read(f[0]), "Return-Path: <>\r\nDelivered-To: a@example.org\r\n");
}

TEST_F(DeliveryTest, SeveralTargetsShareOneFile) {
  LocalDelivery d({true, "h"});
  std::vector<MailboxTarget> ts = {target("a@example.org"), target("b@example.org"),
                                   target("c@example.net"), target("a@example.org")};
  ASSERT_FALSE(d.deliver("s@x.example", ts, msg_));
  std::string expected = "Return-Path: <s@x.example>\r\n" + msg_;  // no Delivered-To
  std::set<std::string> names;
  for (int i = 0; i < 3; ++i) {
    auto f = files(ts[i].maildir / "new");
    ASSERT_EQ(f.size(), 1u) << ts[i].maildir;  // the duplicate target was delivered once
    EXPECT_EQ(read(f[0]), expected);
    struct stat st {};
    ASSERT_EQ(::stat(f[0].c_str(), &st), 0);
    EXPECT_EQ(st.st_nlink, 3u);
    names.insert(f[0].filename().string());
  }
  EXPECT_EQ(names.size(), 1u);
}

TEST_F(DeliveryTest, FolderDeliveryCreatesMaildirPlusPlus) {
  LocalDelivery d({true, "h"});
  MailboxTarget t = target("a@example.org", "lists");
  ASSERT_FALSE(d.deliver("s@x", std::span(&t, 1), msg_));
  EXPECT_EQ(files(t.maildir / ".lists/new").size(), 1u);
  EXPECT_TRUE(fs::exists(t.maildir / ".lists/maildirfolder"));
  EXPECT_TRUE(fs::is_directory(t.maildir / "new"));  // the INBOX exists too
  EXPECT_TRUE(files(t.maildir / "new").empty());
  // INBOX and folder of the same user are two targets: one file, two links.
  MailboxTarget both[] = {target("a@example.org"), target("a@example.org", "lists")};
  ASSERT_FALSE(d.deliver("s@x", both, msg_));
  EXPECT_EQ(files(t.maildir / "new").size(), 1u);
  EXPECT_EQ(files(t.maildir / ".lists/new").size(), 2u);
}

TEST_F(DeliveryTest, ExistingMaildirIsUsed) {
  MailboxTarget t = target("a@example.org");
  fs::create_directories(t.maildir / "cur");
  fs::create_directories(t.maildir / "new");
  fs::create_directories(t.maildir / "tmp");
  LocalDelivery d({true, "h"});
  ASSERT_FALSE(d.deliver("s@x", std::span(&t, 1), msg_));
  ASSERT_FALSE(d.deliver("s@x", std::span(&t, 1), msg_));
  EXPECT_EQ(files(t.maildir / "new").size(), 2u);
}

TEST_F(DeliveryTest, UnwritableTargetReportsError) {
  MailboxTarget t = target("a@example.org");
  fs::create_directories(t.maildir.parent_path());
  std::ofstream(t.maildir) << "not a directory";
  LocalDelivery d({true, "h"});
  EXPECT_TRUE(d.deliver("s@x", std::span(&t, 1), msg_));
  EXPECT_FALSE(d.deliver("s@x", std::span<const MailboxTarget>(), msg_));  // nothing to do
}

TEST_F(DeliveryTest, UniqueNamesUnderConcurrency) {
  LocalDelivery d({false, "h"});
  MailboxTarget t = target("a@example.org");
  constexpr int kThreads = 4, kEach = 50;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&] {
      for (int j = 0; j < kEach; ++j)
        if (d.deliver("s@x", std::span(&t, 1), msg_)) ++failures;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(files(t.maildir / "new").size(), static_cast<std::size_t>(kThreads * kEach));
}

TEST_F(DeliveryTest, ConcurrentDeliveriesShareDirectoryFsyncs) {
  LocalDelivery d({true, "h"});
  MailboxTarget t = target("a@example.org");
  ASSERT_FALSE(d.deliver("s@x", std::span(&t, 1), msg_));  // creates the Maildir
  EXPECT_EQ(d.directory_fsyncs(), 1u);
  constexpr int kThreads = 4, kEach = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&] {
      for (int j = 0; j < kEach; ++j)
        if (d.deliver("s@x", std::span(&t, 1), msg_)) ++failures;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(files(t.maildir / "new").size(), static_cast<std::size_t>(kThreads * kEach + 1));
  // Never more than one per delivery; usually fewer (not asserted: timing-dependent).
  EXPECT_LE(d.directory_fsyncs(), static_cast<uint64_t>(kThreads * kEach + 1));
  EXPECT_GE(d.directory_fsyncs(), 2u);
}

TEST(GroupSync, FailureIsReported) {
  GroupSync s;
  EXPECT_TRUE(s.sync("/nonexistent/estafeta/dir"));
  EXPECT_EQ(s.fsyncs(), 1u);
  EXPECT_FALSE(s.sync("/tmp"));  // a fresh entry: earlier failures elsewhere do not leak
}

// A caller that lingers is covered by a sync another caller runs meanwhile (one fsync in
// all), and runs its own once the linger has passed with nobody else syncing.
TEST(GroupSync, LingeringCallerRidesOnAnotherSync) {
  GroupSync s;
  std::error_code lingered = std::make_error_code(std::errc::io_error);
  std::atomic<bool> done{false};
  auto t0 = std::chrono::steady_clock::now();
  std::thread background([&] {
    lingered = s.sync("/tmp", GroupSync::Mode::directory, std::chrono::seconds(30));
    done = true;
  });
  // Other callers sync until one of their syncs has covered the lingering one (bounded).
  for (int i = 0; i < 250 && !done; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_FALSE(s.sync("/tmp"));
  }
  background.join();
  EXPECT_FALSE(lingered);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));  // not its 30 s
}

TEST(GroupSync, LingeringCallerSyncsItselfWhenNobodyElseDoes) {
  GroupSync s;
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(s.sync("/tmp", GroupSync::Mode::directory, std::chrono::milliseconds(50)));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(50));
  EXPECT_EQ(s.fsyncs(), 1u);
}

// sync_file: alone, one fdatasync of the file; with a caller waiting for a file-system sync,
// it joins (runs) the group's syncfs, which covers that caller too.
TEST(GroupSync, FileAloneIsItsOwnFdatasync) {
  estafeta::testing::TempDir dir;
  const auto path = dir.path() / "f";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "x", 1), 1);
  GroupSync s;
  EXPECT_FALSE(s.sync_file(dir.path(), fd));
  EXPECT_EQ(s.fsyncs(), 1u);
  ::close(fd);
  EXPECT_TRUE(s.sync_file(dir.path(), -1));  // a failing fdatasync is reported
}

TEST(GroupSync, FileJoinsAWaitingGroup) {
  estafeta::testing::TempDir dir;
  int fd = ::open((dir.path() / "f").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  GroupSync s;
  std::error_code lingered = std::make_error_code(std::errc::io_error);
  std::atomic<bool> done{false};
  auto t0 = std::chrono::steady_clock::now();
  std::thread background([&] {
    lingered = s.sync(dir.path(), GroupSync::Mode::file_system, std::chrono::seconds(30));
    done = true;
  });
  // Once the lingering caller waits, a file sync runs the group's syncfs and so covers it.
  for (int i = 0; i < 250 && !done; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_FALSE(s.sync_file(dir.path(), fd));
  }
  background.join();
  ::close(fd);
  EXPECT_FALSE(lingered);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));  // not its 30 s
}

TEST_F(DeliveryTest, HostnameEscaping) {
  EXPECT_EQ(maildir_escape_host("a/b:c.example"), "a\\057b\\072c.example");
  LocalDelivery d({false, "we:ird/host"});
  MailboxTarget t = target("a@example.org");
  ASSERT_FALSE(d.deliver("s@x", std::span(&t, 1), msg_));
  auto f = files(t.maildir / "new");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_NE(f[0].filename().string().find(".we\\072ird\\057host,S="), std::string::npos);
}

TEST_F(DeliveryTest, LargeMessageIsWrittenWhole) {
  std::string big(3 * 1024 * 1024 + 17, 'x');
  for (std::size_t i = 998; i < big.size(); i += 1000) big.replace(i, 2, "\r\n");
  LocalDelivery d({true, "h"});
  MailboxTarget t = target("a@example.org");
  ASSERT_FALSE(d.deliver("s@x", std::span(&t, 1), big));
  auto f = files(t.maildir / "new");
  ASSERT_EQ(f.size(), 1u);
  std::string got = read(f[0]);
  EXPECT_EQ(got.substr(got.size() - big.size()), big);
}

}  // namespace
}  // namespace estafeta::delivery

namespace estafeta::delivery {
namespace {

// Run with unnamed files (O_TMPFILE, the default) and the tmp/ way.
class DeliveryBothWays : public DeliveryTest, public ::testing::WithParamInterface<bool> {};
INSTANTIATE_TEST_SUITE_P(UnnamedFilesOrTmp, DeliveryBothWays, ::testing::Bool());

TEST_P(DeliveryBothWays, FailureHalfwayLeavesNoCopies) {
  LocalDelivery d({true, "h", GetParam()});
  MailboxTarget a = target("alice@example.org");
  MailboxTarget b = target("bob@example.org");
  MailboxTarget c = target("carol@example.org");
  // Bob's Maildir cannot be made: a file stands where its directory should be.
  fs::create_directories(b.maildir.parent_path());
  std::ofstream(b.maildir) << "not a directory";
  std::vector<MailboxTarget> ts{a, c, b};
  EXPECT_TRUE(d.deliver("s@x", ts, msg_));
  EXPECT_TRUE(files(a.maildir / "new").empty());
  EXPECT_TRUE(files(a.maildir / "tmp").empty());
  EXPECT_TRUE(files(c.maildir / "new").empty());
  // Once bob's mailbox is fixed a retry delivers one copy each.
  fs::remove(b.maildir);
  EXPECT_FALSE(d.deliver("s@x", ts, msg_));
  EXPECT_EQ(files(a.maildir / "new").size(), 1u);
  EXPECT_EQ(files(b.maildir / "new").size(), 1u);
  EXPECT_EQ(files(c.maildir / "new").size(), 1u);
}

TEST_F(DeliveryTest, ExistingReturnPathIsReplaced) {
  LocalDelivery d({true, "h"});
  MailboxTarget t = target("alice@example.org");
  ASSERT_FALSE(d.deliver("real@example.net", std::span(&t, 1),
                         "Return-Path: <forged@example.com>\r\nSubject: s\r\n\r\nb\r\n"));
  auto got = files(t.maildir / "new");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(read(got[0]),
            "Return-Path: <real@example.net>\r\nDelivered-To: alice@example.org\r\n"
            "Subject: s\r\n\r\nb\r\n");
}

TEST_P(DeliveryBothWays, SkipExistingDeliversOnlyWhatIsMissing) {
  LocalDelivery d({true, "h", GetParam()});
  MailboxTarget a = target("alice@example.org");
  MailboxTarget b = target("bob@example.org");
  std::string base = maildir_base_name("h");
  MessageSource src;
  src.bytes = msg_;
  src.length = msg_.size();
  ASSERT_FALSE(d.deliver("s@x", std::span(&a, 1), src, base, false));
  // A reader moved alice's copy to cur/ and flagged it.
  auto got = files(a.maildir / "new");
  ASSERT_EQ(got.size(), 1u);
  fs::rename(got[0], a.maildir / "cur" / (got[0].filename().string() + ":2,S"));
  EXPECT_TRUE(maildir_has_message(a.maildir, base));
  EXPECT_FALSE(maildir_has_message(b.maildir, base));
  std::vector<MailboxTarget> ts{a, b};
  ASSERT_FALSE(d.deliver("s@x", ts, src, base, true));
  EXPECT_TRUE(files(a.maildir / "new").empty());
  EXPECT_EQ(files(a.maildir / "cur").size(), 1u);
  EXPECT_EQ(files(b.maildir / "new").size(), 1u);
}

TEST_P(DeliveryBothWays, AMaildirRemovedBehindOurBackIsMadeAgain) {
  LocalDelivery d({true, "h", GetParam()});
  MailboxTarget t = target("alice@example.org");
  ASSERT_FALSE(d.deliver("s@x", std::span(&t, 1), msg_));
  fs::remove_all(t.maildir);  // remembered as complete, now gone
  ASSERT_FALSE(d.deliver("s@x", std::span(&t, 1), msg_));
  EXPECT_EQ(files(t.maildir / "new").size(), 1u);
}

TEST(TraceHeaders, QuotesLocalPartsThatAreNotDotAtoms) {
  EXPECT_EQ(smtp_path_address(""), "");
  EXPECT_EQ(smtp_path_address("alice@example.org"), "alice@example.org");
  EXPECT_EQ(smtp_path_address("a.b+c@example.org"), "a.b+c@example.org");
  EXPECT_EQ(smtp_path_address("john q. doe@remote.test"), "\"john q. doe\"@remote.test");
  EXPECT_EQ(smtp_path_address("a..b@x"), "\"a..b\"@x");
  EXPECT_EQ(smtp_path_address(".a@x"), "\".a\"@x");
  EXPECT_EQ(smtp_path_address("we\"ird\\@x"), "\"we\\\"ird\\\\\"@x");
  EXPECT_EQ(smtp_path_address("üser@exämple.org"), "üser@exämple.org");  // RFC 6531
  EXPECT_EQ(smtp_path_address("odd@local@x"), "\"odd@local\"@x");
}

TEST(TraceHeaders, NeverSplitsAHeader) {
  EXPECT_EQ(trace_headers("a\r\nX-Evil: 1@x", ""), "Return-Path: <\"aX-Evil: 1\"@x>\r\n");
  EXPECT_EQ(trace_headers("a@x\r\nX: y", "b@y"), "Return-Path: <a@xX: y>\r\nDelivered-To: b@y\r\n");
  EXPECT_EQ(trace_headers("", "b@y"), "Return-Path: <>\r\nDelivered-To: b@y\r\n");
}

}  // namespace
}  // namespace estafeta::delivery

namespace estafeta::delivery {
namespace {

// RFC 9208 limits through the store: the full mailbox waits (over_quota, which the spool
// retries), the others of the message are delivered now, and the retry (same base name, so
// the same delivery keys) adds the missing copy only.
TEST(DeliveryStore, OverQuotaMailboxWaitsOthersAreDelivered) {
  auto store = store::make_memory_store();
  DeliveryOptions o{true, "h"};
  o.store = store.get();
  LocalDelivery d(o);
  std::shared_ptr<store::Account> alice, bob;
  ASSERT_FALSE(store->account("alice@example.org", alice));
  ASSERT_FALSE(store->account("bob@example.org", bob));
  ASSERT_FALSE(bob->set_quota({store::kQuotaDefault, 1, store::kQuotaDefault}));
  store::MailboxInfo archive;
  ASSERT_FALSE(bob->find("Archive", archive));
  store::NewMessage m;
  m.bytes = "Subject: fill\r\n\r\nx\r\n";
  store::AppendResult r;
  ASSERT_FALSE(bob->append(archive.id, m, r));  // 1 of 1 (and the warning)
  std::vector<MailboxTarget> ts{{"bob@example.org", "/nonexistent/b", "", "bob@example.org"},
                                {"alice@example.org", "/nonexistent/a", "", "alice@example.org"}};
  const std::string msg = "Subject: hi\r\n\r\nbody\r\n";
  MessageSource src;
  src.bytes = msg;
  src.length = msg.size();
  const std::string base = maildir_base_name("h");
  EXPECT_EQ(d.deliver("s@x", ts, src, base, false), make_error_code(store::Errc::over_quota));
  store::QuotaState qa, qb;
  ASSERT_FALSE(alice->quota(qa));
  ASSERT_FALSE(bob->quota(qb));
  EXPECT_EQ(qa.usage.messages, 1u);  // alice has hers
  EXPECT_EQ(qb.usage.messages, 2u);  // the filler and the warning
  ASSERT_FALSE(bob->set_quota({store::kQuotaDefault, 10, store::kQuotaDefault}));
  EXPECT_FALSE(d.deliver("s@x", ts, src, base, true));
  ASSERT_FALSE(alice->quota(qa));
  ASSERT_FALSE(bob->quota(qb));
  EXPECT_EQ(qa.usage.messages, 1u);  // not again
  EXPECT_EQ(qb.usage.messages, 3u);
}

}  // namespace
}  // namespace estafeta::delivery
