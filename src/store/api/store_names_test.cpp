// store_names_test: the mailbox-name rules (valid_mailbox_name, canonical_mailbox_name) and
// the error category's messages.
#include <gtest/gtest.h>

#include <string>

#include "store/api/store.hpp"

namespace estafeta::store {
namespace {

TEST(StoreNames, ValidNames) {
  EXPECT_TRUE(valid_mailbox_name("INBOX"));
  EXPECT_TRUE(valid_mailbox_name("inbox"));
  EXPECT_TRUE(valid_mailbox_name("Sent"));
  EXPECT_TRUE(valid_mailbox_name("a/b/c"));
  EXPECT_TRUE(valid_mailbox_name("lists.debian"));
  EXPECT_TRUE(valid_mailbox_name("Entwürfe"));
  EXPECT_TRUE(valid_mailbox_name("日本語/メール"));
  EXPECT_TRUE(valid_mailbox_name("a..b"));  // ".." only refused as a whole component
  EXPECT_TRUE(valid_mailbox_name("&"));
  EXPECT_TRUE(valid_mailbox_name(std::string(kMaxMailboxName, 'x')));
}

TEST(StoreNames, RefusedNames) {
  EXPECT_FALSE(valid_mailbox_name(""));
  EXPECT_FALSE(valid_mailbox_name("/a"));
  EXPECT_FALSE(valid_mailbox_name("a/"));
  EXPECT_FALSE(valid_mailbox_name("a//b"));
  EXPECT_FALSE(valid_mailbox_name(".."));
  EXPECT_FALSE(valid_mailbox_name("a/../b"));
  EXPECT_FALSE(valid_mailbox_name("a/./b"));
  EXPECT_FALSE(valid_mailbox_name("."));
  EXPECT_FALSE(valid_mailbox_name("a\nb"));
  EXPECT_FALSE(valid_mailbox_name("a\tb"));
  EXPECT_FALSE(valid_mailbox_name(std::string("a\0b", 3)));
  EXPECT_FALSE(valid_mailbox_name("a\x7f"));
  EXPECT_FALSE(valid_mailbox_name("\xc2\x85"));      // C1 control (NEL)
  EXPECT_FALSE(valid_mailbox_name("\xff"));          // not UTF-8
  EXPECT_FALSE(valid_mailbox_name("\xc0\xaf"));      // overlong '/'
  EXPECT_FALSE(valid_mailbox_name("\xed\xa0\x80"));  // surrogate
  EXPECT_FALSE(valid_mailbox_name("caf\xc3"));       // truncated sequence
  EXPECT_FALSE(valid_mailbox_name(std::string(kMaxMailboxName + 1, 'x')));
}

TEST(StoreNames, CanonicalInbox) {
  EXPECT_EQ(canonical_mailbox_name("inbox"), "INBOX");
  EXPECT_EQ(canonical_mailbox_name("InBoX"), "INBOX");
  EXPECT_EQ(canonical_mailbox_name("INBOX"), "INBOX");
  EXPECT_EQ(canonical_mailbox_name("Inboxes"), "Inboxes");
  EXPECT_EQ(canonical_mailbox_name("inbox/x"), "inbox/x");
  EXPECT_EQ(canonical_mailbox_name("Sent"), "Sent");
}

TEST(StoreErrors, CategoryAndMessages) {
  std::error_code ec = Errc::no_such_mailbox;
  EXPECT_EQ(&ec.category(), &store_category());
  EXPECT_STREQ(ec.category().name(), "store");
  EXPECT_EQ(ec.message(), "no such mailbox");
  EXPECT_EQ(std::error_code(Errc::cannot_delete_inbox).message(), "INBOX cannot be deleted");
  EXPECT_FALSE(std::error_code(Errc::ok));
  EXPECT_NE(std::error_code(Errc::index_corrupt).message().find("rebuild"), std::string::npos);
}

}  // namespace
}  // namespace estafeta::store

namespace estafeta::store {
namespace {

TEST(SpecialUseAttribute, BothWaysAnyCase) {
  EXPECT_EQ(special_use_attribute(SpecialUse::sent), "\\Sent");
  EXPECT_EQ(special_use_attribute(SpecialUse::none), "");
  EXPECT_EQ(special_use_from_attribute("\\SENT"), SpecialUse::sent);
  EXPECT_EQ(special_use_from_attribute("\\trash"), SpecialUse::trash);
  EXPECT_EQ(special_use_from_attribute("Sent"), std::nullopt);  // the backslash belongs to it
  EXPECT_EQ(special_use_from_attribute("\\Important"), std::nullopt);
  for (auto u : {SpecialUse::all, SpecialUse::archive, SpecialUse::drafts, SpecialUse::flagged,
                 SpecialUse::junk, SpecialUse::sent, SpecialUse::trash})
    EXPECT_EQ(special_use_from_attribute(special_use_attribute(u)), u);
}

}  // namespace
}  // namespace estafeta::store
