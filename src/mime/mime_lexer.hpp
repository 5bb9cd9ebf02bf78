// mime_lexer: the lexical tokens of RFC 5322 §3.2 (CFWS, atoms, quoted strings, phrases) and
// RFC 2045 §5.1 (tokens), shared by the address, date and content-type parsers.
// Tolerant like mail clients: unterminated comments and quoted strings end at the end of the
// input, bytes >= 0x80 count as atext (RFC 6532 §3.2), NUL is skipped where it would stop a
// token. Input is untrusted header text. Comment nesting is followed to kMaxCommentDepth
// levels (deeper parentheses are ordinary comment text); no recursion, no allocation except
// into caller-supplied strings.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace estafeta::mime::lex {

inline constexpr int kMaxCommentDepth = 64;

struct Cursor {
  const char* p;
  const char* end;
  explicit Cursor(std::string_view s) : p(s.data()), end(s.data() + s.size()) {}
  bool done() const { return p >= end; }
  char peek() const { return p < end ? *p : '\0'; }
  bool at(char c) const { return p < end && *p == c; }
  std::string_view rest() const { return {p, static_cast<std::size_t>(end - p)}; }
};

inline bool is_wsp(char c) {
  return c == ' ' || c == '\t';
}
inline bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
// RFC 5322 §3.2.3 atext, plus 8-bit bytes (RFC 6532).
bool is_atext(char c);
// RFC 2045 §5.1 tspecials.
bool is_tspecial(char c);
// RFC 2045 §5.1 token characters (no tspecials, no controls, no space); 8-bit accepted.
bool is_token_char(char c);

// Skips whitespace, line breaks and comments. When `comment` is given, the text of the last
// top-level comment is stored in it (Dovecot and mail clients use it as a display name
// fallback: "user@example.org (User Name)"). Returns false at end of input.
bool skip_cfws(Cursor& c, std::string* comment = nullptr);

// atext+ (may be empty when the cursor is not at atext).
std::string_view take_atom(Cursor& c);
// dot-atom-text with obsolete tolerance: atoms and dots in any order ("a..b", ".a").
std::string_view take_dot_atom(Cursor& c);
// RFC 2045 token+ (may be empty).
std::string_view take_token(Cursor& c);
// At '"': appends the content with quoted-pairs resolved and folds removed; advances past the
// closing quote (or to the end if there is none). Returns false if not at '"'.
bool take_quoted_string(Cursor& c, std::string& out);
// phrase / obs-phrase (RFC 5322 §3.2.5, §4.1): words (atoms, quoted strings, and "." for
// obs-phrase) separated by CFWS, appended to `out` joined by single spaces. Stops before any
// other special. Returns the number of words taken.
std::size_t take_phrase(Cursor& c, std::string& out);

// Removes CRLF / LF that precede WSP (RFC 5322 §2.2.3), and any other bare CR or LF.
std::string unfold(std::string_view value);
// Trims SP / HTAB / CR / LF at both ends.
std::string_view trim(std::string_view s);

}  // namespace estafeta::mime::lex
