// imap_parser_notify_test: the NOTIFY grammar (RFC 5465 §8): SET with and without STATUS,
// every mailbox filter, one or several mailboxes, events in any case, MessageNew's FETCH
// attributes, NONE, and each BAD case (the §6.1 and §5 rules the parser enforces).
#include <gtest/gtest.h>

#include "imap/proto/imap_parser.hpp"

namespace estafeta::imap {
namespace {

using G = NotifyGroup;

Notify notify(std::string_view wire) {
  auto r = parse_command(wire, Limits{});
  EXPECT_TRUE(r) << wire << " -> " << r.error.text;
  if (!r) return {};
  const Notify* n = std::get_if<Notify>(&r.command->body);
  EXPECT_NE(n, nullptr);
  return n ? *n : Notify{};
}

std::string bad(std::string_view wire, const Limits& limits = {}) {
  auto r = parse_command(wire, limits);
  EXPECT_FALSE(r) << wire;
  std::string s = r.error.response();
  return s.substr(0, s.size() - 2);
}

TEST(ImapParserNotify, None) {
  Notify n = notify("a NOTIFY NONE");
  EXPECT_TRUE(n.none);
  EXPECT_TRUE(n.groups.empty());
}

TEST(ImapParserNotify, SetWithEveryFilter) {
  Notify n = notify(
      "a notify set status (selected (MessageNew (uid body.peek[header.fields (from to "
      "subject)]) MessageExpunge)) (subtree Lists MessageNew) (mailboxes (misc \"two words\") "
      "(messagenew messageexpunge flagchange)) (personal (MailboxName SubscriptionChange)) "
      "(inboxes NONE) (subscribed (MessageNew MessageExpunge))");
  EXPECT_FALSE(n.none);
  EXPECT_TRUE(n.status);
  ASSERT_EQ(n.groups.size(), 6u);
  EXPECT_EQ(n.groups[0].filter, G::Filter::selected);
  EXPECT_EQ(n.groups[0].events, G::kMessageNew | G::kMessageExpunge);
  ASSERT_EQ(n.groups[0].fetch.size(), 2u);
  EXPECT_EQ(n.groups[0].fetch[0].kind, FetchItem::Kind::uid);
  EXPECT_EQ(n.groups[0].fetch[1].kind, FetchItem::Kind::body_section);
  EXPECT_TRUE(n.groups[0].fetch[1].peek);
  EXPECT_EQ(n.groups[1].filter, G::Filter::subtree);
  EXPECT_EQ(n.groups[1].mailboxes, std::vector<std::string>{"Lists"});
  EXPECT_EQ(n.groups[1].events, G::kMessageNew);  // one event without parentheses (RFC example)
  EXPECT_EQ(n.groups[2].filter, G::Filter::mailboxes);
  EXPECT_EQ(n.groups[2].mailboxes, (std::vector<std::string>{"misc", "two words"}));
  EXPECT_EQ(n.groups[2].events, G::kMessageNew | G::kMessageExpunge | G::kFlagChange);
  EXPECT_EQ(n.groups[3].filter, G::Filter::personal);
  EXPECT_EQ(n.groups[3].events, G::kMailboxName | G::kSubscriptionChange);
  EXPECT_EQ(n.groups[4].filter, G::Filter::inboxes);
  EXPECT_EQ(n.groups[4].events, 0);
  EXPECT_EQ(n.groups[5].filter, G::Filter::subscribed);
}

TEST(ImapParserNotify, SelectedDelayedAndUnknownEvents) {
  Notify n = notify(
      "a NOTIFY SET (SELECTED-DELAYED (MessageNew MessageExpunge FlagChange)) "
      "(PERSONAL (MailboxMetadataChange ServerMetadataChange AnnotationChange "
      "X-Future))");
  ASSERT_EQ(n.groups.size(), 2u);
  EXPECT_EQ(n.groups[0].filter, G::Filter::selected_delayed);
  EXPECT_EQ(n.groups[1].events,
            G::kMailboxMetadataChange | G::kServerMetadataChange | G::kAnnotationChange);
  EXPECT_EQ(n.groups[1].unknown, std::vector<std::string>{"X-Future"});
  // Lenient as Dovecot: MessageNew alone, FlagChange alone (imaptest's "notify" relies on it).
  EXPECT_EQ(notify("a NOTIFY SET (mailboxes x (FlagChange))").groups[0].events, G::kFlagChange);
}

TEST(ImapParserNotify, BadCases) {
  EXPECT_EQ(bad("a NOTIFY"), "a BAD Missing NOTIFY arguments");
  EXPECT_EQ(bad("a NOTIFY GET"), "a BAD Expected SET or NONE");
  EXPECT_EQ(bad("a NOTIFY SET"), "a BAD Missing event groups");
  EXPECT_EQ(bad("a NOTIFY SET STATUS"), "a BAD Missing event groups");
  EXPECT_EQ(bad("a NOTIFY NONE x"), "a BAD Unexpected arguments");
  EXPECT_EQ(bad("a NOTIFY SET (elsewhere (MessageNew))"), "a BAD Invalid mailbox filter");
  EXPECT_EQ(bad("a NOTIFY SET (personal)"), "a BAD Missing events");
  EXPECT_EQ(bad("a NOTIFY SET (personal (MessageNew)"), "a BAD Invalid event group");
  EXPECT_EQ(bad("a NOTIFY SET (personal ())"), "a BAD Invalid event");
  EXPECT_EQ(bad("a NOTIFY SET (subtree (MessageNew))"), "a BAD Missing events");
  EXPECT_EQ(bad("a NOTIFY SET (subtree {3}\r\nabc)"), "a BAD Missing events");
  EXPECT_EQ(bad("a NOTIFY SET (mailboxes ((x)) (MessageNew))"), "a BAD Invalid mailbox name");
  // RFC 5465 §6.1: message events only, FETCH attributes only, SELECTED only once.
  EXPECT_EQ(bad("a NOTIFY SET (selected (MailboxName))"),
            "a BAD Only message events for SELECTED or SELECTED-DELAYED");
  EXPECT_EQ(bad("a NOTIFY SET (personal (MessageNew (uid)))"),
            "a BAD FETCH attributes only for SELECTED or SELECTED-DELAYED");
  EXPECT_EQ(bad("a NOTIFY SET (selected (MessageNew MessageExpunge)) (selected-delayed NONE)"),
            "a BAD SELECTED given more than once");
  EXPECT_EQ(bad("a NOTIFY SET (selected (MessageNew MessageExpunge (nonsense)))"),
            "a BAD Invalid event");
  EXPECT_EQ(bad("a NOTIFY SET (selected (MessageNew (nonsense)))"), "a BAD Unknown FETCH item");
  EXPECT_EQ(bad("a NOTIFY SET (selected (MessageNew (uid)))"),
            "a BAD MessageNew and MessageExpunge must be together");
  EXPECT_EQ(bad("a NOTIFY SET (selected-delayed (FlagChange MessageNew))"),
            "a BAD MessageNew and MessageExpunge must be together");
}

TEST(ImapParserNotify, Limits) {
  Limits l;
  l.max_list_items = 2;
  EXPECT_EQ(bad("a NOTIFY SET (mailboxes (a b c) (MessageNew))", l), "a BAD Too many mailboxes");
  EXPECT_EQ(bad("a NOTIFY SET (personal (MessageNew)) (inboxes (MessageNew)) (subscribed NONE)", l),
            "a BAD Too many event groups");
  EXPECT_EQ(bad("a NOTIFY SET (personal (MessageNew MessageExpunge FlagChange))", l),
            "a BAD Too many events");
}

}  // namespace
}  // namespace estafeta::imap
