// mime_search_fuzzy: see the header.
#include "mime/mime_search_fuzzy.hpp"

#include <algorithm>

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
  std::vector<std::string> out;
  each_word(folded, [&](std::string_view w) {
    if (std::find(out.begin(), out.end(), w) == out.end()) out.emplace_back(w);
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
  return std::none_of(w.begin(), w.end(), [](char c) { return c >= '0' && c <= '9'; });
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
