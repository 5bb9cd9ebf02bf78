// imap_mutf7: see imap_mutf7.hpp. Modified UTF-7 is UTF-7 (RFC 2152) with "&" as the shift
// character, "," instead of "/" in the base64 alphabet, no padding, and every printable
// ASCII character (0x20-0x7e) written as itself ("&" as "&-"), RFC 3501 §5.1.3.
#include "imap/proto/imap_mutf7.hpp"

#include <cstdint>
#include <vector>

namespace estafeta::imap {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == ',') return 63;
  return -1;
}

// Decodes one UTF-8 sequence at text[i]; advances i. Returns U+FFFD (and one octet) when the
// sequence is not well-formed.
std::uint32_t next_code_point(std::string_view text, std::size_t& i) {
  auto b = static_cast<unsigned char>(text[i]);
  std::size_t n = 0;
  std::uint32_t cp = 0, min = 0;
  if (b < 0x80) {
    ++i;
    return b;
  } else if (b >= 0xc2 && b <= 0xdf) {
    n = 1, cp = b & 0x1f, min = 0x80;
  } else if (b >= 0xe0 && b <= 0xef) {
    n = 2, cp = b & 0x0f, min = 0x800;
  } else if (b >= 0xf0 && b <= 0xf4) {
    n = 3, cp = b & 0x07, min = 0x10000;
  } else {
    ++i;
    return 0xfffd;
  }
  if (text.size() - i - 1 < n) {
    ++i;
    return 0xfffd;
  }
  for (std::size_t k = 1; k <= n; ++k) {
    auto c = static_cast<unsigned char>(text[i + k]);
    if ((c & 0xc0) != 0x80) {
      ++i;
      return 0xfffd;
    }
    cp = (cp << 6) | (c & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
    ++i;
    return 0xfffd;
  }
  i += n + 1;
  return cp;
}

void put_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

// Writes UTF-16 units as modified base64 between "&" and "-".
void flush_units(std::string& out, std::vector<std::uint16_t>& units) {
  if (units.empty()) return;
  out += '&';
  std::uint32_t bits = 0;
  int nbits = 0;
  for (std::uint16_t u : units) {
    bits = (bits << 16) | u;
    nbits += 16;
    while (nbits >= 6) {
      nbits -= 6;
      out += kAlphabet[(bits >> nbits) & 0x3f];
    }
    bits &= (1u << nbits) - 1;
  }
  if (nbits > 0) out += kAlphabet[(bits << (6 - nbits)) & 0x3f];
  out += '-';
  units.clear();
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t start = i;
    std::uint32_t cp = next_code_point(text, i);
    // U+FFFD from one octet that is not EF BF BD is an error marker.
    if (cp == 0xfffd && i == start + 1) return false;
  }
  return true;
}

std::string mutf7_encode(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  std::vector<std::uint16_t> units;
  std::size_t i = 0;
  while (i < utf8.size()) {
    std::uint32_t cp = next_code_point(utf8, i);
    if (cp >= 0x20 && cp <= 0x7e) {
      flush_units(out, units);
      out += static_cast<char>(cp);
      if (cp == '&') out += '-';
    } else if (cp >= 0x10000) {
      cp -= 0x10000;
      units.push_back(static_cast<std::uint16_t>(0xd800 + (cp >> 10)));
      units.push_back(static_cast<std::uint16_t>(0xdc00 + (cp & 0x3ff)));
    } else {
      units.push_back(static_cast<std::uint16_t>(cp));
    }
  }
  flush_units(out, units);
  return out;
}

std::optional<std::string> mutf7_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  bool last_was_shift = false;  // the previous run was a base64 run (adjacent runs: invalid)
  std::size_t i = 0;
  while (i < in.size()) {
    char c = in[i];
    if (c < 0x20 || c > 0x7e) return std::nullopt;  // 8-bit or control: not modified UTF-7
    if (c != '&') {
      out += c;
      ++i;
      last_was_shift = false;
      continue;
    }
    ++i;
    if (i < in.size() && in[i] == '-') {  // "&-" is "&"
      out += '&';
      ++i;
      last_was_shift = false;
      continue;
    }
    if (last_was_shift) return std::nullopt;  // "&...-&...-": should have been one run
    std::uint32_t bits = 0;
    int nbits = 0;
    std::uint32_t high = 0;  // a pending high surrogate
    bool any = false;
    while (true) {
      if (i >= in.size()) return std::nullopt;  // unterminated
      char d = in[i++];
      if (d == '-') break;
      int v = b64_value(d);
      if (v < 0) return std::nullopt;
      any = true;
      bits = (bits << 6) | static_cast<std::uint32_t>(v);
      nbits += 6;
      if (nbits >= 16) {
        nbits -= 16;
        auto u = static_cast<std::uint16_t>((bits >> nbits) & 0xffff);
        bits &= (1u << nbits) - 1;
        if (high != 0) {
          if (u < 0xdc00 || u > 0xdfff) return std::nullopt;
          put_utf8(out, 0x10000 + ((high - 0xd800) << 10) + (u - 0xdc00));
          high = 0;
        } else if (u >= 0xd800 && u <= 0xdbff) {
          high = u;
        } else if ((u >= 0xdc00 && u <= 0xdfff) || (u >= 0x20 && u <= 0x7e)) {
          return std::nullopt;  // a lone low surrogate, or printable ASCII not written as itself
        } else {
          put_utf8(out, u);
        }
      }
    }
    // Leftover bits: fewer than 6 and all zero (RFC 2152 padding); no dangling surrogate.
    if (!any || nbits >= 6 || bits != 0 || high != 0) return std::nullopt;
    last_was_shift = true;
  }
  return out;
}

}  // namespace estafeta::imap
