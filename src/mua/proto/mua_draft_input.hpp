// mua_draft_input: what `mail send` turns into a mime::Draft, sans-I/O: recipient lists typed
// on the command line ("Ann <ann@example.org>, bob@example.org"), the $EDITOR template (header
// lines, a blank line, the body) and its reading back, and an attachment's media type from
// its name and, when the name says nothing, its first octets. Trust: the user's own input,
// but bounded: at most kMaxTemplate octets of template and mime::kMaxAddresses per list.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "mime/mime_compose.hpp"

namespace estafeta::mua {

inline constexpr std::size_t kMaxTemplate = 16 * 1024 * 1024;

// One or more addresses; each must be a mailbox with a local part and a domain. The error
// names the piece that is not an address.
Result<std::vector<mime::DraftAddress>> parse_recipients(std::string_view text);

// "Ann Example <ann@example.org>" (quoted when the name needs it) or "ann@example.org".
std::string format_recipient(const mime::DraftAddress& a);

// The editor's file: "From:" (shown, not read back), "To:", "Cc:", "Bcc:", "Reply-To:",
// "Subject:" lines, a blank line, then the body (text/plain, LF line ends).
std::string render_template(const mime::Draft& draft);

// Reads the edited file back into `draft` (recipients, subject, text). Header lines may be
// folded (continuation lines start with white space); unknown headers are an error naming
// them; a body that is empty or white space only is the error "empty message" (the user
// abandoned it).
Result<bool> parse_template(std::string_view text, mime::Draft& draft);

// The media type of an attachment: by extension (mime::media_type_for_filename), else by
// content: PDF, PNG, JPEG, GIF, WebP, ZIP, gzip, OpenPGP armour, text/plain for NUL-free
// valid UTF-8, else application/octet-stream.
std::string detect_media_type(std::string_view filename, std::string_view content);

}  // namespace estafeta::mua
