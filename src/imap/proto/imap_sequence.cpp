// imap_sequence: see imap_sequence.hpp. Work in progress.
#include "imap/proto/imap_sequence.hpp"

namespace estafeta::imap {

std::optional<SequenceSet> parse_sequence_set(std::string_view, std::size_t) {
  return std::nullopt;
}
std::string format_sequence_set(const SequenceSet&) {
  return "";
}
std::vector<std::uint32_t> expand_sequence_set(const SequenceSet&, std::uint32_t) {
  return {};
}
bool sequence_set_contains(const SequenceSet&, std::uint32_t, std::uint32_t) {
  return false;
}
std::vector<std::uint32_t> select_uids(const SequenceSet&, const std::vector<std::uint32_t>&) {
  return {};
}
bool sequence_set_within(const SequenceSet&, std::uint32_t) {
  return false;
}
std::string compress_uids(std::vector<std::uint32_t>) {
  return "";
}

}  // namespace estafeta::imap
