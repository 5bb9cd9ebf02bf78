// base64: RFC 4648 §4 base64 as MIME (RFC 2045 §6.8) and SASL (RFC 4954) use it.
// decode() is tolerant, like mail clients: it skips line breaks, whitespace and characters
// outside the alphabet, and accepts missing or extra padding. decode_strict() is for protocol
// arguments (AUTH), where anything but the alphabet and correct padding is an error.
// Input is untrusted (message bodies, SASL responses). Speed: decode runs a 4-chars-to-3-bytes
// table path (AVX2 where the CPU has it, chosen at run time) over every clean run of the
// alphabet and drops to a byte-at-a-time path only around line breaks, padding and junk.
// Memory: output only (at most 3/4 of the input for decode, 4/3 + CRLFs for encode); no
// input size limit beyond what the caller bounds.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace estafeta::base64 {

// Encodes `in`. With line_length > 0 (a multiple of 4, e.g. 76 for MIME), inserts CRLF after
// every line_length output characters and no CRLF after the last line.
std::string encode(std::string_view in, std::size_t line_length = 0);

// Same as encode() but appends to `out`; returns the number of characters appended.
std::size_t encode_append(std::string_view in, std::string& out, std::size_t line_length = 0);

// Number of characters encode(in, line_length) produces for an input of `n` bytes.
std::size_t encoded_size(std::size_t n, std::size_t line_length = 0);

// Appends the decoded bytes of `in` to `out`; returns the number of bytes appended.
// Characters outside the alphabet are skipped. '=' ends the current 4-character group (its
// leftover bits are dropped), so concatenated padded chunks ("Zg==Zm8=") decode to the
// concatenation ("ffo"); trailing bits that do not make a whole byte are dropped.
std::size_t decode(std::string_view in, std::string& out);

// Low-level form of decode(): writes to `out`, which must hold decoded_size_max(in.size())
// bytes; returns the number of bytes written.
std::size_t decode_to(std::string_view in, char* out);

// Upper bound on the bytes decode() appends for `n` input characters.
constexpr std::size_t decoded_size_max(std::size_t n) {
  return n / 4 * 3 + 3;
}

// Decodes `in` exactly (no whitespace, correct padding). Returns false on any error, leaving
// `out` unspecified.
bool decode_strict(std::string_view in, std::string& out);

}  // namespace estafeta::base64
