// imap_parser: see imap_parser.hpp. Work in progress.
#include "imap/proto/imap_parser.hpp"

namespace estafeta::imap {

ParseResult parse_command(std::string_view, const Limits&) {
  ParseResult r;
  r.error.text = "Not implemented yet";
  return r;
}

}  // namespace estafeta::imap
