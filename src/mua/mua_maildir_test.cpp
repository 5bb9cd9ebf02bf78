// Tests for mua_maildir: the layout made, the message in new/ whole, 0600, tmp/ left empty,
// unique names, an unwritable place reported.
#include "mua/mua_maildir.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>

#include "base/test_temp_dir.hpp"

namespace estafeta::mua {
namespace {

TEST(Maildir, StoresIntoNew) {
  testing::TempDir dir;
  auto md = dir.path() / "a" / "Maildir";
  auto p1 = maildir_store(md, "Subject: one\n\nbody\n");
  auto p2 = maildir_store(md, "Subject: two\n\nbody\n");
  ASSERT_TRUE(p1.ok()) << p1.error().text;
  ASSERT_TRUE(p2.ok());
  EXPECT_NE(*p1, *p2);
  EXPECT_EQ(p1->parent_path(), md / "new");
  for (const char* sub : {"tmp", "new", "cur"})
    EXPECT_TRUE(std::filesystem::is_directory(md / sub));
  EXPECT_TRUE(std::filesystem::is_empty(md / "tmp"));
  std::ifstream in(*p1, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(data, "Subject: one\n\nbody\n");
  struct stat st {};
  ASSERT_EQ(::stat(p1->c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(md.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST(Maildir, UnwritableIsAnError) {
  testing::TempDir dir;
  std::ofstream(dir.path() / "file") << "x";
  auto r = maildir_store(dir.path() / "file" / "Maildir", "x");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().text.find("cannot create"), std::string::npos) << r.error().text;
}

}  // namespace
}  // namespace estafeta::mua
