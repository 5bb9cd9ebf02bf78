// quoted_printable: the codec of quoted_printable.hpp. Decoding works line by line with
// memchr to find line ends and '=' so clean runs are copied in bulk; encoding walks bytes and
// tracks the output column. All reads are bounded by the input size; decode writes into a
// buffer sized to the input (its output is never longer).
#include "base/quoted_printable.hpp"

#include <array>
#include <cstdint>
#include <cstring>

namespace estafeta::qp {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

constexpr std::array<int8_t, 256> make_hex_values() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 10; ++i) t[static_cast<std::size_t>('0' + i)] = static_cast<int8_t>(i);
  for (int i = 0; i < 6; ++i) {
    t[static_cast<std::size_t>('A' + i)] = static_cast<int8_t>(10 + i);
    t[static_cast<std::size_t>('a' + i)] = static_cast<int8_t>(10 + i);  // tolerated
  }
  return t;
}
constexpr auto kHexValues = make_hex_values();

inline bool is_wsp(char c) { return c == ' ' || c == '\t'; }

// Decodes the escapes of one line body [p, end) (no line break inside) into o.
char* decode_run(const char* p, const char* end, char* o) {
  while (p < end) {
    const void* eq = std::memchr(p, '=', static_cast<std::size_t>(end - p));
    const char* stop = eq ? static_cast<const char*>(eq) : end;
    std::memcpy(o, p, static_cast<std::size_t>(stop - p));
    o += stop - p;
    p = stop;
    if (p == end) break;
    // p at '='.
    if (end - p >= 3) {
      int hi = kHexValues[static_cast<unsigned char>(p[1])];
      int lo = kHexValues[static_cast<unsigned char>(p[2])];
      if (hi >= 0 && lo >= 0) {
        *o++ = static_cast<char>((hi << 4) | lo);
        p += 3;
        continue;
      }
    }
    *o++ = '=';  // a bad escape stays as written (RFC 2045 §6.7 note 1)
    ++p;
  }
  return o;
}

}  // namespace

std::size_t decode(std::string_view in, std::string& out) {
  const std::size_t before = out.size();
  // A line of n bytes yields at most n bytes plus CRLF in place of its LF; only bare LFs
  // grow the output, so start at the input size plus a little and grow when a line needs it.
  out.resize(before + in.size() + in.size() / 32 + 16);
  std::size_t o = before;
  const char* p = in.data();
  const char* const end = p + in.size();
  while (p < end) {
    const void* lf = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
    const char* line_end = lf ? static_cast<const char*>(lf) : end;
    const auto need = static_cast<std::size_t>(line_end - p) + 2;
    if (out.size() - o < need) out.resize(out.size() + out.size() / 2 + need);
    const char* body_end = line_end;
    if (lf && body_end > p && body_end[-1] == '\r') --body_end;
    // §6.7 rule 3: whitespace at the end of an encoded line is not data.
    while (body_end > p && is_wsp(body_end[-1])) --body_end;
    bool soft = body_end > p && body_end[-1] == '=';
    // A final '=' is a soft break (§6.7 rule 5); it cannot start an escape, nothing follows.
    char* w = out.data() + o;
    char* we = decode_run(p, soft ? body_end - 1 : body_end, w);
    if (lf && !soft) {
      *we++ = '\r';
      *we++ = '\n';
    }
    o += static_cast<std::size_t>(we - w);
    p = lf ? line_end + 1 : end;
  }
  out.resize(o);
  return o - before;
}

std::string decode(std::string_view in) {
  std::string out;
  decode(in, out);
  return out;
}

std::string encode(std::string_view in, LineBreaks mode) {
  std::string out;
  out.reserve(in.size() + in.size() / 8 + 16);
  std::size_t col = 0;  // characters on the current output line
  auto soft_break = [&] {
    out += "=\r\n";
    col = 0;
  };
  auto put_escaped = [&](unsigned char c) {
    out += '=';
    out += kHex[c >> 4];
    out += kHex[c & 15];
    col += 3;
  };
  const std::size_t n = in.size();
  std::size_t i = 0;
  while (i < n) {
    auto c = static_cast<unsigned char>(in[i]);
    if (mode == LineBreaks::text) {
      if (c == '\n' || (c == '\r' && i + 1 < n && in[i + 1] == '\n')) {
        out += "\r\n";
        col = 0;
        i += c == '\r' ? 2 : 1;
        continue;
      }
    }
    // Is this the last byte of its line (so no soft break has to follow it)?
    bool at_line_end = i + 1 == n;
    if (!at_line_end && mode == LineBreaks::text)
      at_line_end = in[i + 1] == '\n' || (in[i + 1] == '\r' && i + 2 < n && in[i + 2] == '\n');
    bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_line_end);
    // Escape what some transports damage at the start of a line: "From " (mbox) and a lone
    // "." (SMTP end of data).
    if (literal && col == 0) {
      if (c == 'F' && in.substr(i, 5) == "From ") literal = false;
      if (c == '.' && at_line_end) literal = false;
    }
    std::size_t width = literal ? 1 : 3;
    // §6.7 rule 5: lines of at most 76 characters, counting the '=' of a soft break.
    std::size_t limit = at_line_end ? 76 : 75;
    if (col + width > limit) soft_break();
    if (literal) {
      out += static_cast<char>(c);
      ++col;
    } else {
      put_escaped(c);
    }
    ++i;
  }
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
