// fuzz_base_base64: hostile text into the tolerant base64 decoder. Checks that the AVX2,
// scalar and byte-at-a-time layers agree with a plain reference decoder on every input, that
// decode_strict only accepts what the tolerant decoder reads the same way, and that any
// bytes survive encode -> decode with and without line wrapping.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/base64.hpp"

namespace estafeta::base64 {
std::size_t decode_to_scalar_for_test(std::string_view in, char* out);
}

namespace {

std::string reference_decode(std::string_view in) {
  std::string out;
  uint32_t acc = 0;
  int have = 0;
  auto value = [](unsigned char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  auto flush = [&] {
    if (have >= 2) out += static_cast<char>(acc >> (6 * have - 8));
    if (have >= 3) out += static_cast<char>(acc >> (6 * have - 16));
    acc = 0;
    have = 0;
  };
  for (unsigned char c : in) {
    if (c == '=') {
      flush();
      continue;
    }
    int v = value(c);
    if (v < 0) continue;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    if (++have == 4) {
      out += static_cast<char>(acc >> 16);
      out += static_cast<char>(acc >> 8);
      out += static_cast<char>(acc);
      acc = 0;
      have = 0;
    }
  }
  flush();
  return out;
}

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace estafeta::base64;
  std::string_view in(reinterpret_cast<const char*>(data), size);

  std::string fast;
  std::size_t n = decode(in, fast);
  check(n == fast.size());
  check(n <= decoded_size_max(size));
  check(fast == reference_decode(in));
  std::string scalar(decoded_size_max(size), '\0');
  scalar.resize(decode_to_scalar_for_test(in, scalar.data()));
  check(scalar == fast);

  std::string strict;
  if (decode_strict(in, strict)) check(strict == fast);

  for (std::size_t line : {std::size_t{0}, std::size_t{76}, std::size_t{4}}) {
    std::string enc = encode(in, line);
    check(enc.size() == encoded_size(size, line));
    std::string back;
    decode(enc, back);
    check(back == in);
    if (line == 0) {
      std::string s;
      check(decode_strict(enc, s) && s == in);
    }
  }
  return 0;
}
