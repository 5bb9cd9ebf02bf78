// smtp_tls_report: the data behind SMTP TLS reports (TLS-RPT, RFC 8460), sans-I/O: one
// outcome of one connection attempt of the sending MTA, as a JSON line for a per-day file
// (<data_dir>/tls-rpt/YYYY-MM-DD.jsonl, written by smtp_tls_report_writer.hpp). A report
// (RFC 8460 §4) is the count per policy domain and policy type of successful sessions and of
// failures by result type; the lines hold exactly that, one per attempt, so a report
// generator only has to count. Sending reports is not done here.
// Trust: the fields come from our own decisions plus DNS names and the peer's address;
// strings are JSON-escaped (control characters as \u00XX), so a line never breaks. Memory:
// one line, bounded by its fields (host names are bounded by DNS, detail by kMaxDetail).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace estafeta::smtp {

inline constexpr std::size_t kMaxTlsReportDetail = 512;

struct TlsReportEvent {
  std::int64_t time = 0;      // unix seconds
  std::string policy_domain;  // the recipient domain (RFC 8460 §4.4 "policy-domain")
  // RFC 8460 §4.4 "policy-type": "tlsa" (DANE), "sts" (MTA-STS), "no-policy-found".
  std::string policy_type = "no-policy-found";
  bool success = false;
  // RFC 8460 §4.3 result type for a failure: "starttls-not-supported", "certificate-host-
  // mismatch", "certificate-expired", "certificate-not-trusted", "validation-failure",
  // "tlsa-invalid", "dnssec-invalid", "dane-required", "sts-policy-fetch-error",
  // "sts-policy-invalid", "sts-webpki-invalid"; "" on success.
  std::string result_type;
  std::string mx_host;     // "receiving-mx-hostname"
  std::string ip;          // "receiving-ip"
  std::string sending_ip;  // "sending-mta-ip": our end of the connection ("" = not known)
  std::string detail;      // "additional-information" (cut to kMaxTlsReportDetail)
};

// One line (with its final '\n'): {"time":...,"policy-domain":"...","policy-type":"...",
// "success":true|false,"result-type":"...","receiving-mx-hostname":"...","receiving-ip":"...",
// "detail":"..."[,"sending-mta-ip":"..."]} (the last one when known; older lines lack it).
std::string tls_report_line(const TlsReportEvent& e);

// The day file of an event: "YYYY-MM-DD.jsonl" (UTC; RFC 8460 reports cover UTC days).
std::string tls_report_file_name(std::int64_t unix_time);

// JSON string escaping (RFC 8259 §7) of `s`, without the quotes.
std::string json_escape(std::string_view s);

}  // namespace estafeta::smtp
