// mime_search_text: see the header.
#include "mime/mime_search_text.hpp"

#include "mime/mime_address.hpp"
#include "mime/mime_body.hpp"
#include "mime/mime_casemap.hpp"
#include "mime/mime_header.hpp"

namespace estafeta::mime {

namespace {

// The lower-case form of one code point, for the scripts most mail is written in.
char32_t fold_code_point(char32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 0x20 : c;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 0x20;  // Latin-1
  if (c >= 0x100 && c <= 0x17F) {                            // Latin Extended-A
    if (c == 0x130) return 'i';
    if (c == 0x131 || c == 0x138 || c == 0x149) return c;
    if (c == 0x178) return 0xFF;
    if (c == 0x17F) return 's';
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return (c & 1) ? c + 1 : c;
    return (c & 1) ? c : c + 1;
  }
  if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 0x20;  // Greek capitals
  if (c == 0x3C2) return 0x3C3;                                 // final sigma
  if (c == 0x386) return 0x3AC;
  if (c >= 0x388 && c <= 0x38A) return c + 37;
  if (c == 0x38C) return 0x3CC;
  if (c == 0x38E || c == 0x38F) return c + 63;
  if (c >= 0x410 && c <= 0x42F) return c + 0x20;  // Cyrillic
  if (c >= 0x400 && c <= 0x40F) return c + 0x50;
  if ((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF) || (c >= 0x4D0 && c <= 0x52F))
    return (c & 1) ? c : c + 1;
  if (c >= 0x1E00 && c <= 0x1EFF) return (c & 1) ? c : c + 1;  // Latin Extended Additional
  if (c >= 0xFF21 && c <= 0xFF3A) return c + 0x20;             // fullwidth A-Z
  return c;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

}  // namespace

std::string search_fold(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {  // a run of ASCII at once (most text): one append, a loop that vectorizes
      std::size_t j = i + 1;
      while (j < n && static_cast<unsigned char>(s[j]) < 0x80) ++j;
      const std::size_t at = out.size();
      out.append(s.data() + i, j - i);
      for (char *p = out.data() + at, *end = out.data() + out.size(); p != end; ++p)
        *p = static_cast<char>(*p + ((*p >= 'A' && *p <= 'Z') ? 0x20 : 0));
      i = j;
      continue;
    }
    // Decode one well-formed sequence; anything else is copied byte by byte.
    std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
    if (len == 0 || i + len > n) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    char32_t cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
    bool ok = true;
    for (std::size_t j = 1; j < len; ++j) {
      auto d = static_cast<unsigned char>(s[i + j]);
      if ((d & 0xC0) != 0x80) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (d & 0x3F);
    }
    if (!ok || (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    if (std::string_view t = casemap_fold(cp); !t.empty()) {
      out.append(t);
      i += len;
      continue;
    }
    char32_t f = fold_code_point(cp);
    if (f == cp)
      out.append(s.substr(i, len));
    else
      append_utf8(out, f);
    i += len;
  }
  return out;
}

std::string search_field_text(const HeaderField& f) {
  return search_fold(decoded_value(f.value));
}

void search_address_texts(const HeaderField& f, std::vector<std::string>& out) {
  for (const Address& a : parse_address_list(f.value)) {
    if (a.kind != Address::Kind::mailbox) continue;
    std::string shown = decoded_name(a);
    shown += " <" + a.local + "@" + a.domain + ">";
    out.push_back(search_fold(shown));
  }
}

void append_search_fields(std::string& out, std::span<const HeaderField> fields) {
  for (const HeaderField& f : fields) {
    out.append(search_fold(f.name));
    out.append(": ");
    out.append(search_field_text(f));
    out.push_back('\n');
  }
}

std::string search_headers_text(std::span<const HeaderField> top, const Message* m) {
  std::string out;
  append_search_fields(out, top);
  if (m)
    for (std::size_t i = 1; i < m->parts.size(); ++i)
      append_search_fields(out, m->fields_of(m->parts[i]));
  return out;
}

std::string search_body_text(const Message& m) {
  std::string out;
  for (const Part& p : m.parts) {
    if (p.kind != PartKind::leaf || !p.has(kPartText)) continue;
    out.append(search_fold(text_body_utf8(m, p)));
    out.push_back('\n');
  }
  return out;
}

}  // namespace estafeta::mime
