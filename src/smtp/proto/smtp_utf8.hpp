// smtp_utf8: the little UTF-8 knowledge the SMTP core needs (RFC 3629 well-formedness, as
// RFC 6531 requires of SMTPUTF8 addresses). Pure functions over caller-owned bytes.
#pragma once

#include <cstddef>
#include <string_view>

namespace estafeta::smtp {

// Length (2..4) of the well-formed UTF-8 sequence that starts `s` with a non-ASCII octet,
// or 0 if it is malformed (overlong, surrogate, beyond U+10FFFF, truncated). RFC 3629 §4.
std::size_t utf8_sequence_length(std::string_view s);

// True when every octet is ASCII.
bool is_ascii(std::string_view s);

// True when `s` is well-formed UTF-8 (ASCII included).
bool is_utf8(std::string_view s);

}  // namespace estafeta::smtp
