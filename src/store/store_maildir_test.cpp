// store_maildir_test: what only the embedded backend promises: mailbox names <-> Maildir++
// folders, file names carrying UID / email id / flags, files dropped in by other programs,
// a lost or corrupt index rebuilt from the files with the same UIDs and flags, an unclean
// exit (no close) keeping UIDs, and index check/rebuild reports.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "base/test_temp_dir.hpp"
#include "store/store_folder_names.hpp"
#include "store/store_index.hpp"
#include "store/store_maildir.hpp"
#include "store/store_maildir_files.hpp"

namespace estafeta::store {
namespace {

namespace fs = std::filesystem;

std::string message(const std::string& subject) {
  return "From: a@example.org\r\nSubject: " + subject + "\r\n\r\nbody " + subject + "\r\n";
}

class MaildirStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }
  void open() {
    account_.reset();
    store_ = make_maildir_store(MaildirStoreOptions{tmp_.path(), 4, true});
    ASSERT_FALSE(store_->account("alice@example.org", account_));
  }
  void close() {
    account_.reset();
    store_.reset();
  }
  fs::path root() const { return tmp_.path() / "mail" / "example.org" / "alice"; }
  MailboxInfo find(const std::string& name) {
    MailboxInfo info;
    EXPECT_FALSE(account_->find(name, info)) << name;
    return info;
  }
  Uid append(const std::string& mailbox, const std::string& bytes, Flags flags = {}) {
    NewMessage m;
    m.bytes = bytes;
    m.flags = std::move(flags);
    AppendResult r;
    EXPECT_FALSE(account_->append(find(mailbox).id, m, r));
    return r.uid;
  }
  std::vector<MessageInfo> messages(const std::string& mailbox) {
    MailboxInfo info;
    std::vector<MessageInfo> out;
    EXPECT_FALSE(account_->snapshot(find(mailbox).id, info, out));
    return out;
  }
  std::vector<std::string> files(const fs::path& dir) {
    std::vector<ScannedFile> found;
    EXPECT_FALSE(scan_maildir(dir, found));
    std::vector<std::string> names;
    for (const auto& f : found) names.push_back((f.in_new ? "new/" : "cur/") + f.name);
    std::sort(names.begin(), names.end());
    return names;
  }
  void drop_file(const fs::path& dir, const std::string& name, const std::string& bytes) {
    std::ofstream(dir / "tmp" / name) << bytes;
    fs::rename(dir / "tmp" / name,
               dir / (name.find(":2,") == std::string::npos ? "new" : "cur") / name);
  }

  testing::TempDir tmp_{"estafeta-maildir"};
  std::shared_ptr<Store> store_;
  std::shared_ptr<Account> account_;
};

TEST(StoreFolderNames, RoundTrip) {
  EXPECT_EQ(folder_dir_of("INBOX"), "");
  EXPECT_EQ(folder_dir_of("tag"), ".tag");
  EXPECT_EQ(folder_dir_of("a/b"), ".a.b");
  EXPECT_EQ(folder_dir_of("lists.debian"), ".lists&AC4-debian");
  EXPECT_EQ(folder_dir_of("Tom & Jerry"), ".Tom &- Jerry");
  EXPECT_EQ(folder_dir_of("Entwürfe"), ".Entw&APw-rfe");
  EXPECT_EQ(folder_dir_of("台北"), ".&U,BTFw-");  // RFC 3501 §5.1.3's example
  for (const char* name : {"INBOX", "tag", "a/b/c", "lists.debian", "...x", "&", "&-", "a&b.c",
                           "Entwürfe/日本語", "😀 smile", "x~y%z*"}) {
    auto back = mailbox_of_folder_dir(folder_dir_of(name));
    ASSERT_TRUE(back) << name;
    EXPECT_EQ(*back, name);
  }
  EXPECT_EQ(mailbox_of_folder_dir(""), "INBOX");
  EXPECT_FALSE(mailbox_of_folder_dir("tag"));
  EXPECT_FALSE(mailbox_of_folder_dir(".a..b"));
  EXPECT_FALSE(mailbox_of_folder_dir(".a&"));
  EXPECT_FALSE(mailbox_of_folder_dir(".a&Zm9v"));
  EXPECT_FALSE(mailbox_of_folder_dir(".\xff"));
}

TEST(StoreMaildirFiles, NamesAndFlags) {
  std::string base = make_base_name("1700000000.M1P2Q3.host", 42, "M00ff", 1234);
  EXPECT_EQ(base, "1700000000.M1P2Q3.host,U=42,E=M00ff,S=1234");
  FileName f = parse_file_name(base + ":2,FRSa");
  EXPECT_EQ(f.base, base);
  EXPECT_EQ(f.uid, 42u);
  EXPECT_EQ(f.email_id, "M00ff");
  EXPECT_EQ(f.size, 1234u);
  EXPECT_TRUE(f.has_info);
  EXPECT_EQ(f.info, "FRSa");
  std::vector<std::string> letters{"Work", "$Junk"};
  Flags flags = flags_from_info("DFPRSTab", letters);
  EXPECT_EQ(flags.system, kDraft | kFlagged | kAnswered | kSeen | kDeleted);
  EXPECT_EQ(flags.keywords, (std::vector<std::string>{"$Forwarded", "$Junk", "Work"}));
  EXPECT_EQ(info_from_flags(flags, letters), "DFPRSTab");
  FileName foreign = parse_file_name("1700000000.12345.otherhost,S=99:2,S");
  EXPECT_EQ(foreign.uid, 0u);
  EXPECT_EQ(rebase_name(foreign, 7, "Mabc"), "1700000000.12345.otherhost,U=7,E=Mabc,S=99");
  EXPECT_EQ(parse_file_name("plain").base, "plain");
  EXPECT_NE(unique_name(), unique_name());
  EXPECT_NE(new_email_id(), new_email_id());
}

TEST_F(MaildirStoreTest, LayoutOnDisk) {
  EXPECT_TRUE(fs::exists(root() / "cur"));
  EXPECT_TRUE(fs::exists(root() / kIndexFile));
  EXPECT_TRUE(fs::exists(root() / kMailboxFile));
  EXPECT_TRUE(fs::exists(root() / ".Sent" / "maildirfolder"));
  MailboxFile state;
  ASSERT_TRUE(read_mailbox_file(root() / ".Sent", state));
  EXPECT_EQ(state.special_use, SpecialUse::sent);
  EXPECT_EQ(state.uid_validity, find("Sent").uid_validity);
  Uid uid = append("INBOX", message("new"));
  Uid seen = append("INBOX", message("seen"), Flags{kSeen, {}});
  auto names = files(root());
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[0].rfind("cur/", 0), 0u);
  EXPECT_NE(names[0].find(",U=" + std::to_string(seen) + ",E="), std::string::npos);
  EXPECT_EQ(names[0].substr(names[0].size() - 4), ":2,S");
  EXPECT_EQ(names[1].rfind("new/", 0), 0u);
  EXPECT_NE(names[1].find(",U=" + std::to_string(uid) + ",E="), std::string::npos);
  // A flag change renames the file into cur/ with the flags in its name.
  FlagUpdate up;
  up.mode = FlagUpdate::Mode::add;
  up.flags.system = kFlagged | kSeen;
  up.flags.keywords = {"Work"};
  FlagResult fr;
  ASSERT_FALSE(account_->update_flags(find("INBOX").id, {uid}, up, fr));
  names = files(root());
  EXPECT_EQ(names[0].rfind("cur/", 0), 0u);
  EXPECT_EQ(names[1].rfind("cur/", 0), 0u);
  bool found = false;
  for (const auto& n : names)
    if (n.find(",U=" + std::to_string(uid) + ",") != std::string::npos)
      found = n.substr(n.size() - 6) == ":2,FSa";
  EXPECT_TRUE(found);
  // A plus-tag folder made by delivery (".tag") is the mailbox "tag".
  MailboxInfo info;
  ASSERT_FALSE(account_->create("lists.debian/sub", SpecialUse::none, info));
  EXPECT_TRUE(fs::exists(root() / ".lists&AC4-debian.sub" / "cur"));
}

TEST_F(MaildirStoreTest, ForeignFilesPickedUpWithNewUids) {
  append("INBOX", message("ours"));
  drop_file(root(), "1700000000.111.other", message("foreign new"));
  drop_file(root(), "1700000001.222.other:2,FS", message("foreign seen"));
  // A file claiming a UID already taken gets a new one.
  auto ours = files(root());
  drop_file(root(), "1700000002.333.other,U=1,E=Mdup:2,", message("dup"));
  auto ms = messages("INBOX");  // snapshot() rescans first
  ASSERT_EQ(ms.size(), 4u);
  EXPECT_EQ(ms[0].uid, 1u);
  std::set<Uid> uids;
  for (const auto& m : ms) uids.insert(m.uid);
  EXPECT_EQ(uids, (std::set<Uid>{1, 2, 3, 4}));
  // Flags from the name; the file now carries its UID.
  bool seen_flagged = false;
  for (const auto& m : ms)
    if (m.flags.system == (kFlagged | kSeen)) seen_flagged = true;
  EXPECT_TRUE(seen_flagged);
  for (const auto& n : files(root())) EXPECT_NE(n.find(",U="), std::string::npos) << n;
  CachedFields c;
  ASSERT_FALSE(account_->cached(find("INBOX").id, 2, c));
  EXPECT_NE(c.envelope.find("foreign"), std::string::npos);
  // A file removed by another program vanishes from the index at the next rescan.
  fs::remove(root() / files(root())[0]);
  ASSERT_FALSE(account_->rescan(find("INBOX").id));
  EXPECT_EQ(messages("INBOX").size(), 3u);
  // Another tool marking a message read (rename) is seen as a flag change.
  std::string victim;
  for (const auto& n : files(root()))
    if (n.rfind("new/", 0) == 0) victim = n;
  ASSERT_FALSE(victim.empty());
  fs::rename(root() / victim, root() / ("cur/" + victim.substr(4) + ":2,S"));
  ASSERT_FALSE(account_->rescan(find("INBOX").id));
  Uid victim_uid = parse_file_name(victim.substr(4)).uid;
  int seen = 0;
  for (const auto& m : messages("INBOX"))
    if (m.uid == victim_uid) seen += m.flags.system == kSeen ? 1 : 100;
  EXPECT_EQ(seen, 1);
}

TEST_F(MaildirStoreTest, RebuildKeepsUidsFlagsAndUidValidity) {
  auto inbox = find("INBOX");
  for (int i = 0; i < 5; ++i) append("INBOX", message("m" + std::to_string(i)));
  FlagUpdate up;
  up.mode = FlagUpdate::Mode::add;
  up.flags.system = kAnswered;
  up.flags.keywords = {"$Label1"};
  FlagResult fr;
  ASSERT_FALSE(account_->update_flags(inbox.id, {2, 4}, up, fr));
  std::vector<Uid> gone;
  ASSERT_FALSE(account_->expunge(inbox.id, {3, 5}, gone));
  ASSERT_FALSE(account_->subscribe("Sent", true));
  auto before = messages("INBOX");
  auto modseq = find("INBOX").highest_modseq;
  close();
  fs::remove(root() / kIndexFile);
  fs::remove(root() / (std::string(kIndexFile) + "-wal"));
  fs::remove(root() / (std::string(kIndexFile) + "-shm"));
  open();
  auto after = messages("INBOX");
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].uid, before[i].uid);
    EXPECT_EQ(after[i].flags, before[i].flags);
    EXPECT_EQ(after[i].email_id, before[i].email_id);
    EXPECT_EQ(after[i].size, before[i].size);
  }
  auto now = find("INBOX");
  EXPECT_EQ(now.uid_validity, inbox.uid_validity);
  EXPECT_EQ(now.uid_next, 6u);  // UID 5 was expunged: never handed out again
  EXPECT_GT(now.highest_modseq, modseq);
  std::vector<std::string> subs;
  ASSERT_FALSE(account_->subscriptions(subs));
  EXPECT_EQ(subs, (std::vector<std::string>{"Sent"}));
  EXPECT_EQ(append("INBOX", message("next")), 6u);
}

TEST_F(MaildirStoreTest, CorruptIndexIsRebuiltAtOpen) {
  append("INBOX", message("a"));
  append("INBOX", message("b"), Flags{kSeen, {}});
  auto validity = find("INBOX").uid_validity;
  close();
  fs::remove(root() / (std::string(kIndexFile) + "-wal"));
  fs::remove(root() / (std::string(kIndexFile) + "-shm"));
  std::ofstream(root() / kIndexFile, std::ios::trunc) << std::string(8192, 'x');
  open();
  auto ms = messages("INBOX");
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_EQ(ms[0].uid, 1u);
  EXPECT_EQ(ms[1].uid, 2u);
  EXPECT_EQ(ms[1].flags.system, kSeen);
  EXPECT_EQ(find("INBOX").uid_validity, validity);
  bool aside = false;
  for (const auto& e : fs::directory_iterator(root()))
    if (e.path().filename().string().find(".corrupt-") != std::string::npos) aside = true;
  EXPECT_TRUE(aside);
}

// INTERNALDATE is the file's modification time: a lost index gives it back.
TEST_F(MaildirStoreTest, InternalDateSurvivesARebuild) {
  NewMessage m;
  const std::string bytes = message("dated");
  m.bytes = bytes;
  m.internal_date = 1700000000;
  AppendResult r;
  ASSERT_FALSE(account_->append(find("INBOX").id, m, r));
  close();
  fs::remove(root() / kIndexFile);
  fs::remove(root() / (std::string(kIndexFile) + "-wal"));
  fs::remove(root() / (std::string(kIndexFile) + "-shm"));
  open();
  auto ms = messages("INBOX");
  ASSERT_EQ(ms.size(), 1u);
  EXPECT_EQ(ms[0].uid, r.uid);
  EXPECT_EQ(ms[0].internal_date, 1700000000);
}

// An index of an older format (an upgrade) is set aside and rebuilt with the same UIDs.
TEST_F(MaildirStoreTest, IndexOfAnotherFormatIsRebuiltAtOpen) {
  append("INBOX", message("a"));
  append("INBOX", message("b"), Flags{kSeen, {}});
  close();
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((root() / kIndexFile).c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "UPDATE meta SET value = 1 WHERE key = 'schema'", nullptr, nullptr,
                           nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  open();
  auto ms = messages("INBOX");
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_EQ(ms[1].uid, 2u);
  EXPECT_EQ(ms[1].flags.system, kSeen);
  bool aside = false;
  for (const auto& e : fs::directory_iterator(root()))
    if (e.path().filename().string().find(".format-1-") != std::string::npos) aside = true;
  EXPECT_TRUE(aside);
}

TEST_F(MaildirStoreTest, UncleanExitKeepsUids) {
  close();
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // The child appends and dies without closing anything (as kill -9 would leave it).
    auto store = make_maildir_store(MaildirStoreOptions{tmp_.path(), 4, true});
    std::shared_ptr<Account> a;
    if (store->account("alice@example.org", a)) ::_exit(2);
    MailboxInfo inbox;
    if (a->find("INBOX", inbox)) ::_exit(3);
    for (int i = 0; i < 3; ++i) {
      std::string bytes = message("child" + std::to_string(i));
      NewMessage m;
      m.bytes = bytes;
      AppendResult r;
      if (a->append(inbox.id, m, r) || r.uid != static_cast<Uid>(i + 1)) ::_exit(4);
    }
    std::vector<Uid> gone;
    if (a->expunge(inbox.id, {3}, gone)) ::_exit(5);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  open();
  auto ms = messages("INBOX");
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_EQ(ms[0].uid, 1u);
  EXPECT_EQ(ms[1].uid, 2u);
  EXPECT_EQ(append("INBOX", message("after")), 4u);
}

#ifdef ESTAFETA_FAULT_INJECTION
TEST_F(MaildirStoreTest, CrashBetweenFileAndCommitDeliversOnce) {
  append("INBOX", message("before"));
  close();
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Killed (SIGKILL) with the file in new/ and the index commit not made.
    ::setenv("ESTAFETA_CRASH_AT", "store-deliver-before-commit", 1);
    auto store = make_maildir_store(MaildirStoreOptions{tmp_.path(), 4, true});
    std::shared_ptr<Account> a;
    if (store->account("alice@example.org", a)) ::_exit(2);
    std::string bytes = message("crashed");
    NewMessage m;
    m.bytes = bytes;
    AppendResult r;
    a->deliver("", m, "spool/crash", false, r);
    ::_exit(3);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << status;
  // The redelivery after the restart finds the placed file: one copy, the UID it was given.
  open();
  std::string bytes = message("crashed");
  NewMessage m;
  m.bytes = bytes;
  AppendResult r;
  ASSERT_FALSE(account_->deliver("", m, "spool/crash", false, r));
  EXPECT_TRUE(r.existing);
  EXPECT_EQ(r.uid, 2u);
  auto ms = messages("INBOX");
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_EQ(ms[1].uid, 2u);
  EXPECT_EQ(files(root()).size(), 2u);
  EXPECT_EQ(append("INBOX", message("after")), 3u);
}
#endif

TEST_F(MaildirStoreTest, CheckReportsAndRebuildRepairs) {
  append("INBOX", message("indexed"));
  append("Sent", message("sent"));
  IndexReport report;
  ASSERT_FALSE(account_->check_index(report));
  EXPECT_EQ(report.mailboxes, 6u);
  EXPECT_EQ(report.messages, 2u);
  EXPECT_EQ(report.added, 0u);
  EXPECT_TRUE(report.problems.empty());
  drop_file(root(), "1700000000.999.elsewhere", message("dropped"));
  fs::remove(root() / ".Sent" / files(root() / ".Sent")[0]);
  ASSERT_FALSE(account_->check_index(report));
  EXPECT_EQ(report.added, 1u);
  EXPECT_EQ(report.removed, 1u);
  EXPECT_EQ(report.problems.size(), 2u);
  // check changes nothing: a second check finds the same (find(), list() and snapshot() would
  // rescan and repair).
  ASSERT_FALSE(account_->check_index(report));
  EXPECT_EQ(report.added, 1u);
  EXPECT_EQ(report.removed, 1u);
  ASSERT_FALSE(account_->rebuild_index(report));
  EXPECT_EQ(report.added, 1u);
  EXPECT_EQ(report.removed, 1u);
  EXPECT_EQ(report.messages, 2u);
  auto ms = messages("INBOX");
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_EQ(ms[0].uid, 1u);
  EXPECT_EQ(ms[1].uid, 2u);
  EXPECT_EQ(messages("Sent").size(), 0u);
  EXPECT_EQ(find("INBOX").messages, 2u);
  EXPECT_EQ(find("Sent").messages, 0u);
  ASSERT_FALSE(account_->check_index(report));
  EXPECT_TRUE(report.problems.empty()) << report.problems[0];
}

TEST_F(MaildirStoreTest, PlusTagFolderIsAMailbox) {
  close();
  // What local delivery makes for user+tag: a Maildir++ folder ".tag" with a message.
  fs::create_directories(root() / ".tag" / "cur");
  fs::create_directories(root() / ".tag" / "new");
  fs::create_directories(root() / ".tag" / "tmp");
  std::ofstream(root() / ".tag" / "new" / "1700000000.1.host,S=10") << message("tagged");
  fs::remove(root() / kIndexFile);
  fs::remove(root() / (std::string(kIndexFile) + "-wal"));
  open();
  EXPECT_EQ(find("tag").messages, 1u);
  // And a folder made after the index exists is found by rebuild (its directory).
  fs::create_directories(root() / ".later" / "cur");
  fs::create_directories(root() / ".later" / "new");
  IndexReport report;
  ASSERT_FALSE(account_->check_index(report));
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_NE(report.problems[0].find(".later"), std::string::npos);
  ASSERT_FALSE(account_->rebuild_index(report));
  MailboxInfo later;
  EXPECT_FALSE(account_->find("later", later)) << ::testing::PrintToString(report.problems);
}

TEST_F(MaildirStoreTest, BareLineFeedsAreStoredAsCrlf) {
  // A CR ending the prefix and the LF starting the data are one line end, not two.
  NewMessage m;
  m.prefix = "Return-Path: <a@example.org>\r";
  m.bytes = "\nFrom: a@example.org\nSubject: s\r\n\nbody\n\n\r\nend";
  AppendResult r;
  ASSERT_FALSE(account_->deliver("", m, "", false, r));
  const std::string want =
      "Return-Path: <a@example.org>\r\nFrom: a@example.org\r\nSubject: s\r\n\r\nbody\r\n\r\n"
      "\r\nend";
  std::unique_ptr<Blob> blob;
  ASSERT_FALSE(account_->open(find("INBOX").id, r.uid, blob));
  std::string got;
  ASSERT_FALSE(blob->read(0, 4096, got));
  EXPECT_EQ(got, want);
  EXPECT_EQ(messages("INBOX")[0].size, want.size());
  CachedFields c;
  ASSERT_FALSE(account_->cached(find("INBOX").id, r.uid, c));
  EXPECT_NE(c.envelope.find("\"s\""), std::string::npos) << c.envelope;
}

TEST_F(MaildirStoreTest, FindAndListSeeDroppedFiles) {
  // STATUS, LIST-STATUS and NOOP ask find() and list(): they rescan first.
  append("INBOX", message("ours"));
  EXPECT_EQ(find("INBOX").messages, 1u);
  drop_file(root(), "1700000000.111.other", message("dropped"));
  MailboxInfo info = find("INBOX");
  EXPECT_EQ(info.messages, 2u);
  EXPECT_EQ(info.unseen, 2u);
  EXPECT_EQ(info.uid_next, 3u);
  drop_file(root() / ".Sent", "1700000001.222.other:2,S", message("sent elsewhere"));
  std::vector<MailboxInfo> list;
  ASSERT_FALSE(account_->list(list));
  bool found = false;
  for (const auto& m : list)
    if (m.name == "Sent") {
      found = true;
      EXPECT_EQ(m.messages, 1u);
      EXPECT_EQ(m.unseen, 0u);
    }
  EXPECT_TRUE(found);
}

TEST_F(MaildirStoreTest, ConcurrentDeliveriesCommitTogetherOnceEach) {
  // Deliveries to one account from many threads share commits; a repeated key (the same
  // spool entry delivered twice at once) still yields one message.
  constexpr int kThreads = 8;
  constexpr int kPerThread = 25;
  std::vector<std::thread> threads;
  std::mutex mu;
  std::map<std::string, std::set<Uid>> uids_by_key;
  int existing = 0;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        // Threads t and t^1 deliver the same keys.
        const std::string key = "spool/" + std::to_string(t / 2) + "-" + std::to_string(i);
        const std::string bytes = message(key);
        NewMessage m;
        m.bytes = bytes;
        AppendResult r;
        std::error_code ec = account_->deliver(i % 5 == 0 ? "lists" : "", m, key, t % 3 != 0, r);
        EXPECT_FALSE(ec) << ec.message();
        std::lock_guard lock(mu);
        uids_by_key[key + (i % 5 == 0 ? "@lists" : "")].insert(r.uid);
        existing += r.existing ? 1 : 0;
      }
    });
  for (auto& t : threads) t.join();
  const std::size_t keys = kThreads / 2 * kPerThread;
  EXPECT_EQ(uids_by_key.size(), keys);
  for (const auto& [key, uids] : uids_by_key) EXPECT_EQ(uids.size(), 1u) << key;
  EXPECT_EQ(existing, static_cast<int>(keys));
  const std::size_t in_lists = kThreads / 2 * ((kPerThread + 4) / 5);
  EXPECT_EQ(messages("lists").size(), in_lists);
  EXPECT_EQ(messages("INBOX").size(), keys - in_lists);
  EXPECT_EQ(files(root()).size(), keys - in_lists);
  EXPECT_EQ(find("INBOX").uid_next, static_cast<Uid>(keys - in_lists + 1));
  IndexReport report;
  ASSERT_FALSE(account_->check_index(report));
  EXPECT_TRUE(report.problems.empty()) << ::testing::PrintToString(report.problems);
  // Nothing left behind in tmp/.
  EXPECT_TRUE(fs::is_empty(root() / "tmp"));
}

TEST(MaildirStore, ConcurrentOpensShareOneAccount) {
  testing::TempDir tmp("estafeta-maildir");
  auto store = make_maildir_store(MaildirStoreOptions{tmp.path(), 2, true});
  std::vector<std::shared_ptr<Account>> got(6);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < got.size(); ++i)
    threads.emplace_back([&, i] {
      EXPECT_FALSE(store->account(i % 2 ? "carol@example.org" : "dan@example.org", got[i]));
    });
  for (auto& t : threads) t.join();
  for (std::size_t i = 2; i < got.size(); ++i) EXPECT_EQ(got[i], got[i % 2]);
  EXPECT_NE(got[0], got[1]);
  std::vector<MailboxInfo> list;
  ASSERT_FALSE(got[1]->list(list));
  EXPECT_EQ(list.size(), 6u);
}

TEST(MaildirStore, AccountNames) {
  testing::TempDir tmp("estafeta-maildir");
  EXPECT_EQ(maildir_account_root("/d", "alice@example.org"), fs::path("/d/mail/example.org/alice"));
  EXPECT_TRUE(maildir_account_root("/d", "alice").empty());
  EXPECT_TRUE(maildir_account_root("/d", "../x@y").empty());
  EXPECT_TRUE(maildir_account_root("/d", "a@../y").empty());
  EXPECT_TRUE(maildir_account_root("/d", "a/b@y").empty());
  EXPECT_TRUE(maildir_account_root("/d", "@y").empty());
  auto store = make_maildir_store(MaildirStoreOptions{tmp.path(), 4, true});
  std::shared_ptr<Account> a;
  EXPECT_EQ(store->account("nobody", a), std::error_code(Errc::no_such_account));
  EXPECT_EQ(store->remove_account("ghost@example.org"), std::error_code(Errc::no_such_account));
}

}  // namespace
}  // namespace estafeta::store
