// mime_imap_quote: IMAP string / nstring / literal output (see mime_imap_quote.hpp).
#include "mime/mime_imap_quote.hpp"

#include "mime/mime_charset.hpp"

namespace estafeta::mime {
namespace {

constexpr int kMaxQuotedEscapes = 4;  // beyond this a literal is shorter (Dovecot's rule)

void append_literal(std::string& out, std::string_view s) {
  out.push_back('{');
  out += std::to_string(s.size());
  out += "}\r\n";
  out.append(s);
}

void append_quoted(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

// NUL cannot appear in an IMAP string; like Dovecot's header parser, write U+FFFD for it.
std::string replace_nul(std::string_view s) {
  std::string v;
  v.reserve(s.size() + 8);
  for (char c : s) {
    if (c == '\0')
      v += "\xEF\xBF\xBD";
    else
      v.push_back(c);
  }
  return v;
}

}  // namespace

void imap_append_string(std::string& out, std::string_view s, ImapQuoteOptions o) {
  if (s.find('\0') != std::string_view::npos) return imap_append_string(out, replace_nul(s), o);
  int escapes = 0;
  bool eight_bit = false;
  for (char c : s) {
    if (c == '\r' || c == '\n') return append_literal(out, s);
    if (c == '"' || c == '\\') {
      if (++escapes > kMaxQuotedEscapes) return append_literal(out, s);
    }
    if (static_cast<unsigned char>(c) >= 0x80) eight_bit = true;
  }
  if (eight_bit && (!o.utf8 || !is_valid_utf8(s))) return append_literal(out, s);
  append_quoted(out, s);
}

void imap_append_nstring(std::string& out, const std::optional<std::string_view>& s,
                         ImapQuoteOptions o) {
  if (!s) {
    out += "NIL";
    return;
  }
  imap_append_string(out, *s, o);
}

void imap_append_nstring_nolf(std::string& out, const std::optional<std::string_view>& s,
                              ImapQuoteOptions o) {
  if (!s || s->find_first_of("\r\n") == std::string_view::npos)
    return imap_append_nstring(out, s, o);
  std::string v;
  v.reserve(s->size());
  const std::string_view t = *s;
  for (std::size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (c != '\r' && c != '\n') {
      v.push_back(c);
      continue;
    }
    char n = i + 1 < t.size() ? t[i + 1] : '\0';
    if (n != ' ' && n != '\t' && n != '\r' && n != '\n' && n != '\0') v.push_back(' ');
  }
  imap_append_string(out, v, o);
}

void imap_append_string_for_humans(std::string& out, std::string_view s, ImapQuoteOptions o) {
  if (s.find('\0') != std::string_view::npos)
    return imap_append_string_for_humans(out, replace_nul(s), o);
  bool modify = false;
  bool last_ws = true;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\r' || c == '\n' || c == '\t' || c == '"' || c == '\\') modify = true;
    if (c == ' ' && last_ws) modify = true;
    if (u >= 0x80 && !o.utf8) modify = true;
    last_ws = c == ' ' || c == '\t' || c == '\r' || c == '\n';
  }
  if (last_ws && !s.empty()) modify = true;
  if (o.utf8 && !is_valid_utf8(s)) modify = true;
  if (!modify) {
    out.push_back('"');
    out.append(s);
    out.push_back('"');
    return;
  }
  std::string v;
  v.reserve(s.size());
  bool ws = true;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (!ws) v.push_back(' ');
      ws = true;
      continue;
    }
    v.push_back(c);
    ws = false;
  }
  if (!v.empty() && v.back() == ' ') v.pop_back();
  if (v.empty()) {
    out += "\"\"";
    return;
  }
  // Dovecot writes a literal whenever it had to change something.
  append_literal(out, v);
}

}  // namespace estafeta::mime
