// auth_password_test: yescrypt round trip, imports of bcrypt / sha512-crypt / yescrypt hashes
// made in-test with libcrypt, wrong passwords and malformed hashes.
#include <crypt.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "auth/auth_password.hpp"

namespace estafeta::auth {
namespace {

std::string make_hash(const char* prefix, unsigned long cost, const std::string& password) {
  char* salt = ::crypt_gensalt_ra(prefix, cost, nullptr, 0);
  if (!salt) return "";
  void* data = nullptr;
  int size = 0;
  const char* h = ::crypt_ra(password.c_str(), salt, &data, &size);
  std::string out = h ? h : "";
  std::free(salt);
  std::free(data);
  return out;
}

TEST(Password, YescryptRoundTrip) {
  std::string h = hash_password("correct horse");
  ASSERT_EQ(h.rfind("$y$", 0), 0u) << h;
  EXPECT_TRUE(verify_password("correct horse", h));
  EXPECT_FALSE(verify_password("correct horse ", h));
  EXPECT_FALSE(verify_password("", h));
  EXPECT_NE(hash_password("correct horse"), h);  // fresh salt every time
  EXPECT_EQ(check_imported_hash(h), "");
}

TEST(Password, ImportedHashesVerify) {
  struct Case {
    const char* prefix;
    unsigned long cost;
  } cases[] = {{"$y$", 0}, {"$gy$", 0}, {"$2b$", 4}, {"$2y$", 4}, {"$2a$", 4}, {"$6$", 1000}};
  for (const auto& c : cases) {
    std::string h = make_hash(c.prefix, c.cost, "s3cret");
    ASSERT_FALSE(h.empty()) << c.prefix;
    EXPECT_EQ(check_imported_hash(h), "") << h;
    EXPECT_TRUE(verify_password("s3cret", h)) << h;
    EXPECT_FALSE(verify_password("S3cret", h)) << h;
  }
}

TEST(Password, RejectedImports) {
  EXPECT_NE(check_imported_hash(""), "");
  EXPECT_NE(check_imported_hash("plaintext"), "");
  EXPECT_NE(check_imported_hash("$1$abcdefgh$0123456789abcdefghijkl"), "");  // md5-crypt
  EXPECT_NE(check_imported_hash("$5$rounds=5000$salt$x"), "");               // sha256 not listed
  std::string h = make_hash("$6$", 1000, "pw");
  EXPECT_NE(check_imported_hash(h.substr(0, h.size() - 5)), "");  // truncated
  EXPECT_NE(check_imported_hash(h + " "), "");
  std::string b = make_hash("$2b$", 4, "pw");
  EXPECT_NE(check_imported_hash(b.substr(0, 29)), "");  // salt only
  EXPECT_NE(check_imported_hash("$2b$99$abcdefghijklmnopqrstuv"), "");
}

TEST(Password, HostileInputNeverVerifies) {
  std::string h = hash_password("pw");
  EXPECT_FALSE(verify_password(std::string("pw\0x", 4), h));
  EXPECT_FALSE(verify_password(std::string(kMaxPasswordLength + 1, 'a'), h));
  EXPECT_FALSE(verify_password("pw", ""));
  EXPECT_FALSE(verify_password("pw", "*0"));
  EXPECT_FALSE(verify_password("pw", "garbage"));
  EXPECT_EQ(hash_password(std::string("a\0b", 3)), "");
}

TEST(Password, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));
  EXPECT_TRUE(constant_time_equal("", ""));
}

}  // namespace
}  // namespace estafeta::auth
