// mime_message: small accessors of mime::Message (see mime_message.hpp).
#include "mime/mime_message.hpp"

namespace estafeta::mime {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    unsigned char x = static_cast<unsigned char>(a[i]);
    unsigned char y = static_cast<unsigned char>(b[i]);
    if (x == y) continue;
    if (x >= 'A' && x <= 'Z') x = static_cast<unsigned char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<unsigned char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

const HeaderField* Message::find_field(const Part& p, std::string_view name) const {
  for (const HeaderField& f : fields_of(p))
    if (iequals(f.name, name)) return &f;
  return nullptr;
}

std::uint32_t Message::child(std::uint32_t p, std::uint32_t n) const {
  if (p >= parts.size() || n == 0) return kNoPart;
  std::uint32_t c = parts[p].first_child;
  for (std::uint32_t i = 1; i < n && c != kNoPart; ++i) c = parts[c].next_sibling;
  return c;
}

}  // namespace estafeta::mime
