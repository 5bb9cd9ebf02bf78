// smtp_tls_rpt_sender_test: the TLS report runs on a directory of day files, with the TXT
// lookup answered from a table and the queue replaced by a list: complete days are reported
// and today's data waits (unless everything is asked for), each mailto: rua gets one mail
// with the gzipped JSON counting the day's lines, a domain without a record is not reported,
// data goes out once (.reported), a run left unfinished (.sending) is completed, a day
// reported in parts starts after the previous part, old .reported files are removed, and
// the request file of `queue tls-report` is made.
#include "smtp/smtp_tls_rpt_sender.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "base/base64.hpp"
#include "base/test_temp_dir.hpp"
#include "smtp/proto/smtp_tls_report.hpp"

namespace estafeta::smtp {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kNow = 1790000000;                 // 2026-09-21T14:13:20Z
constexpr std::int64_t kToday = 1789948800;               // 2026-09-21T00:00:00Z
constexpr std::int64_t kYesterday = kToday - 86400 + 60;  // 2026-09-20T00:01:00Z

struct Sent {
  std::string from, to, message;
};

std::string gunzip(const std::string& gz) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return "";
  std::string out(1 << 20, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return rc == Z_STREAM_END ? out : "";
}

// The JSON report in a report mail.
std::string report_json(const std::string& message) {
  const auto start = message.find(".json.gz\"\r\n\r\n");
  if (start == std::string::npos) return "";
  const auto body = start + 12;
  const auto end = message.find("\r\n--", body);
  std::string gz;
  base64::decode(message.substr(body, end - body), gz);
  return gunzip(gz);
}

TlsReportEvent event(std::int64_t t, std::string domain, bool success) {
  TlsReportEvent e;
  e.time = t;
  e.policy_domain = std::move(domain);
  e.policy_type = "tlsa";
  e.success = success;
  e.result_type = success ? "" : "tlsa-invalid";
  e.mx_host = "mx." + e.policy_domain;
  e.ip = "192.0.2.1";
  return e;
}

class TlsRptSenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty());
    dir_ = tmp_.path() / "tls-rpt";
    fs::create_directories(dir_);
    records_["_smtp._tls.a.example"] = {
        "v=TLSRPTv1; rua=mailto:r@a.example,mailto:s@a.example,https://r.a.example/x"};
    records_["_smtp._tls.c.example"] = {"v=spf1 -all"};
  }
  void append(const TlsReportEvent& e) {
    std::ofstream(dir_ / tls_report_file_name(e.time), std::ios::app) << tls_report_line(e);
  }
  TlsRptSender make() {
    TlsRptSenderOptions o;
    o.dir = dir_;
    o.hostname = "mx.sender.example";
    o.interval = std::chrono::seconds(0);
    o.lookup_txt = [this](const std::string& name) {
      dns::TxtAnswer a;
      ++lookups_;
      auto it = records_.find(name);
      a.status = it == records_.end() ? dns::AnswerStatus::nxdomain : dns::AnswerStatus::data;
      if (it != records_.end()) a.records = it->second;
      return a;
    };
    return TlsRptSender(
        o, [this](const std::string& from, const std::string& to, const std::string& message) {
          sent_.push_back({from, to, message});
          return std::error_code();
        });
  }
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    for (const auto& f : fs::directory_iterator(dir_)) out.push_back(f.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }

  testing::TempDir tmp_{"estafeta-tls-rpt"};
  fs::path dir_;
  std::map<std::string, std::vector<std::string>> records_;
  std::vector<Sent> sent_;
  int lookups_ = 0;
};

TEST_F(TlsRptSenderTest, CompleteDaysOnceEachRua) {
  append(event(kYesterday, "a.example", true));
  append(event(kYesterday + 10, "a.example", true));
  append(event(kYesterday + 20, "a.example", false));
  append(event(kYesterday + 30, "b.example", true));  // no record: not reported
  append(event(kYesterday + 40, "c.example", true));  // a TXT that is not TLSRPTv1
  append(event(kToday + 100, "a.example", true));     // today: waits
  std::ofstream(dir_ / "2026-09-20.jsonl", std::ios::app) << "not a line\n";
  auto sender = make();
  EXPECT_EQ(sender.run_once(false, kNow), 2u);
  ASSERT_EQ(sent_.size(), 2u);
  EXPECT_EQ(sent_[0].from, "");  // the null sender
  EXPECT_EQ(sent_[0].to, "r@a.example");
  EXPECT_EQ(sent_[1].to, "s@a.example");
  const std::string json = report_json(sent_[0].message);
  EXPECT_NE(json.find("\"date-range\":{\"start-datetime\":\"2026-09-20T00:00:00Z\","
                      "\"end-datetime\":\"2026-09-20T23:59:59Z\"}"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"summary\":{\"total-successful-session-count\":2,"
                      "\"total-failure-session-count\":1}"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"organization-name\":\"mx.sender.example\""), std::string::npos);
  EXPECT_NE(json.find("\"contact-info\":\"mailto:postmaster@mx.sender.example\""),
            std::string::npos);
  EXPECT_NE(sent_[0].message.find("TLS-Report-Domain: a.example\r\n"), std::string::npos);
  // Yesterday's file is done; today's is left for later.
  auto names = files();
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[0], "2026-09-20." + std::to_string(kNow) + ".reported");
  EXPECT_EQ(names[1], "2026-09-21.jsonl");
  // Nothing again.
  EXPECT_EQ(sender.run_once(false, kNow + 60), 0u);
  EXPECT_EQ(sent_.size(), 2u);
}

TEST_F(TlsRptSenderTest, EverythingNowThenTheRestOfTheDay) {
  append(event(kToday + 100, "a.example", true));
  auto sender = make();
  EXPECT_EQ(sender.run_once(true, kNow), 2u);
  std::string json = report_json(sent_[0].message);
  EXPECT_NE(json.find("\"start-datetime\":\"2026-09-21T00:00:00Z\",\"end-datetime\":"
                      "\"2026-09-21T14:13:20Z\""),
            std::string::npos)
      << json;
  append(event(kNow + 100, "a.example", false));      // later the same day
  EXPECT_EQ(sender.run_once(false, kNow + 200), 0u);  // the day is not over
  EXPECT_EQ(sender.run_once(false, kToday + 86400 + 400), 2u);
  json = report_json(sent_[2].message);
  EXPECT_NE(json.find("\"start-datetime\":\"2026-09-21T14:13:21Z\",\"end-datetime\":"
                      "\"2026-09-21T23:59:59Z\""),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"total-successful-session-count\":0,\"total-failure-session-count\":1"),
            std::string::npos)
      << json;
}

TEST_F(TlsRptSenderTest, UnfinishedRunsAreCompletedAndOldFilesRemoved) {
  std::ofstream(dir_ / ("2026-09-19." + std::to_string(kNow - 86400) + ".sending"))
      << tls_report_line(event(kYesterday - 86400, "a.example", true));
  std::ofstream(dir_ / "2026-08-01.1785542400.reported") << "old\n";
  std::ofstream(dir_ / "2026-09-15.1789430400.reported") << "recent\n";
  std::ofstream(dir_ / "notes.txt") << "left alone\n";
  auto sender = make();
  EXPECT_EQ(sender.run_once(false, kNow), 2u);
  auto names = files();
  EXPECT_EQ(std::count(names.begin(), names.end(), "2026-08-01.1785542400.reported"), 0);
  EXPECT_EQ(std::count(names.begin(), names.end(), "2026-09-15.1789430400.reported"), 1);
  EXPECT_EQ(std::count(names.begin(), names.end(), "notes.txt"), 1);
  EXPECT_EQ(std::count_if(names.begin(), names.end(),
                          [](const std::string& n) { return n.ends_with(".sending"); }),
            0);
}

TEST_F(TlsRptSenderTest, RequestFileAndGzip) {
  EXPECT_EQ(request_tls_reports(dir_), "");
  EXPECT_TRUE(fs::exists(dir_ / "send-now"));
  const std::string text(10000, 'x');
  const std::string gz = gzip(text);
  ASSERT_GT(gz.size(), 10u);
  EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);  // RFC 1952 magic
  EXPECT_EQ(static_cast<unsigned char>(gz[1]), 0x8b);
  EXPECT_EQ(gunzip(gz), text);
}

}  // namespace
}  // namespace estafeta::smtp
