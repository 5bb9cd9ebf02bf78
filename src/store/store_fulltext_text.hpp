// store_fulltext_text: what the full-text index (store_fulltext.hpp) stores per message and
// which strings it can answer exactly. A message becomes one document of seven columns, the
// texts SEARCH matches in (mime/mime_search_text.hpp, folded the same way): subject, from,
// to, cc, bcc (each a list of units a key must match within: field values and shown
// addresses), headers (TEXT's header text) and body (BODY's text). SQLite's trigram
// tokenizer then answers "is the folded string a substring of this column" exactly, as a
// phrase of the string's trigrams, provided:
// - the column is valid UTF-8 the tokenizer reads as we do: every byte that does not start a
//   well-formed sequence (and NUL, U+FFFD, U+FFFE, U+FFFF and surrogates, which the tokenizer
//   would read as U+FFFD) is stored as U+FFFD;
// - the units of a list column are joined by U+FFFD, so no match spans two units;
// - the string has at least 3 characters, is well-formed and has none of those characters
//   (fulltext_answerable): a well-formed string found at a byte offset of the folded text
//   starts at a character boundary there, so the substring relation is the same before and
//   after the replacement.
// Input: parsed untrusted messages and client strings. Memory: the document's texts.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "mime/mime_message.hpp"
#include "store/api/store.hpp"

namespace estafeta::store {

enum FulltextColumn : int {
  kColSubject = 0,
  kColFrom,
  kColTo,
  kColCc,
  kColBcc,
  kColHeaders,
  kColBody,
  kColumns
};

using FulltextDocument = std::array<std::string, kColumns>;

// The document of a parsed message (texts as above, ready to insert).
FulltextDocument fulltext_document(const mime::Message& m);

// `folded` made safe for the index (the first rule above).
std::string fulltext_sanitize(std::string_view folded);

// True when the index answers a search for `folded` (already folded) exactly.
bool fulltext_answerable(std::string_view folded);

// The FTS5 MATCH expression for `folded` in the column(s) of `field`: a column filter and
// the string as one quoted phrase ("" for a quote).
std::string fulltext_match_expression(TextField field, std::string_view folded);

// The FTS5 MATCH expression for any of `phrases` (not empty) in the column(s) of `field`.
std::string fulltext_match_any(TextField field, const std::vector<std::string>& phrases);

}  // namespace estafeta::store
