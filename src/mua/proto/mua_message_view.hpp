// mua_message_view: what `estafeta mail read` shows of a message, built with the MIME
// library: the From/To/Cc/Reply-To/Date/Subject headers decoded (RFC 2047, RFC 6532), the
// text to read (the first text/plain body part that is not an attachment; else the first
// text/html one rendered with mime::html_to_text; converted from its charset to UTF-8) and
// the numbered attachments (leaves with a file name or Content-Disposition: attachment, other
// non-text leaves, and embedded messages as a whole), with safe file names for saving them.
// Also the one-line summary fields `mail list` shows, from a header block. Trust: the
// message is untrusted; mime::parse bounds its structure (mime::Limits) and nothing here
// recurses. Memory: the decoded text plus one small record per attachment.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mime/mime_message.hpp"

namespace estafeta::mua {

struct ViewAddress {
  std::string name;     // decoded display name, "" when none
  std::string address;  // addr-spec
  // "Name <address>", or the address alone.
  std::string display() const;
};

struct ViewAttachment {
  std::size_t index = 0;     // 1-based, as listed
  std::uint32_t part = 0;    // index into mime::Message::parts
  std::string filename;      // as the sender named it (decoded), "" when none
  std::string safe_name;     // a file name safe to create (see safe_file_name)
  std::string content_type;  // "application/pdf", lower case
  std::size_t size = 0;      // octets after transfer decoding
};

struct MessageView {
  std::vector<ViewAddress> from, to, cc, reply_to;
  std::string date;                       // the Date header unfolded, "" when absent
  std::optional<std::int64_t> date_unix;  // parsed, when it parses
  std::string subject;                    // decoded
  std::string message_id;
  std::string text;         // UTF-8
  std::string text_source;  // "text/plain", "text/html" or "" (no text part)
  std::uint32_t text_part = mime::kNoPart;
  std::vector<ViewAttachment> attachments;
};

// Builds the view of a parsed message (`m.data` must hold the message).
MessageView view_message(const mime::Message& m);

// The decoded body of an attachment (transfer encoding removed; embedded messages as they
// are).
std::string attachment_bytes(const mime::Message& m, const ViewAttachment& a);

// A name to create a file with in a chosen folder: the last path component of `wanted`
// (both '/' and '\' separate), control characters and characters that are special on
// common file systems (: * ? " < > |) replaced by '_', leading dots and spaces removed
// (no hidden files, no "." or ".."), cut to 200 octets at a character boundary; when
// nothing usable is left, "attachment-N" with an extension for the media type.
std::string safe_file_name(std::string_view wanted, std::size_t index,
                           std::string_view content_type);

// The summary of a message for a listing, from its header block (From, Subject, Date).
struct HeaderSummary {
  ViewAddress from;
  std::string subject;
  std::string date;  // "2026-12-02 09:40" in the header's own zone, "" when unparsable
  std::optional<std::int64_t> date_unix;
};
HeaderSummary summarize_header(std::string_view header);

// `text` on one line for a terminal: invalid UTF-8 replaced (U+FFFD), C0 and C1 controls
// (ESC sequences included), DEL and CR dropped, LF and TAB turned into spaces. Anything a
// server or a sender wrote goes through this before it is printed as text.
std::string terminal_line(std::string_view text);

// RFC 3339 / ISO 8601 "2026-12-02T09:40:00+01:00" for a time at a zone offset.
std::string iso_date(std::int64_t unix_seconds, int zone_minutes);

}  // namespace estafeta::mua
