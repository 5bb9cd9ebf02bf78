// imap_mutf7: modified UTF-7 mailbox names (RFC 3501 §5.1.3; RFC 9051 §5.1 keeps it for
// clients that have not enabled IMAP4rev2 or UTF8=ACCEPT) to and from UTF-8, and a strict
// UTF-8 check (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF). Decoding is
// strict: a name that another encoder could not have produced (unterminated "&", "&" + base64
// of printable ASCII, non-zero padding bits, a bare surrogate, "&-" adjacent sequences split
// needlessly) is an error, so every name has one spelling. Trust: names come from the peer.
// Memory: output at most ~3x the input. Pure functions, no exceptions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace estafeta::imap {

// UTF-8 -> modified UTF-7. Precondition: is_valid_utf8(utf8) (invalid octets are encoded as
// U+FFFD).
std::string mutf7_encode(std::string_view utf8);

// Modified UTF-7 -> UTF-8; nullopt when the text is not valid modified UTF-7.
std::optional<std::string> mutf7_decode(std::string_view mutf7);

// True when the text is well-formed UTF-8.
bool is_valid_utf8(std::string_view text);

}  // namespace estafeta::imap
