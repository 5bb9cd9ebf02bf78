// mime_search_fuzzy: the word-level rules of FUZZY search (RFC 6203), shared by the scanning
// evaluator (imap/proto/imap_search_eval) and the full-text index (store/store_fulltext), so
// that both decide the same way. On folded text (mime_search_text.hpp):
// - words are maximal runs of ASCII letters and digits and non-ASCII characters; a FUZZY
//   string is its words of at least kFuzzyMinWord characters (none: the key is matched
//   exactly);
// - a word matches a text when the text contains it (score kFuzzyExact), or contains a
//   "variant" of it (score kFuzzyTypo): a vocabulary word one edit away (insertion, deletion,
//   substitution or swap of two neighbours), for words of kFuzzyTypoMin characters or more;
// - the vocabulary is the words of kFuzzyTypoMin..kFuzzyMaxVocab characters without ASCII
//   digits (ids and numbers are not typed from memory) and without bad UTF-8, of the
//   account's mail (the index's) and of the text itself;
// - a key matches when every word does; its relevancy is the mean of its words' scores.
// Input: folded untrusted text. Memory: the words and variants. Never throws.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace estafeta::mime {

inline constexpr std::size_t kFuzzyMinWord = 3;
inline constexpr std::size_t kFuzzyTypoMin = 4;
inline constexpr std::size_t kFuzzyMaxVocab = 24;
inline constexpr int kFuzzyExact = 100;
inline constexpr int kFuzzyTypo = 50;
inline constexpr std::size_t kFuzzyMaxWords = 16;  // more words in one string: the rest ignored

// Characters (code points; an invalid byte counts as one) of UTF-8 text.
std::size_t utf8_length(std::string_view s);

// The words of `folded` (every length), in order, each once.
std::vector<std::string> fuzzy_words(std::string_view folded);

// The words a FUZZY string searches for: fuzzy_words of at least kFuzzyMinWord characters
// (at most kFuzzyMaxWords).
std::vector<std::string> fuzzy_query_words(std::string_view folded);

// True for a vocabulary word (see the file comment).
bool fuzzy_vocabulary_word(std::string_view word);

// True when `a` and `b` are at most one edit apart (by characters).
bool within_one_edit(std::string_view a, std::string_view b);

// `w` with one character deleted, each distinct string once.
std::vector<std::string> one_deletions(std::string_view w);

// The score of `word` in `units` (0, kFuzzyTypo or kFuzzyExact): a unit contains it; or a
// unit contains one of `variants` (the index's vocabulary words one edit away) or a
// vocabulary word of its own one edit away.
int fuzzy_word_score(std::span<const std::string> units, std::string_view word,
                     std::span<const std::string> variants);

}  // namespace estafeta::mime
