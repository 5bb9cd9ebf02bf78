// imap_sequence: sequence sets (RFC 9051 §9 sequence-set, RFC 5182 "$"): parsing with a bound
// on the number of ranges, and the helpers the session needs to apply them: expansion against
// the current highest number ('*' = highest, "4:2" = "2:4", UIDs above the highest clipped as
// RFC 9051 §6.4.8 says, so "559:*" always includes the last UID), membership, selection of
// existing UIDs, and the reverse, compressing UIDs into "1:3,7,9:12" for COPYUID (RFC 4315),
// VANISHED (RFC 7162) and ESEARCH ALL (RFC 4731). Trust: sets come from the peer; parsing keeps
// at most max_ranges ranges; expansion is bounded by `highest` (the caller's mailbox size for
// message numbers) or by the caller's UID list. Pure functions, no exceptions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "imap/proto/imap_command.hpp"

namespace estafeta::imap {

// Parses "1,3:5,7:*" or "$" (alone). Numbers are 1..4294967295 (nz-number), '*' is stored as
// 0. nullopt on bad syntax or more than max_ranges ranges.
std::optional<SequenceSet> parse_sequence_set(std::string_view text,
                                              std::size_t max_ranges = 10000);

// The set as text ("1:3,5,7:*", "$"), ranges as written except "n:n", written "n".
std::string format_sequence_set(const SequenceSet& set);

// Every number of the set in 1..highest, sorted, unique. '*' stands for highest; a range is
// normalized (4:2 = 2:4) and then clipped to highest. Empty when highest == 0 or set.saved.
// Memory: at most `highest` values.
std::vector<std::uint32_t> expand_sequence_set(const SequenceSet& set, std::uint32_t highest);

// True when `value` is in the set, with '*' = highest (after normalization, before clipping).
bool sequence_set_contains(const SequenceSet& set, std::uint32_t value, std::uint32_t highest);

// A set prepared for many membership tests (SEARCH over a whole mailbox): ranges resolved
// against `highest`, sorted and merged once; contains() is O(log ranges) where
// sequence_set_contains is O(ranges). Same answers as sequence_set_contains.
class SequenceMatcher {
 public:
  SequenceMatcher(const SequenceSet& set, std::uint32_t highest);
  bool contains(std::uint32_t value) const;

 private:
  std::vector<std::pair<std::uint32_t, std::uint32_t>> spans_;  // disjoint, ascending
};

// The UIDs of `uids` (sorted ascending, as the mailbox holds them) that the set designates,
// '*' being the last (largest) UID. Memory: at most uids.size() values.
std::vector<std::uint32_t> select_uids(const SequenceSet& set,
                                       const std::vector<std::uint32_t>& uids);

// True when every explicit number of the set is <= highest (message-number sets naming a
// message that does not exist are a BAD, RFC 9051 §6.4.5 / §9 seq-number).
bool sequence_set_within(const SequenceSet& set, std::uint32_t highest);

// The compact form of a list of numbers, in any order, duplicates allowed:
// {1,2,3,7,9,10,11,12} -> "1:3,7,9:12". "" for an empty list.
std::string compress_uids(std::vector<std::uint32_t> values);

}  // namespace estafeta::imap
