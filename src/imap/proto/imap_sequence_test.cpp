// imap_sequence_test: sequence-set parsing, bounds, expansion, selection and compression
// (RFC 9051 §9 sequence-set, §6.4.8 UID ranges, RFC 5182 "$", RFC 4315 COPYUID form).
#include "imap/proto/imap_sequence.hpp"

#include <gtest/gtest.h>

namespace estafeta::imap {
namespace {

using V = std::vector<std::uint32_t>;

SequenceSet set(std::string_view s) {
  auto r = parse_sequence_set(s);
  EXPECT_TRUE(r) << s;
  return r.value_or(SequenceSet{});
}

TEST(ImapSequence, ParsesNumbersRangesStarAndSaved) {
  auto s = set("1,3:5,7:*,*");
  ASSERT_EQ(s.ranges.size(), 4u);
  EXPECT_EQ(s.ranges[0].first, 1u);
  EXPECT_EQ(s.ranges[0].last, 1u);
  EXPECT_EQ(s.ranges[1].first, 3u);
  EXPECT_EQ(s.ranges[1].last, 5u);
  EXPECT_EQ(s.ranges[2].last, 0u);
  EXPECT_EQ(s.ranges[3].first, 0u);
  EXPECT_TRUE(set("$").saved);
  EXPECT_EQ(set("4294967295").ranges[0].first, 4294967295u);
}

TEST(ImapSequence, RefusesBadSyntax) {
  for (const char* bad : {"", "0", "1:0", "01", ",1", "1,", "1::2", "1:", ":1", "a", "1 2",
                          "4294967296", "$,1", "1,$", "**", "1:2:3", "-1"}) {
    EXPECT_FALSE(parse_sequence_set(bad)) << bad;
  }
}

TEST(ImapSequence, BoundsTheNumberOfRanges) {
  std::string s = "1";
  for (int i = 0; i < 9; ++i) s += ",1";
  EXPECT_TRUE(parse_sequence_set(s, 10));
  EXPECT_FALSE(parse_sequence_set(s + ",1", 10));
}

TEST(ImapSequence, FormatsAsWritten) {
  EXPECT_EQ(format_sequence_set(set("1,3:5,7:*,*")), "1,3:5,7:*,*");
  EXPECT_EQ(format_sequence_set(set("$")), "$");
}

TEST(ImapSequence, ExpandsAgainstHighest) {
  EXPECT_EQ(expand_sequence_set(set("1:3,2,5"), 10), (V{1, 2, 3, 5}));
  EXPECT_EQ(expand_sequence_set(set("4:2"), 10), (V{2, 3, 4}));
  EXPECT_EQ(expand_sequence_set(set("*"), 7), (V{7}));
  EXPECT_EQ(expand_sequence_set(set("6:*"), 7), (V{6, 7}));
  EXPECT_EQ(expand_sequence_set(set("*:6"), 7), (V{6, 7}));
  EXPECT_EQ(expand_sequence_set(set("9,2"), 7), (V{2}));
  // RFC 9051 §6.4.8: "559:*" always includes the last one even when 559 is above it.
  EXPECT_EQ(expand_sequence_set(set("559:*"), 500), (V{500}));
  EXPECT_EQ(expand_sequence_set(set("1:*"), 0), V{});
  EXPECT_EQ(expand_sequence_set(set("$"), 10), V{});
  EXPECT_EQ(expand_sequence_set(set("1:4294967295"), 3), (V{1, 2, 3}));
}

TEST(ImapSequence, ContainsAndWithin) {
  EXPECT_TRUE(sequence_set_contains(set("1:3,9"), 2, 10));
  EXPECT_TRUE(sequence_set_contains(set("5:*"), 4, 4));
  EXPECT_FALSE(sequence_set_contains(set("1:3,9"), 4, 10));
  EXPECT_TRUE(sequence_set_within(set("1:3,*"), 3));
  EXPECT_FALSE(sequence_set_within(set("1:4"), 3));
  EXPECT_FALSE(sequence_set_within(set("4:*"), 3));
}

TEST(ImapSequence, MatcherAgreesWithContains) {
  for (const char* text : {"1:3,9", "5:*", "*", "4:2,3:7,20,19,100:90", "$", "1:4294967295"}) {
    SequenceSet s = set(text);
    for (std::uint32_t highest : {0u, 4u, 50u}) {
      SequenceMatcher m(s, highest);
      for (std::uint32_t v = 0; v <= 120; ++v) {
        EXPECT_EQ(m.contains(v), sequence_set_contains(s, v, highest)) << text << " " << v;
      }
      EXPECT_EQ(m.contains(4294967295u), sequence_set_contains(s, 4294967295u, highest));
    }
  }
}

TEST(ImapSequence, SelectsExistingUids) {
  V uids{3, 5, 8, 13, 21};
  EXPECT_EQ(select_uids(set("1:*"), uids), uids);
  EXPECT_EQ(select_uids(set("4:9,21"), uids), (V{5, 8, 21}));
  EXPECT_EQ(select_uids(set("100:*"), uids), (V{21}));
  EXPECT_EQ(select_uids(set("9:4,5:6"), uids), (V{5, 8}));
  EXPECT_EQ(select_uids(set("1,2,4"), uids), V{});
  EXPECT_EQ(select_uids(set("*"), V{}), V{});
}

TEST(ImapSequence, CompressesUids) {
  EXPECT_EQ(compress_uids({1, 2, 3, 7, 9, 10, 11, 12}), "1:3,7,9:12");
  EXPECT_EQ(compress_uids({12, 3, 1, 2, 2}), "1:3,12");
  EXPECT_EQ(compress_uids({}), "");
  EXPECT_EQ(compress_uids({4294967295u, 4294967294u}), "4294967294:4294967295");
  // Round trip.
  V v{1, 2, 4, 6, 7, 8, 100};
  EXPECT_EQ(expand_sequence_set(set(compress_uids(v)), 100), v);
}

}  // namespace
}  // namespace estafeta::imap
