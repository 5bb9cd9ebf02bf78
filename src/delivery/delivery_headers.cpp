// delivery_headers: see delivery_headers.hpp.
#include "delivery/delivery_headers.hpp"

#include <cstring>

namespace estafeta::delivery {

namespace {

// RFC 5322 §3.2.3 atext, plus UTF-8 octets (RFC 6531 §3.3).
bool is_atext(unsigned char c) {
  if (c >= 0x80) return true;
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c != 0 && std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr;
}

bool is_dot_atom(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  char prev = 0;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '.') {
      if (prev == '.') return false;
    } else if (!is_atext(c)) {
      return false;
    }
    prev = ch;
  }
  return true;
}

bool is_header_safe(unsigned char c) {
  return c >= 0x20 && c != 0x7f;
}

std::string strip_unsafe(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s)
    if (is_header_safe(static_cast<unsigned char>(c))) out += c;
  return out;
}

}  // namespace

std::string smtp_path_address(std::string_view address) {
  if (address.empty()) return "";
  auto at = address.rfind('@');
  std::string_view local = at == std::string_view::npos ? address : address.substr(0, at);
  std::string_view domain = at == std::string_view::npos ? "" : address.substr(at);
  std::string out;
  if (is_dot_atom(local)) {
    out = std::string(local);
  } else {
    out = "\"";
    for (char ch : local) {
      auto c = static_cast<unsigned char>(ch);
      if (!is_header_safe(c)) continue;
      if (c == '"' || c == '\\') out += '\\';
      out += ch;
    }
    out += '"';
  }
  return out + strip_unsafe(domain);
}

std::string trace_headers(std::string_view return_path, std::string_view delivered_to) {
  std::string h = "Return-Path: <" + smtp_path_address(return_path) + ">\r\n";
  if (!delivered_to.empty()) h += "Delivered-To: " + smtp_path_address(delivered_to) + "\r\n";
  return h;
}

}  // namespace estafeta::delivery
