// imap_parser_notify: the NOTIFY command's arguments (RFC 5465 §8 notify-set / notify-none)
// into an imap::Notify: event groups with their mailbox filters, the events by name (any case)
// and MessageNew's FETCH attributes, which are parsed by the command parser's fetch-att (passed
// in, so that both grammars stay one). Trust: an authenticated peer. Memory: groups and the
// mailboxes of each are capped at Limits::max_list_items, FETCH attributes at max_fetch_items.
// Returns false with *error set to the BAD text; no exceptions.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "imap/proto/imap_command.hpp"
#include "imap/proto/imap_lexer.hpp"
#include "imap/proto/imap_limits.hpp"

namespace estafeta::imap {

// Parses one fetch-att at the lexer's position into the vector; false on error (its own text).
using FetchAttParser = std::function<bool(std::vector<FetchItem>&)>;

// Reads from just after "NOTIFY" (the SP before SET/NONE included) to the end of the
// arguments.
bool parse_notify_arguments(Lexer& lx, const Limits& limits, const FetchAttParser& fetch_att,
                            Notify& out, std::string* error);

}  // namespace estafeta::imap
