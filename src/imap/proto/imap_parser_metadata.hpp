// imap_parser_metadata: the grammar of RFC 5464 METADATA commands (§4.2 GETMETADATA with its
// MAXSIZE and DEPTH options, §4.3 SETMETADATA with nstring / literal8 values) and of entry
// names (§3.2: "/private/..." or "/shared/...", slash-separated, no "*" "%", no empty
// component, printable ASCII, case-insensitive: returned lower-cased). imap_parser calls it
// for those two command names. Trust: authenticated peer's bytes, still untrusted; the entry
// list is bounded by Limits::max_list_items, each name by store::kMaxMetadataName octets,
// each value by the literal limits of the command reader. Pure, no exceptions.
#pragma once

#include <string>
#include <string_view>

#include "imap/proto/imap_command.hpp"
#include "imap/proto/imap_lexer.hpp"
#include "imap/proto/imap_limits.hpp"

namespace estafeta::imap {

// `lx` is just past the command name. On failure `err` gets the BAD text (if still empty).
bool parse_getmetadata(Lexer& lx, const Limits& limits, GetMetadata& out, std::string& err);
bool parse_setmetadata(Lexer& lx, const Limits& limits, SetMetadata& out, std::string& err);

// True when `name` is a valid entry name (RFC 5464 §3.2, case-insensitive). `prefix_only`
// allows "/private" and "/shared" themselves (a GETMETADATA with DEPTH asks for all of them).
bool valid_metadata_entry(std::string_view name, bool prefix_only = false);

}  // namespace estafeta::imap
