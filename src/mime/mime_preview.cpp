// mime_preview: the preview text of a message (see mime_preview.hpp).
#include "mime/mime_preview.hpp"

#include <cstdint>

#include "mime/mime_body.hpp"
#include "mime/mime_content_type.hpp"
#include "mime/mime_html_text.hpp"

namespace estafeta::mime {
namespace {

// One UTF-8 character at s[i]: its code point (U+FFFD for a bad sequence) and length.
std::uint32_t next_char(std::string_view s, std::size_t i, std::size_t& len) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) {
    len = 1;
    return c < 0x80 ? c : 0xFFFD;
  }
  std::uint32_t v = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) {
      len = 1;
      return 0xFFFD;
    }
    v = (v << 6) | (b(i + k) & 0x3F);
  }
  len = n;
  return v;
}

bool is_space(std::uint32_t c) {
  return c <= 0x20 || (c >= 0x7F && c <= 0xA0) || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
         c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

// Invisible characters mail templates pad their hidden "preheader" text with.
bool is_invisible(std::uint32_t c) {
  return c == 0xAD || c == 0x034F || (c >= 0x200B && c <= 0x200D) || c == 0x2060 || c == 0xFEFF;
}

// True when `p` is inside a message/rfc822 (or global) part: its text is not this message's.
bool inside_embedded(const Message& m, const Part& p) {
  for (std::uint32_t i = m.index_of(p); i != kNoPart; i = m.parts[i].parent)
    if (m.parts[i].has(kPartEmbedded)) return true;
  return false;
}

bool is_attachment(const Message& m, const Part& p) {
  const HeaderField* cd = m.find_field(p, "Content-Disposition");
  return cd && iequals(parse_disposition(cd->value).type, "attachment");
}

}  // namespace

std::string collapse_preview_text(std::string_view s, std::size_t max_chars) {
  std::string out;
  std::size_t chars = 0;
  bool pending_space = false;
  for (std::size_t i = 0; i < s.size() && chars < max_chars;) {
    std::size_t len = 1;
    std::uint32_t c = next_char(s, i, len);
    if (is_space(c)) {
      pending_space = !out.empty();
    } else if (!is_invisible(c)) {
      if (pending_space) {
        if (chars + 1 >= max_chars) break;  // never end on the space
        out.push_back(' ');
        pending_space = false;
        ++chars;
      }
      if (c == 0xFFFD && len == 1)
        out.append("\xEF\xBF\xBD");
      else
        out.append(s.substr(i, len));
      ++chars;
    }
    i += len;
  }
  return out;
}

std::string message_preview(const Message& m) {
  const Part* plain = nullptr;
  const Part* html = nullptr;
  for (const Part& p : m.parts) {
    if (p.kind != PartKind::leaf || !p.has(kPartText)) continue;
    bool is_plain = p.type.empty() || iequals(p.subtype, "plain");
    bool is_html = !p.type.empty() && iequals(p.subtype, "html");
    if ((!is_plain || plain) && (!is_html || html)) continue;
    if (inside_embedded(m, p) || is_attachment(m, p)) continue;
    if (is_plain) {
      plain = &p;
      break;
    }
    html = &p;
  }
  const Part* chosen = plain ? plain : html;
  if (!chosen) return {};
  Part head = *chosen;  // only the first kPreviewScanBytes of the encoded body
  if (head.body.size > kPreviewScanBytes) head.body.size = kPreviewScanBytes;
  std::string text = text_body_utf8(m, head);
  if (chosen == html) text = html_to_text(text, 64 * 1024);
  return collapse_preview_text(text);
}

}  // namespace estafeta::mime
