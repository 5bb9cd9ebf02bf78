// mime_preview: the preview text of a message (RFC 8970 §3.1, IMAP FETCH PREVIEW): from the
// first text/plain part that is not an attachment, else the first text/html one converted to
// text (mime_html_text), outside embedded messages; transfer-decoded and converted from its
// charset to UTF-8 (mime_body); every run of whitespace (and control characters) collapsed
// to one space, trimmed; at most kPreviewMaxChars characters (Unicode scalar values), cut at a
// character boundary. "" when the message has no text (RFC 8970 §3.1: a zero-length string
// when no meaningful preview can be generated). Input: a parsed untrusted message; at most
// kPreviewScanBytes of the chosen part's encoded body are decoded, so a 50 MB part costs no
// more than a small one. Never throws.
#pragma once

#include <cstddef>
#include <string>

#include "mime/mime_message.hpp"

namespace estafeta::mime {

inline constexpr std::size_t kPreviewMaxChars = 256;  // RFC 8970 §3.1: MUST NOT exceed 256
inline constexpr std::size_t kPreviewScanBytes = 256 * 1024;

std::string message_preview(const Message& m);

// The whitespace collapsing and cutting of message_preview over UTF-8 text: runs of
// whitespace/control characters (including U+00A0 and the Unicode spaces) become one space,
// leading and trailing ones go, and at most `max_chars` characters are kept.
std::string collapse_preview_text(std::string_view utf8, std::size_t max_chars = kPreviewMaxChars);

}  // namespace estafeta::mime
