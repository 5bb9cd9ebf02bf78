// store_quota_test: the quota arithmetic (store_quota.hpp): limits that apply, refusals at
// the limit, the 90 % crossing rule, the setting file and sizes.
#include "store/api/store_quota.hpp"

#include <gtest/gtest.h>

namespace estafeta::store {
namespace {

TEST(StoreQuota, EffectiveTakesTheDefaultWhereUnset) {
  QuotaLimits def{1024, 100, 10};
  EXPECT_EQ(effective_quota({kQuotaDefault, kQuotaDefault, kQuotaDefault}, def), def);
  EXPECT_EQ(effective_quota({0, 5, kQuotaDefault}, def), (QuotaLimits{0, 5, 10}));
}

TEST(StoreQuota, ExceededOnlyPastTheLimit) {
  QuotaLimits l{1, 2, 3};  // 1024 octets
  QuotaUsage u{1000, 1, 3};
  EXPECT_FALSE(quota_exceeded(l, u, 24, 1));   // exactly 1024 octets and 2 messages
  EXPECT_TRUE(quota_exceeded(l, u, 25, 0));    // one octet over
  EXPECT_TRUE(quota_exceeded(l, u, 0, 2));     // three messages
  EXPECT_TRUE(quota_exceeded(l, u, 0, 0, 1));  // a fourth mailbox
  EXPECT_FALSE(quota_exceeded(l, u, 0, 0, 0));
  EXPECT_FALSE(quota_exceeded({}, {UINT64_MAX - 1, 0, 0}, 5, 5, 5));  // no limits
  // Already over (the limit was lowered): a change that adds nothing passes.
  EXPECT_FALSE(quota_exceeded(l, {5000, 9, 9}, 0, 0, 0));
}

TEST(StoreQuota, KibRoundsUp) {
  EXPECT_EQ(storage_kib(0), 0u);
  EXPECT_EQ(storage_kib(1), 1u);
  EXPECT_EQ(storage_kib(1024), 1u);
  EXPECT_EQ(storage_kib(1025), 2u);
}

TEST(StoreQuota, WarningOncePerCrossing) {
  QuotaLimits l{0, 100, 0};
  std::uint8_t warned = 0;
  EXPECT_EQ(quota_warning_step(l, {0, 80, 0}, {0, 89, 0}, warned), 0);
  EXPECT_EQ(quota_warning_step(l, {0, 89, 0}, {0, 90, 0}, warned), kQuotaMessages);
  EXPECT_EQ(warned, kQuotaMessages);
  EXPECT_EQ(quota_warning_step(l, {0, 90, 0}, {0, 95, 0}, warned), 0);  // still above: once
  EXPECT_EQ(quota_warning_step(l, {0, 95, 0}, {0, 99, 0}, warned), 0);
  // Fell below (expunges), then crossed again: warned again.
  EXPECT_EQ(quota_warning_step(l, {0, 70, 0}, {0, 85, 0}, warned), 0);
  EXPECT_EQ(warned, 0);
  EXPECT_EQ(quota_warning_step(l, {0, 85, 0}, {0, 91, 0}, warned), kQuotaMessages);
  // A limit lowered under the usage: the next change warns, even without crossing in it.
  warned = 0;
  EXPECT_EQ(quota_warning_step({1, 0, 0}, {2000, 0, 0}, {2100, 0, 0}, warned), kQuotaStorage);
  // Storage: 90 % of 10 KiB = 9216 octets.
  warned = 0;
  EXPECT_EQ(quota_warning_step({10, 0, 0}, {9000, 0, 0}, {9215, 0, 0}, warned), 0);
  EXPECT_EQ(quota_warning_step({10, 0, 0}, {9215, 0, 0}, {9216, 0, 0}, warned), kQuotaStorage);
  // No limits, no warning.
  warned = 0;
  EXPECT_EQ(quota_warning_step({}, {0, 0, 0}, {1u << 30, 1000000, 0}, warned), 0);
}

TEST(StoreQuota, WarningMessage) {
  std::string m = quota_warning_message("bob@example.net", {1024, 100, 0}, {943719, 95, 7},
                                        kQuotaStorage | kQuotaMessages, 1764579600);
  EXPECT_EQ(m.find("From: Postmaster <postmaster@example.net>\r\n"), 0u);
  EXPECT_NE(m.find("To: <bob@example.net>\r\n"), std::string::npos);
  EXPECT_NE(m.find("Date: Mon, 01 Dec 2025 09:00:00 +0000\r\n"), std::string::npos);
  EXPECT_NE(m.find("Storage: 922 KiB used of 1024 KiB (90 %)."), std::string::npos) << m;
  EXPECT_NE(m.find("Messages: 95 of 100 (95 %)."), std::string::npos);
  EXPECT_NE(m.find("\r\n\r\n"), std::string::npos);
  for (std::size_t i = 0; i < m.size(); ++i)
    if (m[i] == '\n') {
      EXPECT_EQ(m[i - 1], '\r');
    }
}

TEST(StoreQuota, SettingText) {
  QuotaLimits own{512000, kQuotaDefault, 0};
  std::string text = format_quota_setting(own);
  EXPECT_EQ(text, "storage_kib = 512000\nmailboxes = 0\n");
  QuotaLimits back;
  ASSERT_TRUE(parse_quota_setting(text, back));
  EXPECT_EQ(back, own);
  ASSERT_TRUE(parse_quota_setting("# comment\n\n messages=7 \r\n", back));
  EXPECT_EQ(back, (QuotaLimits{kQuotaDefault, 7, kQuotaDefault}));
  EXPECT_FALSE(parse_quota_setting("storage = 5\n", back));
  EXPECT_FALSE(parse_quota_setting("messages = -1\n", back));
  EXPECT_FALSE(parse_quota_setting("messages\n", back));
  EXPECT_FALSE(parse_quota_setting("messages = 18446744073709551615\n", back));
}

TEST(StoreQuota, Sizes) {
  std::uint64_t k = 1;
  EXPECT_TRUE(parse_quota_size("500M", k));
  EXPECT_EQ(k, 512000u);
  EXPECT_TRUE(parse_quota_size("2G", k));
  EXPECT_EQ(k, 2097152u);
  EXPECT_TRUE(parse_quota_size("300", k));
  EXPECT_EQ(k, 300u);
  EXPECT_TRUE(parse_quota_size("64k", k));
  EXPECT_EQ(k, 64u);
  EXPECT_TRUE(parse_quota_size("none", k));
  EXPECT_EQ(k, 0u);
  EXPECT_TRUE(parse_quota_size("0", k));
  EXPECT_EQ(k, 0u);
  EXPECT_FALSE(parse_quota_size("", k));
  EXPECT_FALSE(parse_quota_size("M", k));
  EXPECT_FALSE(parse_quota_size("5X", k));
  EXPECT_FALSE(parse_quota_size("-5M", k));
  EXPECT_FALSE(parse_quota_size("99999999999T", k));
  EXPECT_EQ(format_quota_size(512000), "500M");
  EXPECT_EQ(format_quota_size(2097152), "2G");
  EXPECT_EQ(format_quota_size(1536), "1536K");
  EXPECT_EQ(format_quota_size(0), "none");
}

}  // namespace
}  // namespace estafeta::store
