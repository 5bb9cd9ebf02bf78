// auth_address: see auth_address.hpp.
#include "auth/auth_address.hpp"

#include <cstring>

namespace estafeta::auth {

namespace {

bool is_ctl_or_space(unsigned char c) {
  return c <= 0x20 || c == 0x7f;
}

// RFC 5322 §3.2.3 atext, minus '/', plus UTF-8 octets (RFC 6532).
bool is_account_atext(unsigned char c) {
  if (c >= 0x80) return true;
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c != 0 && std::strchr("!#$%&'*+-=?^_`{|}~", c) != nullptr;
}

}  // namespace

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::optional<Address> parse_address(std::string_view address) {
  if (address.size() > 64 + 1 + 255) return std::nullopt;
  auto at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size()) return std::nullopt;
  std::string_view local = address.substr(0, at);
  std::string_view domain = address.substr(at + 1);
  if (local.size() > 64 || domain.size() > 255) return std::nullopt;
  for (unsigned char c : address)
    if (is_ctl_or_space(c)) return std::nullopt;
  Address a;
  a.original_local = std::string(local);
  a.local = ascii_lower(local);
  a.domain = ascii_lower(domain);
  if (!a.domain.empty() && a.domain.back() == '.') a.domain.pop_back();  // FQDN form
  if (a.domain.empty()) return std::nullopt;
  return a;
}

std::optional<std::string> normalize_domain(std::string_view domain) {
  std::string d = ascii_lower(domain);
  if (!d.empty() && d.back() == '.') d.pop_back();
  if (d.empty() || d.size() > 253) return std::nullopt;
  std::size_t label = 0;
  for (std::size_t i = 0; i < d.size(); ++i) {
    auto c = static_cast<unsigned char>(d[i]);
    if (c == '.') {
      if (label == 0 || d[i - 1] == '-') return std::nullopt;
      label = 0;
      continue;
    }
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80 || (c == '-' && label > 0);
    if (!ok || ++label > 63) return std::nullopt;
  }
  if (label == 0 || d.back() == '-') return std::nullopt;
  return d;
}

std::optional<Address> parse_account(std::string_view address) {
  auto a = parse_address(address);
  if (!a) return std::nullopt;
  auto d = normalize_domain(a->domain);
  if (!d) return std::nullopt;
  a->domain = *d;
  const std::string& l = a->local;
  if (l.front() == '.' || l.back() == '.' || l.find("..") != std::string::npos) return std::nullopt;
  for (unsigned char c : l)
    if (c != '.' && !is_account_atext(c)) return std::nullopt;
  return a;
}

bool valid_folder_name(std::string_view name) {
  if (name.empty() || name.size() > 100 || name.front() == '.') return false;
  if (name.find("..") != std::string_view::npos) return false;
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f || c == '/') return false;
  return true;
}

}  // namespace estafeta::auth
