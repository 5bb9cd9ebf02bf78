// imap_parser_sort: the arguments of SORT and THREAD (RFC 5256 §4 grammar, RFC 5957 display
// sort keys, RFC 5267 §3 ESORT's sort-return-opts), after the command name:
//   sort   = [SP "RETURN" SP "(" ... ")"] SP "(" sort-criterion *(SP sort-criterion) ")"
//            SP charset 1*(SP search-key)
//   thread = SP ("ORDEREDSUBJECT" / "REFERENCES") SP charset 1*(SP search-key)
// Keys and criteria are case-insensitive; the search keys are the SEARCH grammar's
// (imap_search_parser.hpp). Trust: authenticated peer. Memory: criteria capped at
// Limits::max_list_items, search keys as for SEARCH. No exceptions.
#pragma once

#include <string>

#include "imap/proto/imap_command.hpp"
#include "imap/proto/imap_lexer.hpp"
#include "imap/proto/imap_limits.hpp"

namespace estafeta::imap {

// From a lexer just after "SORT" / "THREAD" (the SP before the arguments not consumed);
// stops after the last search key. false with *error set (the BAD text) on failure.
bool parse_sort_arguments(Lexer& lx, const Limits& limits, Sort& out, std::string* error);
bool parse_thread_arguments(Lexer& lx, const Limits& limits, Thread& out, std::string* error);

}  // namespace estafeta::imap
