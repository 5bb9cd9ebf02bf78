// mime_encoded_word: RFC 2047 decoding and encoding (see the header for the tolerance rules).
// The decoder is one left-to-right pass; the position of the next "?=" is cached so that a
// value full of unterminated "=?" starts costs linear time, not quadratic. Raw bytes of
// adjacent words in the same charset are joined before charset conversion, because senders
// split multi-byte characters across words.
#include "mime/mime_encoded_word.hpp"

#include <string>
#include <vector>

#include "base/base64.hpp"
#include "base/quoted_printable.hpp"
#include "mime/mime_charset.hpp"

namespace estafeta::mime {
namespace {

constexpr std::size_t kMaxCharsetLength = 64;
// RFC 2047 §2: an encoded word is at most 75 characters; "=?UTF-8?X?" + "?=" is 12.
constexpr std::size_t kMaxWord = 75;
constexpr std::string_view kUtf8Prefix = "=?UTF-8?";

inline bool is_wsp(char c) {
  return c == ' ' || c == '\t';
}

struct ParsedWord {
  std::string_view charset;  // may carry "*lang"
  char encoding = 0;         // 'B' or 'Q'
  std::string_view text;
  std::size_t length = 0;  // of the whole "=?...?=" token
};

// Parses an encoded word starting at s[0] == '=' && s[1] == '?'. `term` is the position (in
// s) of the first "?=" at or after the text start, or npos. Returns false if malformed.
bool parse_word(std::string_view s, std::size_t& term_cache, std::size_t base, ParsedWord& w,
                std::string_view whole) {
  std::size_t i = 2;
  std::size_t cs_start = i;
  while (i < s.size() && s[i] != '?' && i - cs_start <= kMaxCharsetLength) {
    char c = s[i];
    if (is_wsp(c) || c == '=' || static_cast<unsigned char>(c) < 0x21 ||
        static_cast<unsigned char>(c) > 0x7E)
      return false;
    ++i;
  }
  if (i >= s.size() || s[i] != '?' || i == cs_start) return false;
  w.charset = s.substr(cs_start, i - cs_start);
  ++i;
  if (i + 1 >= s.size() || s[i + 1] != '?') return false;
  char e = s[i];
  if (e == 'b' || e == 'B') {
    w.encoding = 'B';
  } else if (e == 'q' || e == 'Q') {
    w.encoding = 'Q';
  } else {
    return false;
  }
  i += 2;
  // Find "?=" from the text start, reusing the cached position when it is still ahead.
  std::size_t abs_text = base + i;
  if (term_cache == std::string_view::npos - 1 ||
      (term_cache != std::string_view::npos && term_cache < abs_text))
    term_cache = whole.find("?=", abs_text);
  if (term_cache == std::string_view::npos) return false;
  std::size_t text_end = term_cache - base;
  w.text = s.substr(i, text_end - i);
  // "=?" never occurs in valid encoded text; seeing it means this word is unterminated and
  // the "?=" found belongs to a later word.
  if (w.text.find("=?") != std::string_view::npos) return false;
  w.length = text_end + 2;
  return true;
}

// Raw bytes of a parsed word; false if the text cannot be decoded (B with junk inside).
bool word_bytes(const ParsedWord& w, std::string& out) {
  if (w.encoding == 'B') {
    for (char c : w.text) {
      bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                c == '+' || c == '/' || c == '=';
      if (!ok) return false;
    }
    base64::decode(w.text, out);
    return true;
  }
  // Q: spaces inside are a sender's error but harmless; keep them as spaces.
  qp::decode_q(w.text, out);
  return true;
}

// Literal (non-word) text: UTF-8 if valid, else Windows-1252 (raw 8-bit headers).
void append_literal(std::string_view text, std::string& out) {
  if (is_valid_utf8(text))
    out.append(text);
  else
    append_windows1252_as_utf8(text, out);
}

bool same_charset(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

}  // namespace

std::string decode_encoded_words(std::string_view value) {
  // Unfold (RFC 5322 §2.2.3): drop CR and LF; the WSP after them stays.
  std::string unfolded;
  if (value.find_first_of("\r\n") != std::string_view::npos) {
    unfolded.reserve(value.size());
    for (char c : value)
      if (c != '\r' && c != '\n') unfolded += c;
    value = unfolded;
  }
  std::string out;
  out.reserve(value.size());
  std::string pending;  // raw bytes of the current run of adjacent words
  std::string_view pending_charset;
  std::size_t literal_start = 0;  // start of text not yet copied
  bool last_was_word = false;     // only whitespace since the previous decoded word
  std::size_t term_cache = std::string_view::npos - 1;  // "not searched yet"

  auto flush_pending = [&] {
    if (!pending_charset.empty() || !pending.empty()) {
      convert_to_utf8(pending_charset, pending, out);
      pending.clear();
      pending_charset = {};
    }
  };

  std::size_t i = 0;
  while (i + 1 < value.size()) {
    std::size_t start = value.find("=?", i);
    if (start == std::string_view::npos) break;
    ParsedWord w;
    std::string bytes;
    if (!parse_word(value.substr(start), term_cache, start, w, value) || !word_bytes(w, bytes)) {
      i = start + 2;
      continue;
    }
    // Text between the previous point and this word.
    std::string_view between = value.substr(literal_start, start - literal_start);
    bool only_wsp = true;
    for (char c : between)
      if (!is_wsp(c)) only_wsp = false;
    if (last_was_word && only_wsp) {
      // §6.2: whitespace between adjacent encoded words is not displayed.
    } else {
      flush_pending();
      append_literal(between, out);
    }
    std::string_view cs = w.charset;
    if (auto star = cs.find('*'); star != std::string_view::npos) cs = cs.substr(0, star);
    if (!pending.empty() && !same_charset(cs, pending_charset)) flush_pending();
    pending_charset = cs;
    pending += bytes;
    last_was_word = true;
    i = start + w.length;
    literal_start = i;
  }
  flush_pending();
  append_literal(value.substr(literal_start), out);
  return out;
}

bool decode_encoded_word(std::string_view word, std::string& out) {
  if (word.size() < 8 || word.substr(0, 2) != "=?" || word.substr(word.size() - 2) != "?=")
    return false;
  std::size_t term = std::string_view::npos - 1;
  ParsedWord w;
  if (!parse_word(word, term, 0, w, word) || w.length != word.size()) return false;
  std::string bytes;
  if (!word_bytes(w, bytes)) return false;
  std::string_view cs = w.charset;
  if (auto star = cs.find('*'); star != std::string_view::npos) cs = cs.substr(0, star);
  convert_to_utf8(cs, bytes, out);
  return true;
}

bool header_text_is_plain(std::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (!((u >= 0x20 && u <= 0x7E) || c == '\t')) return false;
  }
  return true;
}

namespace {

// RFC 5322 §3.2.3 specials: a phrase holding any of them must be quoted.
bool is_special(char c) {
  switch (c) {
    case '(':
    case ')':
    case '<':
    case '>':
    case '[':
    case ']':
    case ':':
    case ';':
    case '@':
    case '\\':
    case ',':
    case '.':
    case '"':
      return true;
    default:
      return false;
  }
}

// Does this whitespace-free token have to go into an encoded word?
bool token_needs_encoding(std::string_view tok, EncodeContext ctx) {
  if (!header_text_is_plain(tok)) return true;
  if (tok.find("=?") != std::string_view::npos) return true;  // would be read as a word
  if (ctx == EncodeContext::comment)
    for (char c : tok)
      if (c == '(' || c == ')' || c == '\\') return true;
  return false;
}

// Length of the UTF-8 character starting at s[i] (1 for stray bytes).
std::size_t char_length(std::string_view s, std::size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  std::size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
  if (i + len > s.size()) len = s.size() - i;
  for (std::size_t k = 1; k < len; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return k;
  return len;
}

// Encodes `unit` as one or more words separated by single spaces; never splits a character.
void encode_unit(std::string_view unit, std::string& out) {
  std::size_t q_len = qp::encoded_q_size(unit);
  std::size_t b_len = (unit.size() + 2) / 3 * 4;
  // Q stays readable for mostly-Latin text; B is denser for everything else.
  const bool use_b = q_len * 2 > b_len * 3;
  const std::size_t room = kMaxWord - kUtf8Prefix.size() - 4;  // "X?" + "?="
  std::size_t i = 0;
  bool first = true;
  while (i < unit.size()) {
    std::size_t j = i, used = 0;
    while (j < unit.size()) {
      std::size_t len = char_length(unit, j);
      std::size_t cost;
      if (use_b) {
        cost = ((j + len - i) + 2) / 3 * 4;  // whole word so far
        if (cost > room) break;
        used = cost;
      } else {
        cost = qp::encoded_q_size(unit.substr(j, len));
        if (used + cost > room) break;
        used += cost;
      }
      j += len;
    }
    if (j == i) j = i + char_length(unit, i);  // cannot happen with room >= 12; stay safe
    if (!first) out += ' ';
    first = false;
    out += kUtf8Prefix;
    out += use_b ? "B?" : "Q?";
    std::string_view piece = unit.substr(i, j - i);
    if (use_b)
      base64::encode_append(piece, out);
    else
      out += qp::encode_q(piece);
    out += "?=";
    i = j;
  }
}

std::string quote_phrase(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace

std::string encode_header_text(std::string_view utf8, EncodeContext ctx) {
  // Split into tokens and whitespace runs.
  struct Piece {
    std::string_view text;
    bool space;
    bool encode;
  };
  std::vector<Piece> pieces;
  bool any_encode = false;
  for (std::size_t i = 0; i < utf8.size();) {
    std::size_t j = i;
    bool space = is_wsp(utf8[i]);
    while (j < utf8.size() && is_wsp(utf8[j]) == space) ++j;
    Piece p{utf8.substr(i, j - i), space, false};
    if (!space) p.encode = token_needs_encoding(p.text, ctx);
    any_encode = any_encode || p.encode;
    pieces.push_back(p);
    i = j;
  }
  if (!any_encode) {
    if (ctx == EncodeContext::phrase) {
      for (char c : utf8)
        if (is_special(c)) return quote_phrase(utf8);
    }
    return std::string(utf8);
  }
  // In a phrase, a plain token with specials next to encoded words is simplest encoded too.
  if (ctx == EncodeContext::phrase)
    for (auto& p : pieces)
      if (!p.space && !p.encode)
        for (char c : p.text)
          if (is_special(c)) p.encode = true;
  std::string out;
  for (std::size_t k = 0; k < pieces.size();) {
    if (!pieces[k].encode) {
      out.append(pieces[k].text);
      ++k;
      continue;
    }
    // A run of encoded tokens with the whitespace between them goes into one unit, since
    // whitespace between adjacent words is dropped when decoding (§6.2).
    std::size_t first = k, last = k;
    for (std::size_t m = k + 1; m < pieces.size(); ++m) {
      if (pieces[m].encode)
        last = m;
      else if (!pieces[m].space)
        break;
    }
    std::size_t from = static_cast<std::size_t>(pieces[first].text.data() - utf8.data());
    std::size_t to =
        static_cast<std::size_t>(pieces[last].text.data() - utf8.data()) + pieces[last].text.size();
    encode_unit(utf8.substr(from, to - from), out);
    k = last + 1;
  }
  return out;
}

}  // namespace estafeta::mime
