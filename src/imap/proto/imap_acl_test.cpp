// imap_acl_test: RFC 4314 rights strings (the obsolete c/d of §2.1.1), SETACL's modifiers,
// identifiers (same domain only, "anyone", negative), effective rights (§2, the implicit
// owner), and the grammar of SETACL, DELETEACL, GETACL, LISTRIGHTS, MYRIGHTS and LIST
// RETURN (MYRIGHTS) (RFC 8440).
#include "imap/proto/imap_acl.hpp"

#include <gtest/gtest.h>

#include "imap/proto/imap_parser.hpp"

namespace estafeta::imap {
namespace {

using namespace acl;

TEST(ImapAcl, RightsStrings) {
  EXPECT_EQ(parse_rights("lrswipkxtea"), kAll);
  EXPECT_EQ(parse_rights(""), Rights{0});
  EXPECT_EQ(parse_rights("c"), Rights(kCreate | kDeleteMailbox));
  EXPECT_EQ(parse_rights("d"), Rights(kDeleteMessage | kExpunge));
  char bad = 0;
  EXPECT_FALSE(parse_rights("lrz", &bad));
  EXPECT_EQ(bad, 'z');
  EXPECT_FALSE(parse_rights("L"));  // rights are lower case (RFC 4314 §2.1)
  EXPECT_EQ(format_rights(kAll), "lrswipkxteacd");
  EXPECT_EQ(format_rights(kLookup | kRead), "lr");
  EXPECT_EQ(format_rights(kCreate), "kc");
  EXPECT_EQ(format_rights(kExpunge), "ed");
  // The RFC 4314 §2.1.1 example: "lrswida" is reported as "lrswideta" (here in our order).
  EXPECT_EQ(format_rights(*parse_rights("lrswida")), "lrswitead");
}

TEST(ImapAcl, Changes) {
  auto add = parse_change("+w");
  ASSERT_TRUE(add);
  EXPECT_EQ(apply(kLookup, *add), Rights(kLookup | kWrite));
  auto remove = parse_change("-lc");
  ASSERT_TRUE(remove);
  EXPECT_EQ(apply(kAll, *remove), Rights(kAll & ~(kLookup | kCreate | kDeleteMailbox)));
  auto replace = parse_change("r");
  ASSERT_TRUE(replace);
  EXPECT_EQ(apply(kAll, *replace), kRead);
  EXPECT_FALSE(parse_change("+q"));
  auto empty = parse_change("");
  ASSERT_TRUE(empty);
  EXPECT_EQ(apply(kAll, *empty), Rights{0});
}

TEST(ImapAcl, Identifiers) {
  const char* owner = "alice@example.org";
  EXPECT_EQ(canonical_identifier("anyone", owner), "anyone");
  EXPECT_EQ(canonical_identifier("Anyone", owner), "anyone");
  EXPECT_EQ(canonical_identifier("-anyone", owner), "-anyone");
  EXPECT_EQ(canonical_identifier("Bob@Example.ORG", owner), "bob@example.org");
  EXPECT_EQ(canonical_identifier("-bob@example.org", owner), "-bob@example.org");
  EXPECT_FALSE(canonical_identifier("bob@example.net", owner));  // never across domains
  EXPECT_FALSE(canonical_identifier("bob", owner));
  EXPECT_FALSE(canonical_identifier("@example.org", owner));
  EXPECT_FALSE(canonical_identifier("a b@example.org", owner));
  EXPECT_FALSE(canonical_identifier("a@b@example.org", owner));
  EXPECT_FALSE(canonical_identifier("authenticated", owner));
  EXPECT_FALSE(canonical_identifier("", owner));
}

TEST(ImapAcl, EffectiveRights) {
  const std::string owner = "alice@example.org";
  std::vector<store::AclEntry> e{
      {"anyone", "lr"}, {"bob@example.org", "lrswi"}, {"-carol@example.org", "r"}};
  EXPECT_EQ(effective_rights(e, owner, owner), kAll);  // the implicit owner
  EXPECT_EQ(effective_rights({}, "ALICE@example.org", owner), kAll);
  EXPECT_EQ(effective_rights(e, "bob@example.org", owner),
            Rights(kLookup | kRead | kSeen | kWrite | kInsert));
  EXPECT_EQ(effective_rights(e, "Bob@Example.org", owner),
            Rights(kLookup | kRead | kSeen | kWrite | kInsert));
  EXPECT_EQ(effective_rights(e, "carol@example.org", owner), kLookup);  // negative wins
  EXPECT_EQ(effective_rights(e, "dave@example.org", owner), Rights(kLookup | kRead));
  EXPECT_EQ(effective_rights(e, "bob@example.net", owner), Rights{0});  // another domain
  std::vector<store::AclEntry> deny_all{{"anyone", "lrs"}, {"-anyone", "s"}};
  EXPECT_EQ(effective_rights(deny_all, "bob@example.org", owner), Rights(kLookup | kRead));
}

TEST(ImapAcl, Grammar) {
  auto set = parse_command("a SETACL INBOX/Drafts bob@example.org +lrs", {});
  ASSERT_TRUE(set) << set.error.text;
  auto* s = std::get_if<SetAcl>(&set.command->body);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->mailbox, "INBOX/Drafts");
  EXPECT_EQ(s->identifier, "bob@example.org");
  EXPECT_EQ(s->rights, "+lrs");
  auto quoted = parse_command("a setacl \"My Box\" \"-anyone\" \"\"", {});
  ASSERT_TRUE(quoted);
  s = std::get_if<SetAcl>(&quoted.command->body);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->mailbox, "My Box");
  EXPECT_EQ(s->identifier, "-anyone");
  EXPECT_EQ(s->rights, "");
  auto del = parse_command("a DELETEACL INBOX anyone", {});
  ASSERT_TRUE(del);
  auto* d = std::get_if<DeleteAcl>(&del.command->body);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->identifier, "anyone");
  auto get = parse_command("a GETACL INBOX", {});
  ASSERT_TRUE(get);
  EXPECT_NE(std::get_if<GetAcl>(&get.command->body), nullptr);
  auto lr = parse_command("a LISTRIGHTS INBOX bob@example.org", {});
  ASSERT_TRUE(lr);
  EXPECT_EQ(std::get<ListRights>(lr.command->body).identifier, "bob@example.org");
  auto my = parse_command("a MYRIGHTS {5}\r\nINBOX", {});
  ASSERT_TRUE(my);
  EXPECT_EQ(std::get<MyRights>(my.command->body).mailbox, "INBOX");
  auto list = parse_command("a LIST \"\" \"*\" RETURN (MYRIGHTS)", {});
  ASSERT_TRUE(list);
  EXPECT_TRUE(std::get<List>(list.command->body).return_myrights);

  for (const char* wrong :
       {"a SETACL INBOX bob@example.org", "a SETACL INBOX", "a DELETEACL INBOX", "a GETACL",
        "a GETACL INBOX extra", "a LISTRIGHTS INBOX", "a MYRIGHTS", "a SETACL INBOX (bob) lr"}) {
    auto r = parse_command(wrong, {});
    EXPECT_FALSE(r) << wrong;
    EXPECT_EQ(r.error.kind, CommandError::Kind::bad) << wrong;
  }
}

}  // namespace
}  // namespace estafeta::imap
