// base64: the codec of base64.hpp. Three layers, fastest first:
//   * AVX2 (chosen once at run time with __builtin_cpu_supports; compiled with a target
//     attribute, so the binary still runs on any x86-64): 32 characters -> 24 bytes per step,
//     validating all 32 with two nibble lookups; 24 bytes -> 32 characters for encode.
//   * Scalar groups: 4 characters -> 3 bytes through four 32-bit tables whose OR has bit 24
//     set when any character is outside the alphabet; 3 bytes -> 4 characters through a
//     4096-entry table of character pairs.
//   * Tolerant byte-at-a-time decoding for what the fast layers refuse: line breaks, '=',
//     junk. It hands back to the fast layers as soon as it is on a 4-character boundary.
// Input is untrusted; every read is bounds-checked against the input size, and every write
// stays within decoded_size_max() / encoded_size() (the vector stores write at most 8 bytes
// past the last useful byte, which the loop conditions keep inside those bounds).
#include "base/base64.hpp"

#include <array>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define ESTAFETA_BASE64_X86 1
#endif

namespace estafeta::base64 {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> make_values() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
  return t;
}
constexpr auto kValues = make_values();

// Decoding tables: for characters a b c d of a group, d0[a] | d1[b] | d2[c] | d3[d] is the
// three output bytes in memory order (little-endian word), or has bit 24 set if any of
// them is outside the alphabet.
constexpr uint32_t kBad = 0x01FFFFFF;
struct DecodeTables {
  std::array<uint32_t, 256> d0{}, d1{}, d2{}, d3{};
};
constexpr DecodeTables make_decode_tables() {
  DecodeTables t;
  for (int c = 0; c < 256; ++c) {
    const int8_t v = kValues[static_cast<std::size_t>(c)];
    if (v < 0) {
      t.d0[c] = t.d1[c] = t.d2[c] = t.d3[c] = kBad;
      continue;
    }
    auto u = static_cast<uint32_t>(static_cast<uint8_t>(v));
    t.d0[c] = u << 2;                                // byte 0 bits 7..2
    t.d1[c] = (u >> 4) | ((u & 0x0F) << 12);         // byte 0 bits 1..0, byte 1 bits 7..4
    t.d2[c] = ((u >> 2) << 8) | ((u & 0x03) << 22);  // byte 1 bits 3..0, byte 2 bits 7..6
    t.d3[c] = u << 16;                               // byte 2 bits 5..0
  }
  return t;
}
constexpr DecodeTables kDecode = make_decode_tables();

// Encoding table: 12 bits -> two alphabet characters in memory order.
struct PairTable {
  std::array<uint16_t, 4096> e{};
};
constexpr PairTable make_pairs() {
  PairTable t;
  for (int i = 0; i < 4096; ++i) {
    auto hi = static_cast<uint16_t>(static_cast<unsigned char>(kAlphabet[i >> 6]));
    auto lo = static_cast<uint16_t>(static_cast<unsigned char>(kAlphabet[i & 63]));
    t.e[static_cast<std::size_t>(i)] = static_cast<uint16_t>(hi | (lo << 8));
  }
  return t;
}
constexpr PairTable kPairs = make_pairs();

inline uint32_t load_be24(const unsigned char* p) {
  return (uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | uint32_t{p[2]};
}

// Scalar encode of whole groups: n is a multiple of 3. Returns characters written (n/3*4).
std::size_t encode_groups_scalar(const unsigned char* in, std::size_t n, char* out) {
  char* o = out;
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3, o += 4) {
    uint32_t v = load_be24(in + i);
    uint16_t a = kPairs.e[v >> 12];
    uint16_t b = kPairs.e[v & 0xFFF];
    std::memcpy(o, &a, 2);
    std::memcpy(o + 2, &b, 2);
  }
  return static_cast<std::size_t>(o - out);
}

// Encodes the final 1 or 2 bytes with padding.
std::size_t encode_tail(const unsigned char* in, std::size_t rest, char* out) {
  if (rest == 0) return 0;
  uint32_t v = uint32_t{in[0]} << 16;
  if (rest == 2) v |= uint32_t{in[1]} << 8;
  out[0] = kAlphabet[(v >> 18) & 63];
  out[1] = kAlphabet[(v >> 12) & 63];
  out[2] = rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
  out[3] = '=';
  return 4;
}

#ifdef ESTAFETA_BASE64_X86
// 24 input bytes -> 32 characters. Reads in[0..28), writes out[0..32).
__attribute__((target("avx2"))) inline __m256i encode_block_avx2(const unsigned char* in) {
  __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in));
  __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + 12));
  __m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
  // Per 32-bit lane: bytes [b1 b0 b2 b1] of one 3-byte group.
  const __m256i spread = _mm256_setr_epi8(1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10,  //
                                          1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10);
  v = _mm256_shuffle_epi8(v, spread);
  // Move the four 6-bit fields into bytes 0..3 of the lane (see encode notes in the header).
  __m256i ac = _mm256_and_si256(v, _mm256_set1_epi32(0x0FC0FC00));
  ac = _mm256_mulhi_epu16(ac, _mm256_set1_epi32(0x04000040));
  __m256i bd = _mm256_and_si256(v, _mm256_set1_epi32(0x003F03F0));
  bd = _mm256_mullo_epi16(bd, _mm256_set1_epi32(0x01000010));
  __m256i idx = _mm256_or_si256(ac, bd);
  // 6-bit value -> ASCII by adding a per-range offset chosen through a 16-entry table:
  // 0..25 +65, 26..51 +71, 52..61 -4, 62 -19, 63 -16.
  __m256i reduced = _mm256_subs_epu8(idx, _mm256_set1_epi8(51));
  __m256i below26 = _mm256_cmpgt_epi8(_mm256_set1_epi8(26), idx);
  reduced = _mm256_or_si256(reduced, _mm256_and_si256(below26, _mm256_set1_epi8(13)));
  const __m256i offsets =
      _mm256_setr_epi8(71, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -19, -16, 65, 0, 0,  //
                       71, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -19, -16, 65, 0, 0);
  return _mm256_add_epi8(idx, _mm256_shuffle_epi8(offsets, reduced));
}

// Encodes whole groups (n multiple of 3); may read up to 4 bytes past in+n only if
// `readable` allows it. Returns characters written.
__attribute__((target("avx2"))) std::size_t encode_groups_avx2(const unsigned char* in,
                                                               std::size_t n, std::size_t readable,
                                                               char* out) {
  std::size_t i = 0;
  char* o = out;
  while (i + 24 <= n && i + 28 <= readable) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(o), encode_block_avx2(in + i));
    i += 24;
    o += 32;
  }
  o += encode_groups_scalar(in + i, n - i, o);
  return static_cast<std::size_t>(o - out);
}

// 32 characters -> 24 bytes at out (writes 32 bytes). Returns false, writing nothing, if any
// character is outside the alphabet.
__attribute__((target("avx2"))) inline bool decode_block_avx2(const unsigned char* in,
                                                              unsigned char* out) {
  __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in));
  __m256i hi = _mm256_and_si256(_mm256_srli_epi32(v, 4), _mm256_set1_epi8(0x0F));
  __m256i lo = _mm256_and_si256(v, _mm256_set1_epi8(0x0F));
  // Validity: each high nibble selects a class bit; each low nibble lists the classes in
  // which it is invalid. Bit 0x10 (high nibble 0, 1, 8..F) is invalid for every low nibble.
  //   hi 2: only '+' (B) and '/' (F)   -> 0x01     hi 3: digits 0..9      -> 0x02
  //   hi 4, 6: all but 0 ('@', '`')    -> 0x04     hi 5, 7: 0..A          -> 0x08
  const __m256i lut_lo = _mm256_setr_epi8(0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                          0x11, 0x13, 0x1A, 0x1B, 0x1B, 0x1B, 0x1A,  //
                                          0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                          0x11, 0x13, 0x1A, 0x1B, 0x1B, 0x1B, 0x1A);
  const __m256i lut_hi = _mm256_setr_epi8(0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10,
                                          0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10,  //
                                          0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10,
                                          0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10);
  __m256i bad = _mm256_and_si256(_mm256_shuffle_epi8(lut_lo, lo), _mm256_shuffle_epi8(lut_hi, hi));
  if (!_mm256_testz_si256(bad, bad)) return false;
  // Value = char + offset by high nibble; '/' (0x2F) shares nibble 2 with '+' and moves to
  // slot 1 by adding the all-ones compare result.
  const __m256i roll = _mm256_setr_epi8(0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                        16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
  __m256i slash = _mm256_cmpeq_epi8(v, _mm256_set1_epi8(0x2F));
  __m256i vals = _mm256_add_epi8(v, _mm256_shuffle_epi8(roll, _mm256_add_epi8(slash, hi)));
  // Pack 4 x 6 bits into 24 bits per lane: (a<<6|b), (c<<6|d), then (ab<<12 | cd).
  __m256i pairs = _mm256_maddubs_epi16(vals, _mm256_set1_epi32(0x01400140));
  __m256i words = _mm256_madd_epi16(pairs, _mm256_set1_epi32(0x00011000));
  const __m256i order = _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1, 2,
                                         1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
  words = _mm256_shuffle_epi8(words, order);
  words = _mm256_permutevar8x32_epi32(words, _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 7, 7));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), words);
  return true;
}

bool cpu_has_avx2() {
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") != 0;
  }();
  return has;
}
#endif

// The decoder proper. `i`/`o` walk input and output; the tolerant layer keeps the partial
// group in `acc`/`have`.
template <bool kAvx2>
__attribute__((always_inline)) inline std::size_t decode_impl(const unsigned char* in,
                                                              std::size_t n, unsigned char* out) {
  std::size_t i = 0;
  unsigned char* o = out;
  for (;;) {
    // Fast layers: only entered on a group boundary.
#ifdef ESTAFETA_BASE64_X86
    if constexpr (kAvx2) {
      // Needs 32 readable characters; writes 32 bytes where 24 are due. Output so far is at
      // most 3/4 of input so far, so 11 spare characters cover the 8 extra bytes.
      while (n - i >= 44 && decode_block_avx2(in + i, o)) {
        i += 32;
        o += 24;
      }
    }
#endif
    // Scalar groups write 4 bytes for 3; 8 characters left keep that inside the bound.
    while (n - i >= 8) {
      uint32_t w =
          kDecode.d0[in[i]] | kDecode.d1[in[i + 1]] | kDecode.d2[in[i + 2]] | kDecode.d3[in[i + 3]];
      if (w >= 0x01000000) break;
      std::memcpy(o, &w, 4);
      i += 4;
      o += 3;
    }
    if (i == n) break;
    // Tolerant layer: one character at a time until a group is complete or the input ends.
    uint32_t acc = 0;
    int have = 0;
    while (i < n) {
      unsigned char c = in[i];
      int8_t v = kValues[c];
      if (v >= 0) {
        acc = (acc << 6) | static_cast<uint32_t>(v);
        ++i;
        if (++have == 4) {
          *o++ = static_cast<unsigned char>(acc >> 16);
          *o++ = static_cast<unsigned char>(acc >> 8);
          *o++ = static_cast<unsigned char>(acc);
          acc = 0;
          have = 0;
          break;
        }
        continue;
      }
      ++i;
      if (c == '=') {
        // RFC 4648 §3.5 padding: flush whole bytes of the partial group, drop its rest.
        if (have >= 2) *o++ = static_cast<unsigned char>(acc >> (6 * have - 8));
        if (have >= 3) *o++ = static_cast<unsigned char>(acc >> (6 * have - 16));
        acc = 0;
        have = 0;
      }
      if (have == 0) {
        // Back on a group boundary: skip the rest of a junk run (the LF after a CR) so the
        // fast layers are retried on alphabet characters only.
        while (i < n && kValues[in[i]] < 0 && in[i] != '=') ++i;
        break;
      }
    }
    if (i >= n) {
      // End of input with a partial group: whole bytes only (missing padding is fine).
      if (have >= 2) *o++ = static_cast<unsigned char>(acc >> (6 * have - 8));
      if (have >= 3) *o++ = static_cast<unsigned char>(acc >> (6 * have - 16));
      break;
    }
  }
  return static_cast<std::size_t>(o - out);
}

// The two instantiations as real functions; the AVX2 one is compiled for AVX2 as a whole so
// the block decoder inlines into its loop.
std::size_t decode_scalar(const unsigned char* in, std::size_t n, unsigned char* out) {
  return decode_impl<false>(in, n, out);
}
#ifdef ESTAFETA_BASE64_X86
__attribute__((target("avx2"))) std::size_t decode_avx2(const unsigned char* in, std::size_t n,
                                                        unsigned char* out) {
  return decode_impl<true>(in, n, out);
}
#endif

}  // namespace

std::size_t encoded_size(std::size_t n, std::size_t line_length) {
  std::size_t chars = (n + 2) / 3 * 4;
  if (line_length == 0 || chars == 0) return chars;
  return chars + (chars - 1) / line_length * 2;
}

std::size_t encode_append(std::string_view in, std::string& out, std::size_t line_length) {
  // A line length that is not a multiple of 4 is rounded down (at least 4).
  if (line_length != 0) line_length = line_length < 4 ? 4 : line_length / 4 * 4;
  const std::size_t before = out.size();
  const std::size_t total = encoded_size(in.size(), line_length);
  out.resize(before + total);
  char* o = out.data() + before;
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const std::size_t n = in.size();
  const std::size_t whole = n / 3 * 3;
  const std::size_t line_bytes = line_length ? line_length / 4 * 3 : whole;
#ifdef ESTAFETA_BASE64_X86
  const bool avx2 = cpu_has_avx2();
#endif
  std::size_t i = 0;
  while (i < whole) {
    std::size_t take = whole - i < line_bytes ? whole - i : line_bytes;
#ifdef ESTAFETA_BASE64_X86
    if (avx2)
      o += encode_groups_avx2(p + i, take, n - i, o);
    else
#endif
      o += encode_groups_scalar(p + i, take, o);
    i += take;
    if (line_length && take == line_bytes && (i < whole || n > whole)) {
      *o++ = '\r';
      *o++ = '\n';
    }
  }
  o += encode_tail(p + whole, n - whole, o);
  const auto written = static_cast<std::size_t>(o - (out.data() + before));
  out.resize(before + written);  // equal to total; kept as a guard
  return written;
}

std::string encode(std::string_view in, std::size_t line_length) {
  std::string out;
  encode_append(in, out, line_length);
  return out;
}

std::size_t decode_to(std::string_view in, char* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  auto* o = reinterpret_cast<unsigned char*>(out);
#ifdef ESTAFETA_BASE64_X86
  if (cpu_has_avx2()) return decode_avx2(p, in.size(), o);
#endif
  return decode_scalar(p, in.size(), o);
}

std::size_t decode(std::string_view in, std::string& out) {
  const std::size_t before = out.size();
  out.resize(before + decoded_size_max(in.size()));
  const std::size_t n = decode_to(in, out.data() + before);
  out.resize(before + n);
  return n;
}

bool decode_strict(std::string_view in, std::string& out) {
  if (in.size() % 4 != 0) return false;
  std::size_t pad = 0;
  if (!in.empty() && in.back() == '=') pad = (in.size() >= 2 && in[in.size() - 2] == '=') ? 2 : 1;
  for (std::size_t i = 0; i < in.size() - pad; ++i)
    if (kValues[static_cast<unsigned char>(in[i])] < 0) return false;
  out.clear();
  decode(in.substr(0, in.size() - pad), out);
  return true;
}

// Test hook: decoding with the scalar layers only, so tests can compare both paths on a
// machine with AVX2. Not declared in the header on purpose.
std::size_t decode_to_scalar_for_test(std::string_view in, char* out) {
  return decode_scalar(reinterpret_cast<const unsigned char*>(in.data()), in.size(),
                       reinterpret_cast<unsigned char*>(out));
}

}  // namespace estafeta::base64
