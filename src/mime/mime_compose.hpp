// mime_compose: builds a complete RFC 5322 / MIME message from a Draft — headers (non-ASCII
// as RFC 2047 words, folded at 78 columns, RFC 5322 §2.2.3), a text/plain body with an
// optional text/html alternative (RFC 2046 §5.1.4), inline parts referenced by Content-ID
// (multipart/related, RFC 2387) and attachments (Content-Disposition RFC 2183, filenames
// per RFC 2231 plus a name= parameter for old clients). Transfer encodings are chosen by
// content (RFC 2045 §6): 7bit for ASCII with lines <= 998, quoted-printable for mostly text,
// base64 otherwise. Boundaries are random and checked not to occur in the parts.
// Input is trusted (our own user's draft) but may be arbitrary bytes; output is CRLF text
// whose size is about 4/3 of the parts plus headers. Never throws for bad drafts: an empty
// address list is simply omitted.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mime/mime_content_type.hpp"  // TransferEncoding, transfer_encoding_name()

namespace estafeta::mime {

// An address for composing: display name in UTF-8 (may be empty) and addr-spec.
struct DraftAddress {
  std::string name;
  std::string address;
};

struct DraftAttachment {
  std::string filename;    // UTF-8; may be empty for inline parts
  std::string content;     // raw bytes
  std::string media_type;  // "type/subtype"; "" = from the filename's extension
  std::string content_id;  // non-empty = inline part (multipart/related), without <>
  std::string charset;     // for text/* parts; "" = utf-8 if valid UTF-8, else omitted
};

struct Draft {
  DraftAddress from;
  std::vector<DraftAddress> to, cc, bcc, reply_to;
  std::string subject;  // UTF-8
  std::string text;     // UTF-8 text/plain body (may be empty)
  std::string html;     // UTF-8 text/html alternative; "" = none
  std::vector<DraftAttachment> attachments;
  // Extra headers (name, UTF-8 value): e.g. In-Reply-To, References, X-Mailer. Values with
  // non-ASCII are encoded as unstructured text.
  std::vector<std::pair<std::string, std::string>> headers;
  // Zero = now. Message-ID "" = generated.
  std::chrono::system_clock::time_point date{};
  std::string message_id;  // without <>
};

struct ComposeOptions {
  std::string hostname = "localhost";  // right side of generated Message-IDs
  bool include_bcc = false;            // write the Bcc header (for the sender's copy)
  int utc_offset_minutes = 0;          // zone of the Date header
};

// Builds the message. Output ends with CRLF.
std::string compose(const Draft& draft, const ComposeOptions& options = {});

// ---- building blocks, also used by mime_dsn and the MUA ----

// RFC 5322 §3.3 date-time: "Sat, 28 Nov 2026 03:17:29 +0000".
std::string format_date(std::chrono::system_clock::time_point t, int utc_offset_minutes = 0);

// A new unique msg-id without <>: "<time>.<random>@hostname".
std::string generate_message_id(std::string_view hostname);

// A new MIME boundary (RFC 2046 §5.1.1: at most 70 chars, bchars only) that does not occur
// in any of `parts`.
std::string generate_boundary(const std::vector<std::string_view>& parts);

// Media type for a filename by extension (case-insensitive), "application/octet-stream"
// when unknown.
std::string media_type_for_filename(std::string_view filename);

// RFC 2045 §6 choice for a body (one of seven_bit, quoted_printable, base64 of the shared
// mime::TransferEncoding): 7bit if ASCII without NUL/bare CR and lines <= 998;
// quoted-printable if text with few bytes to escape; base64 otherwise (and always for
// non-text media types that are not 7bit clean).
TransferEncoding choose_transfer_encoding(std::string_view body, bool is_text);

// Body bytes in transfer encoding `e`, CRLF line ends, ending with CRLF unless empty. For 7bit
// text, bare LF line ends become CRLF.
std::string encode_body(std::string_view body, TransferEncoding e);

// One header field "Name: value" folded at whitespace to lines of at most 78 characters
// where possible (RFC 5322 §2.2.3), ending with CRLF. `value` must already be encoded.
std::string fold_header(std::string_view name, std::string_view value);

// An address list value with display names encoded as phrases: "=?UTF-8?Q?...?= <a@b>, c@d".
std::string format_address_list(const std::vector<DraftAddress>& list);

}  // namespace estafeta::mime
