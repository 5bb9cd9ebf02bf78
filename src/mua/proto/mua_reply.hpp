// mua_reply: the drafts `mail reply`, `mail reply-all` and `mail forward` start from, built
// from the original message's bytes, sans-I/O: the subject with one "Re: " / "Fwd: " (never
// piled up: "Re: Re: x", "RE: x", "Re[2]: x" and "Fwd: Re: x" handled), In-Reply-To and
// References (RFC 5322 §3.6.4: the parent's References, else its In-Reply-To, then its
// Message-ID; long chains trimmed to the first and the last ones, RFC 5537 §3.4.4), the
// recipients (reply: Reply-To, else From, and for a message of our own its To; reply-all:
// those plus To and Cc, without our own address and without duplicates), and the body:
// "On DATE, NAME wrote:" and the text quoted with "> " (format=flowed text unwrapped first,
// RFC 3676), or for a forward the original's headers and text inline with its attachments,
// or the whole original as a message/rfc822 attachment. Trust: the original is untrusted;
// mime::parse bounds it (mime::Limits), the quote is bounded by the text's size.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mime/mime_compose.hpp"

namespace estafeta::mua {

inline constexpr std::size_t kMaxReferences = 20;

// "Re: " + the subject without its reply/forward prefixes ("Re:", "RE:", "Re[2]:", "Aw:",
// "Fwd:", "Fw:"), e.g. "Re: Re: x" -> "Re: x".
std::string reply_subject(std::string_view subject);
// "Fwd: " + the subject unless it already starts with "Fwd:"/"Fw:"; reply prefixes are
// reduced to one ("Re: Re: x" -> "Fwd: Re: x").
std::string forward_subject(std::string_view subject);

// "> " before each line ("" lines become ">", lines already quoted get ">" only, so ">> x"),
// LF line ends. Format=flowed text (soft line breaks "... \n") is joined into its paragraphs
// first when `flowed`; `delsp` removes the space before a soft break (RFC 3676 §4.2).
std::string quote_text(std::string_view text, bool flowed = false, bool delsp = false);

struct ReplyOptions {
  bool all = false;                      // reply-all
  std::string own_address;               // the account's address (not replied to)
  std::vector<std::string> own_aliases;  // other addresses of ours, also dropped
};

// The draft of a reply to `original` (RFC 5322 bytes) from `from`.
mime::Draft build_reply(std::string_view original, const mime::DraftAddress& from,
                        const ReplyOptions& options);

// The draft of a forward (no recipients yet): inline (headers block, text, the original's
// attachments) or, with `attach_original`, the original as message/rfc822 (converted to
// 7 bit first when it has 8-bit content, RFC 2046 §5.2.1).
mime::Draft build_forward(std::string_view original, const mime::DraftAddress& from,
                          bool attach_original);

}  // namespace estafeta::mua
