// fuzz_smtp_tls_rpt: the TLS-RPT (RFC 8460) parsers on arbitrary octets: the _smtp._tls TXT
// record as a hostile zone could publish it (the input, and its lines as several records),
// and a day-file line read back (a damaged or hand-edited file). Checks: a parsed record has
// 1-8 URIs, every mailto address has exactly one '@' with both sides non-empty and no
// control character, space, ',' or ';'; a line read back has a non-empty domain, a known
// policy type and a result type when it failed, and it survives counting and the JSON
// report.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/proto/smtp_tls_rpt_record.hpp"
#include "smtp/proto/smtp_tls_rpt_report.hpp"

using namespace estafeta::smtp;

namespace {

void check(const TlsRptRecord& r) {
  const std::size_t n = r.mailto.size() + r.https.size();
  if (n == 0 || n > kMaxTlsRptUris) std::abort();
  for (const auto& a : r.mailto) {
    const auto at = a.find('@');
    if (at == std::string::npos || at == 0 || at + 1 == a.size() ||
        a.find('@', at + 1) != std::string::npos || a.size() > 254)
      std::abort();
    for (char c : a) {
      const auto u = static_cast<unsigned char>(c);
      if (u <= 0x20 || u == 0x7f || c == ',' || c == ';') std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto r = parse_tls_rpt_record(in)) check(*r);
  std::vector<std::string> records;
  for (std::size_t start = 0; start <= in.size() && records.size() < 8;) {
    auto nl = in.find('\n', start);
    if (nl == std::string_view::npos) nl = in.size();
    records.emplace_back(in.substr(start, nl - start));
    start = nl + 1;
  }
  if (auto r = select_tls_rpt_record(records)) check(*r);
  TlsRptAggregate agg(4, 4);
  for (const auto& line : records) {
    auto e = parse_tls_report_line(line);
    if (!e) continue;
    if (e->policy_domain.empty() || (!e->success && e->result_type.empty())) std::abort();
    if (e->policy_type != "tlsa" && e->policy_type != "sts" && e->policy_type != "no-policy-found")
      std::abort();
    agg.add(*e);
  }
  if (agg.domains().size() > 4) std::abort();
  for (const auto& [name, d] : agg.domains()) {
    const std::string json = build_tls_rpt_json(d, TlsRptInfo{"o", "c", "id", "h", 0, 1});
    if (json.empty() || json.front() != '{' || json.back() != '}') std::abort();
  }
  return 0;
}
