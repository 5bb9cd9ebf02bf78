// auth_sqlite_directory_test: the resolution rules (users, aliases, chains, loops, catch-all,
// +detail, postmaster, case), authentication, may_send_as, and the account store commands
// that feed them. Each test gets its own temporary data dir.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "auth/auth_account_store.hpp"
#include "auth/auth_password.hpp"
#include "auth/auth_sqlite_directory.hpp"
#include "queue/proto/queue_srs.hpp"

namespace estafeta::auth {
namespace {

namespace fs = std::filesystem;
using Status = Resolution::Status;

const std::string& test_hash() {
  static const std::string h = hash_password("pw");
  return h;
}

class DirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/estafeta-auth-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    store_ = std::make_unique<AccountStore>(dir_);
    ASSERT_EQ(store_->open(), "");
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  void user(const std::string& a) {
    bool added = false;
    ASSERT_EQ(store_->add_user(a, test_hash(), added), "") << a;
  }
  void alias(const std::string& s, std::vector<std::string> t) {
    ASSERT_EQ(store_->add_alias(s, t), "") << s;
  }
  SqliteDirectory& dir(bool detail_to_folder = false, char sep = '+') {
    directory_ = std::make_unique<SqliteDirectory>(
        DirectoryOptions{dir_, "mail.example.org", sep, detail_to_folder});
    EXPECT_EQ(directory_->open(), "");
    return *directory_;
  }
  // The users a resolution lands in, sorted.
  static std::vector<std::string> users(const Resolution& r) {
    std::vector<std::string> out;
    for (const auto& t : r.targets) out.push_back(t.user);
    std::sort(out.begin(), out.end());
    return out;
  }

  fs::path dir_;
  std::unique_ptr<AccountStore> store_;
  std::unique_ptr<SqliteDirectory> directory_;
};

TEST_F(DirectoryTest, UserAndDomains) {
  user("alice@example.org");
  auto& d = dir();
  Resolution r = d.resolve("alice@example.org");
  ASSERT_EQ(r.status, Status::local);
  ASSERT_EQ(r.targets.size(), 1u);
  EXPECT_EQ(r.targets[0].user, "alice@example.org");
  EXPECT_EQ(r.targets[0].maildir, dir_ / "mail/example.org/alice");
  EXPECT_EQ(r.targets[0].folder, "");
  EXPECT_EQ(r.targets[0].address, "alice@example.org");
  EXPECT_EQ(d.resolve("bob@example.org").status, Status::unknown_user);
  EXPECT_EQ(d.resolve("alice@example.net").status, Status::not_local_domain);
  EXPECT_EQ(d.resolve("garbage").status, Status::not_local_domain);
  EXPECT_EQ(d.resolve("").status, Status::not_local_domain);
}

TEST_F(DirectoryTest, CaseInsensitive) {
  user("Alice@Example.ORG");
  auto& d = dir();
  Resolution r = d.resolve("ALICE@example.org");
  ASSERT_EQ(r.status, Status::local);
  EXPECT_EQ(r.targets[0].user, "alice@example.org");
  EXPECT_EQ(d.resolve("alice@EXAMPLE.org").status, Status::local);
  EXPECT_EQ(d.resolve("alice@example.org.").status, Status::local);
}

TEST_F(DirectoryTest, AliasesAndChains) {
  user("alice@example.org");
  user("bob@example.org");
  alias("team@example.org", {"alice@example.org", "bob@example.org"});
  alias("all@example.org", {"team@example.org", "Alice@example.org"});
  alias("info@example.org", {"all@example.org"});
  auto& d = dir();
  Resolution r = d.resolve("Team@example.org");
  ASSERT_EQ(r.status, Status::local);
  EXPECT_EQ(users(r), (std::vector<std::string>{"alice@example.org", "bob@example.org"}));
  r = d.resolve("info@example.org");
  ASSERT_EQ(r.status, Status::local);
  EXPECT_EQ(r.targets.size(), 2u);  // alice reached twice, delivered once
  EXPECT_EQ(r.targets[0].address, r.targets[0].user);
}

TEST_F(DirectoryTest, AliasToOtherLocalDomain) {
  user("alice@example.org");
  ASSERT_EQ(store_->add_domain("example.net"), "");
  alias("sales@example.net", {"alice@example.org"});
  auto& d = dir();
  Resolution r = d.resolve("sales@example.net");
  ASSERT_EQ(r.status, Status::local);
  EXPECT_EQ(users(r), std::vector<std::string>{"alice@example.org"});
}

TEST_F(DirectoryTest, AliasLoopsAreCut) {
  user("alice@example.org");
  alias("a@example.org", {"b@example.org"});
  alias("b@example.org", {"a@example.org", "alice@example.org"});
  alias("x@example.org", {"y@example.org"});
  alias("y@example.org", {"x@example.org"});
  auto& d = dir();
  Resolution r = d.resolve("a@example.org");
  ASSERT_EQ(r.status, Status::local);
  EXPECT_EQ(users(r), std::vector<std::string>{"alice@example.org"});
  EXPECT_EQ(d.resolve("x@example.org").status, Status::unknown_user);  // a pure loop
}

TEST_F(DirectoryTest, DepthBound) {
  user("alice@example.org");
  // a0 -> a1 -> ... -> a11 -> alice: deeper than 10 levels.
  for (int i = 0; i < 12; ++i)
    alias("a" + std::to_string(i) + "@example.org", {"a" + std::to_string(i + 1) + "@example.org"});
  alias("a12@example.org", {"alice@example.org"});
  alias("b0@example.org", {"b1@example.org"});
  alias("b1@example.org", {"b2@example.org"});
  alias("b2@example.org", {"alice@example.org"});
  auto& d = dir();
  EXPECT_EQ(d.resolve("a0@example.org").status, Status::unknown_user);
  EXPECT_EQ(d.resolve("a5@example.org").status, Status::local);
  EXPECT_EQ(d.resolve("b0@example.org").status, Status::local);
}

TEST_F(DirectoryTest, WideExpansionIsBounded) {
  user("alice@example.org");
  std::vector<std::string> tops;
  for (int i = 0; i < 80; ++i) {
    std::vector<std::string> leaves;
    for (int j = 0; j < 80; ++j) leaves.push_back("n" + std::to_string(j) + "@example.org");
    std::string mid = "m" + std::to_string(i) + "@example.org";
    alias(mid, leaves);
    tops.push_back(mid);
  }
  alias("wide@example.org", tops);
  auto& d = dir();
  auto start = std::chrono::steady_clock::now();
  Resolution r = d.resolve("wide@example.org");  // 6400 lookups needed, 5000 allowed
  EXPECT_EQ(r.status, Status::unknown_user);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

TEST_F(DirectoryTest, SelfReferenceKeepsACopy) {
  ASSERT_EQ(store_->add_domain("example.org"), "");
  user("bob@example.org");
  // An alias named like a user is refused, so this is the chain form: list -> list, bob.
  alias("list@example.org", {"list@example.org", "bob@example.org"});
  auto& d = dir();
  Resolution r = d.resolve("list@example.org");
  ASSERT_EQ(r.status, Status::local);
  EXPECT_EQ(users(r), std::vector<std::string>{"bob@example.org"});
}

TEST_F(DirectoryTest, UnknownTargetsAreDropped) {
  user("alice@example.org");
  alias("fwd@example.org", {"someone@elsewhere.example", "alice@example.org"});
  alias("gone@example.org", {"nobody@example.org"});
  auto& d = dir();
  Resolution r = d.resolve("fwd@example.org");
  ASSERT_EQ(r.status, Status::local);
  EXPECT_EQ(users(r), std::vector<std::string>{"alice@example.org"});
  EXPECT_EQ(d.resolve("gone@example.org").status, Status::unknown_user);
}

const std::array<std::uint8_t, 16> kSrsKey{7, 7, 7, 7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

std::vector<std::string> forwards(const Resolution& r) {
  std::vector<std::string> out;
  for (const auto& f : r.forwards) out.push_back(f.address + " via " + f.via_domain);
  std::sort(out.begin(), out.end());
  return out;
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST_F(DirectoryTest, ForwardTargetsWhenForwarding) {
  user("alice@example.org");
  ASSERT_EQ(store_->add_domain("example.net"), "");
  alias("fwd@example.org", {"Someone@Elsewhere.example", "alice@example.org"});
  alias("only@example.org", {"someone@elsewhere.example"});
  alias("chain@example.net", {"fwd@example.org", "other@far.example", "only@example.org"});
  alias("@example.net", {"catch@far.example"});
  auto& d = dir();
  d.enable_forwarding(kSrsKey);
  Resolution r = d.resolve("fwd@example.org");
  ASSERT_EQ(r.status, Status::local);
  EXPECT_EQ(users(r), std::vector<std::string>{"alice@example.org"});
  EXPECT_EQ(forwards(r), std::vector<std::string>{"someone@elsewhere.example via example.org"});
  // Only a forward: accepted, no mailbox.
  r = d.resolve("only@example.org");
  ASSERT_EQ(r.status, Status::local);
  EXPECT_TRUE(r.targets.empty());
  ASSERT_EQ(r.forwards.size(), 1u);
  // Through a chain: each forward named once, via the domain of the alias that named it.
  r = d.resolve("chain@example.net");
  EXPECT_EQ(forwards(r), (std::vector<std::string>{"other@far.example via example.net",
                                                   "someone@elsewhere.example via example.org"}));
  EXPECT_EQ(users(r), std::vector<std::string>{"alice@example.org"});
  EXPECT_EQ(forwards(d.resolve("x@example.net")),
            std::vector<std::string>{"catch@far.example via example.net"});
  // A recipient outside our domains is still not ours.
  EXPECT_EQ(d.resolve("someone@elsewhere.example").status, Status::not_local_domain);
  // may_send_as does not change.
  EXPECT_FALSE(d.may_send_as("alice@example.org", "only@example.org"));
}

TEST_F(DirectoryTest, ForwardLoopsAreStillCut) {
  ASSERT_EQ(store_->add_domain("example.org"), "");
  alias("a@example.org", {"b@example.org", "x@far.example"});
  alias("b@example.org", {"a@example.org", "x@far.example"});
  auto& d = dir();
  d.enable_forwarding(kSrsKey);
  Resolution r = d.resolve("a@example.org");
  ASSERT_EQ(r.status, Status::local);
  EXPECT_EQ(forwards(r), std::vector<std::string>{"x@far.example via example.org"});
}

TEST_F(DirectoryTest, ForwardsAreBounded) {
  ASSERT_EQ(store_->add_domain("example.org"), "");
  std::vector<std::string> many;
  for (int i = 0; i < 1200; ++i) many.push_back("r" + std::to_string(i) + "@far.example");
  alias("big@example.org", many);
  auto& d = dir();
  d.enable_forwarding(kSrsKey);
  Resolution r = d.resolve("big@example.org");
  ASSERT_EQ(r.status, Status::local);
  EXPECT_LE(r.forwards.size(), 1000u);
}

TEST_F(DirectoryTest, NoForwardsWithoutForwarding) {
  ASSERT_EQ(store_->add_domain("example.org"), "");
  alias("only@example.org", {"someone@elsewhere.example"});
  auto& d = dir();
  EXPECT_EQ(d.resolve("only@example.org").status, Status::unknown_user);
  EXPECT_EQ(d.forward_sender("bob@sender.example", "example.org"), "bob@sender.example");
}

TEST_F(DirectoryTest, SrsSendersAndBounces) {
  user("alice@example.org");
  auto& d = dir();
  d.enable_forwarding(kSrsKey);
  // Null sender and our own senders are kept; others get SRS0 in the alias's domain.
  EXPECT_EQ(d.forward_sender("", "example.org"), "");
  EXPECT_EQ(d.forward_sender("alice@EXAMPLE.org", "example.org"), "alice@EXAMPLE.org");
  const std::string srs = d.forward_sender("bob@sender.example", "example.org");
  ASSERT_EQ(srs.rfind("SRS0=", 0), 0u) << srs;
  ASSERT_NE(srs.find("@example.org"), std::string::npos);
  // A bounce to it goes back to the sender, in any case.
  Resolution r = d.resolve(srs);
  ASSERT_EQ(r.status, Status::local);
  EXPECT_TRUE(r.targets.empty());
  EXPECT_EQ(forwards(r), std::vector<std::string>{"bob@sender.example via "});
  std::string upper = srs;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(d.resolve(upper).forwards.at(0).address, "BOB@SENDER.EXAMPLE");
  // Tampered, expired, foreign: unknown user.
  std::string tampered = srs;
  tampered.replace(tampered.find("bob@"), 3, "eve");
  EXPECT_EQ(d.resolve(tampered).status, Status::unknown_user);
  auto old =
      queue::srs_forward(kSrsKey, "bob@sender.example", "example.org", unix_now() - 30 * 86400);
  ASSERT_TRUE(old);
  EXPECT_EQ(d.resolve(*old).status, Status::unknown_user);
  EXPECT_EQ(d.resolve("SRS0=garbage@example.org").status, Status::unknown_user);
  // At a domain that is not ours: not ours to reverse.
  EXPECT_EQ(d.resolve(srs.substr(0, srs.find('@')) + "@far.example").status,
            Status::not_local_domain);
  // SRS1 of ours naming our own SRS0 (a loop between two forwarders): reversed twice.
  auto s1 = queue::srs_forward(kSrsKey, srs, "example.org", unix_now());
  ASSERT_TRUE(s1);
  EXPECT_EQ(forwards(d.resolve(*s1)), std::vector<std::string>{"bob@sender.example via "});
  // Pointing at one of our users: delivered to the mailbox.
  auto own = queue::srs_forward(kSrsKey, "alice@example.org", "example.org", unix_now());
  ASSERT_TRUE(own);
  r = d.resolve(*own);
  ASSERT_EQ(r.status, Status::local);
  EXPECT_EQ(users(r), std::vector<std::string>{"alice@example.org"});
  EXPECT_TRUE(r.forwards.empty());
  // Without forwarding an SRS address is an ordinary (unknown) local part.
  auto& plain = dir();
  EXPECT_EQ(plain.resolve(srs).status, Status::unknown_user);
}

TEST_F(DirectoryTest, CatchAll) {
  user("alice@example.org");
  user("bob@example.org");
  alias("@example.org", {"bob@example.org"});
  auto& d = dir();
  EXPECT_EQ(users(d.resolve("anything@example.org")), std::vector<std::string>{"bob@example.org"});
  EXPECT_EQ(users(d.resolve("alice@example.org")),
            std::vector<std::string>{"alice@example.org"});  // exact user wins
  EXPECT_EQ(d.resolve("x@example.net").status, Status::not_local_domain);
}

TEST_F(DirectoryTest, CatchAllToMissingUserDoesNotLoop) {
  ASSERT_EQ(store_->add_domain("example.org"), "");
  alias("@example.org", {"nobody@example.org"});
  auto& d = dir();
  EXPECT_EQ(d.resolve("x@example.org").status, Status::unknown_user);
}

TEST_F(DirectoryTest, DetailAddressing) {
  user("alice@example.org");
  alias("sales@example.org", {"alice@example.org"});
  auto& d = dir();
  Resolution r = d.resolve("alice+news@example.org");
  ASSERT_EQ(r.status, Status::local);
  EXPECT_EQ(r.targets[0].user, "alice@example.org");
  EXPECT_EQ(r.targets[0].folder, "");  // detail_to_folder off
  EXPECT_EQ(r.targets[0].address, "alice+news@example.org");
  EXPECT_EQ(users(d.resolve("sales+x@example.org")), std::vector<std::string>{"alice@example.org"});
  EXPECT_EQ(d.resolve("bob+news@example.org").status, Status::unknown_user);
  EXPECT_EQ(d.resolve("+news@example.org").status, Status::unknown_user);
  EXPECT_EQ(dir(false, '-').resolve("alice+news@example.org").status, Status::unknown_user);
  EXPECT_EQ(dir(false, '-').resolve("alice-news@example.org").status, Status::local);
  EXPECT_EQ(dir(false, '\0').resolve("alice+news@example.org").status, Status::unknown_user);
}

TEST_F(DirectoryTest, ExactUserBeatsDetail) {
  user("alice@example.org");
  user("alice+x@example.org");
  auto& d = dir();
  EXPECT_EQ(users(d.resolve("alice+x@example.org")),
            std::vector<std::string>{"alice+x@example.org"});
}

TEST_F(DirectoryTest, DetailToFolderOnlyWhenFolderExists) {
  user("alice@example.org");
  fs::create_directories(dir_ / "mail/example.org/alice/.Lists/cur");
  auto& d = dir(true);
  Resolution r = d.resolve("alice+Lists@example.org");
  ASSERT_EQ(r.status, Status::local);
  EXPECT_EQ(r.targets[0].folder, "Lists");
  EXPECT_EQ(d.resolve("alice+Other@example.org").targets[0].folder, "");
  EXPECT_EQ(d.resolve("alice+..@example.org").targets[0].folder, "");
  EXPECT_EQ(d.resolve("alice+.Lists@example.org").targets[0].folder, "");
}

TEST_F(DirectoryTest, PostmasterAlwaysResolves) {
  user("zed@example.org");
  user("amy@example.org");
  user("admin@example.net");
  ASSERT_EQ(store_->add_domain("empty.example"), "");
  auto& d = dir();
  // No user or alias postmaster: the oldest user of the domain (zed was added first).
  EXPECT_EQ(users(d.resolve("postmaster@example.org")),
            std::vector<std::string>{"zed@example.org"});
  EXPECT_EQ(users(d.resolve("PostMaster@example.net")),
            std::vector<std::string>{"admin@example.net"});
  // A domain without users: the oldest user of all.
  EXPECT_EQ(users(d.resolve("postmaster@empty.example")),
            std::vector<std::string>{"zed@example.org"});
  // Bare "postmaster" (RFC 5321 §4.1.1.3): hostname is not local, so the first domain by name.
  EXPECT_EQ(users(d.resolve("Postmaster")), std::vector<std::string>{"zed@example.org"});
  // postmaster@<hostname> (not a mail domain here) is the bare postmaster too.
  EXPECT_EQ(users(d.resolve("postmaster@Mail.Example.org")),
            std::vector<std::string>{"zed@example.org"});
  EXPECT_EQ(d.resolve("someone@mail.example.org").status, Status::not_local_domain);
  // An alias wins over the fallback.
  alias("postmaster@example.org", {"amy@example.org"});
  EXPECT_EQ(users(d.resolve("postmaster@example.org")),
            std::vector<std::string>{"amy@example.org"});
  EXPECT_EQ(d.resolve("postmaster@example.com").status, Status::not_local_domain);
}

TEST_F(DirectoryTest, PostmasterSurvivesBrokenAliases) {
  user("amy@example.org");
  alias("@example.org", {"nobody@example.org"});
  ASSERT_EQ(store_->add_domain("example.net"), "");
  alias("postmaster@example.net", {"gone@elsewhere.example"});
  auto& d = dir();
  EXPECT_EQ(users(d.resolve("postmaster@example.org")),
            std::vector<std::string>{"amy@example.org"});
  EXPECT_EQ(users(d.resolve("postmaster@example.net")),
            std::vector<std::string>{"amy@example.org"});
  EXPECT_EQ(d.resolve("other@example.org").status, Status::unknown_user);
}

TEST_F(DirectoryTest, BarePostmasterUsesHostnameDomain) {
  user("a@aaa.example");
  user("root@mail.example.org");
  auto& d = dir();
  EXPECT_EQ(users(d.resolve("postmaster")), std::vector<std::string>{"root@mail.example.org"});
}

TEST_F(DirectoryTest, PostmasterWithNoUsersAtAll) {
  ASSERT_EQ(store_->add_domain("example.org"), "");
  auto& d = dir();
  EXPECT_EQ(d.resolve("postmaster@example.org").status, Status::unknown_user);
}

TEST_F(DirectoryTest, Authenticate) {
  user("alice@example.org");
  auto& d = dir();
  EXPECT_EQ(d.authenticate("alice@example.org", "pw"), "alice@example.org");
  EXPECT_EQ(d.authenticate("ALICE@Example.org", "pw"), "alice@example.org");
  EXPECT_EQ(d.authenticate("alice@example.org", "PW"), std::nullopt);
  EXPECT_EQ(d.check_login("alice@example.org", "PW").status, LoginCheck::Status::invalid);
  EXPECT_EQ(d.check_login("ALICE@example.org", "pw").account, "alice@example.org");
  EXPECT_EQ(d.authenticate("alice@example.org", ""), std::nullopt);
  EXPECT_EQ(d.authenticate("bob@example.org", "pw"), std::nullopt);
  EXPECT_EQ(d.authenticate("alice", "pw"), std::nullopt);
  ASSERT_EQ(store_->set_password("alice@example.org", hash_password("new")), "");
  EXPECT_EQ(d.authenticate("alice@example.org", "new"), "alice@example.org");
  EXPECT_EQ(d.authenticate("alice@example.org", "pw"), std::nullopt);
}

// auth.login_cache_ttl: the same password again is remembered; a changed password, a
// deleted account and a wrong password are not.
TEST_F(DirectoryTest, LoginCacheFollowsThePassword) {
  user("alice@example.org");
  SqliteDirectory d(
      DirectoryOptions{dir_, "mail.example.org", '+', false, std::chrono::seconds(600)});
  ASSERT_EQ(d.open(), "");
  EXPECT_EQ(d.check_login("alice@example.org", "pw").status, LoginCheck::Status::ok);
  EXPECT_EQ(d.check_login("alice@example.org", "pw").status, LoginCheck::Status::ok);
  EXPECT_EQ(d.check_login("alice@example.org", "PW").status, LoginCheck::Status::invalid);
  ASSERT_EQ(store_->set_password("alice@example.org", hash_password("new")), "");
  EXPECT_EQ(d.check_login("alice@example.org", "pw").status, LoginCheck::Status::invalid);
  EXPECT_EQ(d.check_login("alice@example.org", "new").status, LoginCheck::Status::ok);
  ASSERT_EQ(store_->del_user("alice@example.org"), "");
  EXPECT_EQ(d.check_login("alice@example.org", "new").status, LoginCheck::Status::invalid);
}

TEST_F(DirectoryTest, MaySendAs) {
  user("alice@example.org");
  user("bob@example.org");
  alias("sales@example.org", {"alice@example.org"});
  alias("team@example.org", {"sales@example.org", "bob@example.org"});
  alias("@example.org", {"alice@example.org"});
  auto& d = dir();
  EXPECT_TRUE(d.may_send_as("alice@example.org", "alice@example.org"));
  EXPECT_TRUE(d.may_send_as("alice@example.org", "Alice@EXAMPLE.org"));
  EXPECT_TRUE(d.may_send_as("alice@example.org", "alice+lists@example.org"));
  EXPECT_TRUE(d.may_send_as("alice@example.org", "sales@example.org"));
  EXPECT_TRUE(d.may_send_as("alice@example.org", "team@example.org"));  // via a chain
  EXPECT_TRUE(d.may_send_as("bob@example.org", "team@example.org"));
  EXPECT_FALSE(d.may_send_as("bob@example.org", "sales@example.org"));
  EXPECT_FALSE(d.may_send_as("alice@example.org", "bob@example.org"));
  EXPECT_FALSE(d.may_send_as("alice@example.org", "random@example.org"));  // not via catch-all
  EXPECT_FALSE(d.may_send_as("alice@example.org", "postmaster@example.org"));
  EXPECT_FALSE(d.may_send_as("alice@example.org", ""));
  EXPECT_FALSE(d.may_send_as("alice@example.org", "alice@example.net"));
}

TEST_F(DirectoryTest, ConcurrentUse) {
  user("alice@example.org");
  alias("team@example.org", {"alice@example.org"});
  auto& d = dir();
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i)
        if (d.resolve("team@example.org").status == Status::local) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 200);
}

TEST_F(DirectoryTest, ReadersAndAWriterTogether) {
  // The CLI writes while the server reads: WAL and busy_timeout keep both going.
  user("alice@example.org");
  auto& d = dir();
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      for (int i = 0; i < 2000 && !stop; ++i) {
        auto st = d.resolve("alice@example.org").status;
        if (st != Status::local) ++failures;
      }
    });
  }
  for (int i = 0; i < 20; ++i) {
    bool added = false;
    EXPECT_EQ(store_->add_user("u" + std::to_string(i) + "@example.org", test_hash(), added), "");
    EXPECT_EQ(store_->add_alias("l" + std::to_string(i) + "@example.org", {"alice@example.org"}),
              "");
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(d.resolve("u19@example.org").status, Status::local);  // seen without a restart
  EXPECT_EQ(d.resolve("l19@example.org").status, Status::local);
}

TEST_F(DirectoryTest, UnreadableDatabaseIsTemporary) {
  // open() creates directories; make the database path a directory instead of a file.
  fs::create_directories(dir_ / "notafile/accounts.db");
  SqliteDirectory bad(DirectoryOptions{dir_ / "notafile", "h", '+', false});
  EXPECT_NE(bad.open(), "");
  EXPECT_EQ(bad.resolve("a@example.org").status, Status::temporary_failure);
  EXPECT_EQ(bad.authenticate("a@example.org", "pw"), std::nullopt);
  EXPECT_EQ(bad.check_login("a@example.org", "pw").status, LoginCheck::Status::unavailable);
  EXPECT_FALSE(bad.may_send_as("a@example.org", "b@example.org"));
}

TEST_F(DirectoryTest, ReplacedDatabaseIsNotReadThroughOldConnections) {
  user("alice@example.org");
  auto& d = dir();
  ASSERT_EQ(d.check_login("alice@example.org", "pw").status, LoginCheck::Status::ok);
  // The file goes away and a directory takes its place: the pooled connection (still open
  // on the old file) must not answer; the database is unavailable, not the password wrong.
  store_.reset();
  fs::rename(dir_ / "accounts.db", dir_ / "accounts.db.moved");
  fs::create_directory(dir_ / "accounts.db");
  EXPECT_EQ(d.check_login("alice@example.org", "pw").status, LoginCheck::Status::unavailable);
  EXPECT_EQ(d.resolve("alice@example.org").status, Status::temporary_failure);
  // Put back: read again.
  fs::remove(dir_ / "accounts.db");
  fs::rename(dir_ / "accounts.db.moved", dir_ / "accounts.db");
  EXPECT_EQ(d.check_login("alice@example.org", "pw").status, LoginCheck::Status::ok);
}

// AccountStore: the administrative commands.
TEST_F(DirectoryTest, StoreDomains) {
  EXPECT_EQ(store_->add_domain("Example.ORG"), "");
  EXPECT_NE(store_->add_domain("example.org"), "");  // exists
  EXPECT_NE(store_->add_domain("bad domain"), "");
  std::vector<std::string> ds;
  EXPECT_EQ(store_->list_domains(ds), "");
  EXPECT_EQ(ds, std::vector<std::string>{"example.org"});
  user("alice@example.org");
  EXPECT_NE(store_->del_domain("example.org"), "");  // has a user
  EXPECT_EQ(store_->del_user("alice@example.org"), "");
  alias("@example.org", {"x@example.org"});
  EXPECT_NE(store_->del_domain("example.org"), "");  // has an alias
  EXPECT_EQ(store_->del_alias("@example.org", ""), "");
  EXPECT_EQ(store_->del_domain("example.org"), "");
  EXPECT_NE(store_->del_domain("example.org"), "");  // gone
}

TEST_F(DirectoryTest, StoreUsers) {
  bool added = false;
  EXPECT_EQ(store_->add_user("Alice@Example.org", test_hash(), added), "");
  EXPECT_TRUE(added);
  EXPECT_EQ(store_->add_user("bob@example.org", test_hash(), added), "");
  EXPECT_FALSE(added);
  EXPECT_NE(store_->add_user("alice@example.org", test_hash(), added), "");  // exists
  EXPECT_FALSE(added);
  EXPECT_NE(store_->add_user("carol@example.org", "nothash", added), "");
  EXPECT_NE(store_->add_user("../x@example.org", test_hash(), added), "");
  EXPECT_NE(store_->add_user("noat", test_hash(), added), "");
  std::vector<UserInfo> us;
  EXPECT_EQ(store_->list_users(us), "");
  ASSERT_EQ(us.size(), 2u);
  EXPECT_EQ(us[0].address, "alice@example.org");
  EXPECT_GT(us[0].created, 0);
  EXPECT_NE(store_->set_password("nobody@example.org", test_hash()), "");
  EXPECT_NE(store_->set_password("alice@example.org", "x"), "");
  EXPECT_NE(store_->del_user("nobody@example.org"), "");
  EXPECT_EQ(store_->maildir_of("Alice@example.org"), dir_ / "mail/example.org/alice");
}

TEST_F(DirectoryTest, StoreAliases) {
  user("alice@example.org");
  EXPECT_NE(store_->add_alias("x@unknown.example", {"alice@example.org"}), "");  // not local
  EXPECT_NE(store_->add_alias("alice@example.org", {"bob@example.org"}), "");    // is a user
  EXPECT_NE(store_->add_alias("x@example.org", {}), "");
  EXPECT_NE(store_->add_alias("x@example.org", {"@example.org"}), "");
  EXPECT_NE(store_->add_alias("bad source", {"alice@example.org"}), "");
  EXPECT_EQ(store_->add_alias("X@example.org", {"Alice@example.org", "b@c.example"}), "");
  EXPECT_EQ(store_->add_alias("x@example.org", {"alice@example.org"}), "");  // kept once
  bool added = false;
  EXPECT_NE(store_->add_user("x@example.org", test_hash(), added), "");  // is an alias
  std::vector<AliasInfo> as;
  EXPECT_EQ(store_->list_aliases(as), "");
  ASSERT_EQ(as.size(), 2u);
  EXPECT_EQ(as[0].source, "x@example.org");
  EXPECT_EQ(as[0].target, "alice@example.org");
  EXPECT_EQ(as[1].target, "b@c.example");
  EXPECT_EQ(store_->del_alias("x@example.org", "B@c.example"), "");
  EXPECT_NE(store_->del_alias("x@example.org", "b@c.example"), "");
  EXPECT_EQ(store_->del_alias("x@example.org", ""), "");
  EXPECT_NE(store_->del_alias("x@example.org", ""), "");
}

TEST_F(DirectoryTest, SchemaVersionIsChecked) {
  store_.reset();
  {
    AccountStore s(dir_);
    ASSERT_EQ(s.open(), "");
  }
  // A future schema is refused, not silently used.
  std::string cmd = "sqlite3 '" + (dir_ / "accounts.db").string() +
                    "' 'UPDATE schema_version SET version = 99' 2>/dev/null";
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "sqlite3 shell not installed";
  AccountStore s(dir_);
  EXPECT_NE(s.open().find("schema version 99"), std::string::npos);
}

}  // namespace
}  // namespace estafeta::auth
