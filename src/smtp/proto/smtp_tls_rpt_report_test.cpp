// smtp_tls_rpt_report_test: TLS report generation (RFC 8460 §4-5) from day-file lines: the
// lines read back, counting per domain and policy type with bounds, the JSON report and the
// report mail.
#include "smtp/proto/smtp_tls_rpt_report.hpp"

#include <gtest/gtest.h>

#include "base/base64.hpp"

namespace estafeta::smtp {
namespace {

TlsReportEvent event(std::int64_t t, std::string domain, std::string type, bool success,
                     std::string result = "", std::string mx = "mx.example.org",
                     std::string ip = "192.0.2.1", std::string detail = "") {
  TlsReportEvent e;
  e.time = t;
  e.policy_domain = std::move(domain);
  e.policy_type = std::move(type);
  e.success = success;
  e.result_type = std::move(result);
  e.mx_host = std::move(mx);
  e.ip = std::move(ip);
  e.detail = std::move(detail);
  return e;
}

TEST(TlsRptReport, LinesReadBack) {
  const auto e = event(1790000000, "example.org", "tlsa", false, "tlsa-invalid", "mx.example.org",
                       "2001:db8::1", "no match \"x\"\r\n\\ \xc3\xa9");
  auto back = parse_tls_report_line(tls_report_line(e));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->time, e.time);
  EXPECT_EQ(back->policy_domain, e.policy_domain);
  EXPECT_EQ(back->policy_type, e.policy_type);
  EXPECT_FALSE(back->success);
  EXPECT_EQ(back->result_type, e.result_type);
  EXPECT_EQ(back->mx_host, e.mx_host);
  EXPECT_EQ(back->ip, e.ip);
  EXPECT_EQ(back->detail, e.detail);
  EXPECT_EQ(back->sending_ip, "");
  auto with_ip = e;
  with_ip.sending_ip = "192.0.2.25";
  EXPECT_EQ(parse_tls_report_line(tls_report_line(with_ip))->sending_ip, "192.0.2.25");
  auto ok = parse_tls_report_line(tls_report_line(event(5, "a.example", "sts", true)));
  ASSERT_TRUE(ok);
  EXPECT_TRUE(ok->success);
  EXPECT_EQ(parse_tls_report_line("{\"policy-type\":\"sts\",\"time\":7,\"success\":true,"
                                  "\"policy-domain\":\"x\",\"later\":\"ignored\"}")
                ->time,
            7);
}

TEST(TlsRptReport, BadLinesRefused) {
  for (const char* bad : {
           "",
           "{",
           "{}",
           "[]",
           "{\"time\":1}",
           "{\"time\":1,\"policy-domain\":\"x\",\"policy-type\":\"tlsa\"}",  // no success
           "{\"time\":1,\"policy-domain\":\"x\",\"policy-type\":\"dane\",\"success\":true}",
           "{\"time\":1,\"policy-domain\":\"\",\"policy-type\":\"sts\",\"success\":true}",
           "{\"time\":1,\"policy-domain\":\"x\",\"policy-type\":\"sts\",\"success\":false}",
           "{\"time\":x,\"policy-domain\":\"x\",\"policy-type\":\"sts\",\"success\":true}",
           "{\"time\":1,\"policy-domain\":\"x\",\"policy-type\":\"sts\",\"success\":true} x",
           "{\"time\":1,\"policy-domain\":\"x\\q\",\"policy-type\":\"sts\",\"success\":true}",
           "{\"time\":1,\"policy-domain\":\"x\",\"policy-type\":\"sts\",\"success\":tru}",
           "{\"time\":1234567890123456789012,\"policy-domain\":\"x\",\"policy-type\":\"sts\","
           "\"success\":true}",
       })
    EXPECT_FALSE(parse_tls_report_line(bad)) << bad;
  EXPECT_FALSE(
      parse_tls_report_line(tls_report_line(event(1, std::string(9000, 'a'), "sts", true))));
}

TEST(TlsRptReport, CountsAndBounds) {
  TlsRptAggregate agg(2, 2);
  agg.add(event(100, "a.example", "tlsa", true));
  agg.add(event(50, "a.example", "tlsa", true));
  agg.add(event(200, "a.example", "tlsa", false, "tlsa-invalid", "mx1", "192.0.2.1", "first"));
  agg.add(event(201, "a.example", "tlsa", false, "tlsa-invalid", "mx1", "192.0.2.1", "second"));
  agg.add(event(202, "a.example", "tlsa", false, "dnssec-invalid", "mx2", "192.0.2.2"));
  agg.add(event(203, "a.example", "tlsa", false, "validation-failure", "mx3", "192.0.2.3"));
  agg.add(event(204, "a.example", "no-policy-found", true));
  agg.add(event(300, "b.example", "sts", false, "sts-policy-fetch-error", "", ""));
  agg.add(event(300, "c.example", "sts", true));  // a third domain: over the bound
  EXPECT_EQ(agg.dropped(), 1u);
  ASSERT_EQ(agg.domains().size(), 2u);
  const TlsRptDomain& a = agg.domains().at("a.example");
  EXPECT_EQ(a.first, 50);
  EXPECT_EQ(a.last, 204);
  ASSERT_EQ(a.policies.size(), 2u);
  EXPECT_EQ(a.policies[0].type, "tlsa");
  EXPECT_EQ(a.policies[0].successes, 2u);
  EXPECT_EQ(a.policies[0].failures, 4u);        // every failure counted
  ASSERT_EQ(a.policies[0].details.size(), 2u);  // two groups detailed, the third not
  EXPECT_EQ(a.policies[0].details[0].count, 2u);
  EXPECT_EQ(a.policies[0].details[0].detail, "first");
  EXPECT_EQ(a.policies[1].type, "no-policy-found");
}

TEST(TlsRptReport, Json) {
  TlsRptAggregate agg;
  agg.add(event(1790000000, "example.org", "tlsa", true));
  auto failed = event(1790000001, "example.org", "tlsa", false, "tlsa-invalid", "mx.example.org",
                      "192.0.2.1", "DANE: \"no\" match");
  failed.sending_ip = "192.0.2.25";
  agg.add(failed);
  agg.add(event(1790000002, "example.org", "no-policy-found", true, "", "mx2.example.org"));
  TlsRptInfo info{"Example Org",       "mailto:postmaster@mx.example.net",
                  "r1+example.org@mx", "mx.example.net",
                  1789948800,          1790035199};
  EXPECT_EQ(build_tls_rpt_json(agg.domains().at("example.org"), info),
            "{\"organization-name\":\"Example Org\",\"date-range\":{\"start-datetime\":"
            "\"2026-09-21T00:00:00Z\",\"end-datetime\":\"2026-09-21T23:59:59Z\"},"
            "\"contact-info\":\"mailto:postmaster@mx.example.net\",\"report-id\":"
            "\"r1+example.org@mx\",\"policies\":[{\"policy\":{\"policy-type\":\"tlsa\","
            "\"policy-domain\":\"example.org\"},\"summary\":{\"total-successful-session-count\""
            ":1,\"total-failure-session-count\":1},\"failure-details\":[{\"result-type\":"
            "\"tlsa-invalid\",\"sending-mta-ip\":\"192.0.2.25\",\"receiving-mx-hostname\":\"mx."
            "example.org\",\"receiving-ip\":"
            "\"192.0.2.1\",\"failed-session-count\":1,\"failure-reason-code\":\"DANE: \\\"no\\\""
            " match\"}]},{\"policy\":{\"policy-type\":\"no-policy-found\",\"policy-domain\":"
            "\"example.org\"},\"summary\":{\"total-successful-session-count\":1,"
            "\"total-failure-session-count\":0}}]}");
  EXPECT_EQ(tls_rpt_datetime(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(tls_rpt_datetime(1790035199), "2026-09-21T23:59:59Z");
}

TEST(TlsRptReport, Mail) {
  TlsRptAggregate agg;
  agg.add(event(1790000000, "example.org", "sts", true));
  TlsRptInfo info{"Org",     "mailto:pm@mx.example.net", "id-1", "mx.example.net", 1789948800,
                  1790035199};
  TlsRptMail mail{"MAILER-DAEMON@mx.example.net", "reports@example.org",
                  "Mon, 21 Sep 2026 12:00:00 +0000", "id-1@mx.example.net", "b-123"};
  const std::string gz("\x1f\x8b\x08\x00 some bytes \r\n\0 more", 24);
  const std::string m = build_tls_rpt_message(agg.domains().at("example.org"), info, mail, gz);
  for (const char* want :
       {"From: MAILER-DAEMON@mx.example.net\r\n", "To: reports@example.org\r\n",
        "Subject: Report Domain: example.org\r\n Submitter: mx.example.net\r\n"
        " Report-ID: <id-1>\r\n",
        "TLS-Report-Domain: example.org\r\n", "TLS-Report-Submitter: mx.example.net\r\n",
        "Content-Type: multipart/report; report-type=\"tlsrpt\";\r\n boundary=\"b-123\"\r\n",
        "\r\n--b-123\r\nContent-Type: application/tlsrpt+gzip\r\n"
        "Content-Transfer-Encoding: base64\r\n",
        "filename=\"mx.example.net!example.org!1789948800!1790035199.json.gz\"\r\n\r\n",
        "\r\n--b-123--\r\n"})
    EXPECT_NE(m.find(want), std::string::npos) << want << "\n" << m;
  const auto start = m.find(".json.gz\"\r\n\r\n") + 12;
  const auto end = m.find("\r\n--b-123--");
  std::string decoded;
  base64::decode(m.substr(start, end - start), decoded);
  EXPECT_EQ(decoded, gz);
  // A header value never spans lines, whatever the domain holds.
  TlsRptDomain evil{"x.example\r\nBcc: victim@example.com", {}, 0, 0};
  const std::string e = build_tls_rpt_message(evil, info, mail, gz);
  EXPECT_EQ(e.find("\r\nBcc:"), std::string::npos);
}

}  // namespace
}  // namespace estafeta::smtp
