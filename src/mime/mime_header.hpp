// mime_header: header field values (RFC 5322 §2.2): unfolding, decoded text (RFC 2047 via
// mime_encoded_word, 8-bit UTF-8 per RFC 6532), and the identifier fields Message-ID,
// In-Reply-To and References (§3.6.4) with the obsolete forms of §4.5.4.
// Input is untrusted header text (the fields come from mime::parse). Functions allocate only
// their result; identifier lists are capped at kMaxMessageIds entries.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "mime/mime_message.hpp"

namespace estafeta::mime {

inline constexpr std::size_t kMaxMessageIds = 1000;

// The value with folds removed (CRLF / LF before WSP; §2.2.3) and leading/trailing WSP trimmed.
std::string unfolded_value(std::string_view raw_value);

// The value for display, search and IMAP SEARCH: unfolded, RFC 2047 encoded words decoded,
// raw 8-bit bytes taken as UTF-8 when valid (RFC 6532) else Windows-1252. Always UTF-8.
std::string decoded_value(std::string_view raw_value);

// Message identifiers "<left@right>" from a Message-ID, In-Reply-To or References value, in
// order, without the angle brackets. Comments and phrases between them (obs-in-reply-to)
// are skipped; an identifier missing its '>' ends at whitespace. A value with no '<' at all
// yields its first word (Message-ID: abc@example.org, seen in the wild).
std::vector<std::string> parse_message_ids(std::string_view raw_value);

// The first Message-ID-style identifier including its angle brackets as written
// ("<a@b>"), or "" — what IMAP ENVELOPE shows for In-Reply-To / Message-ID is the raw value.
std::string_view first_message_id(std::string_view raw_value);

}  // namespace estafeta::mime
