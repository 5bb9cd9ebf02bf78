// smtp_tls_rpt_report: TLS reports (RFC 8460 §4, §5.3) from the recorded TLS-RPT events,
// sans-I/O: reading back the day-file lines of smtp_tls_report.hpp, counting them per policy
// domain and policy type (successful sessions, failed sessions, failure details grouped by
// result type, receiving MX host and IP), the report's JSON (§4.4: organization-name,
// date-range, contact-info, report-id, policies with summary and failure-details) and the
// report mail (§5.3: multipart/report; report-type="tlsrpt", TLS-Report-Domain and
// TLS-Report-Submitter fields, the gzipped JSON as an application/tlsrpt+gzip attachment
// named per §5.1). gzip and DNS are the caller's (smtp_tls_rpt_sender.hpp).
// Not recorded, so not reported: the policy strings and mx-host lists of a policy (§4.4
// "policy-string", "mx-host"); "sending-mta-ip" only where the line has it.
// Trust: day-file lines are our own but read from disk: parsed strictly, bounded, a bad line
// is skipped; names and texts from DNS and peers are JSON-escaped and header values are kept
// to one line. Memory: an aggregate holds at most max_domains domains, 3 policy types each,
// max_details failure groups per policy (more failures are counted, not detailed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/proto/smtp_tls_report.hpp"

namespace estafeta::smtp {

inline constexpr std::size_t kMaxTlsReportLine = 8192;  // longer day-file lines are skipped

// One line written by tls_report_line() (its '\n' optional) back into an event; nullopt when
// it is not such a line (malformed JSON, a missing or mistyped field, over kMaxTlsReportLine).
std::optional<TlsReportEvent> parse_tls_report_line(std::string_view line);

struct TlsRptFailure {
  std::string result_type, mx_host, ip, sending_ip;
  std::string detail;  // the first one seen (RFC 8460 "additional-information")
  std::uint64_t count = 0;
};

struct TlsRptPolicy {
  std::string type;  // "tlsa", "sts", "no-policy-found"
  std::uint64_t successes = 0, failures = 0;
  std::vector<TlsRptFailure> details;
};

struct TlsRptDomain {
  std::string domain;
  std::vector<TlsRptPolicy> policies;  // in the order first seen
  std::int64_t first = 0, last = 0;    // times of the first and last event
};

class TlsRptAggregate {
 public:
  explicit TlsRptAggregate(std::size_t max_domains = 10000, std::size_t max_details = 100)
      : max_domains_(max_domains), max_details_(max_details) {}
  // Counts `e`. An event of a domain past max_domains is dropped (counted in dropped()).
  void add(const TlsReportEvent& e);
  const std::map<std::string, TlsRptDomain>& domains() const { return domains_; }
  std::uint64_t dropped() const { return dropped_; }

 private:
  std::size_t max_domains_, max_details_;
  std::map<std::string, TlsRptDomain> domains_;
  std::uint64_t dropped_ = 0;
};

// "2026-12-02T00:00:00Z" (RFC 3339 date-time in UTC, as §4.4 date-range wants).
std::string tls_rpt_datetime(std::int64_t unix_time);

struct TlsRptInfo {
  std::string organization;         // "organization-name"
  std::string contact;              // "contact-info"
  std::string report_id;            // "report-id"
  std::string submitter;            // our host name (§5.3 TLS-Report-Submitter)
  std::int64_t start = 0, end = 0;  // the date range, unix seconds (inclusive)
};

// The report of one policy domain (RFC 8460 §4.4), one JSON object.
std::string build_tls_rpt_json(const TlsRptDomain& d, const TlsRptInfo& info);

struct TlsRptMail {
  std::string from;        // From address, e.g. MAILER-DAEMON@<host>
  std::string to;          // the rua mailto: address
  std::string date;        // RFC 5322 Date value
  std::string message_id;  // without angle brackets
  std::string boundary;    // a MIME boundary not in the content (the caller's random)
};

// The report mail (§5.3) with `gz` (the gzipped JSON) attached: CRLF line ends, base64 at
// 76 columns. The attachment is named "<submitter>!<domain>!<start>!<end>.json.gz" (§5.1).
std::string build_tls_rpt_message(const TlsRptDomain& d, const TlsRptInfo& info,
                                  const TlsRptMail& mail, std::string_view gz);

}  // namespace estafeta::smtp
