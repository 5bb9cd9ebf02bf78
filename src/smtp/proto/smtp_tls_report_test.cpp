// smtp_tls_report_test: TLS-RPT event lines are one line of JSON with every field escaped,
// and day files are named by the UTC date.
#include "smtp/proto/smtp_tls_report.hpp"

#include <gtest/gtest.h>

namespace estafeta::smtp {
namespace {

TEST(TlsReport, LineHasEveryField) {
  TlsReportEvent e;
  e.time = 1790000000;
  e.policy_domain = "example.org";
  e.policy_type = "tlsa";
  e.success = false;
  e.result_type = "tlsa-invalid";
  e.mx_host = "mx.example.org";
  e.ip = "192.0.2.1";
  e.detail = "no match \"x\"\r\n\\";
  EXPECT_EQ(tls_report_line(e),
            "{\"time\":1790000000,\"policy-domain\":\"example.org\",\"policy-type\":\"tlsa\","
            "\"success\":false,\"result-type\":\"tlsa-invalid\",\"receiving-mx-hostname\":"
            "\"mx.example.org\",\"receiving-ip\":\"192.0.2.1\",\"detail\":\"no match "
            "\\\"x\\\"\\u000d\\u000a\\\\\"}\n");
  e.success = true;
  e.result_type.clear();
  e.detail = std::string(2000, 'a');
  const std::string line = tls_report_line(e);
  EXPECT_NE(line.find("\"success\":true"), std::string::npos);
  EXPECT_LT(line.size(), 800u);  // detail cut
  EXPECT_EQ(line.find('\n'), line.size() - 1);
}

TEST(TlsReport, DayFiles) {
  EXPECT_EQ(tls_report_file_name(0), "1970-01-01.jsonl");
  EXPECT_EQ(tls_report_file_name(1790000000), "2026-09-21.jsonl");
  EXPECT_EQ(tls_report_file_name(951782400), "2000-02-29.jsonl");
  EXPECT_EQ(tls_report_file_name(86399), "1970-01-01.jsonl");
  EXPECT_EQ(tls_report_file_name(86400), "1970-01-02.jsonl");
}

}  // namespace
}  // namespace estafeta::smtp
