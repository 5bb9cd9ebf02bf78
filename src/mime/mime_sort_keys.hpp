// mime_sort_keys: what IMAP SORT and THREAD (RFC 5256) compare messages by, computed from
// decoded header text: the base subject (RFC 5256 §2.1) and the i;unicode-casemap comparison
// key (RFC 5051) that makes two strings compare as that collation says by comparing their
// keys' bytes. The store computes both once per message at insert (store_sort_keys.hpp), so
// SORT and THREAD never re-read headers. Input is untrusted UTF-8 (invalid bytes are kept as
// they are); results are at most a few times the input's size. No allocation beyond the
// result, no recursion.
#pragma once

#include <string>
#include <string_view>

namespace estafeta::mime {

// The RFC 5051 i;unicode-casemap key of UTF-8 text: each character's title-case form
// decomposed by NFKD, as the casemap table (mime_casemap.hpp) has it with ASCII letters
// upper-cased, so that memcmp order of two keys is the collation's order ("a_b" < "aab"
// because "_" sorts after "A"; "é" keys as "E" + U+0301).
std::string casemap_key(std::string_view utf8);

// The RFC 5256 §2.1 base subject of a Subject field value whose encoded words are already
// decoded (mime::decoded_value): whitespace runs collapsed to one space, "(fwd)" trailers,
// "Re:"/"Fw:"/"Fwd:" leaders with their "[blob]"s, a leading "[blob]" that does not make up
// the whole subject and "[fwd: ...]" wrappers removed, repeatedly. `*reply` (when given) is
// set to whether a subj-refwd, subj-trailer or subj-fwd was removed (the message is a reply
// or forward, RFC 5256 §2.1 and §2.3 step 5). Not yet folded: see casemap_key.
std::string base_subject(std::string_view decoded, bool* reply = nullptr);

}  // namespace estafeta::mime
