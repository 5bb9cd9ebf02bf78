// smtp_mta_sts_test: MTA-STS (RFC 8461) TXT records and policy files as published in the
// wild and as the RFC's examples give them, malformed ones refused, and MX pattern matching
// with wildcards (one leftmost label only).
#include "smtp/proto/smtp_mta_sts.hpp"

#include <gtest/gtest.h>

namespace estafeta::smtp {
namespace {

TEST(MtaSts, TxtRecords) {
  auto r = parse_sts_record("v=STSv1; id=20160831085700Z;");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, "20160831085700Z");
  EXPECT_EQ(parse_sts_record("v=STSv1;id=abc")->id, "abc");
  EXPECT_EQ(parse_sts_record("v=STSv1;  id=abc ; ext=1")->id, "abc");  // unknown field
  EXPECT_FALSE(parse_sts_record("v=STSv1;"));                          // no id
  EXPECT_FALSE(parse_sts_record("id=abc; v=STSv1"));                   // version not first
  EXPECT_FALSE(parse_sts_record("v=STSv2; id=abc"));
  EXPECT_FALSE(parse_sts_record("v=STSv1; id=a-b"));  // not alphanumeric
  EXPECT_FALSE(parse_sts_record("v=STSv1; id=" + std::string(33, 'a')));
  EXPECT_FALSE(parse_sts_record("v=STSv1; id=a; id=b"));
  EXPECT_FALSE(parse_sts_record("v=STSv1; =x; id=a"));
}

TEST(MtaSts, SelectsExactlyOneRecord) {
  EXPECT_EQ(select_sts_record({"v=spf1 -all", "v=STSv1; id=1"})->id, "1");
  EXPECT_FALSE(select_sts_record({"v=spf1 -all"}));
  EXPECT_FALSE(select_sts_record({"v=STSv1; id=1", "v=STSv1; id=2"}));  // §3.1
  EXPECT_FALSE(select_sts_record({}));
}

TEST(MtaSts, PolicyFromTheRfc) {
  std::string error;
  auto p = parse_sts_policy(
      "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\n"
      "mx: backupmx.example.com\r\nmax_age: 604800\r\n",
      error);
  ASSERT_TRUE(p) << error;
  EXPECT_EQ(p->mode, StsPolicy::Mode::enforce);
  EXPECT_EQ(p->max_age, 604800u);
  ASSERT_EQ(p->mx.size(), 3u);
  EXPECT_EQ(p->mx[1], "*.example.net");
  EXPECT_EQ(sts_mode_name(p->mode), "enforce");
}

TEST(MtaSts, PolicyVariants) {
  std::string error;
  // LF endings, spaces, unknown keys, a final dot and upper case in mx, no final newline.
  auto p = parse_sts_policy(
      "version:STSv1\nmode:  testing \nfoo: bar\nmx: MX.Example.ORG.\nmax_age:86400", error);
  ASSERT_TRUE(p) << error;
  EXPECT_EQ(p->mode, StsPolicy::Mode::testing);
  EXPECT_EQ(p->mx, std::vector<std::string>{"mx.example.org"});
  p = parse_sts_policy("version: STSv1\nmode: none\nmax_age: 0\n", error);
  ASSERT_TRUE(p) << error;
  EXPECT_EQ(p->mode, StsPolicy::Mode::none);
}

TEST(MtaSts, BadPolicies) {
  std::string error;
  const char* bad[] = {
      "",
      "mode: enforce\nmx: a.example\nmax_age: 1\n",                         // no version
      "version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n",         // wrong version
      "version: STSv1\nmode: strict\nmx: a.example\nmax_age: 1\n",          // unknown mode
      "version: STSv1\nmode: enforce\nmax_age: 1\n",                        // no mx
      "version: STSv1\nmode: enforce\nmx: a.example\n",                     // no max_age
      "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601\n",  // over a year
      "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n",
      "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 12345678901\n",
      "version: STSv1\nmode: enforce\nmx: a..example\nmax_age: 1\n",  // bad pattern
      "version: STSv1\nmode: enforce\nmx: *\nmax_age: 1\n",
      "version: STSv1\nmode: enforce\nmx: a.*.example\nmax_age: 1\n",
      "version: STSv1\nmode: enforce\nmode: none\nmx: a.example\nmax_age: 1\n",
      "<html>not a policy</html>\n",
  };
  for (const char* b : bad) EXPECT_FALSE(parse_sts_policy(b, error)) << b;
  std::string big = "version: STSv1\nmode: none\nmax_age: 1\n" + std::string(kMaxStsPolicy, '\n');
  EXPECT_FALSE(parse_sts_policy(big, error));
  std::string many = "version: STSv1\nmode: enforce\nmax_age: 1\n";
  for (std::size_t i = 0; i <= kMaxStsPatterns; ++i) many += "mx: a.example\n";
  EXPECT_FALSE(parse_sts_policy(many, error));
}

TEST(MtaSts, MxPatterns) {  // RFC 8461 §4.1
  EXPECT_TRUE(sts_mx_matches("mail.example.com", "mail.example.com"));
  EXPECT_TRUE(sts_mx_matches("mail.example.com", "MAIL.Example.com."));
  EXPECT_FALSE(sts_mx_matches("mail.example.com", "mail2.example.com"));
  EXPECT_TRUE(sts_mx_matches("*.example.net", "mx1.example.net"));
  EXPECT_FALSE(sts_mx_matches("*.example.net", "a.mx1.example.net"));  // one label only
  EXPECT_FALSE(sts_mx_matches("*.example.net", "example.net"));
  EXPECT_FALSE(sts_mx_matches("*.example.net", ".example.net"));
  StsPolicy p;
  p.mx = {"mail.example.com", "*.example.net"};
  EXPECT_TRUE(sts_mx_allowed(p, "x.example.net"));
  EXPECT_FALSE(sts_mx_allowed(p, "evil.example"));
}

}  // namespace
}  // namespace estafeta::smtp
