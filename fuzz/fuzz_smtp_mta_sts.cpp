// fuzz_smtp_mta_sts: the MTA-STS (RFC 8461) parsers on arbitrary octets, as a hostile web
// server or zone could hand them over: the policy file, the TXT record (the input and its
// lines as several records), and MX matching of every parsed pattern against the input's
// first line. Checks: a parsed policy keeps its bounds (patterns, max_age, non-empty mx
// unless mode none), a parsed id is 1-32 alphanumerics, matching never reads out of bounds;
// then the fetch's HTTP response (a body never larger than 64 KiB or the input) and the
// cache file parsers.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/proto/smtp_mta_sts.hpp"
#include "smtp/proto/smtp_mta_sts_fetch.hpp"

using namespace estafeta::smtp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string error;
  if (auto p = parse_sts_policy(in, error)) {
    if (p->mx.size() > kMaxStsPatterns || p->max_age > kMaxStsMaxAge) std::abort();
    if (p->mode != StsPolicy::Mode::none && p->mx.empty()) std::abort();
    const std::string_view host = in.substr(0, in.find('\n'));
    for (const auto& m : p->mx) {
      if (m.empty() || m.size() > 253) std::abort();
      (void)sts_mx_matches(m, host);
    }
    (void)sts_mx_allowed(*p, host);
  }
  if (auto r = parse_sts_record(in)) {
    if (r->id.empty() || r->id.size() > 32) std::abort();
  }
  std::vector<std::string> records;
  for (std::size_t start = 0; start <= in.size() && records.size() < 8;) {
    auto nl = in.find('\n', start);
    if (nl == std::string_view::npos) nl = in.size();
    records.emplace_back(in.substr(start, nl - start));
    start = nl + 1;
  }
  (void)select_sts_record(records);
  (void)sts_mx_matches(in, in);
  // The policy fetch's HTTP response and the cache file, from the same octets.
  if (auto body = sts_http_body(in, error)) {
    if (body->size() > kMaxStsPolicy || body->size() > in.size()) std::abort();
  }
  if (auto cached = parse_sts_cache(in)) {
    if (cached->domain.empty() || cached->id.empty()) std::abort();
    (void)sts_needs_fetch(cached, parse_sts_record(in), static_cast<std::int64_t>(size));
  }
  return 0;
}
