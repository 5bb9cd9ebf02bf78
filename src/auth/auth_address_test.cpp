// auth_address_test: address splitting, case folding and the checks on stored names.
#include <gtest/gtest.h>

#include "auth/auth_address.hpp"

namespace estafeta::auth {
namespace {

TEST(Address, ParseFoldsCase) {
  auto a = parse_address("Alice.Smith@Example.ORG");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->local, "alice.smith");
  EXPECT_EQ(a->domain, "example.org");
  EXPECT_EQ(a->original_local, "Alice.Smith");
  EXPECT_EQ(a->full(), "alice.smith@example.org");
  auto q = parse_address("\"odd@local\"@example.org");  // last '@' splits
  ASSERT_TRUE(q);
  EXPECT_EQ(q->domain, "example.org");
  EXPECT_EQ(parse_address("a@example.org.")->domain, "example.org");
}

TEST(Address, ParseRejects) {
  EXPECT_FALSE(parse_address(""));
  EXPECT_FALSE(parse_address("alice"));
  EXPECT_FALSE(parse_address("@example.org"));
  EXPECT_FALSE(parse_address("alice@"));
  EXPECT_FALSE(parse_address("al ice@example.org"));
  EXPECT_FALSE(parse_address(std::string("a\0b@example.org", 15)));
  EXPECT_FALSE(parse_address(std::string(65, 'a') + "@example.org"));
  EXPECT_FALSE(parse_address("a@" + std::string(256, 'b')));
}

TEST(Address, Domains) {
  EXPECT_EQ(normalize_domain("Example.ORG"), "example.org");
  EXPECT_EQ(normalize_domain("xn--bcher-kva.example"), "xn--bcher-kva.example");
  EXPECT_EQ(normalize_domain("bücher.example"), "bücher.example");
  EXPECT_FALSE(normalize_domain(""));
  EXPECT_FALSE(normalize_domain("-a.example"));
  EXPECT_FALSE(normalize_domain("a-.example"));
  EXPECT_FALSE(normalize_domain("a..example"));
  EXPECT_FALSE(normalize_domain("a/b.example"));
  EXPECT_FALSE(normalize_domain(".example"));
  EXPECT_FALSE(normalize_domain(std::string(64, 'a') + ".example"));
}

TEST(Address, Accounts) {
  EXPECT_TRUE(parse_account("alice@example.org"));
  EXPECT_TRUE(parse_account("o'neil+x=y@example.org"));
  EXPECT_FALSE(parse_account("../etc@example.org"));
  EXPECT_FALSE(parse_account("a/b@example.org"));
  EXPECT_FALSE(parse_account(".a@example.org"));
  EXPECT_FALSE(parse_account("a.@example.org"));
  EXPECT_FALSE(parse_account("a..b@example.org"));
  EXPECT_FALSE(parse_account("a@exa_mple.org"));
}

TEST(Address, FolderNames) {
  EXPECT_TRUE(valid_folder_name("lists"));
  EXPECT_TRUE(valid_folder_name("lists.debian"));
  EXPECT_FALSE(valid_folder_name(""));
  EXPECT_FALSE(valid_folder_name(".hidden"));
  EXPECT_FALSE(valid_folder_name("a/b"));
  EXPECT_FALSE(valid_folder_name("a..b"));
  EXPECT_FALSE(valid_folder_name("a\nb"));
}

}  // namespace
}  // namespace estafeta::auth
