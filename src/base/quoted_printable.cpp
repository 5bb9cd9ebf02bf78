// quoted_printable: the codec of quoted_printable.hpp. Decoding is one pass: runs without
// '=', CR or LF are copied 16 bytes at a time (SSE2, part of every x86-64) or bytewise;
// escapes, soft breaks and line ends take the slow branch. Encoding walks bytes and tracks
// the output column. All reads are bounded by the input size; decode sizes its output
// exactly (input + LF count) before writing, encode grows its buffer before it runs low.
#include "base/quoted_printable.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#define ESTAFETA_QP_SSE2 1
#endif

namespace estafeta::qp {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

constexpr std::array<int8_t, 256> make_hex_values() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (unsigned char c = '0'; c <= '9'; ++c) t[c] = static_cast<int8_t>(c - '0');
  for (unsigned char c = 'A'; c <= 'F'; ++c) {
    t[c] = static_cast<int8_t>(c - 'A' + 10);
    t[c + 32u] = static_cast<int8_t>(c - 'A' + 10);  // lowercase, tolerated
  }
  return t;
}
constexpr auto kHexValues = make_hex_values();

// Byte classes for the decoder's single pass.
enum : uint8_t { kPlain = 0, kWsp, kEquals, kLf, kCr };
constexpr std::array<uint8_t, 256> make_classes() {
  std::array<uint8_t, 256> t{};
  t['='] = kEquals;
  t['\n'] = kLf;
  t['\r'] = kCr;
  t[' '] = kWsp;
  t['\t'] = kWsp;
  return t;
}
constexpr auto kClass = make_classes();

// Encoder classes: what may be written literally (RFC 2045 §6.7 rules 2 and 3).
enum : uint8_t { kEncEscape = 0, kEncLiteral, kEncSpace };
constexpr std::array<uint8_t, 256> make_encode_classes() {
  std::array<uint8_t, 256> t{};
  for (int c = 33; c <= 126; ++c) t[static_cast<std::size_t>(c)] = kEncLiteral;
  t['='] = kEncEscape;
  t[' '] = kEncSpace;
  t['\t'] = kEncSpace;
  return t;
}
constexpr auto kEncClass = make_encode_classes();

}  // namespace

std::size_t decode(std::string_view in, std::string& out) {
  // One pass. Runs of ordinary bytes (everything but '=', CR and LF; whitespace included)
  // are copied 16 at a time where SSE2 is available. `keep` marks the end of output that is
  // certainly data (decoded escapes, soft-break points, line starts): at a line end, literal
  // spaces and tabs after it are dropped (§6.7 rule 3).
  const std::size_t before = out.size();
  // Every input byte yields at most one output byte, except a bare LF, which yields CRLF:
  // counting LFs sizes the buffer exactly once. A 16-byte store at `o` while 16 input bytes
  // remain therefore stays inside the buffer.
  const auto lfs = static_cast<std::size_t>(std::count(in.begin(), in.end(), '\n'));
  out.resize(before + in.size() + lfs);
  char* o = out.data() + before;
  char* keep = o;
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const auto* const end = p + in.size();
  auto trim = [&] {
    while (o > keep && (o[-1] == ' ' || o[-1] == '\t')) --o;
  };
  while (p < end) {
#ifdef ESTAFETA_QP_SSE2
    const __m128i eq = _mm_set1_epi8('=');
    const __m128i cr = _mm_set1_epi8('\r');
    const __m128i lf = _mm_set1_epi8('\n');
    bool found = false;
    while (end - p >= 16) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, eq), _mm_cmpeq_epi8(v, cr)),
                                 _mm_cmpeq_epi8(v, lf));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(o), v);
      auto mask = static_cast<unsigned>(_mm_movemask_epi8(hit));
      if (mask != 0) {
        auto k = static_cast<unsigned>(__builtin_ctz(mask));
        o += k;
        p += k;
        found = true;
        break;
      }
      o += 16;
      p += 16;
    }
    if (!found)
#endif
      while (p < end && kClass[*p] <= kWsp) *o++ = static_cast<char>(*p++);
    if (p >= end) break;
    const uint8_t cls = kClass[*p];
    if (cls == kEquals) {
      if (end - p >= 3 && kHexValues[p[1]] >= 0 && kHexValues[p[2]] >= 0) {
        *o++ = static_cast<char>((kHexValues[p[1]] << 4) | kHexValues[p[2]]);
        keep = o;
        p += 3;
        continue;
      }
      // "=" + optional whitespace + line end (or input end) is a soft break (rule 5).
      // Whitespace before the '=' is data ("may follow one or more TAB or SPACE").
      const auto* q = p + 1;
      while (q < end && kClass[*q] == kWsp) ++q;
      if (q == end) {
        keep = o;
        break;
      }
      if (*q == '\n' || (*q == '\r' && q + 1 < end && q[1] == '\n')) {
        keep = o;
        p = q + (*q == '\r' ? 2 : 1);
        continue;
      }
      *o++ = '=';  // a bad escape stays as written (RFC 2045 §6.7 note 1)
      keep = o;
      ++p;
      continue;
    }
    if (cls == kCr && (p + 1 >= end || p[1] != '\n')) {
      *o++ = '\r';  // bare CR is data
      keep = o;
      ++p;
      continue;
    }
    // Line end: LF or CRLF.
    p += cls == kCr ? 2 : 1;
    trim();
    *o++ = '\r';
    *o++ = '\n';
    keep = o;
  }
  trim();  // trailing whitespace at the very end is dropped too
  const auto n = static_cast<std::size_t>(o - (out.data() + before));
  out.resize(before + n);
  return n;
}

std::string decode(std::string_view in) {
  std::string out;
  decode(in, out);
  return out;
}

std::string encode(std::string_view in, LineBreaks mode) {
  std::string out;
  // Written through a pointer into a buffer that always has room for the largest step (a
  // soft break plus an escape plus a CRLF); grown by half when it runs low.
  out.resize(in.size() + in.size() / 4 + 64);
  char* o = out.data();
  char* limit = out.data() + out.size();
  std::size_t col = 0;  // characters on the current output line
  const bool text = mode == LineBreaks::text;
  const std::size_t n = in.size();
  std::size_t i = 0;
  while (i < n) {
    if (limit - o < 96) {
      const auto used = static_cast<std::size_t>(o - out.data());
      out.resize(out.size() + out.size() / 2 + 128);
      o = out.data() + used;
      limit = out.data() + out.size();
    }
    // Fast path: bytes that are certainly literal, up to column 75. Anything needing a
    // decision (escapes, whitespace before a line end, line starts, the last column) drops
    // to the exact byte-by-byte rules below.
    while (i < n && col < 75) {
      auto b = static_cast<unsigned char>(in[i]);
      uint8_t k = kEncClass[b];
      if (k == kEncLiteral) {
        if (col == 0 && (b == 'F' || b == '.')) break;
      } else if (k == kEncSpace) {
        if (i + 1 >= n || in[i + 1] == '\n' || in[i + 1] == '\r') break;
      } else {
        break;
      }
      *o++ = static_cast<char>(b);
      ++col;
      ++i;
    }
    if (i >= n) break;
    auto c = static_cast<unsigned char>(in[i]);
    if (text && (c == '\n' || (c == '\r' && i + 1 < n && in[i + 1] == '\n'))) {
      *o++ = '\r';
      *o++ = '\n';
      col = 0;
      i += c == '\r' ? 2 : 1;
      continue;
    }
    // Is this the last byte of its line (so no soft break has to follow it)?
    bool at_line_end = i + 1 == n;
    if (!at_line_end && text) {
      char next = in[i + 1];
      at_line_end = next == '\n' || (next == '\r' && i + 2 < n && in[i + 2] == '\n');
    }
    bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_line_end);
    // Escape what some transports damage at the start of a line: "From " (mbox) and a lone
    // "." (SMTP end of data).
    if (literal && col == 0) {
      if (c == 'F' && in.substr(i, 5) == "From ") literal = false;
      if (c == '.' && at_line_end) literal = false;
    }
    const std::size_t width = literal ? 1 : 3;
    // §6.7 rule 5: lines of at most 76 characters, counting the '=' of a soft break.
    const std::size_t max_col = at_line_end ? 76 : 75;
    if (col + width > max_col) {
      *o++ = '=';
      *o++ = '\r';
      *o++ = '\n';
      col = 0;
    }
    if (literal) {
      *o++ = static_cast<char>(c);
    } else {
      *o++ = '=';
      *o++ = kHex[c >> 4];
      *o++ = kHex[c & 15];
    }
    col += width;
    ++i;
  }
  out.resize(static_cast<std::size_t>(o - out.data()));
  return out;
}

std::size_t decode_q(std::string_view in, std::string& out) {
  const std::size_t before = out.size();
  const std::size_t n = in.size();
  for (std::size_t i = 0; i < n; ++i) {
    char c = in[i];
    if (c == '_') {
      out += ' ';  // RFC 2047 §4.2 (2)
    } else if (c == '=' && i + 2 < n && kHexValues[static_cast<unsigned char>(in[i + 1])] >= 0 &&
               kHexValues[static_cast<unsigned char>(in[i + 2])] >= 0) {
      out += static_cast<char>((kHexValues[static_cast<unsigned char>(in[i + 1])] << 4) |
                               kHexValues[static_cast<unsigned char>(in[i + 2])]);
      i += 2;
    } else {
      out += c;
    }
  }
  return out.size() - before;
}

namespace {
// RFC 2047 §5 (3): the characters a Q word may carry literally in any position.
inline bool q_literal(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '!' ||
         c == '*' || c == '+' || c == '-' || c == '/';
}
}  // namespace

std::string encode_q(std::string_view in) {
  std::string out;
  out.reserve(encoded_q_size(in));
  for (char ch : in) {
    auto c = static_cast<unsigned char>(ch);
    if (c == ' ') {
      out += '_';
    } else if (q_literal(c)) {
      out += ch;
    } else {
      out += '=';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::size_t encoded_q_size(std::string_view in) {
  std::size_t n = 0;
  for (char ch : in) {
    auto c = static_cast<unsigned char>(ch);
    n += (c == ' ' || q_literal(c)) ? 1 : 3;
  }
  return n;
}

}  // namespace estafeta::qp
