// mime_search_fuzzy: see the header.
#include "mime/mime_search_fuzzy.hpp"

#include <algorithm>
#include <unordered_set>

namespace estafeta::mime {

namespace {

bool word_byte(unsigned char c) {
  return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Splits UTF-8 into characters (a lead byte and its continuation bytes).
std::vector<std::string_view> characters(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t j = i + 1;
    if (static_cast<unsigned char>(s[i]) >= 0xC0)
      while (j < s.size() && (static_cast<unsigned char>(s[j]) & 0xC0) == 0x80) ++j;
    out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

// Calls fn(word) for each word of `s`.
template <typename F>
void each_word(std::string_view s, F fn) {
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && !word_byte(static_cast<unsigned char>(s[i]))) ++i;
    std::size_t j = i;
    while (j < s.size() && word_byte(static_cast<unsigned char>(s[j]))) ++j;
    if (j > i) fn(s.substr(i, j - i));
    i = j;
  }
}

}  // namespace

std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

std::vector<std::string> fuzzy_words(std::string_view folded) {
  // A hash set of the words seen (views into `folded`): linear in the text. A search of
  // `out` for each word was quadratic, minutes for a large message of distinct words, in the
  // indexer thread that shutdown waits for.
  std::vector<std::string> out;
  std::unordered_set<std::string_view> seen;
  each_word(folded, [&](std::string_view w) {
    if (seen.insert(w).second) out.emplace_back(w);
  });
  return out;
}

std::vector<std::string> fuzzy_query_words(std::string_view folded) {
  std::vector<std::string> out;
  for (std::string& w : fuzzy_words(folded)) {
    if (utf8_length(w) < kFuzzyMinWord) continue;
    if (out.size() == kFuzzyMaxWords) break;
    out.push_back(std::move(w));
  }
  return out;
}

bool fuzzy_vocabulary_word(std::string_view w) {
  std::size_t n = utf8_length(w);
  if (n < kFuzzyTypoMin || n > kFuzzyMaxVocab) return false;
  // Well-formed UTF-8 only, without U+FFFD..U+FFFF and surrogates (what the full-text index
  // stores in place of bad bytes), so that the index and a scan have the same vocabulary.
  for (std::size_t i = 0; i < w.size();) {
    auto c = static_cast<unsigned char>(w[i]);
    if (c < 0x80) {
      if (c >= '0' && c <= '9') return false;
      ++i;
      continue;
    }
    std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (len == 0 || c > 0xF4 || i + len > w.size()) return false;
    char32_t cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
    for (std::size_t j = 1; j < len; ++j) {
      auto d = static_cast<unsigned char>(w[i + j]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || (cp >= 0xFFFD && cp <= 0xFFFF))
      return false;
    i += len;
  }
  return true;
}

bool within_one_edit(std::string_view a, std::string_view b) {
  if (a == b) return true;
  auto x = characters(a), y = characters(b);
  if (x.size() > y.size()) std::swap(x, y);
  if (y.size() - x.size() > 1) return false;
  std::size_t i = 0;
  while (i < x.size() && x[i] == y[i]) ++i;
  if (x.size() == y.size()) {
    // substitution at i, or a swap of i and i+1
    if (std::equal(x.begin() + static_cast<std::ptrdiff_t>(i) + 1, x.end(),
                   y.begin() + static_cast<std::ptrdiff_t>(i) + 1))
      return true;
    return i + 1 < x.size() && x[i] == y[i + 1] && x[i + 1] == y[i] &&
           std::equal(x.begin() + static_cast<std::ptrdiff_t>(i) + 2, x.end(),
                      y.begin() + static_cast<std::ptrdiff_t>(i) + 2);
  }
  // y has one more character: skip y[i]
  return std::equal(x.begin() + static_cast<std::ptrdiff_t>(i), x.end(),
                    y.begin() + static_cast<std::ptrdiff_t>(i) + 1);
}

std::vector<std::string> one_deletions(std::string_view w) {
  auto cs = characters(w);
  std::vector<std::string> out;
  for (std::size_t skip = 0; skip < cs.size(); ++skip) {
    std::string v;
    for (std::size_t i = 0; i < cs.size(); ++i)
      if (i != skip) v.append(cs[i]);
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(std::move(v));
  }
  return out;
}

int fuzzy_word_score(std::span<const std::string> units, std::string_view word,
                     std::span<const std::string> variants) {
  for (const std::string& u : units)
    if (u.find(word) != std::string::npos) return kFuzzyExact;
  if (utf8_length(word) < kFuzzyTypoMin) return 0;
  for (const std::string& u : units) {
    for (const std::string& v : variants)
      if (u.find(v) != std::string::npos) return kFuzzyTypo;
    bool found = false;
    each_word(u, [&](std::string_view t) {
      if (!found && fuzzy_vocabulary_word(t) && within_one_edit(word, t)) found = true;
    });
    if (found) return kFuzzyTypo;
  }
  return 0;
}

}  // namespace estafeta::mime
