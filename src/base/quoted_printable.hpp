// quoted_printable: the quoted-printable transfer encoding (RFC 2045 §6.7) and its "Q"
// variant for encoded words (RFC 2047 §4.2).
// Decoding is tolerant the way mail clients are: lowercase hex is accepted, an '=' not
// followed by two hex digits (or a line break) is kept literally, whitespace at the end of a
// line is removed (§6.7 rule 3), soft line breaks "=CRLF", "=LF" and "= \t CRLF" are joined,
// and bare LF is accepted as a line break. Input is untrusted message content.
// Memory: output only; decode never produces more bytes than it reads, encode at most
// 3 bytes per input byte plus a soft break every 76 columns.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace estafeta::qp {

// Appends the decoded bytes of `in` to `out`; returns the number of bytes appended.
// Line breaks (CRLF or bare LF) in the input come out as CRLF.
std::size_t decode(std::string_view in, std::string& out);
std::string decode(std::string_view in);

enum class LineBreaks {
  text,    // CRLF and bare LF in the input are hard line breaks, written as CRLF
  binary,  // CR and LF are data, written as =0D / =0A (never a line break)
};

// Encodes `in` with lines of at most 76 characters (soft breaks "=" CRLF, §6.7 rule 5).
// Encodes '=', controls, bytes >= 0x80, whitespace before a line break, and — to survive
// mail transports — "From " and a lone "." at line starts. Output lines end in CRLF; there
// is no CRLF after the last line unless the input ended with a line break.
std::string encode(std::string_view in, LineBreaks mode = LineBreaks::text);

// RFC 2047 §4.2 "Q": '_' is space, "=XX" is a byte; everything else literal. Tolerant like
// decode(): bad escapes are kept as they are.
std::size_t decode_q(std::string_view in, std::string& out);

// Q-encodes `in` for an encoded word: space becomes '_', and anything outside the set
// allowed in a phrase (RFC 2047 §5 (3): letters, digits, "!*+-/") becomes =XX.
std::string encode_q(std::string_view in);

// Length encode_q(in) would have, without building it.
std::size_t encoded_q_size(std::string_view in);

}  // namespace estafeta::qp
