// mime_body: the content of a leaf part for readers (MUA display, search indexing, BINARY):
// the body with its Content-Transfer-Encoding removed (RFC 2045 §6), and text parts
// converted from their declared charset to UTF-8 (RFC 2046 §4.1.2, via mime_charset).
// Also the part's charset and filename as a reader wants them. Input is a parsed untrusted
// message; decoding is tolerant (mime base64/qp codecs). Memory: the decoded body only.
#pragma once

#include <string>

#include "mime/mime_message.hpp"

namespace estafeta::mime {

// Appends the transfer-decoded body of `p` to `out`. Identity encodings (and multipart /
// message parts, which cannot be encoded) copy the bytes. Returns false for an unknown
// encoding (out unchanged) — IMAP BINARY answers that with [UNKNOWN-CTE] (RFC 3516 §4.3).
bool decode_body(const Message& m, const Part& p, std::string& out);

// The charset parameter of a text part ("us-ascii" when absent, RFC 2045 §5.2); "" for a
// non-text part without one.
std::string part_charset(const Part& p);

// The filename of an attachment: Content-Disposition filename, else Content-Type name
// (RFC 2183 §2.3, RFC 2231 and RFC 2047 decoded to UTF-8); "" if neither.
std::string part_filename(const Message& m, const Part& p);

// The body of a text part as UTF-8: transfer-decoded, then converted from its charset.
// Unknown encodings give the raw bytes sanitised to UTF-8.
std::string text_body_utf8(const Message& m, const Part& p);

}  // namespace estafeta::mime
