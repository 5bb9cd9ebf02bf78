// smtp_server_requests_test: the worker-side requests against a fake directory, a real spool
// and the real Maildir writer in a temporary directory: verdict mapping, delivery to every
// resolved mailbox exactly once, and a temporary failure (never a silent drop, nothing left
// in the spool) when a recipient vanished between RCPT and the end of DATA.
#include "smtp/smtp_server_requests.hpp"

#include <gtest/gtest.h>

#include "queue/queue_local_runner.hpp"
#include "smtp/smtp_server_test_support.hpp"
#include "smtp/smtp_spool_requests.hpp"

namespace estafeta::smtp {
namespace {

using testing::delivered;
using testing::FakeDirectory;
using testing::TempDir;

Envelope envelope_for(std::initializer_list<const char*> rcpts) {
  Envelope e;
  e.mail_from = "sender@example.net";
  e.id = "TESTID";
  for (const char* r : rcpts) e.recipients.push_back(Recipient{r, {}});
  return e;
}

TEST(ServerRequests, RecipientVerdicts) {
  TempDir dir;
  FakeDirectory d(dir.path());
  EXPECT_EQ(check_recipient(d, "alice@example.org"), RecipientVerdict::local);
  EXPECT_EQ(check_recipient(d, "nobody@example.org"), RecipientVerdict::unknown_user);
  EXPECT_EQ(check_recipient(d, "x@example.net"), RecipientVerdict::not_local_domain);
  EXPECT_EQ(check_recipient(d, "broken@example.org"), RecipientVerdict::temporary_failure);
}

TEST(ServerRequests, FullMailboxVerdict) {
  TempDir dir;
  FakeDirectory d(dir.path());
  std::vector<std::string> asked;
  MailboxFull full = [&](const std::string& account) {
    asked.push_back(account);
    return account == "alice@example.org";
  };
  EXPECT_EQ(check_recipient(d, "alice@example.org", full), RecipientVerdict::mailbox_full);
  EXPECT_EQ(asked, (std::vector<std::string>{"alice@example.org"}));
  MailboxFull none = [](const std::string&) { return false; };
  EXPECT_EQ(check_recipient(d, "alice@example.org", none), RecipientVerdict::local);
  EXPECT_EQ(check_recipient(d, "nobody@example.org", full), RecipientVerdict::unknown_user);
}

TEST(ServerRequests, SenderAndLogin) {
  TempDir dir;
  FakeDirectory d(dir.path());
  EXPECT_TRUE(check_sender(d, "alice@example.org", "alice@example.org"));
  EXPECT_FALSE(check_sender(d, "alice@example.org", "bob@example.org"));
  EXPECT_EQ(authenticate(d, "alice@example.org", "secret"), "alice@example.org");
  EXPECT_EQ(authenticate(d, "alice@example.org", "wrong"), std::nullopt);
}

// Commits a message to a spool in `dir` and delivers it from there; false when the commit
// (the 250) was refused.
bool store(FakeDirectory& d, const std::filesystem::path& dir, const Envelope& envelope) {
  queue::Spool spool({dir / "spool", true, 2});
  std::vector<queue::SpoolEntry> found;
  if (spool.open(found)) return false;
  delivery::LocalDelivery delivery({true, "test.host"});
  queue::LocalRunner runner(spool, delivery, [](std::function<void()> f) { f(); });
  Background now = [](std::function<void()> f) { f(); };
  SpoolSlot slot;
  spool_append(spool, now, slot, "Subject: hi\r\n");
  StoreMessage m{envelope, "Received: test\r\n", "\r\nhello\r\n"};
  auto entry = commit_message(d, spool, now, slot, m, "192.0.2.1", "test.host");
  if (!entry) return false;
  EXPECT_EQ(entry->envelope.peer_ip, "192.0.2.1");
  runner.deliver(std::move(*entry), false);
  return true;
}

TEST(ServerRequests, StoresOncePerMailbox) {
  TempDir dir;
  FakeDirectory d(dir.path() / "mail");
  // alice directly and through the alias: one copy for alice, one for bob.
  ASSERT_TRUE(store(d, dir.path(), envelope_for({"alice@example.org", "team@example.org"})));
  ASSERT_EQ(delivered(d.maildir("alice")).size(), 1u);
  EXPECT_EQ(delivered(d.maildir("bob")).size(), 1u);
}

TEST(ServerRequests, VanishedRecipientIsATemporaryFailure) {
  TempDir dir;
  FakeDirectory d(dir.path() / "mail");
  ASSERT_EQ(check_recipient(d, "flaky@example.org"), RecipientVerdict::local);
  d.flaky_gone = true;
  EXPECT_FALSE(store(d, dir.path(), envelope_for({"alice@example.org", "flaky@example.org"})));
  EXPECT_TRUE(delivered(d.maildir("alice")).empty());
  // Nothing stays in the spool but free slots.
  queue::Spool spool({dir.path() / "spool", true, 2});
  std::vector<std::string> errors;
  EXPECT_TRUE(spool.list(errors).empty());
}

// A spool in a temporary directory, committed to directly (no session), and an envelope with
// one relayed recipient.
class ServerCommit : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<queue::SpoolEntry> found;
    ASSERT_FALSE(spool.open(found));
    relayed.recipients.push_back(Recipient{"x@example.net", {}, true});
  }
  TempDir dir;
  FakeDirectory d{dir.path() / "mail"};
  queue::Spool spool{{dir.path() / "spool", true, 2}};
  Background now = [](std::function<void()> f) { f(); };
  Envelope relayed = envelope_for({});
};

// A relayed recipient the RCPT verdict cache vouches for (the account database unchanged since
// it found the domain is not ours) is committed without a second directory lookup; one it does
// not vouch for is resolved again.
TEST_F(ServerCommit, KnownRemoteRecipientIsNotResolvedAgain) {
  for (bool vouched : {true, false}) {
    SpoolSlot slot;
    StoreMessage m{relayed, "Received: test\r\n", "Subject: hi\r\n\r\nhello\r\n"};
    std::vector<std::string> asked;
    KnownRemote known = [&](std::string_view a) {
      asked.emplace_back(a);
      return vouched;
    };
    const int before = d.resolves;
    auto entry = commit_message(d, spool, now, slot, m, "192.0.2.1", "test.host", known);
    ASSERT_TRUE(entry);
    EXPECT_EQ(asked, std::vector<std::string>{"x@example.net"});
    EXPECT_EQ(d.resolves - before, vouched ? 0 : 1);
    ASSERT_EQ(entry->envelope.recipients.size(), 1u);
    EXPECT_EQ(entry->envelope.recipients[0].address, "x@example.net");
    EXPECT_TRUE(entry->envelope.recipients[0].local.empty());
  }
}

// A small message with a relayed recipient, wholly in the session's last piece, is handed on
// with its data (the outbound queue sends its first attempt from memory); one streamed in
// pieces, or with only local recipients, is not.
TEST_F(ServerCommit, RelayedSmallMessageCarriesItsData) {
  KnownRemote vouched = [](std::string_view) { return true; };
  const std::string data = "Subject: hi\r\n\r\nhello\r\n";
  {
    SpoolSlot slot;
    StoreMessage m{relayed, "Received: test\r\n", data};
    auto entry = commit_message(d, spool, now, slot, m, "192.0.2.1", "test.host", vouched);
    ASSERT_TRUE(entry);
    ASSERT_TRUE(entry->data);
    EXPECT_EQ(*entry->data, data);
    EXPECT_EQ(entry->data->size(), entry->envelope.data_length);
  }
  {
    SpoolSlot slot;
    spool_append(spool, now, slot, "Subject: hi\r\n");
    StoreMessage m{relayed, "Received: test\r\n", "\r\nhello\r\n"};
    auto entry = commit_message(d, spool, now, slot, m, "192.0.2.1", "test.host", vouched);
    ASSERT_TRUE(entry);
    EXPECT_FALSE(entry->data);
  }
  {
    SpoolSlot slot;
    StoreMessage m{envelope_for({"alice@example.org"}), "Received: test\r\n", data};
    auto entry = commit_message(d, spool, now, slot, m, "192.0.2.1", "test.host", vouched);
    ASSERT_TRUE(entry);
    EXPECT_FALSE(entry->data);
  }
}

}  // namespace
}  // namespace estafeta::smtp
