// mime_parser: one pass over an RFC 5322 / MIME message (RFC 2045, 2046, 5322, 6532) into a
// mime::Message: every part's header and body offsets and line counts, header fields as views,
// media types, transfer encodings, the multipart and message/rfc822 tree.
// Input is untrusted and may be anything: any byte string yields a Message (never a crash,
// throw or hang); malformed input is repaired the way Dovecot and mail clients do (missing
// close boundary ends at the parent's boundary or EOF, header ended by a boundary or EOF,
// boundary lines matched by prefix, CRLF or bare LF line ends). Time is linear in the input
// times the number of open multipart levels (≤ Limits::max_depth); no recursion.
// Memory: the Message holds one Part per part (≤ Limits::max_parts) and one HeaderField per
// indexed field (≤ Limits::max_header_fields per part, ≤ Limits::max_total_fields in all);
// the bytes themselves are not copied.
#pragma once

#include <string_view>
#include <vector>

#include "mime/mime_message.hpp"

namespace estafeta::mime {

// Parses `data` (which must outlive the result). Never fails.
Message parse(std::string_view data, const Limits& limits = {});

// The fields of a bare header block (everything up to and including the empty line, or the
// whole input when there is none), as views into `header`.
std::vector<HeaderField> parse_header_fields(std::string_view header, const Limits& limits = {});

}  // namespace estafeta::mime
