// base64: RFC 4648 §4 base64 as MIME (RFC 2045 §6.8) and SASL (RFC 4954) use it.
// decode() is tolerant, like mail clients: it skips line breaks, whitespace and characters
// outside the alphabet, and accepts missing or extra padding. decode_strict() is for protocol
// arguments (AUTH), where anything but the alphabet and correct padding is an error.
// Memory: output only; no input size limit beyond what the caller bounds.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace estafeta::base64 {

// Encodes `in`. With line_length > 0 (a multiple of 4, e.g. 76 for MIME), inserts CRLF after
// every line_length output characters and no CRLF after the last line.
std::string encode(std::string_view in, std::size_t line_length = 0);

// Appends the decoded bytes of `in` to `out`; returns the number of bytes appended.
std::size_t decode(std::string_view in, std::string& out);

// Decodes `in` exactly (no whitespace, correct padding). Returns false on any error, leaving
// `out` unspecified.
bool decode_strict(std::string_view in, std::string& out);

}  // namespace estafeta::base64
