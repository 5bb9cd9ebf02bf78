// queue_srs_key_test: the SRS key is made once with mode 0600, read back unchanged, and a
// damaged key file is an error rather than silently replaced.
#include "queue/queue_srs_key.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "base/test_temp_dir.hpp"

namespace estafeta::queue {
namespace {

TEST(SrsKeyTest, MadeOnceAndReadBack) {
  estafeta::testing::TempDir tmp;
  const auto file = tmp.path() / "srs.key";
  SrsKey a{}, b{};
  ASSERT_FALSE(load_srs_key(file, a));
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 16);
  ASSERT_FALSE(load_srs_key(file, b));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, SrsKey{});
}

TEST(SrsKeyTest, DamagedKeyIsAnError) {
  estafeta::testing::TempDir tmp;
  const auto file = tmp.path() / "srs.key";
  std::ofstream(file) << "short";
  SrsKey k{};
  EXPECT_TRUE(load_srs_key(file, k));
  EXPECT_TRUE(load_srs_key(tmp.path() / "missing-dir" / "srs.key", k));
}

}  // namespace
}  // namespace estafeta::queue
