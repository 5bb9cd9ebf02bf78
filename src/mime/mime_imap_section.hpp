// mime_imap_section: IMAP section specifiers (RFC 3501 §6.4.5, RFC 9051 §6.4.5) resolved to
// bytes of a parsed message without re-parsing: part numbers through multiparts and nested
// message/rfc822, HEADER, HEADER.FIELDS[.NOT], TEXT, MIME, partial <origin.count>, and
// BINARY / BINARY.SIZE (RFC 3516) with the transfer encoding removed.
// Section text comes from the client (untrusted): parse_section() bounds the part path at
// kMaxSectionDepth numbers and the field list at kMaxSectionFields names. Results are views
// into Message::data (plus a static CRLF), so a fetch copies nothing until it is written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mime/mime_message.hpp"

namespace estafeta::mime {

inline constexpr std::size_t kMaxSectionDepth = 128;
inline constexpr std::size_t kMaxSectionFields = 1000;

struct SectionSpec {
  enum class Text { none, header, header_fields, header_fields_not, text, mime };
  std::vector<std::uint32_t> path;  // "1.2.3" -> {1,2,3}; empty for the whole message
  Text text = Text::none;
  std::vector<std::string> fields;  // for HEADER.FIELDS[.NOT], as given
};

// Parses the text between '[' and ']' ("", "1.2", "HEADER.FIELDS (From To)", "3.MIME").
// Keywords are case-insensitive; part numbers are non-zero. nullopt on bad syntax
// (IMAP BAD), including MIME without a part number (RFC 3501 §6.4.5).
std::optional<SectionSpec> parse_section(std::string_view text);

// The bytes of a section, as pieces to be written in order.
struct SectionBytes {
  std::vector<std::string_view> pieces;
  std::size_t size() const;
  std::string str() const;
  // The partial fetch "<origin.count>" (RFC 3501 §6.4.5): bytes [origin, origin+count).
  SectionBytes slice(std::size_t origin, std::size_t count) const;
  // The bytes with every bare LF written as CRLF — how IMAP serves a message stored with
  // bare LFs (Dovecot does the same; BODYSTRUCTURE sizes count this form). Partial fetches
  // then apply to this string. For CRLF messages it equals str().
  std::string crlf_str() const;
  std::size_t crlf_size() const;
};

// Resolves a section. nullopt when the part does not exist or the section does not apply
// (HEADER / TEXT of a part that is not message/rfc822): servers answer with an empty string.
// MIME and HEADER of a part that ends right after its header at a boundary leave out the
// line break before the boundary line (RFC 2046 §5.1.1), as Dovecot does. HEADER.FIELDS ends
// every chosen field with CRLF, a last one cut short included, then the empty line.
std::optional<SectionBytes> fetch_section(const Message& m, const SectionSpec& spec);

// HEADER.FIELDS[.NOT] of a header block on its own (a cached header, say), served as
// fetch_section serves it: the chosen fields, each ending in CRLF, then the empty line ("" when
// nothing is chosen from a header without its empty line). Views into `header`.
SectionBytes header_fields_of(std::string_view header, const SectionSpec& spec);

// The part a part path designates (RFC 3501 §6.4.5 numbering): kNoPart when absent. A
// non-multipart part (the message, an embedded message, a leaf) has one part, itself, numbered
// 1: "1" of a one-part message is its body, "1.1" does not exist. Numbers after a
// message/rfc822 part address its embedded message.
std::uint32_t resolve_part(const Message& m, const std::vector<std::uint32_t>& path);

// RFC 3516 BINARY[path]: the part's body with its Content-Transfer-Encoding removed.
struct BinaryResult {
  enum class Status { ok, no_such_part, unknown_cte };
  Status status = Status::ok;
  std::string data;
};
BinaryResult fetch_binary(const Message& m, const std::vector<std::uint32_t>& path);
// RFC 3516 BINARY.SIZE[path]: the decoded size, computed the same way.
std::optional<std::size_t> binary_size(const Message& m, const std::vector<std::uint32_t>& path);

}  // namespace estafeta::mime
