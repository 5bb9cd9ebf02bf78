// imap_lexer: see imap_lexer.hpp.
#include "imap/proto/imap_lexer.hpp"

namespace estafeta::imap {
namespace {

char upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
}

}  // namespace

bool Lexer::is_atom_char(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u <= 0x1f || u >= 0x7f) return false;  // CTL, DEL, 8-bit
  switch (c) {
    case '(':
    case ')':
    case '{':
    case ' ':
    case '%':
    case '*':
    case '"':
    case '\\':
    case ']':
      return false;
    default:
      return true;
  }
}

bool Lexer::consume(char c) {
  if (at_end() || in_[pos_] != c) return false;
  ++pos_;
  return true;
}

bool Lexer::keyword(std::string_view word) {
  if (in_.size() - pos_ < word.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    if (upper(in_[pos_ + i]) != upper(word[i])) return false;
  }
  std::size_t end = pos_ + word.size();
  if (end < in_.size() && is_atom_char(in_[end]) && is_atom_char(word.back())) return false;
  pos_ = end;
  return true;
}

std::optional<std::string_view> Lexer::atom() {
  std::size_t start = pos_;
  while (!at_end() && is_atom_char(in_[pos_])) ++pos_;
  if (pos_ == start) return std::nullopt;
  return in_.substr(start, pos_ - start);
}

std::optional<std::string_view> Lexer::astring_atom() {
  std::size_t start = pos_;
  while (!at_end() && (is_atom_char(in_[pos_]) || in_[pos_] == ']')) ++pos_;
  if (pos_ == start) return std::nullopt;
  return in_.substr(start, pos_ - start);
}

std::optional<std::string_view> Lexer::tag() {
  std::size_t start = pos_;
  while (!at_end() && (is_atom_char(in_[pos_]) || in_[pos_] == ']') && in_[pos_] != '+') ++pos_;
  if (pos_ == start) return std::nullopt;
  return in_.substr(start, pos_ - start);
}

std::optional<std::string_view> Lexer::flag() {
  std::size_t start = pos_;
  if (consume('\\')) {
    if (consume('*')) return in_.substr(start, 2);  // "\*" (PERMANENTFLAGS form)
  }
  while (!at_end() && is_atom_char(in_[pos_])) ++pos_;
  if (pos_ == start || (pos_ == start + 1 && in_[start] == '\\')) {
    pos_ = start;
    return std::nullopt;
  }
  return in_.substr(start, pos_ - start);
}

std::optional<std::string> Lexer::quoted() {
  std::size_t start = pos_;
  if (!consume('"')) return std::nullopt;
  std::string out;
  while (!at_end()) {
    char c = in_[pos_++];
    if (c == '"') return out;
    if (c == '\\') {
      if (at_end() || (in_[pos_] != '"' && in_[pos_] != '\\')) break;
      out += in_[pos_++];
      continue;
    }
    if (c == '\r' || c == '\n' || c == '\0') break;
    out += c;
  }
  pos_ = start;
  return std::nullopt;
}

std::optional<std::string> Lexer::literal(bool allow8, bool* literal8) {
  std::size_t start = pos_;
  literal_had_nul_ = false;
  bool is8 = consume('~');
  if (is8 && !allow8) {
    pos_ = start;
    return std::nullopt;
  }
  if (!consume('{')) {
    pos_ = start;
    return std::nullopt;
  }
  auto n = number64();
  consume('+');
  if (!n || !consume('}') || !consume('\r') || !consume('\n') || in_.size() - pos_ < *n) {
    pos_ = start;
    return std::nullopt;
  }
  std::string out(in_.substr(pos_, static_cast<std::size_t>(*n)));
  if (!is8 && out.find('\0') != std::string::npos) {  // literal = *CHAR8, no NUL (RFC 9051 §9)
    pos_ = start;
    literal_had_nul_ = true;
    return std::nullopt;
  }
  pos_ += static_cast<std::size_t>(*n);
  if (literal8) *literal8 = is8;
  return out;
}

std::optional<std::string> Lexer::string() {
  if (peek() == '"') return quoted();
  return literal();
}

std::optional<std::string> Lexer::astring() {
  if (peek() == '"' || peek() == '{') return string();
  auto a = astring_atom();
  if (!a) return std::nullopt;
  return std::string(*a);
}

std::optional<std::optional<std::string>> Lexer::nstring() {
  if (peek() == '"' || peek() == '{') {
    auto s = string();
    if (!s) return std::nullopt;
    return std::optional<std::string>(std::move(*s));
  }
  if (keyword("NIL")) return std::optional<std::string>();
  return std::nullopt;
}

std::optional<std::string> Lexer::list_mailbox() {
  if (peek() == '"' || peek() == '{') return string();
  std::size_t start = pos_;
  while (!at_end() &&
         (is_atom_char(in_[pos_]) || in_[pos_] == '%' || in_[pos_] == '*' || in_[pos_] == ']'))
    ++pos_;
  if (pos_ == start) return std::nullopt;
  return std::string(in_.substr(start, pos_ - start));
}

std::optional<std::uint32_t> Lexer::number(bool nz) {
  std::size_t start = pos_;
  auto n = number64(nz);
  if (!n || *n > 0xffffffffULL) {
    pos_ = start;
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(*n);
}

std::optional<std::uint64_t> Lexer::number64(bool nz) {
  std::size_t start = pos_;
  std::uint64_t n = 0;
  while (!at_end() && in_[pos_] >= '0' && in_[pos_] <= '9') {
    n = n * 10 + static_cast<std::uint64_t>(in_[pos_] - '0');
    if (n > 0x7fffffffffffffffULL || pos_ - start >= 19) {
      pos_ = start;
      return std::nullopt;
    }
    ++pos_;
  }
  if (pos_ == start || (nz && n == 0)) {
    pos_ = start;
    return std::nullopt;
  }
  return n;
}

std::optional<std::string_view> Lexer::sequence_text() {
  std::size_t start = pos_;
  while (!at_end()) {
    char c = in_[pos_];
    if ((c >= '0' && c <= '9') || c == ':' || c == ',' || c == '*' || c == '$') {
      ++pos_;
    } else {
      break;
    }
  }
  if (pos_ == start) return std::nullopt;
  return in_.substr(start, pos_ - start);
}

}  // namespace estafeta::imap
