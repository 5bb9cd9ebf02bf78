// imap_search_parser: see imap_search_parser.hpp. Work in progress.
#include "imap/proto/imap_search_parser.hpp"

namespace estafeta::imap {

std::optional<Search> parse_search_arguments(std::string_view, const Limits&, std::string* error) {
  if (error) *error = "Not implemented yet";
  return std::nullopt;
}

}  // namespace estafeta::imap
