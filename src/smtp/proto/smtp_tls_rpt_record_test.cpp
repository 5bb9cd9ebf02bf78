// smtp_tls_rpt_record_test: the _smtp._tls TXT record (RFC 8460 §3): rua URIs (mailto
// decoded, https kept), extensions ignored, malformed records refused, several records mean
// no reporting.
#include "smtp/proto/smtp_tls_rpt_record.hpp"

#include <gtest/gtest.h>

namespace estafeta::smtp {
namespace {

TEST(TlsRptRecord, MailtoAndHttps) {
  auto r = parse_tls_rpt_record("v=TLSRPTv1; rua=mailto:reports@example.org");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->mailto, std::vector<std::string>{"reports@example.org"});
  EXPECT_TRUE(r->https.empty());
  r = parse_tls_rpt_record(
      "v=TLSRPTv1;rua=mailto:a%2Bb@example.org?subject=x , https://rpt.example.org/v1;");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->mailto, std::vector<std::string>{"a+b@example.org"});
  EXPECT_EQ(r->https, std::vector<std::string>{"https://rpt.example.org/v1"});
  r = parse_tls_rpt_record("v=TLSRPTv1; ext.x=1; RUA=x; rua=MAILTO:r@example.org,ftp://x");
  ASSERT_TRUE(r);  // an unknown field ("RUA" too: names are case-sensitive), a skipped scheme
  EXPECT_EQ(r->mailto, std::vector<std::string>{"r@example.org"});
  EXPECT_EQ(tls_rpt_record_name("example.org"), "_smtp._tls.example.org");
}

TEST(TlsRptRecord, Refused) {
  for (const char* bad : {
           "",
           "v=TLSRPTv1",
           "v=TLSRPTv1;",
           "v=TLSRPTv2; rua=mailto:r@example.org",
           " v=TLSRPTv1; rua=mailto:r@example.org",            // the version comes first
           "rua=mailto:r@example.org; v=TLSRPTv1",             //
           "v=TLSRPTv1; rua=",                                 // no URI
           "v=TLSRPTv1; rua=mailto:r@example.org,",            // an empty URI
           "v=TLSRPTv1; rua=mailto:nobody",                    // no '@'
           "v=TLSRPTv1; rua=mailto:a@b@example.org",           // two
           "v=TLSRPTv1; rua=mailto:@example.org",              //
           "v=TLSRPTv1; rua=mailto:r%0d%0aBcc:x@example.org",  // a decoded CR LF
           "v=TLSRPTv1; rua=mailto:r%2@example.org",           // a bad escape
           "v=TLSRPTv1; rua=mailto:r%",                        //
           "v=TLSRPTv1; rua=https:x",                          // not https://
           "v=TLSRPTv1; rua=ftp://x",                          // no usable scheme
           "v=TLSRPTv1; rua=mailto:a@example.org; rua=mailto:b@example.org",  // two rua
           "v=TLSRPTv1; rua=mailto:r@example.org; =x",  // a field without a name
           "v=TLSRPTv1; rua=mailto:r@example.org; x",   // without '='
           "v=TLSRPTv1; rua=mailto:r@exa\x01mple.org",  // a control character
       })
    EXPECT_FALSE(parse_tls_rpt_record(bad)) << bad;
  EXPECT_FALSE(parse_tls_rpt_record("v=TLSRPTv1; rua=mailto:r@example.org; x=" +
                                    std::string(kMaxTlsRptRecord, 'a')));
}

TEST(TlsRptRecord, AtMostEightUris) {
  std::string txt = "v=TLSRPTv1; rua=";
  for (int i = 0; i < 20; ++i)
    txt += (i ? "," : "") + std::string("mailto:r") + std::to_string(i) + "@example.org";
  auto r = parse_tls_rpt_record(txt);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->mailto.size(), kMaxTlsRptUris);
}

TEST(TlsRptRecord, Selection) {
  auto r = select_tls_rpt_record({"v=spf1 -all", "v=TLSRPTv1; rua=mailto:r@example.org"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->mailto.front(), "r@example.org");
  EXPECT_FALSE(select_tls_rpt_record({}));
  EXPECT_FALSE(select_tls_rpt_record(
      {"v=TLSRPTv1; rua=mailto:a@example.org", "v=TLSRPTv1 ; rua=mailto:b@example.org"}));
  EXPECT_FALSE(select_tls_rpt_record({"v=TLSRPTv1; rua=nothing:x"}));
  // "v=TLSRPTv10; ..." does not start with "v=TLSRPTv1;": discarded, not a second record.
  EXPECT_TRUE(select_tls_rpt_record(
      {"v=TLSRPTv10; rua=mailto:a@example.org", "v=TLSRPTv1; rua=mailto:b@example.org"}));
}

}  // namespace
}  // namespace estafeta::smtp
