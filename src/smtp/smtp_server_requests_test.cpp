// smtp_server_requests_test: the worker-side requests against a fake directory and the real
// Maildir writer in a temporary directory: verdict mapping, delivery to every resolved
// mailbox exactly once, and a temporary failure (never a silent drop) when a recipient
// vanished between RCPT and the end of DATA.
#include "smtp/smtp_server_requests.hpp"

#include <gtest/gtest.h>

#include "smtp/smtp_server_test_support.hpp"

namespace estafeta::smtp {
namespace {

using testing::delivered;
using testing::FakeDirectory;
using testing::TempDir;

constexpr std::string_view kMessage = "Subject: hi\r\n\r\nhello\r\n";

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

TEST(ServerRequests, SenderAndLogin) {
  TempDir dir;
  FakeDirectory d(dir.path());
  EXPECT_TRUE(check_sender(d, "alice@example.org", "alice@example.org"));
  EXPECT_FALSE(check_sender(d, "alice@example.org", "bob@example.org"));
  EXPECT_EQ(authenticate(d, "alice@example.org", "secret"), "alice@example.org");
  EXPECT_EQ(authenticate(d, "alice@example.org", "wrong"), std::nullopt);
}

TEST(ServerRequests, StoresOncePerMailbox) {
  TempDir dir;
  FakeDirectory d(dir.path() / "mail");
  delivery::LocalDelivery delivery({true, "test.host"});
  // alice directly and through the alias: one copy for alice, one for bob.
  ASSERT_TRUE(store_message(d, delivery, envelope_for({"alice@example.org", "team@example.org"}),
                            kMessage));
  EXPECT_EQ(delivered(d.maildir("alice")).size(), 1u);
  EXPECT_EQ(delivered(d.maildir("bob")).size(), 1u);
}

TEST(ServerRequests, VanishedRecipientIsATemporaryFailure) {
  TempDir dir;
  FakeDirectory d(dir.path() / "mail");
  delivery::LocalDelivery delivery({true, "test.host"});
  ASSERT_EQ(check_recipient(d, "flaky@example.org"), RecipientVerdict::local);
  d.flaky_gone = true;
  EXPECT_FALSE(store_message(d, delivery, envelope_for({"alice@example.org", "flaky@example.org"}),
                             kMessage));
  EXPECT_TRUE(delivered(d.maildir("alice")).empty());
}

}  // namespace
}  // namespace estafeta::smtp
