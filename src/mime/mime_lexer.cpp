// mime_lexer: RFC 5322 §3.2 / RFC 2045 §5.1 tokens. See mime_lexer.hpp for the tolerance
// rules. Every loop advances the cursor, so each function is linear in its input.
#include "mime/mime_lexer.hpp"

namespace estafeta::mime::lex {

bool is_atext(char ch) {
  auto c = static_cast<unsigned char>(ch);
  if (c >= 0x80) return true;  // RFC 6532 §3.2: UTF8-non-ascii is atext
  if (c >= 'a' && c <= 'z') return true;
  if (c >= 'A' && c <= 'Z') return true;
  if (c >= '0' && c <= '9') return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '/':
    case '=':
    case '?':
    case '^':
    case '_':
    case '`':
    case '{':
    case '|':
    case '}':
    case '~':
      return true;
    default:
      return false;
  }
}

bool is_tspecial(char c) {
  switch (c) {
    case '(':
    case ')':
    case '<':
    case '>':
    case '@':
    case ',':
    case ';':
    case ':':
    case '\\':
    case '"':
    case '/':
    case '[':
    case ']':
    case '?':
    case '=':
      return true;
    default:
      return false;
  }
}

bool is_token_char(char ch) {
  auto c = static_cast<unsigned char>(ch);
  if (c >= 0x80) return true;
  if (c <= 0x20 || c == 0x7f) return false;
  return !is_tspecial(ch);
}

bool skip_cfws(Cursor& c, std::string* comment) {
  while (c.p < c.end) {
    char ch = *c.p;
    if (is_space(ch) || ch == '\0') {
      ++c.p;
      continue;
    }
    if (ch != '(') break;
    // RFC 5322 §3.2.2 comment, nested; quoted-pairs inside.
    ++c.p;
    int depth = 1;
    if (comment != nullptr) comment->clear();
    while (c.p < c.end && depth > 0) {
      char d = *c.p++;
      if (d == '\\' && c.p < c.end) {
        if (comment != nullptr) comment->push_back(*c.p);
        ++c.p;
        continue;
      }
      if (d == '(') {
        if (depth < kMaxCommentDepth) ++depth;
      } else if (d == ')') {
        if (--depth == 0) break;
      } else if (d == '\r' || d == '\n') {
        continue;  // folds inside comments: unfold
      }
      if (comment != nullptr) comment->push_back(d);
    }
  }
  return c.p < c.end;
}

std::string_view take_atom(Cursor& c) {
  const char* b = c.p;
  while (c.p < c.end && is_atext(*c.p)) ++c.p;
  return {b, static_cast<std::size_t>(c.p - b)};
}

std::string_view take_dot_atom(Cursor& c) {
  const char* b = c.p;
  while (c.p < c.end && (is_atext(*c.p) || *c.p == '.')) ++c.p;
  return {b, static_cast<std::size_t>(c.p - b)};
}

std::string_view take_token(Cursor& c) {
  const char* b = c.p;
  while (c.p < c.end && is_token_char(*c.p)) ++c.p;
  return {b, static_cast<std::size_t>(c.p - b)};
}

bool take_quoted_string(Cursor& c, std::string& out) {
  if (!c.at('"')) return false;
  ++c.p;
  while (c.p < c.end) {
    char ch = *c.p++;
    if (ch == '"') return true;
    if (ch == '\\' && c.p < c.end) {
      out.push_back(*c.p++);
      continue;
    }
    if (ch == '\r' || ch == '\n') continue;  // RFC 5322 §3.2.4: folds are not part of it
    out.push_back(ch);
  }
  return true;
}

std::size_t take_phrase(Cursor& c, std::string& out) {
  std::size_t words = 0;
  while (true) {
    skip_cfws(c);
    if (c.done()) break;
    std::size_t before = out.size();
    if (words > 0) out.push_back(' ');
    if (c.at('"')) {
      take_quoted_string(c, out);
    } else if (is_atext(*c.p) || *c.p == '.') {  // obs-phrase allows "."
      out.append(take_dot_atom(c));
    } else {
      out.resize(before);
      break;
    }
    ++words;
  }
  return words;
}

std::string unfold(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char ch : v)
    if (ch != '\r' && ch != '\n') out.push_back(ch);
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace estafeta::mime::lex
