// mime_html_text: HTML to readable text (see mime_html_text.hpp).
#include "mime/mime_html_text.hpp"

#include <array>
#include <cstdint>

#include "mime/mime_message.hpp"

namespace estafeta::mime {
namespace {

void append_utf8(std::string& out, std::uint32_t c) {
  if (c == 0 || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) c = 0xFFFD;
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

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_alnum(char c) {
  return is_alpha(c) || (c >= '0' && c <= '9');
}

struct Named {
  std::string_view name;
  std::uint32_t code;
};
// The named character references mail HTML uses in practice (HTML 5 §13.5 has 2231; the
// rest are left as written). Case-sensitive, as in HTML.
constexpr std::array<Named, 52> kNamed{{
    {"amp", '&'},      {"lt", '<'},        {"gt", '>'},        {"quot", '"'},     {"apos", '\''},
    {"nbsp", 0xA0},    {"copy", 0xA9},     {"reg", 0xAE},      {"trade", 0x2122}, {"mdash", 0x2014},
    {"ndash", 0x2013}, {"hellip", 0x2026}, {"lsquo", 0x2018},  {"rsquo", 0x2019}, {"ldquo", 0x201C},
    {"rdquo", 0x201D}, {"sbquo", 0x201A},  {"bdquo", 0x201E},  {"laquo", 0xAB},   {"raquo", 0xBB},
    {"euro", 0x20AC},  {"pound", 0xA3},    {"yen", 0xA5},      {"cent", 0xA2},    {"middot", 0xB7},
    {"bull", 0x2022},  {"deg", 0xB0},      {"times", 0xD7},    {"divide", 0xF7},  {"shy", 0xAD},
    {"zwnj", 0x200C},  {"zwj", 0x200D},    {"thinsp", 0x2009}, {"ensp", 0x2002},  {"emsp", 0x2003},
    {"iexcl", 0xA1},   {"iquest", 0xBF},   {"sect", 0xA7},     {"para", 0xB6},    {"auml", 0xE4},
    {"ouml", 0xF6},    {"uuml", 0xFC},     {"Auml", 0xC4},     {"Ouml", 0xD6},    {"Uuml", 0xDC},
    {"szlig", 0xDF},   {"eacute", 0xE9},   {"egrave", 0xE8},   {"agrave", 0xE0},  {"ccedil", 0xE7},
    {"ntilde", 0xF1},  {"Eacute", 0xC9},
}};

// Decodes the character reference at html[i] == '&'; returns the octets consumed (0: not a
// reference, the '&' is text).
std::size_t char_ref(std::string_view html, std::size_t i, std::string& out) {
  std::size_t j = i + 1;
  if (j < html.size() && html[j] == '#') {
    ++j;
    bool hex = j < html.size() && (html[j] == 'x' || html[j] == 'X');
    if (hex) ++j;
    std::uint32_t v = 0;
    std::size_t digits = 0;
    for (; j < html.size() && digits < 8; ++j, ++digits) {
      char c = html[j];
      int d = (c >= '0' && c <= '9')          ? c - '0'
              : hex && (c >= 'a' && c <= 'f') ? c - 'a' + 10
              : hex && (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                              : -1;
      if (d < 0) break;
      v = v * (hex ? 16 : 10) + static_cast<std::uint32_t>(d);
    }
    if (digits == 0) return 0;
    if (j < html.size() && html[j] == ';') ++j;
    append_utf8(out, v);
    return j - i;
  }
  std::size_t k = j;
  while (k < html.size() && k - j < 10 && is_alnum(html[k])) ++k;
  std::string_view name = html.substr(j, k - j);
  for (const Named& n : kNamed) {
    if (n.name == name) {
      if (k < html.size() && html[k] == ';') ++k;
      append_utf8(out, n.code);
      return k - i;
    }
  }
  return 0;
}

bool tag_is(std::string_view name, std::initializer_list<std::string_view> set) {
  for (std::string_view s : set)
    if (iequals(name, s)) return true;
  return false;
}

// The index just past the '>' that ends the tag whose attributes start at `i` (quoted
// attribute values may hold '>'), or html.size().
std::size_t tag_end(std::string_view html, std::size_t i) {
  char quote = 0;
  for (; i < html.size(); ++i) {
    char c = html[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '>') {
      return i + 1;
    }
  }
  return html.size();
}

// The index just past "</name ...>" from `i` (case-insensitive), or html.size().
std::size_t skip_element(std::string_view html, std::size_t i, std::string_view name) {
  while (i < html.size()) {
    std::size_t lt = html.find("</", i);
    if (lt == std::string_view::npos) return html.size();
    std::string_view n = html.substr(lt + 2, name.size());
    std::size_t after = lt + 2 + n.size();
    if (iequals(n, name) && (after >= html.size() || !is_alnum(html[after])))
      return tag_end(html, after);
    i = lt + 2;
  }
  return html.size();
}

// Cuts `s` back to at most `max` octets at a UTF-8 character boundary.
void cut(std::string& s, std::size_t max) {
  if (s.size() <= max) return;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
}

}  // namespace

std::string html_to_text(std::string_view html, std::size_t max_out) {
  std::string out;
  std::size_t i = 0;
  while (i < html.size()) {
    if (max_out != 0 && out.size() > max_out) break;
    char c = html[i];
    if (c == '&') {
      if (std::size_t n = char_ref(html, i, out)) {
        i += n;
        continue;
      }
      out.push_back('&');
      ++i;
      continue;
    }
    if (c != '<') {
      out.push_back(c);
      ++i;
      continue;
    }
    // Markup: a comment, a declaration or processing instruction, or a tag.
    if (html.substr(i, 4) == "<!--") {
      std::size_t e = html.find("-->", i + 4);
      i = e == std::string_view::npos ? html.size() : e + 3;
      continue;
    }
    std::size_t j = i + 1;
    bool closing = j < html.size() && html[j] == '/';
    if (closing) ++j;
    if (j < html.size() && (html[j] == '!' || html[j] == '?')) {
      i = tag_end(html, j);
      continue;
    }
    std::size_t name_start = j;
    while (j < html.size() && (is_alnum(html[j]) || html[j] == '-' || html[j] == ':')) ++j;
    std::string_view name = html.substr(name_start, j - name_start);
    if (name.empty() || !is_alpha(name[0])) {  // "a < b": text
      out.push_back('<');
      ++i;
      continue;
    }
    i = tag_end(html, j);
    if (!closing && tag_is(name, {"style", "script", "title", "template", "noscript"})) {
      i = skip_element(html, i, name);
      continue;
    }
    if (tag_is(name, {"br",         "p",     "div",  "li",      "ul",      "ol",     "tr",     "td",
                      "th",         "table", "h1",   "h2",      "h3",      "h4",     "h5",     "h6",
                      "blockquote", "pre",   "hr",   "section", "article", "header", "footer", "dd",
                      "dt",         "dl",    "body", "center",  "address"}))
      out.push_back('\n');
  }
  if (max_out != 0) cut(out, max_out);
  return out;
}

}  // namespace estafeta::mime
