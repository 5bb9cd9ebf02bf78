// imap_sequence: see imap_sequence.hpp.
#include "imap/proto/imap_sequence.hpp"

#include <algorithm>

namespace estafeta::imap {
namespace {

// nz-number / "*" (0). Advances pos.
bool seq_number(std::string_view s, std::size_t& pos, std::uint32_t& out) {
  if (pos < s.size() && s[pos] == '*') {
    ++pos;
    out = 0;
    return true;
  }
  if (pos >= s.size() || s[pos] < '1' || s[pos] > '9') return false;
  std::uint64_t n = 0;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
    n = n * 10 + static_cast<std::uint64_t>(s[pos] - '0');
    if (n > 0xffffffffULL) return false;
    ++pos;
  }
  out = static_cast<std::uint32_t>(n);
  return true;
}

// The range with '*' resolved to highest and its ends in order.
std::pair<std::uint32_t, std::uint32_t> resolve(const SeqRange& r, std::uint32_t highest) {
  std::uint32_t a = r.first == 0 ? highest : r.first;
  std::uint32_t b = r.last == 0 ? highest : r.last;
  if (a > b) std::swap(a, b);
  return {a, b};
}

}  // namespace

std::optional<SequenceSet> parse_sequence_set(std::string_view text, std::size_t max_ranges) {
  SequenceSet set;
  if (text == "$") {
    set.saved = true;
    return set;
  }
  std::size_t pos = 0;
  while (true) {
    SeqRange r;
    if (!seq_number(text, pos, r.first)) return std::nullopt;
    r.last = r.first;
    if (pos < text.size() && text[pos] == ':') {
      ++pos;
      if (!seq_number(text, pos, r.last)) return std::nullopt;
    }
    if (set.ranges.size() >= max_ranges) return std::nullopt;
    set.ranges.push_back(r);
    if (pos == text.size()) return set;
    if (text[pos] != ',') return std::nullopt;
    ++pos;
  }
}

std::string format_sequence_set(const SequenceSet& set) {
  if (set.saved) return "$";
  std::string out;
  auto num = [&](std::uint32_t n) {
    if (n == 0) {
      out += '*';
    } else {
      out += std::to_string(n);
    }
  };
  for (const SeqRange& r : set.ranges) {
    if (!out.empty()) out += ',';
    num(r.first);
    if (r.last != r.first) {
      out += ':';
      num(r.last);
    }
  }
  return out;
}

std::vector<std::uint32_t> expand_sequence_set(const SequenceSet& set, std::uint32_t highest) {
  std::vector<std::uint32_t> out;
  if (set.saved || highest == 0) return out;
  // Mark ranges on a sorted list of intervals, then write them out once each.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> spans;
  spans.reserve(set.ranges.size());
  for (const SeqRange& r : set.ranges) {
    auto [a, b] = resolve(r, highest);
    if (a > highest) continue;  // wholly above: nothing (RFC 9051 §6.4.8 clipping)
    spans.emplace_back(a, std::min(b, highest));
  }
  std::sort(spans.begin(), spans.end());
  std::uint64_t next = 1;  // the smallest value not yet written
  for (auto [a, b] : spans) {
    std::uint64_t from = std::max<std::uint64_t>(a, next);
    for (std::uint64_t v = from; v <= b; ++v) out.push_back(static_cast<std::uint32_t>(v));
    next = std::max<std::uint64_t>(next, static_cast<std::uint64_t>(b) + 1);
  }
  return out;
}

bool sequence_set_contains(const SequenceSet& set, std::uint32_t value, std::uint32_t highest) {
  if (set.saved) return false;
  for (const SeqRange& r : set.ranges) {
    auto [a, b] = resolve(r, highest);
    if (value >= a && value <= b) return true;
  }
  return false;
}

// The ranges of a set resolved against highest, sorted, with overlapping or adjacent ones merged.
std::vector<std::pair<std::uint32_t, std::uint32_t>> merged_spans(const SequenceSet& set,
                                                                  std::uint32_t highest) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> spans, merged;
  if (set.saved) return merged;
  spans.reserve(set.ranges.size());
  for (const SeqRange& r : set.ranges) spans.push_back(resolve(r, highest));
  std::sort(spans.begin(), spans.end());
  for (auto s : spans) {
    if (!merged.empty() && static_cast<std::uint64_t>(s.first) <=
                               static_cast<std::uint64_t>(merged.back().second) + 1) {
      merged.back().second = std::max(merged.back().second, s.second);
    } else {
      merged.push_back(s);
    }
  }
  return merged;
}

SequenceMatcher::SequenceMatcher(const SequenceSet& set, std::uint32_t highest)
    : spans_(merged_spans(set, highest)) {}

bool SequenceMatcher::contains(std::uint32_t value) const {
  // The last span starting at or before value.
  auto it = std::upper_bound(spans_.begin(), spans_.end(), value,
                             [](std::uint32_t v, const auto& span) { return v < span.first; });
  if (it == spans_.begin()) return false;
  --it;
  return value <= it->second;
}

std::vector<std::uint32_t> select_uids(const SequenceSet& set,
                                       const std::vector<std::uint32_t>& uids) {
  std::vector<std::uint32_t> out;
  if (set.saved || uids.empty()) return out;
  // Merged spans, then one walk over both sorted sequences.
  auto merged = merged_spans(set, uids.back());
  auto it = uids.begin();
  for (auto [a, b] : merged) {
    it = std::lower_bound(it, uids.end(), a);
    while (it != uids.end() && *it <= b) out.push_back(*it++);
    if (it == uids.end()) break;
  }
  return out;
}

bool sequence_set_within(const SequenceSet& set, std::uint32_t highest) {
  for (const SeqRange& r : set.ranges) {
    if (r.first > highest || r.last > highest) return false;
  }
  return true;
}

std::string compress_uids(std::vector<std::uint32_t> values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  std::string out;
  std::size_t i = 0;
  while (i < values.size()) {
    std::size_t j = i;
    while (j + 1 < values.size() && values[j + 1] == values[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(values[i]);
    if (j > i) {
      out += ':';
      out += std::to_string(values[j]);
    }
    i = j + 1;
  }
  return out;
}

}  // namespace estafeta::imap
