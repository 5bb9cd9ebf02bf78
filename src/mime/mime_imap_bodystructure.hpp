// mime_imap_bodystructure: IMAP BODY and BODYSTRUCTURE (RFC 3501 §7.4.2, RFC 9051 §7.5.2)
// from a parsed message, written as Dovecot writes them: media types and parameter names as
// the message wrote them, "text" "plain" ("charset" "us-ascii") for a part without
// Content-Type, ("charset" "us-ascii") added to text parts that lack it, "7bit" for a missing
// or unparsable transfer encoding, sizes with bare LF counted as CRLF, line counts for text/*
// and message/rfc822, an empty text/plain for a multipart without parts, and
// "application" "octet-stream" for parts the parser did not split because of its limits.
// Extension data: MD5, disposition, language, location (BODYSTRUCTURE only).
// Input is a parsed untrusted message. Recursion depth is the part nesting, bounded by
// mime::Limits::max_depth; output size is linear in the number of parts and header bytes.
#pragma once

#include <cstdint>
#include <string>

#include "mime/mime_imap_quote.hpp"
#include "mime/mime_message.hpp"

namespace estafeta::mime {

struct BodystructureOptions {
  bool extended = true;  // BODYSTRUCTURE (true) or BODY (false)
  ImapQuoteOptions quote;
  bool upper_case_types = false;  // "TEXT" "PLAIN" like Cyrus/UW instead of as written
};

// The body structure of part `part` without the outer parentheses (as Dovecot's tests show
// it); a FETCH response wraps it: "BODYSTRUCTURE (" + ... + ")".
std::string imap_bodystructure(const Message& m, std::uint32_t part = 0,
                               BodystructureOptions o = {});

}  // namespace estafeta::mime
