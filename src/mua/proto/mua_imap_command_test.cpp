// mua_imap_command_test: the command builder's quoting, literals (synchronizing, LITERAL+,
// LITERAL-), UTF-8 and modified UTF-7 mailbox names, and NUL refusal.
#include "mua/proto/mua_imap_command.hpp"

#include <gtest/gtest.h>

namespace estafeta::mua {
namespace {

TEST(MuaImapCommand, AtomsQuotedAndLiterals) {
  ImapCommand c("a1", "LOGIN");
  c.astring("alice@example.test").astring("pa ss\"\\");
  EXPECT_EQ(c.chunks(),
            std::vector<std::string>{"a1 LOGIN alice@example.test \"pa ss\\\"\\\\\"\r\n"});
  c.mask_summary();
  EXPECT_EQ(c.summary(), "a1 LOGIN <hidden>");

  ImapCommand s("a2", "SELECT");
  s.mailbox("Entw\xc3\xbcrfe");
  EXPECT_EQ(s.chunks(), std::vector<std::string>{"a2 SELECT Entw&APw-rfe\r\n"});
  ImapCommand nil("a3", "SELECT");
  nil.astring("NIL").astring("");
  EXPECT_EQ(nil.chunks(), std::vector<std::string>{"a3 SELECT \"NIL\" \"\"\r\n"});
  ImapCommand inbox("a4", "SELECT");
  inbox.mailbox("inbox");
  EXPECT_EQ(inbox.chunks(), std::vector<std::string>{"a4 SELECT INBOX\r\n"});
}

TEST(MuaImapCommand, SynchronizingAndNonSynchronizingLiterals) {
  ImapCommand a("a5", "APPEND");
  a.mailbox("Sent").raw(" (\\Seen)").literal("From: x\r\n\r\nhi\r\n");
  auto chunks = a.chunks();
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0], "a5 APPEND Sent (\\Seen) {15}\r\n");
  EXPECT_EQ(chunks[1], "From: x\r\n\r\nhi\r\n\r\n");
  EXPECT_EQ(a.summary(), "a5 APPEND Sent (\\Seen) <15 octets>");

  ImapCommand p("a6", "APPEND", {.literal_plus = true});
  p.mailbox("Sent").literal("x");
  EXPECT_EQ(p.chunks(), std::vector<std::string>{"a6 APPEND Sent {1+}\r\nx\r\n"});

  ImapCommand m("a7", "APPEND", {.literal_minus = true});
  m.mailbox("Sent").literal(std::string(4097, 'y'));
  EXPECT_EQ(m.chunks().size(), 2u);
  ImapCommand m2("a8", "APPEND", {.literal_minus = true});
  m2.mailbox("Sent").literal(std::string(4096, 'y'));
  EXPECT_EQ(m2.chunks().size(), 1u);

  // 8-bit text: a literal without UTF8=ACCEPT, quoted with it.
  ImapCommand t("a9", "SEARCH");
  t.atom("CHARSET").atom("UTF-8").atom("TEXT").string("gr\xc3\xbc\xc3\x9f");
  EXPECT_EQ(t.chunks().size(), 2u);
  ImapCommand u("a10", "SEARCH", {.utf8 = true});
  u.atom("TEXT").string("gr\xc3\xbc\xc3\x9f").mailbox("B\xc3\xbcro");
  EXPECT_EQ(u.chunks(),
            std::vector<std::string>{"a10 SEARCH TEXT \"gr\xc3\xbc\xc3\x9f\" \"B\xc3\xbcro\"\r\n"});
  // Lists: no space after "(".
  ImapCommand f("a11", "UID FETCH");
  f.atom("1:*").raw(" (").atom("UID").atom("FLAGS").raw(")");
  EXPECT_EQ(f.chunks(), std::vector<std::string>{"a11 UID FETCH 1:* (UID FLAGS)\r\n"});
}

TEST(MuaImapCommand, NulIsRefused) {
  ImapCommand c("a1", "LOGIN");
  c.astring("u").astring(std::string("a\0b", 3));
  EXPECT_FALSE(c.ok());
}

TEST(MuaImapCommand, AtomRule) {
  EXPECT_TRUE(imap_is_atom("INBOX"));
  EXPECT_TRUE(imap_is_atom("a.b-c_d@e"));
  EXPECT_FALSE(imap_is_atom("a b"));
  EXPECT_FALSE(imap_is_atom("a*"));
  EXPECT_FALSE(imap_is_atom("nil"));
  EXPECT_FALSE(imap_is_atom("a]"));
  EXPECT_FALSE(imap_is_atom("\xc3\xbc"));
}

}  // namespace
}  // namespace estafeta::mua
