// mime_casemap: the case and compatibility folding IMAP SEARCH matches strings with
// (close to RFC 5051 i;unicode-casemap, which Dovecot uses): for the code points of Latin-1,
// Latin Extended-A/B, IPA, Greek, Cyrillic, Latin Extended Additional, Greek Extended, the
// Latin ligatures and the fullwidth forms, the lower-case form decomposed by NFKD ("É" ->
// "e" + U+0301, "ﬁ" -> "fi", "Ａ" -> "a"), so that "cafe" finds "Café" and "c" finds "ç" as
// Dovecot does. A fixed table (generated once from the Unicode character database: for each
// assigned code point c of those blocks, NFKD(lower(NFKD(lower(c)))) when it differs from c);
// no allocation, constant memory.
#pragma once

#include <string_view>

namespace estafeta::mime {

// The folded UTF-8 of code point `c`, or an empty view when `c` folds to itself (ASCII
// letters are not in the table: the caller folds them).
std::string_view casemap_fold(char32_t c);

}  // namespace estafeta::mime
