// mime_header: unfolding, decoding and identifier parsing of header values (mime_header.hpp).
#include "mime/mime_header.hpp"

#include "mime/mime_encoded_word.hpp"
#include "mime/mime_lexer.hpp"

namespace estafeta::mime {

std::string unfolded_value(std::string_view raw_value) {
  return std::string(lex::trim(lex::unfold(raw_value)));
}

std::string decoded_value(std::string_view raw_value) {
  std::string_view v = lex::trim(raw_value);
  // Fast path: plain printable ASCII on one line, no encoded word — nothing to decode.
  bool plain = true;
  for (std::size_t i = 0; i < v.size() && plain; ++i) {
    auto c = static_cast<unsigned char>(v[i]);
    if (c >= 0x80 || c < 0x20 || (c == '=' && i + 1 < v.size() && v[i + 1] == '?')) plain = false;
  }
  if (plain) return std::string(v);
  return decode_encoded_words(v);  // removes folds itself
}

std::vector<std::string> parse_message_ids(std::string_view raw_value) {
  std::vector<std::string> ids;
  lex::Cursor c(raw_value);
  bool saw_angle = false;
  while (ids.size() < kMaxMessageIds) {
    lex::skip_cfws(c);
    if (c.done()) break;
    if (c.at('<')) {
      saw_angle = true;
      ++c.p;
      std::string id;
      while (!c.done() && *c.p != '>' && *c.p != '<') {
        char ch = *c.p;
        if (ch == '"') {  // obs-id-left may be a quoted string
          id.push_back('"');
          lex::take_quoted_string(c, id);
          id.push_back('"');
          continue;
        }
        if (ch == '(') {
          lex::skip_cfws(c);
          continue;
        }
        if (lex::is_space(ch)) {
          // Whitespace inside an id: RFC 5322 forbids it; obsolete folds allowed it. Drop it.
          ++c.p;
          continue;
        }
        id.push_back(ch);
        ++c.p;
      }
      if (c.at('>')) ++c.p;
      if (!id.empty()) ids.push_back(std::move(id));
      continue;
    }
    if (c.at('"')) {
      std::string skip;
      lex::take_quoted_string(c, skip);
      continue;
    }
    // A word of an obsolete phrase, or an id without brackets.
    const char* b = c.p;
    while (!c.done() && !lex::is_space(*c.p) && *c.p != '<' && *c.p != '(' && *c.p != '"') ++c.p;
    if (c.p == b)
      ++c.p;  // a lone special: skip it
    else if (!saw_angle && ids.empty() &&
             std::string_view(b, static_cast<std::size_t>(c.p - b)).find('@') !=
                 std::string_view::npos)
      ids.emplace_back(b, static_cast<std::size_t>(c.p - b));
  }
  return ids;
}

std::string_view first_message_id(std::string_view raw_value) {
  auto b = raw_value.find('<');
  if (b == std::string_view::npos) return {};
  auto e = raw_value.find('>', b);
  if (e == std::string_view::npos) return {};
  return raw_value.substr(b, e - b + 1);
}

}  // namespace estafeta::mime
