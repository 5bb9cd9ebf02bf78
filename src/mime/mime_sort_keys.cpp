// mime_sort_keys: see the header. base_subject works on a view of its own copy and only ever
// shrinks it from either end, so each step is bounded by the subject's length.
#include "mime/mime_sort_keys.hpp"

#include "mime/mime_casemap.hpp"

namespace estafeta::mime {
namespace {

char upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 0x20) : c;
}

bool iequal_prefix(std::string_view s, std::string_view word) {
  if (s.size() < word.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i)
    if (upper(s[i]) != upper(word[i])) return false;
  return true;
}

// subj-blob = "[" *BLOBCHAR "]" *WSP at `p`: the position after it, or npos.
std::size_t blob_end(std::string_view v, std::size_t p) {
  if (p >= v.size() || v[p] != '[') return std::string_view::npos;
  std::size_t i = p + 1;
  while (i < v.size() && v[i] != '[' && v[i] != ']') ++i;
  if (i >= v.size() || v[i] != ']') return std::string_view::npos;
  ++i;
  while (i < v.size() && v[i] == ' ') ++i;
  return i;
}

// subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":" at `p`: the position after, or npos.
std::size_t refwd_end(std::string_view v, std::size_t p) {
  std::string_view s = v.substr(p);
  std::size_t i;
  if (iequal_prefix(s, "re"))
    i = 2;
  else if (iequal_prefix(s, "fwd"))
    i = 3;
  else if (iequal_prefix(s, "fw"))
    i = 2;
  else
    return std::string_view::npos;
  i += p;
  while (i < v.size() && v[i] == ' ') ++i;
  if (std::size_t b = blob_end(v, i); b != std::string_view::npos) i = b;
  if (i >= v.size() || v[i] != ':') return std::string_view::npos;
  return i + 1;
}

}  // namespace

std::string casemap_key(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out.push_back(upper(static_cast<char>(c)));
      ++i;
      continue;
    }
    std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
    if (len == 0 || i + len > n) {  // not UTF-8: the byte as it is
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    char32_t cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
    bool ok = true;
    for (std::size_t j = 1; j < len; ++j) {
      auto d = static_cast<unsigned char>(s[i + j]);
      if ((d & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if (!ok || (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    if (std::string_view t = casemap_fold(cp); !t.empty()) {
      for (char f : t) out.push_back(upper(f));
    } else {
      out.append(s.data() + i, len);
    }
    i += len;
  }
  return out;
}

std::string base_subject(std::string_view decoded, bool* reply) {
  // (1) Tabs and line breaks become spaces, runs of whitespace one space.
  std::string text;
  text.reserve(decoded.size());
  for (char c : decoded) {
    if (c == '\t' || c == '\r' || c == '\n') c = ' ';
    if (c == ' ' && !text.empty() && text.back() == ' ') continue;
    text.push_back(c);
  }
  std::string_view v = text;
  bool is_reply = false;
  constexpr auto npos = std::string_view::npos;
  for (;;) {
    // (2) Trailing "(fwd)" subj-trailers and whitespace.
    for (;;) {
      while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
      if (v.size() >= 5 && iequal_prefix(v.substr(v.size() - 5), "(fwd)")) {
        v.remove_suffix(5);
        is_reply = true;
        continue;
      }
      break;
    }
    // (5) Repeat (3) and (4) until nothing matches.
    for (bool changed = true; changed;) {
      changed = false;
      // (3) Leaders: whitespace, or *subj-blob subj-refwd.
      for (;;) {
        if (!v.empty() && v.front() == ' ') {
          v.remove_prefix(1);
          changed = true;
          continue;
        }
        std::size_t p = 0;
        for (std::size_t b; (b = blob_end(v, p)) != npos;) p = b;
        if (std::size_t r = refwd_end(v, p); r != npos) {
          v.remove_prefix(r);
          is_reply = true;
          changed = true;
          continue;
        }
        break;
      }
      // (4) A leading subj-blob, unless it is all that is left.
      if (std::size_t b = blob_end(v, 0); b != npos && b < v.size()) {
        v.remove_prefix(b);
        changed = true;
      }
    }
    // (6) "[fwd:" subject "]": unwrap and start again at (2).
    if (v.size() >= 6 && iequal_prefix(v, "[fwd:") && v.back() == ']') {
      v = v.substr(5, v.size() - 6);
      is_reply = true;
      continue;
    }
    break;
  }
  if (reply) *reply = is_reply;
  return std::string(v);
}

}  // namespace estafeta::mime
