// fuzz_dns_rdata: the DNS rdata parsers (MX, TLSA, TXT, A, AAAA, names) on arbitrary octets,
// as a resolver could hand them over from a hostile zone, then the route planner fed the same
// octets as MX and address records. Checks: no read past the input, names within RFC 1035
// bounds, a parsed MX exchange never empty, a plan's attempts within the configured cap.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "dns/proto/dns_answer.hpp"
#include "dns/proto/dns_rdata.hpp"
#include "dns/proto/dns_route_plan.hpp"

using namespace estafeta::dns;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto mx = parse_mx(in)) {
    if (mx->exchange.empty() || mx->exchange.size() > 4 * kMaxNameOctets) std::abort();
  }
  (void)parse_tlsa(in);
  if (auto parts = parse_txt(in)) {
    std::size_t total = 0;
    for (auto& p : *parts) total += p.size();
    if (total > in.size()) std::abort();
  }
  (void)txt_joined(in);
  (void)parse_a(in);
  (void)parse_aaaa(in);
  std::size_t pos = 0;
  if (auto name = read_name(in, pos)) {
    if (pos > in.size() || pos > kMaxNameOctets) std::abort();
    (void)is_host_name(*name);
  }

  // The planner: records are the input cut at '\xff' octets; every MX answer and every
  // address answer gets them (most do not parse, which is the point).
  Answer answer;
  answer.status = AnswerStatus::data;
  for (std::size_t start = 0; start <= in.size() && answer.rdata.size() < kMaxRecords;) {
    auto cut = in.find('\xff', start);
    if (cut == std::string_view::npos) cut = in.size();
    answer.rdata.emplace_back(in.substr(start, cut - start));
    start = cut + 1;
  }
  RouteOptions options;
  options.max_mx_hosts = 4;
  options.max_addresses = 6;
  options.seed = size;
  options.local_names = {"a"};
  auto plan = plan_route("example.com", options, nullptr, [&](const Query&) { return answer; });
  if (plan.outcome == RouteOutcome::pending) std::abort();
  if (plan.attempts.size() > options.max_addresses) std::abort();
  if ((plan.outcome == RouteOutcome::deliver) != !plan.attempts.empty()) std::abort();
  return 0;
}
