// mime_message: the parsed form of an RFC 5322 / MIME message (RFC 2045, 2046): a flat
// pre-order tree of parts, each with the byte offsets and line counts of its header and
// body, and the header fields as views into the original bytes. Built in one pass by
// mime::parse() (mime_parser.hpp); everything IMAP needs (BODYSTRUCTURE, sections, partial
// fetches) is answered from it without re-reading the message.
// The Message does not own the bytes: `data` must outlive it. Input is untrusted; memory is
// O(number of parts + number of header fields), both capped by mime::Limits.
//
// Notes:
// - Part 0 is the message itself. Children follow their parent in document order
//   (first_child / next_sibling); a message/rfc822 or message/global part has exactly one
//   child, the embedded message, whose header is the embedded RFC 5322 header.
// - A body ends before the line break that precedes a boundary line (RFC 2046 §5.1.1: that
//   CRLF belongs to the boundary). Line counts are counts of LF bytes, as Dovecot counts them.
// - `bare_lfs` counts LFs not preceded by CR; IMAP sizes count them as CRLF (imap_size()).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace estafeta::mime {

// Resource bounds of one parse. Defaults follow Dovecot (100 nested, 10000 parts). A field
// that is not indexed because of a bound is invisible to the structure too (a Content-Type
// beyond the bounds is as if absent); the bytes stay in the header span.
struct Limits {
  std::uint32_t max_depth = 100;            // nesting of multipart / message parts
  std::uint32_t max_parts = 10000;          // parts in the whole message, root included
  std::uint32_t max_header_fields = 1000;   // fields indexed per header block; later ones are
                                            // still part of the header bytes, just not indexed
  std::size_t max_header_size = 1 << 20;    // fields starting past this many bytes into a
                                            // header block are not indexed
  std::uint32_t max_total_fields = 100000;  // fields indexed in the whole message (bounds
                                            // memory at ~5 MB however many parts there are)
};

inline constexpr std::uint32_t kNoPart = 0xffffffffu;

// A byte range of Message::data with its line statistics.
struct Span {
  std::size_t offset = 0;
  std::size_t size = 0;
  std::size_t lines = 0;     // LF bytes inside the span
  std::size_t bare_lfs = 0;  // LF bytes inside the span not preceded by CR
  std::size_t end() const { return offset + size; }
  // Size with every bare LF counted as CRLF (RFC 3501 sizes are of the CRLF form).
  std::size_t imap_size() const { return size + bare_lfs; }
};

// One header field, as views into Message::data.
struct HeaderField {
  std::string_view name;   // field name without the trailing WSP of obsolete syntax (§4.5)
  std::string_view value;  // raw value: after ':' and leading WSP, up to the final line break;
                           // folds (CRLF WSP) are still in it
  std::string_view raw;    // the whole field including its final line break
};

enum class PartKind : std::uint8_t {
  leaf,       // anything that is neither of the below
  multipart,  // multipart/* with a boundary: children are the body parts
  message,    // message/rfc822 or message/global: one child, the embedded message
};

enum class TransferEncoding : std::uint8_t {
  seven_bit,
  eight_bit,
  binary,
  base64,
  quoted_printable,
  unknown,  // present but not one of RFC 2045 §6.1 (x-uuencode, garbage)
};

// Flags recording how the parser had to repair or bound the input.
enum PartFlag : std::uint16_t {
  kPartNoBlankLine = 1 << 0,           // header ended without an empty line (EOF or boundary)
  kPartMissingCloseBoundary = 1 << 1,  // multipart ended without "--boundary--"
  kPartMissingBoundary = 1 << 2,       // multipart/* with no usable boundary parameter
  kPartTruncated = 1 << 3,             // multipart/message not split: depth or part limit hit
  kPartHeaderTruncated = 1 << 4,       // some fields not indexed (Limits)
  kPartHasContentType = 1 << 5,        // a valid Content-Type field was present
  kPartText = 1 << 6,                  // IMAP "text" body: text/* or no Content-Type
  kPartEmbedded = 1 << 7,              // the root of an embedded message/rfc822 or global
  kPartBadContentType = 1 << 8,        // Content-Type present but invalid: treated as absent
  kPartNotMime = 1 << 9,               // a message (root or embedded) with neither MIME-Version
                                       // nor Content-Type: its Content-* fields are ignored
                                       // (RFC 2045 §4; Dovecot does the same)
};

struct Part {
  Span header;  // the header fields and the empty line ending them
  Span body;    // everything after the empty line up to the part's end
  std::uint32_t parent = kNoPart;
  std::uint32_t first_child = kNoPart;
  std::uint32_t next_sibling = kNoPart;
  std::uint32_t child_count = 0;
  std::uint32_t depth = 0;
  std::uint32_t field_begin = 0;  // index into Message::fields
  std::uint32_t field_count = 0;
  PartKind kind = PartKind::leaf;
  TransferEncoding encoding = TransferEncoding::seven_bit;
  std::uint16_t flags = 0;
  // Media type and subtype as written in the first Content-Type field ("" when absent or
  // invalid, RFC 2045 §5.2; "message"/"rfc822" by default in a digest); compare
  // case-insensitively. The parameters are in content_type_params.
  std::string_view type;
  std::string_view subtype;
  std::string_view content_type_params;  // the raw text after the subtype ("; a=b ...")

  bool has(PartFlag f) const { return (flags & f) != 0; }
};

struct Message {
  std::string_view data;
  std::vector<Part> parts;          // parts[0] is the message; pre-order
  std::vector<HeaderField> fields;  // all header fields of all parts, grouped per part
  bool limits_hit = false;          // some Limits bound was reached somewhere

  const Part& root() const { return parts.front(); }
  std::span<const HeaderField> fields_of(const Part& p) const {
    return {fields.data() + p.field_begin, p.field_count};
  }
  // The first field named `name` (case-insensitive) of `p`, or nullptr.
  const HeaderField* find_field(const Part& p, std::string_view name) const;
  std::string_view header_bytes(const Part& p) const {
    return data.substr(p.header.offset, p.header.size);
  }
  std::string_view body_bytes(const Part& p) const {
    return data.substr(p.body.offset, p.body.size);
  }
  // The n-th (1-based) child of `p`, or kNoPart.
  std::uint32_t child(std::uint32_t p, std::uint32_t n) const;
  std::uint32_t index_of(const Part& p) const {
    return static_cast<std::uint32_t>(&p - parts.data());
  }
};

// ASCII case-insensitive equality (header names, media types, parameter names).
bool iequals(std::string_view a, std::string_view b);

}  // namespace estafeta::mime
