// smtp_tls_rpt_record: the TLS-RPT policy record (RFC 8460 §3), sans-I/O: the TXT record at
// _smtp._tls.<domain> ("v=TLSRPTv1; rua=mailto:reports@example.org,https://..."), which says
// where the sending MTA sends its daily TLS reports for that domain. Only the sender's side:
// mailto: addresses are decoded (percent-encoding, RFC 6068; a "?hfields" part is dropped),
// https: URIs are kept as text (the report generator does not post them).
// Trust: the record comes from the recipient domain's DNS: everything is checked and bounded;
// a malformed record means "no reporting", never a guess. Memory: inputs over
// kMaxTlsRptRecord octets are refused; at most kMaxTlsRptUris URIs are kept.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace estafeta::smtp {

inline constexpr std::size_t kMaxTlsRptRecord = 4096;  // octets of one record's text
inline constexpr std::size_t kMaxTlsRptUris = 8;       // rua URIs kept (more: ignored)

struct TlsRptRecord {
  std::vector<std::string> mailto;  // decoded addresses (local@domain) of mailto: URIs
  std::vector<std::string> https;   // https: URIs as given
  bool operator==(const TlsRptRecord&) const = default;
};

// One TXT record's text (its strings joined). nullopt when it is not a TLSRPTv1 record, has no
// rua field, a malformed field or URI, or no URI of a known scheme. Unknown fields
// ("tlsrpt-extension") are ignored; URIs of other schemes are skipped.
std::optional<TlsRptRecord> parse_tls_rpt_record(std::string_view txt);

// The record to use from all the TXT records at _smtp._tls.<domain>: records not starting
// with "v=TLSRPTv1;" are discarded; none or more than one left means the domain does not
// take reports (§3).
std::optional<TlsRptRecord> select_tls_rpt_record(const std::vector<std::string>& txts);

// "_smtp._tls." + domain (§3).
std::string tls_rpt_record_name(std::string_view domain);

}  // namespace estafeta::smtp
