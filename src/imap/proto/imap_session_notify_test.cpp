// imap_session_notify_test: NOTIFY (RFC 5465) in the session core: BADEVENT, the initial
// STATUS responses of NOTIFY SET STATUS (§3.1), the event filtering of other mailboxes' changes
// (PERSONAL, SUBTREE, MAILBOXES, SUBSCRIBED) into STATUS and LIST responses (§5.1-§5.5), own
// events not reported back, SELECTED pushes with MessageNew's FETCH attributes (§5.2),
// SELECTED-DELAYED keeping expunges, NOTIFY NONE and NOTIFICATIONOVERFLOW (§5.8).
#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "imap/proto/imap_session.hpp"
#include "imap/proto/imap_session_test_harness.hpp"

namespace estafeta::imap {
namespace {

using testing::Driver;

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

store::Uid deliver(Driver& d, std::string_view box, std::string_view subject) {
  auto a = d.account("alice@example.org");
  std::string msg =
      "From: Bob <bob@example.org>\r\nTo: alice@example.org\r\nSubject: " + std::string(subject) +
      "\r\n\r\nhello\r\n";
  store::NewMessage m;
  m.bytes = msg;
  m.internal_date = 1796000000;
  store::AppendResult r;
  EXPECT_FALSE(a->deliver(box, m, "", false, r));
  return r.uid;
}

// Collects the account's changes as the server's watch(0) does.
struct Feed {
  std::mutex mu;
  std::vector<store::Change> changes;
  std::unique_ptr<store::Subscription> sub;
  explicit Feed(Driver& d) {
    sub = d.account("alice@example.org")->watch(0, [this](const store::Change& c) {
      std::lock_guard lock(mu);
      changes.push_back(c);
    });
  }
  std::vector<store::Change> take() {
    std::lock_guard lock(mu);
    return std::exchange(changes, {});
  }
};

std::string login(Driver& d) {
  d.start();
  return d.send("l1 LOGIN alice secret\r\n");
}

TEST(ImapSessionNotify, AdvertisedAndBadEvent) {
  Driver d;
  std::string g = d.start();
  EXPECT_TRUE(contains(g, " NOTIFY ")) << g;
  d.send("l1 LOGIN alice secret\r\n");
  EXPECT_EQ(d.send("a NOTIFY SET (personal (AnnotationChange))\r\n"),
            "a NO [BADEVENT (MessageNew MessageExpunge FlagChange MailboxName "
            "SubscriptionChange MailboxMetadataChange ServerMetadataChange)] Unsupported "
            "event.\r\n");
  EXPECT_EQ(d.send("b NOTIFY SET (personal (MessageNew MessageExpunge X-Other))\r\n").substr(0, 16),
            "b NO [BADEVENT (");
  EXPECT_FALSE(d.session().watches_account());
  EXPECT_EQ(d.send("c NOTIFY NONE\r\n"), "c OK NOTIFY completed.\r\n");
}

TEST(ImapSessionNotify, SetStatusSendsTheItemsOfEachEvent) {
  Driver d;
  login(d);
  d.send("a CREATE box2\r\n");
  deliver(d, "box2", "one");
  std::string r = d.send("b NOTIFY SET STATUS (mailboxes box2 (MessageExpunge))\r\n");
  EXPECT_EQ(r, "* STATUS box2 (MESSAGES 1)\r\nb OK NOTIFY completed.\r\n");
  r = d.send("c NOTIFY SET STATUS (mailboxes box2 (MessageNew))\r\n");
  EXPECT_TRUE(contains(r, "* STATUS box2 (MESSAGES 1 UIDNEXT 2 UIDVALIDITY ")) << r;
  r = d.send("d NOTIFY SET STATUS (mailboxes box2 (FlagChange))\r\n");
  EXPECT_TRUE(contains(r, "* STATUS box2 (UIDVALIDITY ")) << r;
  EXPECT_TRUE(contains(r, " HIGHESTMODSEQ ")) << r;
  r = d.send("e NOTIFY SET (mailboxes box2 (MessageNew MessageExpunge FlagChange))\r\n");
  EXPECT_EQ(r, "e OK NOTIFY completed.\r\n");
  EXPECT_TRUE(d.session().watches_account());
}

TEST(ImapSessionNotify, OtherMailboxesBecomeStatusFiltered) {
  Driver d;
  login(d);
  d.send("a CREATE Lists/ietf\r\na2 CREATE Other\r\n");
  Feed feed(d);
  d.send("b NOTIFY SET (subtree Lists (MessageNew MessageExpunge))\r\n");
  deliver(d, "Lists/ietf", "news");
  deliver(d, "Other", "not watched");
  std::string r = d.account_changed(feed.take());
  EXPECT_TRUE(contains(r, "* STATUS Lists/ietf (MESSAGES 1 UIDNEXT 2 UIDVALIDITY ")) << r;
  EXPECT_FALSE(contains(r, "Other")) << r;
  // A flag change is not what the client asked for: no STATUS (the same one is not repeated).
  d.send("c SELECT Other\r\nc2 STORE 1 +FLAGS (\\Flagged)\r\nc3 UNSELECT\r\n");
  auto a = d.account("alice@example.org");
  store::MailboxInfo ietf;
  ASSERT_FALSE(a->find("Lists/ietf", ietf));
  store::FlagUpdate up;
  up.mode = store::FlagUpdate::Mode::add;
  up.flags.system = store::kSeen;
  store::FlagResult fr;
  ASSERT_FALSE(a->update_flags(ietf.id, {1}, up, fr));
  EXPECT_EQ(d.account_changed(feed.take()), "");
  // Expunge: MESSAGES changes.
  std::vector<store::Uid> gone;
  ASSERT_FALSE(a->expunge(ietf.id, {1}, gone));
  r = d.account_changed(feed.take());
  EXPECT_TRUE(contains(r, "* STATUS Lists/ietf (MESSAGES 0 ")) << r;
}

TEST(ImapSessionNotify, FlagChangeElsewhereSendsUnseen) {
  Driver d;
  login(d);
  d.send("a CREATE misc\r\n");
  deliver(d, "misc", "x");
  Feed feed(d);
  d.send("b NOTIFY SET (mailboxes misc (MessageNew MessageExpunge FlagChange))\r\n");
  auto a = d.account("alice@example.org");
  store::MailboxInfo misc;
  ASSERT_FALSE(a->find("misc", misc));
  store::FlagUpdate up;
  up.mode = store::FlagUpdate::Mode::add;
  up.flags.system = store::kSeen;
  store::FlagResult fr;
  ASSERT_FALSE(a->update_flags(misc.id, {1}, up, fr));
  std::string r = d.account_changed(feed.take());
  EXPECT_TRUE(contains(r, "* STATUS misc (MESSAGES 1 UIDNEXT 2 UIDVALIDITY ")) << r;
  EXPECT_TRUE(contains(r, " HIGHESTMODSEQ ")) << r;
  EXPECT_TRUE(contains(r, " UNSEEN 0)\r\n")) << r;
}

TEST(ImapSessionNotify, MailboxNameAndSubscriptionChangeAsList) {
  Driver d;
  login(d);
  Feed feed(d);  // another session's changes: made through the account directly
  d.send("a NOTIFY SET (personal (MailboxName SubscriptionChange))\r\n");
  auto a = d.account("alice@example.org");
  store::MailboxInfo made;
  ASSERT_FALSE(a->create("New", store::SpecialUse::none, made));
  ASSERT_FALSE(a->rename("New", "Renamed"));
  ASSERT_FALSE(a->subscribe("Renamed", true));
  ASSERT_FALSE(a->remove("Renamed"));
  std::string r = d.account_changed(feed.take());
  EXPECT_EQ(r,
            "* LIST () \"/\" New\r\n"
            "* LIST () \"/\" Renamed (\"OLDNAME\" (New))\r\n"
            "* LIST (\\Subscribed) \"/\" Renamed\r\n"
            "* LIST (\\NonExistent) \"/\" Renamed\r\n");
  // The session's own CREATE is not reported back (RFC 5465 §5).
  d.send("b CREATE Mine\r\nc SUBSCRIBE Mine\r\n");
  EXPECT_EQ(d.account_changed(feed.take()), "");
  // Only what was asked: MailboxName without SubscriptionChange.
  d.send("d NOTIFY SET (subtree Lists (MailboxName))\r\n");
  ASSERT_FALSE(a->create("Lists/x", store::SpecialUse::none, made));
  ASSERT_FALSE(a->create("Elsewhere", store::SpecialUse::none, made));
  ASSERT_FALSE(a->subscribe("Lists/x", true));
  EXPECT_EQ(d.account_changed(feed.take()), "* LIST () \"/\" Lists/x\r\n");
}

TEST(ImapSessionNotify, SubscribedFilter) {
  Driver d;
  login(d);
  d.send("a CREATE Watched\r\na2 CREATE Unwatched\r\na3 SUBSCRIBE Watched\r\n");
  Feed feed(d);
  d.send("b NOTIFY SET (subscribed (MessageNew MessageExpunge))\r\n");
  deliver(d, "Watched", "1");
  deliver(d, "Unwatched", "2");
  std::string r = d.account_changed(feed.take());
  EXPECT_TRUE(contains(r, "* STATUS Watched (")) << r;
  EXPECT_FALSE(contains(r, "Unwatched")) << r;
}

TEST(ImapSessionNotify, SelectedPushesWithFetchAttributes) {
  Driver d;
  login(d);
  d.send("e ENABLE IMAP4rev2\r\na SELECT INBOX\r\n");
  d.send(
      "b NOTIFY SET (selected (MessageNew (UID BODY.PEEK[HEADER.FIELDS (Subject)]) "
      "MessageExpunge FlagChange))\r\n");
  EXPECT_FALSE(d.session().watches_account());  // the selected mailbox only
  deliver(d, "INBOX", "pushed");
  std::string r = d.push();
  EXPECT_EQ(r,
            "* 1 EXISTS\r\n"
            "* 1 FETCH (UID 1 BODY[HEADER.FIELDS (Subject)] {19}\r\nSubject: pushed\r\n\r\n)\r\n");
  // Expunged by another: EXPUNGE at once with SELECTED.
  auto a = d.account("alice@example.org");
  store::MailboxInfo inbox;
  ASSERT_FALSE(a->find("INBOX", inbox));
  std::vector<store::Uid> gone;
  ASSERT_FALSE(a->expunge(inbox.id, {1}, gone));
  EXPECT_EQ(d.push(), "* 1 EXPUNGE\r\n");
}

TEST(ImapSessionNotify, SelectedDelayedKeepsExpunges) {
  Driver d;
  login(d);
  deliver(d, "INBOX", "one");
  d.send("e ENABLE IMAP4rev2\r\na SELECT INBOX\r\n");
  d.send("b NOTIFY SET (selected-delayed (MessageNew MessageExpunge))\r\n");
  auto a = d.account("alice@example.org");
  store::MailboxInfo inbox;
  ASSERT_FALSE(a->find("INBOX", inbox));
  std::vector<store::Uid> gone;
  ASSERT_FALSE(a->expunge(inbox.id, {1}, gone));
  EXPECT_EQ(d.push(), "");
  EXPECT_EQ(d.send("c NOOP\r\n"), "* 1 EXPUNGE\r\nc OK NOOP completed.\r\n");
}

TEST(ImapSessionNotify, NoneAndOverflowStopTheEvents) {
  Driver d;
  login(d);
  d.send("a NOTIFY SET (personal (MessageNew MessageExpunge))\r\n");
  EXPECT_TRUE(d.session().watches_account());
  d.session().notify_overflow();
  EXPECT_EQ(d.account_changed({}),
            "* OK [NOTIFICATIONOVERFLOW] Too many notifications, NOTIFY "
            "NONE now.\r\n");
  EXPECT_FALSE(d.session().watches_account());
  d.send("b NOTIFY SET (personal (MessageNew MessageExpunge))\r\n");
  d.send("c NOTIFY NONE\r\n");
  EXPECT_FALSE(d.session().watches_account());
  EXPECT_FALSE(d.session().wants_push());
}

}  // namespace
}  // namespace estafeta::imap

namespace estafeta::imap {
namespace {

struct OwnerFeed {
  std::mutex mu;
  std::vector<store::Change> changes;
  std::unique_ptr<store::Subscription> sub;
  OwnerFeed(Driver& d, const std::string& account) {
    sub = d.account(account)->watch(0, [this](const store::Change& c) {
      std::lock_guard lock(mu);
      changes.push_back(c);
    });
  }
  std::vector<store::Change> take() {
    std::lock_guard lock(mu);
    return std::exchange(changes, {});
  }
};

// RFC 5465 §5.7 and §5.8: METADATA entry changes made elsewhere come as unsolicited METADATA
// responses (RFC 5464 §4.4.2); the session's own changes and other users' /private entries
// do not.
TEST(ImapSessionNotify, MetadataChangesOfOtherSessions) {
  auto store = store::make_memory_store();
  Driver d{testing::tls_options(), store};
  Driver other{testing::tls_options(), store};
  login(d);
  login(other);
  d.send("a CREATE Notes\r\n");
  Feed feed(d);
  EXPECT_EQ(d.send("b NOTIFY SET (personal (MailboxMetadataChange ServerMetadataChange))\r\n"),
            "b OK NOTIFY completed.\r\n");
  EXPECT_TRUE(d.session().watches_account());
  d.send("c SETMETADATA Notes (/private/mine \"x\")\r\n");
  EXPECT_EQ(d.account_changed(feed.take()), "");  // its own change
  other.send("d SETMETADATA Notes (/shared/comment \"y\")\r\n");
  other.send("e SETMETADATA \"\" (/private/vendor/x \"z\")\r\n");
  EXPECT_EQ(d.account_changed(feed.take()),
            "* METADATA Notes /shared/comment\r\n* METADATA \"\" /private/vendor/x\r\n");
  // Another user's /private entries are theirs alone.
  store::MetadataChange theirs{"carol@example.org", "/private/note", std::string("c")};
  ASSERT_FALSE(d.account("alice@example.org")->set_metadata(0, std::span(&theirs, 1)));
  EXPECT_EQ(d.account_changed(feed.take()), "");
}

// RFC 5465 on another user's shared mailbox (RFC 4314): MAILBOXES / SUBTREE under
// "Shared/<owner>" name the owner's account; its message events become STATUS responses
// while the user may read the mailbox, and stop when the right is withdrawn.
TEST(ImapSessionNotify, SharedMailboxesOfOtherUsers) {
  auto store = store::make_memory_store();
  auto recent = std::make_shared<RecentClaims>();
  Driver alice{testing::tls_options(), store, {}, recent};
  Driver bob{testing::tls_options(), store, {}, recent};
  alice.start();
  bob.start();
  alice.send("l LOGIN alice secret\r\n");
  bob.send("l LOGIN bob secret\r\n");
  alice.send("a CREATE Team\r\n");
  alice.send("b SETACL Team bob@example.org lr\r\n");
  EXPECT_EQ(bob.send("c NOTIFY SET (subtree Shared/alice@example.org (MessageNew "
                     "MessageExpunge MailboxMetadataChange))\r\n"),
            "c OK NOTIFY completed.\r\n");
  auto owners = bob.session().notify_owners();
  ASSERT_EQ(owners.size(), 1u);
  EXPECT_EQ(owners[0].first, "alice@example.org");
  OwnerFeed feed(bob, "alice@example.org");
  alice.send("d APPEND Team {21}\r\nSubject: hi\r\n\r\nhello\r\n");
  std::string r = bob.account_changed(feed.take(), "alice@example.org");
  EXPECT_TRUE(contains(r, "* STATUS Shared/alice@example.org/Team (MESSAGES 1 UIDNEXT 2 ")) << r;
  alice.send("e SETMETADATA Team (/shared/comment \"plans\" /private/own \"alice's\")\r\n");
  EXPECT_EQ(bob.account_changed(feed.take(), "alice@example.org"),
            "* METADATA Shared/alice@example.org/Team /shared/comment\r\n");
  alice.send("f SETACL Team bob@example.org l\r\n");
  alice.send("g APPEND Team {21}\r\nSubject: hi\r\n\r\nagain\r\n");
  EXPECT_EQ(bob.account_changed(feed.take(), "alice@example.org"), "");
  // A filter that names none of alice's mailboxes does not watch her account.
  bob.send("h NOTIFY SET (personal (MessageNew))\r\n");
  EXPECT_TRUE(bob.session().notify_owners().empty());
}

}  // namespace
}  // namespace estafeta::imap
