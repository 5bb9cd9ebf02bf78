// imap_search_parser: the SEARCH criteria grammar (RFC 9051 §6.4.4 and §9 search-key,
// RFC 3501 §6.4.4) into an imap::SearchKey tree: every key of both RFCs (rev1's NEW, OLD,
// RECENT too), sequence sets and UID sets, dates as days since 1970-01-01, CONDSTORE's MODSEQ
// (RFC 7162 §3.1.5), WITHIN's OLDER/YOUNGER (RFC 5032), SAVEDATE keys (RFC 8514) and
// OBJECTID's EMAILID/THREADID (RFC 8474). Keys are case-insensitive. Trust: unauthenticated
// peer (after login). Memory: nesting is capped at Limits::max_search_depth (each level one
// recursion), keys at max_search_keys, sets at max_sequence_ranges. No exceptions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "imap/proto/imap_command.hpp"
#include "imap/proto/imap_lexer.hpp"
#include "imap/proto/imap_limits.hpp"

namespace estafeta::imap {

// Parses a SEARCH argument list as it follows "SEARCH " (optional "RETURN (...)", optional
// "CHARSET x", then one or more keys) in wire form (literals "{N}\r\n..." allowed).
// On failure returns nullopt and sets *error to the BAD text.
std::optional<Search> parse_search_arguments(std::string_view text, const Limits& limits,
                                             std::string* error);

// The same, reading from a lexer positioned just after "SEARCH " (the command parser's entry);
// stops at the end of the last key. false with *error set on failure.
bool parse_search_arguments(Lexer& lx, const Limits& limits, Search& out, std::string* error);

// The pieces SORT and THREAD share (imap_parser_sort.hpp), from a lexer:
// after the keyword "RETURN": SP "(" *return-option ")" (RFC 4731, RFC 5182, RFC 5267);
bool parse_search_return(Lexer& lx, const Limits& limits, SearchReturn& out, std::string* error);
// search-key *(SP search-key) as one AND (a single key as itself).
bool parse_search_keys(Lexer& lx, const Limits& limits, SearchKey& out, std::string* error);

}  // namespace estafeta::imap
