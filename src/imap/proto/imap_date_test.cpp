// imap_date_test: IMAP date and date-time (RFC 9051 §9) parsing and the INTERNALDATE form.
#include "imap/proto/imap_date.hpp"

#include <gtest/gtest.h>

namespace estafeta::imap {
namespace {

TEST(ImapDate, ParsesDatesAsDays) {
  EXPECT_EQ(parse_date("1-Jan-1970"), 0);
  EXPECT_EQ(parse_date("02-jan-1970"), 1);
  EXPECT_EQ(parse_date("1-Feb-1994"), 8797);
  EXPECT_EQ(parse_date("29-Feb-2000"), 11016);
  for (const char* bad : {"", "29-Feb-1900", "31-Apr-2020", "0-Jan-2020", "1-Jan-20", "1-Foo-2020",
                          "001-Jan-2020", "1 Jan 2020", "1-Jan-2020 ", "-Jan-2020"}) {
    EXPECT_FALSE(parse_date(bad)) << bad;
  }
}

TEST(ImapDate, ParsesDateTimes) {
  int zone = 0;
  EXPECT_EQ(parse_date_time("17-Jul-1996 02:44:25 -0700", &zone), 837596665);
  EXPECT_EQ(zone, -420);
  EXPECT_EQ(parse_date_time(" 7-Jul-1996 09:44:25 +0000"), 836732665);
  for (const char* bad :
       {"17-Jul-1996 02:44:25", "17-Jul-1996 24:00:00 +0000", "17-Jul-1996 02:44:25 0700",
        "7-Jul-1996 09:44:25 +0000", "17-Jul-1996 02:44:25 +0760", "17-Jul-1996T02:44:25 +0000"}) {
    EXPECT_FALSE(parse_date_time(bad)) << bad;
  }
}

TEST(ImapDate, FormatsInternalDate) {
  EXPECT_EQ(format_date_time(837596665, -420), "17-Jul-1996 02:44:25 -0700");
  EXPECT_EQ(format_date_time(836732665), " 7-Jul-1996 09:44:25 +0000");
  EXPECT_EQ(format_date_time(0, 330), " 1-Jan-1970 05:30:00 +0530");
  // Before 1970 and after 2038.
  EXPECT_EQ(parse_date_time("01-Jan-1900 00:00:00 +0000"), -2208988800);
  EXPECT_EQ(format_date_time(-2208988800), " 1-Jan-1900 00:00:00 +0000");
  EXPECT_EQ(format_date_time(-1, 0), "31-Dec-1969 23:59:59 +0000");
  EXPECT_EQ(format_date_time(4102444800), " 1-Jan-2100 00:00:00 +0000");
  int zone = 0;
  EXPECT_EQ(parse_date_time(format_date_time(1700000000, 60), &zone), 1700000000);
  EXPECT_EQ(zone, 60);
}

}  // namespace
}  // namespace estafeta::imap
