// Tests of mime_date: RFC 5322 §3.3 dates and the obsolete forms of §4.3.
#include "mime/mime_date.hpp"

#include <gtest/gtest.h>

namespace estafeta::mime {
namespace {

std::int64_t unix_of(std::string_view s) {
  auto d = parse_date(s);
  return d ? d->to_unix() : -1;
}

TEST(MimeDate, Rfc5322) {
  EXPECT_EQ(unix_of("Sat, 28 Nov 2026 03:17:28 +0000"), 1795835848);
  EXPECT_EQ(unix_of("28 Nov 2026 04:17:28 +0100"), 1795835848);
  EXPECT_EQ(unix_of("Fri, 21 Nov 1997 09:55:06 -0600"), 880127706);
}

TEST(MimeDate, Obsolete) {
  EXPECT_EQ(unix_of("Fri, 21 Nov 97 09:55:06 CST"), 880127706);  // 2-digit year, alpha zone
  EXPECT_EQ(unix_of("21 Nov 097 15:55:06 GMT"), 880127706);      // 3-digit year
  EXPECT_EQ(unix_of("Thu,\r\n 13\r\n Feb\r\n 1969 23:32 -0330 (NST)"),
            -27723480);                                       // folds, no seconds
  EXPECT_EQ(unix_of("1 Jan 49 00:00:00 +0000"), 2493072000);  // 49 -> 2049
  EXPECT_EQ(unix_of("1 Jan 50 00:00:00 +0000"), -631152000);  // 50 -> 1950
  auto mil = parse_date("1 Jan 2000 00:00:00 Z");
  ASSERT_TRUE(mil);
  EXPECT_TRUE(mil->zone_known);
  auto a = parse_date("1 Jan 2000 00:00:00 A");
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->zone_known);  // military zones other than Z: §4.3 says treat as -0000
  auto minus0 = parse_date("1 Jan 2000 00:00:00 -0000");
  ASSERT_TRUE(minus0);
  EXPECT_FALSE(minus0->zone_known);
}

TEST(MimeDate, InTheWild) {
  EXPECT_EQ(unix_of("Tue, 1 Jul 2003 10:52:37 +0200 (CEST)"), 1057049557);
  EXPECT_EQ(unix_of("Tue Jul  1 10:52:37 2003"), 1057056757);  // asctime, no zone
  EXPECT_EQ(unix_of("Tue, 1 Jul 2003 10:52:37"), 1057056757);
}

TEST(MimeDate, Rejects) {
  EXPECT_FALSE(parse_date(""));
  EXPECT_FALSE(parse_date("yesterday"));
  EXPECT_FALSE(parse_date("31 Feb 2000 00:00:00 +0000"));
  EXPECT_FALSE(parse_date("1 Jan 2000 25:00:00 +0000"));
  EXPECT_FALSE(parse_date("1 Foo 2000 10:00:00 +0000"));
}

TEST(MimeDate, FormatRoundTrip) {
  DateTime d = date_from_unix(1795835848, 60);
  EXPECT_EQ(format_date(d), "Sat, 28 Nov 2026 04:17:28 +0100");
  EXPECT_EQ(unix_of(format_date(d)), 1795835848);
  for (std::int64_t t = -100000000; t < 4000000000; t += 7777777) {
    DateTime x = date_from_unix(t, -330);
    ASSERT_EQ(unix_of(format_date(x)), t);
  }
}

}  // namespace
}  // namespace estafeta::mime
