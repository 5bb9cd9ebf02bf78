// mime_encoded_word: RFC 2047 encoded words ("=?charset?B?...?=", "=?charset?Q?...?=") in
// header values: decoding to UTF-8 for display, search and IMAP, and encoding for composing.
// Decoding follows what mail clients do rather than the letter of §5: words are recognised
// anywhere in the value (also inside quoted strings and glued to other text), whitespace
// between two adjacent encoded words is dropped (§6.2), RFC 2231 language suffixes
// ("=?utf-8*en?Q?...?=") are accepted, and a malformed word (unknown encoding, bad base64,
// missing "?=") is left in the output as it was written. An unknown charset degrades as in
// mime_charset. Raw 8-bit bytes outside words are taken as UTF-8 if valid, else Windows-1252.
// Input is untrusted header text; output is valid UTF-8. Memory: output only (bounded by a
// small multiple of the input); no recursion.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace estafeta::mime {

// Decodes every encoded word in `value` (an unfolded or folded header value; CRLF + WSP
// folds are removed) and returns UTF-8.
std::string decode_encoded_words(std::string_view value);

// Decodes one encoded word `word` (the whole "=?...?=" token) into `out`. Returns false and
// leaves `out` unchanged if `word` is not a well-formed encoded word.
bool decode_encoded_word(std::string_view word, std::string& out);

// Where the encoded text will sit; this picks the characters Q encoding may leave literal
// (RFC 2047 §5).
enum class EncodeContext {
  text,     // unstructured field such as Subject (§5 (1))
  phrase,   // display name in an address (§5 (3)); also encodes if specials need quoting
  comment,  // inside a comment (§5 (2))
};

// Returns `utf8` ready to put into a header value: unchanged if it is printable US-ASCII that
// needs no encoding in `ctx` (for phrases: quoted per RFC 5322 §3.2.4 if it holds specials),
// else one or more "=?UTF-8?Q?...?=" or "=?UTF-8?B?...?=" words (whichever is shorter),
// each at most 75 characters, separated by single spaces so a header folder may break
// between them. Multi-byte characters are never split across words (§5).
std::string encode_header_text(std::string_view utf8, EncodeContext ctx = EncodeContext::text);

// True when `s` holds only printable ASCII, spaces and tabs (no encoding needed in text).
bool header_text_is_plain(std::string_view s);

}  // namespace estafeta::mime
