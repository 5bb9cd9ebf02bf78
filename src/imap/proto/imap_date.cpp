// imap_date: see imap_date.hpp. Work in progress.
#include "imap/proto/imap_date.hpp"

namespace estafeta::imap {

std::optional<std::int64_t> parse_date(std::string_view) {
  return std::nullopt;
}
std::optional<std::int64_t> parse_date_time(std::string_view, int*) {
  return std::nullopt;
}
std::string format_date_time(std::int64_t, int) {
  return "";
}
std::int64_t days_from_civil(std::int64_t, unsigned, unsigned) {
  return 0;
}

}  // namespace estafeta::imap
