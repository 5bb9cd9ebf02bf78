// store_fulltext_text: see the header.
#include "store/store_fulltext_text.hpp"

#include <vector>

#include "mime/mime_search_text.hpp"

namespace estafeta::store {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// The length of the well-formed UTF-8 sequence at `s[i]` that the index keeps as it is, or 0
// (RFC 3629 §4 syntax; NUL, surrogates, U+FFFD, U+FFFE and U+FFFF refused).
std::size_t kept_sequence(std::string_view s, std::size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return c == 0 ? 0 : 1;
  std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
  if (len == 0 || c > 0xF4 || i + len > s.size()) return 0;
  char32_t cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
  for (std::size_t j = 1; j < len; ++j) {
    auto d = static_cast<unsigned char>(s[i + j]);
    if ((d & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (d & 0x3F);
  }
  if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return 0;
  if ((cp >= 0xD800 && cp <= 0xDFFF) || (cp >= 0xFFFD && cp <= 0xFFFF)) return 0;
  return len;
}

std::string joined(const std::vector<std::string>& units) {
  std::string out;
  for (std::size_t i = 0; i < units.size(); ++i) {
    if (i) out.append(kReplacement);
    out.append(fulltext_sanitize(units[i]));
  }
  return out;
}

}  // namespace

std::string fulltext_sanitize(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t len = kept_sequence(s, i);
    if (len == 0) {
      out.append(kReplacement);
      ++i;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  return out;
}

bool fulltext_answerable(std::string_view folded) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < folded.size();) {
    std::size_t len = kept_sequence(folded, i);
    if (len == 0) return false;
    i += len;
    ++chars;
  }
  return chars >= 3;
}

FulltextDocument fulltext_document(const mime::Message& m) {
  FulltextDocument doc;
  auto top = m.fields_of(m.root());
  struct Named {
    std::string_view name;
    FulltextColumn col;
    bool addresses;
  };
  static constexpr Named kNamed[] = {{"Subject", kColSubject, false},
                                     {"From", kColFrom, true},
                                     {"To", kColTo, true},
                                     {"Cc", kColCc, true},
                                     {"Bcc", kColBcc, true}};
  for (const Named& n : kNamed) {
    std::vector<std::string> units;
    for (const mime::HeaderField& f : top) {
      if (!mime::iequals(f.name, n.name)) continue;
      units.push_back(mime::search_field_text(f));
      if (n.addresses) mime::search_address_texts(f, units);
    }
    doc[n.col] = joined(units);
  }
  doc[kColHeaders] = fulltext_sanitize(mime::search_headers_text(top, &m));
  doc[kColBody] = fulltext_sanitize(mime::search_body_text(m));
  return doc;
}

namespace {

std::string_view columns_of(TextField field) {
  switch (field) {
    case TextField::subject:
      return "c_subject";
    case TextField::from:
      return "c_from";
    case TextField::to:
      return "c_to";
    case TextField::cc:
      return "c_cc";
    case TextField::bcc:
      return "c_bcc";
    case TextField::body:
      return "c_body";
    case TextField::text:
      break;
  }
  return "{c_headers c_body}";
}

void append_phrase(std::string& out, std::string_view folded) {
  out.push_back('"');
  for (char c : folded) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace

std::string fulltext_match_expression(TextField field, std::string_view folded) {
  std::string out(columns_of(field));
  out.append(" : ");
  append_phrase(out, folded);
  return out;
}

std::string fulltext_match_any(TextField field, const std::vector<std::string>& phrases) {
  std::string out(columns_of(field));
  out.append(" : (");
  for (std::size_t i = 0; i < phrases.size(); ++i) {
    if (i) out.append(" OR ");
    append_phrase(out, phrases[i]);
  }
  out.push_back(')');
  return out;
}

}  // namespace estafeta::store
