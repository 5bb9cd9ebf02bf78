// imap_mutf7: see imap_mutf7.hpp. Work in progress.
#include "imap/proto/imap_mutf7.hpp"

namespace estafeta::imap {

std::string mutf7_encode(std::string_view utf8) {
  return std::string(utf8);
}
std::optional<std::string> mutf7_decode(std::string_view m) {
  return std::string(m);
}
bool is_valid_utf8(std::string_view) {
  return true;
}

}  // namespace estafeta::imap
