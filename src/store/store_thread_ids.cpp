// store_thread_ids: see the header.
#include "store/store_thread_ids.hpp"

#include <algorithm>
#include <cstdint>

namespace estafeta::store {

std::vector<std::string_view> thread_link_ids(const SortKeys& keys) {
  std::vector<std::string_view> out;
  auto add = [&](std::string_view id) {
    if (id.empty() || id.size() > kMaxThreadIdLength) return;
    if (std::find(out.begin(), out.end(), id) != out.end()) return;
    out.push_back(id);
  };
  // SortKeys::references: oldest first, separated by single spaces; walk it from the end.
  std::string_view refs = keys.references;
  std::size_t looked = 0;
  while (!refs.empty() && looked < kMaxThreadLinks) {
    const std::size_t sp = refs.rfind(' ');
    const std::string_view id = sp == std::string_view::npos ? refs : refs.substr(sp + 1);
    refs = sp == std::string_view::npos ? std::string_view() : refs.substr(0, sp);
    add(id);
    ++looked;
  }
  add(keys.message_id);
  return out;
}

std::string new_thread_id(std::string_view email_id) {
  static constexpr char kHex[] = "0123456789abcdef";
  const bool own_form = email_id.size() == 17 && email_id[0] == 'M' &&
                        std::all_of(email_id.begin() + 1, email_id.end(), [](char c) {
                          return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                        });
  std::string out = "T";
  if (own_form) {
    out.append(email_id.substr(1));
    return out;
  }
  std::uint64_t h = 14695981039346656037ull;  // FNV-1a
  for (unsigned char c : email_id) {
    h ^= c;
    h *= 1099511628211ull;
  }
  for (int i = 15; i >= 0; --i) out += kHex[(h >> (4 * i)) & 0xF];
  return out;
}

}  // namespace estafeta::store
