// fuzz_imap_sequence: the sequence-set parser and helpers (src/imap/proto/imap_sequence) on
// arbitrary text. Checks: parse/format/parse round trip, expansion sorted, unique,
// within 1..highest and agreeing with sequence_set_contains, select_uids a subset of the UID list,
// and compress_uids giving back the same numbers.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "imap/proto/imap_sequence.hpp"

using namespace estafeta::imap;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto set = parse_sequence_set(in, 50);
  if (!set) return 0;
  check(set->ranges.size() <= 50);
  check(set->saved == (in == "$"));
  // Formatting keeps every range as written except "n:n", which becomes "n".
  std::string text = format_sequence_set(*set);
  auto again = parse_sequence_set(text, 50);
  check(again && format_sequence_set(*again) == text && text.size() <= in.size());
  for (std::uint32_t highest : {0u, 1u, 7u, 300u}) {
    std::vector<std::uint32_t> v = expand_sequence_set(*set, highest);
    check(v.size() <= highest);
    check(std::is_sorted(v.begin(), v.end()));
    check(std::adjacent_find(v.begin(), v.end()) == v.end());
    check(expand_sequence_set(*again, highest) == v);
    SequenceMatcher matcher(*set, highest);
    for (std::uint32_t x = 1; x <= highest; ++x) {
      bool in_v = std::binary_search(v.begin(), v.end(), x);
      check(in_v == sequence_set_contains(*set, x, highest));
      check(in_v == matcher.contains(x));
    }
    for (std::uint32_t x : {0u, highest + 1, 1000000u, 4294967295u})
      check(matcher.contains(x) == sequence_set_contains(*set, x, highest));
    std::string c = compress_uids(v);
    if (!v.empty()) {
      auto back = parse_sequence_set(c, 1000);
      check(back.has_value());
      check(expand_sequence_set(*back, highest) == v);
    } else {
      check(c.empty());
    }
  }
  std::vector<std::uint32_t> uids{2, 3, 5, 8, 13, 21, 34, 55, 89, 4000000000u};
  std::vector<std::uint32_t> sel = select_uids(*set, uids);
  check(std::is_sorted(sel.begin(), sel.end()));
  for (std::uint32_t u : sel) {
    check(std::binary_search(uids.begin(), uids.end(), u));
    check(sequence_set_contains(*set, u, uids.back()));
  }
  return 0;
}
