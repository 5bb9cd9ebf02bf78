// smtp_tls_report: TLS-RPT event lines (see the header).
#include "smtp/proto/smtp_tls_report.hpp"

#include <cstdio>

namespace estafeta::smtp {
namespace {

// Days since 1970-01-01 to a civil date (H. Hinnant's algorithm).
void civil_from_days(std::int64_t z, int& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0));
}

}  // namespace

std::string json_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += ch;  // UTF-8 passes through; invalid octets are the reader's to replace
    }
  }
  return out;
}

std::string tls_report_line(const TlsReportEvent& e) {
  std::string detail = e.detail.substr(0, kMaxTlsReportDetail);
  std::string out = "{\"time\":" + std::to_string(e.time);
  out += ",\"policy-domain\":\"" + json_escape(e.policy_domain) + "\"";
  out += ",\"policy-type\":\"" + json_escape(e.policy_type) + "\"";
  out += std::string(",\"success\":") + (e.success ? "true" : "false");
  out += ",\"result-type\":\"" + json_escape(e.result_type) + "\"";
  out += ",\"receiving-mx-hostname\":\"" + json_escape(e.mx_host) + "\"";
  out += ",\"receiving-ip\":\"" + json_escape(e.ip) + "\"";
  out += ",\"detail\":\"" + json_escape(detail) + "\"";
  if (!e.sending_ip.empty()) out += ",\"sending-mta-ip\":\"" + json_escape(e.sending_ip) + "\"";
  out += "}\n";
  return out;
}

std::string tls_report_file_name(std::int64_t unix_time) {
  std::int64_t days = unix_time / 86400;
  if (unix_time < 0 && unix_time % 86400 != 0) --days;
  int y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(days, y, m, d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u.jsonl", y, m, d);
  return buf;
}

}  // namespace estafeta::smtp
