// base64: straightforward table-driven implementation of base64.hpp.
#include "base/base64.hpp"

#include <array>
#include <cstdint>

namespace estafeta::base64 {
namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> make_table() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
  return t;
}
constexpr auto kTable = make_table();
}  // namespace

std::string encode(std::string_view in, std::size_t line_length) {
  std::string out;
  std::size_t n = (in.size() + 2) / 3 * 4;
  out.reserve(n + (line_length ? n / line_length * 2 : 0));
  std::size_t col = 0;
  auto put = [&](char c) {
    if (line_length && col == line_length) {
      out += "\r\n";
      col = 0;
    }
    out += c;
    ++col;
  };
  std::size_t i = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v = (p[i] << 16) | (p[i + 1] << 8) | p[i + 2];
    put(kAlphabet[(v >> 18) & 63]);
    put(kAlphabet[(v >> 12) & 63]);
    put(kAlphabet[(v >> 6) & 63]);
    put(kAlphabet[v & 63]);
  }
  if (std::size_t rest = in.size() - i) {
    uint32_t v = p[i] << 16;
    if (rest == 2) v |= p[i + 1] << 8;
    put(kAlphabet[(v >> 18) & 63]);
    put(kAlphabet[(v >> 12) & 63]);
    put(rest == 2 ? kAlphabet[(v >> 6) & 63] : '=');
    put('=');
  }
  return out;
}

std::size_t decode(std::string_view in, std::string& out) {
  std::size_t before = out.size();
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    int8_t v = kTable[c];
    if (v < 0) continue;  // whitespace, padding, junk: skipped
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out.size() - before;
}

bool decode_strict(std::string_view in, std::string& out) {
  if (in.size() % 4 != 0) return false;
  std::size_t pad = 0;
  if (!in.empty() && in.back() == '=') pad = (in.size() >= 2 && in[in.size() - 2] == '=') ? 2 : 1;
  for (std::size_t i = 0; i < in.size() - pad; ++i)
    if (kTable[static_cast<unsigned char>(in[i])] < 0) return false;
  out.clear();
  decode(in.substr(0, in.size() - pad), out);
  return true;
}

}  // namespace estafeta::base64
