// mime_rfc2231: parameter list tokenizer, RFC 2231 continuation joining and charset
// decoding, and parameter formatting for composed messages. Loops are bounded by the input
// size and by kMaxRawParameters / kMaxParameters / kMaxContinuations.
#include "mime/mime_rfc2231.hpp"

#include <algorithm>
#include <map>
#include <string>

#include "mime/mime_charset.hpp"
#include "mime/mime_encoded_word.hpp"
#include "mime/mime_lexer.hpp"

namespace estafeta::mime {
namespace {

// Raw pieces kept from one list: every continuation of every parameter counts.
constexpr std::size_t kMaxRawParameters = 1024;

inline bool is_wsp(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return out;
}

// Skips whitespace and (nested) comments, RFC 5322 §3.2.2 CFWS.
void skip_cfws(std::string_view s, std::size_t& i) {
  while (i < s.size()) {
    if (is_wsp(s[i])) {
      ++i;
    } else if (s[i] == '(') {
      int depth = 0;
      while (i < s.size()) {
        char c = s[i++];
        if (c == '\\' && i < s.size()) {
          ++i;
        } else if (c == '(') {
          ++depth;
        } else if (c == ')' && --depth == 0) {
          break;
        }
      }
    } else {
      break;
    }
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// RFC 2231 §4 extended-other-values: %XX escapes; a bad escape stays literal.
void percent_decode(std::string_view s, std::string& out) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
}

// Splits a parameter name into its base, section number (-1 if none) and the encoded flag.
void split_name(std::string_view name, std::string& base, long& section, bool& encoded) {
  encoded = false;
  section = -1;
  if (!name.empty() && name.back() == '*') {
    encoded = true;
    name.remove_suffix(1);
  }
  auto star = name.rfind('*');
  if (star != std::string_view::npos && star + 1 < name.size()) {
    std::string_view digits = name.substr(star + 1);
    bool all_digits = digits.size() <= 4;
    for (char c : digits)
      if (c < '0' || c > '9') all_digits = false;
    if (all_digits) {
      section = std::stol(std::string(digits));
      name = name.substr(0, star);
    }
  }
  base = lower(name);
}

struct Pieces {
  std::size_t order = 0;
  bool has_plain = false;
  std::string plain;  // "name=" value
  bool has_single_ext = false;
  std::string single_ext;                                 // "name*=" value
  std::map<long, std::pair<std::string, bool>> sections;  // n -> (value, encoded)
};

// Decodes an encoded first piece "charset'lang'value" into charset, language and bytes.
void split_initial(std::string_view v, Parameter& p, std::string& bytes) {
  auto q1 = v.find('\'');
  auto q2 = q1 == std::string_view::npos ? std::string_view::npos : v.find('\'', q1 + 1);
  if (q2 == std::string_view::npos) {
    percent_decode(v, bytes);  // no charset'lang' prefix: lenient, just the value
    return;
  }
  p.charset = std::string(v.substr(0, q1));
  p.language = std::string(v.substr(q1 + 1, q2 - q1 - 1));
  percent_decode(v.substr(q2 + 1), bytes);
}

// Plain (non-RFC 2231) value: RFC 2047 words inside (old clients), raw 8-bit as UTF-8 if
// valid else Windows-1252.
std::string decode_plain(std::string_view v) {
  if (v.find("=?") != std::string_view::npos) return decode_encoded_words(v);
  std::string out;
  convert_to_utf8("", v, out);
  return out;
}

}  // namespace

std::vector<RawParameter> split_parameters(std::string_view list) {
  std::vector<RawParameter> out;
  std::size_t i = 0;
  while (i < list.size() && out.size() < kMaxRawParameters) {
    skip_cfws(list, i);
    while (i < list.size() && list[i] == ';') {
      ++i;
      skip_cfws(list, i);
    }
    if (i >= list.size()) break;
    std::size_t name_start = i;
    while (i < list.size() && list[i] != '=' && list[i] != ';' && !is_wsp(list[i]) &&
           list[i] != '(' && list[i] != '"')
      ++i;
    std::string_view name = list.substr(name_start, i - name_start);
    skip_cfws(list, i);
    if (name.empty() || i >= list.size() || list[i] != '=') {
      // Garbage: skip to the next ';' (respecting quotes so a ';' inside them is data).
      bool in_quotes = false;
      if (i == name_start && i < list.size() && list[i] != '"') ++i;  // progress on a stray char
      while (i < list.size() && (in_quotes || list[i] != ';')) {
        if (list[i] == '\\' && in_quotes)
          ++i;
        else if (list[i] == '"')
          in_quotes = !in_quotes;
        ++i;
      }
      continue;
    }
    ++i;  // '='
    skip_cfws(list, i);
    RawParameter p;
    p.name = std::string(name);
    if (i < list.size() && list[i] == '"') {
      p.quoted = true;
      ++i;
      while (i < list.size() && list[i] != '"') {
        if (list[i] == '\\' && i + 1 < list.size()) ++i;  // quoted-pair
        if (list[i] != '\r' && list[i] != '\n') p.value += list[i];
        ++i;
      }
      if (i < list.size()) ++i;  // closing quote (missing at end: tolerated)
      // Anything after the closing quote up to ';' is ignored.
      while (i < list.size() && list[i] != ';') ++i;
    } else {
      // Token, tolerantly up to ';' (some senders leave spaces unquoted), trimmed.
      std::size_t v_start = i;
      while (i < list.size() && list[i] != ';') ++i;
      std::string_view v = list.substr(v_start, i - v_start);
      // A trailing comment ends the value.
      if (auto paren = v.find('('); paren != std::string_view::npos) v = v.substr(0, paren);
      while (!v.empty() && is_wsp(v.back())) v.remove_suffix(1);
      for (char c : v)
        if (c != '\r' && c != '\n') p.value += c;
    }
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<Parameter> combine_parameters(const std::vector<RawParameter>& raw) {
  std::map<std::string, Pieces> by_name;
  std::size_t next_order = 0;
  for (const auto& r : raw) {
    std::string base;
    long section;
    bool encoded;
    split_name(r.name, base, section, encoded);
    if (base.empty()) continue;
    auto it = by_name.find(base);
    if (it == by_name.end()) {
      if (by_name.size() >= kMaxParameters) continue;
      it = by_name.emplace(base, Pieces{}).first;
      it->second.order = next_order++;
    }
    Pieces& pc = it->second;
    if (section >= 0) {
      if (section < static_cast<long>(kMaxContinuations) && !pc.sections.count(section))
        pc.sections.emplace(section, std::make_pair(r.value, encoded));
    } else if (encoded) {
      if (!pc.has_single_ext) {
        pc.has_single_ext = true;
        pc.single_ext = r.value;
      }
    } else if (!pc.has_plain) {
      pc.has_plain = true;
      pc.plain = r.value;
    }
  }
  std::vector<std::pair<std::size_t, Parameter>> ordered;
  for (auto& [name, pc] : by_name) {
    Parameter p;
    p.name = name;
    if (!pc.sections.empty()) {
      // Join from the lowest section (normally 0) until the first gap.
      std::string bytes;
      long expect = pc.sections.begin()->first;
      bool first = true;
      bool any_encoded = false;
      for (auto& [n, piece] : pc.sections) {
        if (n != expect) break;  // a missing piece ends the value
        ++expect;
        if (piece.second) {
          any_encoded = true;
          if (first)
            split_initial(piece.first, p, bytes);
          else
            percent_decode(piece.first, bytes);
        } else {
          bytes += piece.first;
        }
        first = false;
      }
      if (any_encoded || !p.charset.empty()) {
        convert_to_utf8(p.charset, bytes, p.value);
      } else {
        p.value = decode_plain(bytes);
      }
    } else if (pc.has_single_ext) {
      std::string bytes;
      split_initial(pc.single_ext, p, bytes);
      convert_to_utf8(p.charset, bytes, p.value);
    } else {
      p.value = decode_plain(pc.plain);
    }
    ordered.emplace_back(pc.order, std::move(p));
  }
  std::sort(ordered.begin(), ordered.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Parameter> out;
  out.reserve(ordered.size());
  for (auto& [order, p] : ordered) out.push_back(std::move(p));
  return out;
}

std::vector<Parameter> parse_parameters(std::string_view list) {
  return combine_parameters(split_parameters(list));
}

const Parameter* find_parameter(const std::vector<Parameter>& params, std::string_view name) {
  std::string n = lower(name);
  for (const auto& p : params)
    if (p.name == n) return &p;
  return nullptr;
}

namespace {

// RFC 2231 §7 attribute-char: what may stay literal in an extended value.
bool is_attribute_char(unsigned char c) {
  if (c <= 0x20 || c >= 0x7F) return false;
  if (lex::is_tspecial(static_cast<char>(c))) return false;
  return c != '*' && c != '\'' && c != '%';
}

std::size_t utf8_char_length(std::string_view s, std::size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  std::size_t len = c < 0xC0 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
  return std::min(len, s.size() - i);
}

}  // namespace

std::string format_parameter(std::string_view name, std::string_view utf8_value,
                             std::size_t max_piece) {
  if (max_piece < 12) max_piece = 12;
  bool ascii = true;
  bool token = !utf8_value.empty();
  for (char c : utf8_value) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7F) ascii = false;
    if (u <= 0x20 || u >= 0x7F || lex::is_tspecial(c)) token = false;
  }
  // A plain value that looks like an RFC 2047 word would be decoded as one by readers
  // (old clients write them); RFC 2231 form keeps it literal.
  if (utf8_value.find("=?") != std::string_view::npos) ascii = false;
  std::string out = "; ";
  if (ascii) {
    out.append(name);
    out += '=';
    if (token) {
      out.append(utf8_value);
    } else {
      out += '"';
      for (char c : utf8_value) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      out += '"';
    }
    return out;
  }
  // RFC 2231 §3-4: name*0*=utf-8''%XX..., name*1*=%XX..., one character never split.
  std::vector<std::string> chars;  // each character, percent-encoded
  std::size_t total = 0;
  for (std::size_t i = 0; i < utf8_value.size();) {
    std::size_t len = utf8_char_length(utf8_value, i);
    std::string enc;
    for (std::size_t k = 0; k < len; ++k) {
      auto c = static_cast<unsigned char>(utf8_value[i + k]);
      if (is_attribute_char(c)) {
        enc += static_cast<char>(c);
      } else {
        static constexpr char kHex[] = "0123456789ABCDEF";
        enc += '%';
        enc += kHex[c >> 4];
        enc += kHex[c & 15];
      }
    }
    total += enc.size();
    chars.push_back(std::move(enc));
    i += len;
  }
  // Readers keep at most kMaxContinuations pieces: grow the pieces for very long values.
  max_piece = std::max(max_piece, total / (kMaxContinuations / 2) + 12);
  std::vector<std::string> pieces;
  std::string cur = "utf-8''";
  for (auto& enc : chars) {
    if (cur.size() + enc.size() > max_piece && !cur.empty() && cur != "utf-8''") {
      pieces.push_back(std::move(cur));
      cur.clear();
    }
    cur += enc;
  }
  pieces.push_back(std::move(cur));
  if (pieces.size() == 1) {
    out.append(name);
    out += "*=";
    out += pieces[0];
    return out;
  }
  for (std::size_t k = 0; k < pieces.size(); ++k) {
    if (k > 0) out += ";\r\n ";
    out.append(name);
    out += '*';
    out += std::to_string(k);
    out += "*=";
    out += pieces[k];
  }
  return out;
}

}  // namespace estafeta::mime
