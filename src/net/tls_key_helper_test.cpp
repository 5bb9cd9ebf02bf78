// tls_key_helper_test: the helper process answers each request by running its loader in the
// child (its state is the child's, not the caller's), reports the loader's error, and exits
// when the owner goes away.
#include "net/tls_key_helper.hpp"

#include <gtest/gtest.h>

#include <string>

namespace estafeta::net {
namespace {

TEST(TlsKeyHelper, EachFetchRunsTheLoaderInTheHelper) {
  int calls = 0;  // counted in the helper's copy of memory
  TlsKeyHelper helper;
  std::string error;
  ASSERT_TRUE(helper.start(
      [&calls](TlsPem& out, std::string& why) {
        ++calls;
        if (calls == 3) {
          why = "tls.certificate: cannot open /nowhere";
          return false;
        }
        out.certificate = "cert " + std::to_string(calls) + std::string(100000, 'c');
        out.private_key = "key " + std::to_string(calls);
        return true;
      },
      error))
      << error;
  TlsPem first, second, third, fourth;
  ASSERT_TRUE(helper.fetch(first, error)) << error;
  EXPECT_EQ(first.certificate.substr(0, 6), "cert 1");
  EXPECT_EQ(first.certificate.size(), 6u + 100000u);
  EXPECT_EQ(first.private_key, "key 1");
  ASSERT_TRUE(helper.fetch(second, error)) << error;
  EXPECT_EQ(second.private_key, "key 2");
  EXPECT_FALSE(helper.fetch(third, error));
  EXPECT_EQ(error, "tls.certificate: cannot open /nowhere");
  ASSERT_TRUE(helper.fetch(fourth, error)) << error;
  EXPECT_EQ(fourth.private_key, "key 4");
  EXPECT_EQ(calls, 0);  // the parent's copy never ran the loader
}

TEST(TlsKeyHelper, ExitsWhenItsOwnerCloses) {
  // The destructor closes the socket and waits for the helper (a hang here is the failure).
  TlsKeyHelper helper;
  std::string error;
  ASSERT_TRUE(helper.start([](TlsPem&, std::string&) { return true; }, error)) << error;
  ASSERT_TRUE(helper.started());
}

}  // namespace
}  // namespace estafeta::net
