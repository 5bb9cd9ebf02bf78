// store_thread_ids_test: the ids a new message is linked by, and the ids of new threads.
#include "store/store_thread_ids.hpp"

#include <gtest/gtest.h>

namespace estafeta::store {
namespace {

TEST(ThreadIds, LinksNearestParentFirstThenOwnId) {
  SortKeys k;
  k.message_id = "me@x";
  k.references = "root@x mid@x parent@x mid@x";
  auto ids = thread_link_ids(k);
  std::vector<std::string_view> want{"mid@x", "parent@x", "root@x", "me@x"};
  EXPECT_EQ(ids, want);
  EXPECT_TRUE(thread_link_ids(SortKeys{}).empty());
}

TEST(ThreadIds, AtMostTheLastFiftyReferences) {
  SortKeys k;
  k.message_id = "me@x";
  for (int i = 0; i < 80; ++i) k.references += (i ? " r" : "r") + std::to_string(i) + "@x";
  auto ids = thread_link_ids(k);
  ASSERT_EQ(ids.size(), kMaxThreadLinks + 1);
  EXPECT_EQ(ids.front(), "r79@x");
  EXPECT_EQ(ids[kMaxThreadLinks - 1], "r30@x");
  EXPECT_EQ(ids.back(), "me@x");
  // An overlong id is not looked at.
  k.references = std::string(kMaxThreadIdLength + 1, 'a');
  EXPECT_EQ(thread_link_ids(k), std::vector<std::string_view>{"me@x"});
}

TEST(ThreadIds, NewThreadIds) {
  EXPECT_EQ(new_thread_id("M0123456789abcdef"), "T0123456789abcdef");
  const std::string h = new_thread_id("M1x1764579600");  // another form: a hash
  ASSERT_EQ(h.size(), 17u);
  EXPECT_EQ(h[0], 'T');
  EXPECT_EQ(h.find_first_not_of("0123456789abcdef", 1), std::string::npos);
  EXPECT_EQ(h, new_thread_id("M1x1764579600"));
  EXPECT_NE(h, new_thread_id("M2x1764579600"));
}

}  // namespace
}  // namespace estafeta::store
