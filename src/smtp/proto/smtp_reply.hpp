// smtp_reply: formats SMTP server replies (RFC 5321 §4.2) with enhanced status codes
// (RFC 2034, RFC 3463). A reply is a three-digit code, an optional enhanced code and one or
// more text lines; multiline replies use "code-" on every line but the last (§4.2.1).
// Trust: the text may quote client input (addresses, HELO names), so every byte outside
// printable ASCII and UTF-8 is replaced by '?' and CR/LF can never end up in a reply. Memory:
// output only; callers bound what they quote.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace estafeta::smtp {

struct Reply {
  int code = 0;                    // 200..599
  std::string enhanced;            // "2.1.0"; empty for the greeting, EHLO and 3xx replies
  std::vector<std::string> lines;  // at least one; a line may be empty

  // The wire form: every line CRLF-terminated, the enhanced code repeated on each line
  // (RFC 2034 §3 requires it on every line of a multiline reply).
  std::string format() const;
};

// One-line reply: "250 2.1.0 Ok\r\n" (or "354 End data...\r\n" when enhanced is empty).
std::string format_reply(int code, std::string_view enhanced, std::string_view text);
// The reply for a peer fault.
std::string format_reply(const PeerError& error);

// Replaces CR, LF, other control characters and invalid UTF-8 with '?', so client-supplied
// text can be quoted safely in a reply or a log line. Truncates to `max` octets (on a
// character boundary) and appends "..." when it does.
std::string sanitize_text(std::string_view text, std::size_t max = 512);

}  // namespace estafeta::smtp
