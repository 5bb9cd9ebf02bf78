// store_folder_names: see store_folder_names.hpp.
#include "store/store_folder_names.hpp"

#include <cstdint>
#include <vector>

namespace estafeta::store {
namespace {

constexpr std::string_view kB64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

bool literal_ok(unsigned char c) {
  return c >= 0x20 && c <= 0x7e && c != '&' && c != '.';
}

// Decodes one UTF-8 code point at s[i]; advances i. Input is valid UTF-8 (checked names).
std::uint32_t next_cp(std::string_view s, std::size_t& i) {
  auto c = static_cast<unsigned char>(s[i++]);
  if (c < 0x80) return c;
  int n = (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : 3;
  std::uint32_t cp = c & (n == 1 ? 0x1f : n == 2 ? 0x0f : 0x07);
  for (int k = 0; k < n && i < s.size(); ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(s[i++]) & 0x3f);
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

}  // namespace

std::string encode_folder_component(std::string_view s) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '&') {
      out += "&-";
      ++i;
      continue;
    }
    if (literal_ok(c)) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    // A run of characters to encode: UTF-16BE, modified BASE64.
    std::vector<std::uint16_t> units;
    while (i < s.size() && !literal_ok(static_cast<unsigned char>(s[i])) && s[i] != '&') {
      std::uint32_t cp = next_cp(s, i);
      if (cp >= 0x10000) {
        cp -= 0x10000;
        units.push_back(static_cast<std::uint16_t>(0xd800 | (cp >> 10)));
        units.push_back(static_cast<std::uint16_t>(0xdc00 | (cp & 0x3ff)));
      } else {
        units.push_back(static_cast<std::uint16_t>(cp));
      }
    }
    out += '&';
    std::uint32_t acc = 0;
    int bits = 0;
    for (std::uint16_t u : units) {
      acc = (acc << 16) | u;
      bits += 16;
      while (bits >= 6) {
        bits -= 6;
        out += kB64[(acc >> bits) & 0x3f];
      }
    }
    if (bits > 0) out += kB64[(acc << (6 - bits)) & 0x3f];
    out += '-';
  }
  return out;
}

std::optional<std::string> decode_folder_component(std::string_view s) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c != '&') {
      if (c < 0x20 || c == 0x7f || c == '.' || c == '/') return std::nullopt;
      if (c >= 0x80) return std::nullopt;  // raw 8-bit names are not ours
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    std::size_t end = s.find('-', i + 1);
    if (end == std::string_view::npos) return std::nullopt;
    if (end == i + 1) {
      out += '&';
      i = end + 1;
      continue;
    }
    std::uint32_t acc = 0;
    int bits = 0;
    std::vector<std::uint16_t> units;
    for (std::size_t k = i + 1; k < end; ++k) {
      auto pos = kB64.find(s[k]);
      if (pos == std::string_view::npos) return std::nullopt;
      acc = (acc << 6) | static_cast<std::uint32_t>(pos);
      bits += 6;
      if (bits >= 16) {
        bits -= 16;
        units.push_back(static_cast<std::uint16_t>((acc >> bits) & 0xffff));
      }
    }
    if (bits >= 6 || (acc & ((1u << bits) - 1)) != 0 || units.empty()) return std::nullopt;
    for (std::size_t k = 0; k < units.size(); ++k) {
      std::uint32_t u = units[k];
      if (u >= 0xd800 && u <= 0xdbff) {
        if (k + 1 >= units.size() || units[k + 1] < 0xdc00 || units[k + 1] > 0xdfff)
          return std::nullopt;
        u = 0x10000 + ((u - 0xd800) << 10) + (units[++k] - 0xdc00);
      } else if (u >= 0xdc00 && u <= 0xdfff) {
        return std::nullopt;
      }
      if (u < 0x20 || (u >= 0x7f && u <= 0x9f)) return std::nullopt;
      put_utf8(out, u);
    }
    i = end + 1;
  }
  return out;
}

std::string folder_dir_of(std::string_view name) {
  if (name == "INBOX") return "";
  std::string out;
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    out += '.';
    out += encode_folder_component(name.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::optional<std::string> mailbox_of_folder_dir(std::string_view dir) {
  if (dir.empty()) return std::string("INBOX");
  if (dir.front() != '.') return std::nullopt;
  std::string out;
  std::size_t start = 1;
  while (start <= dir.size()) {
    std::size_t end = dir.find('.', start);
    if (end == std::string_view::npos) end = dir.size();
    auto comp = decode_folder_component(dir.substr(start, end - start));
    if (!comp || comp->empty() || *comp == "." || *comp == "..") return std::nullopt;
    if (!out.empty()) out += '/';
    out += *comp;
    start = end + 1;
  }
  return out;
}

}  // namespace estafeta::store
