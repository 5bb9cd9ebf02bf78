// imap_parser: the grammar of IMAP client commands (RFC 9051 §9, RFC 3501 §9) turned into
// imap::Command (imap_command.hpp): tag, atoms, quoted strings (\" and \\), literals
// ({N}, {N+}, ~{N}), astring/nstring, list-mailbox with % and *, flag lists, date-time, and
// every command with the options of the extensions the server offers (CONDSTORE/QRESYNC,
// CREATE-SPECIAL-USE, LIST-EXTENDED/LIST-STATUS, STATUS=SIZE, APPENDLIMIT, MULTIAPPEND,
// ESEARCH/SEARCHRES, BINARY, UTF8=ACCEPT, UIDPLUS, MOVE, ENABLE, ID, COMPRESS, SASL-IR).
// Command names and keywords are case-insensitive. FETCH macros (ALL, FAST, FULL) come back
// expanded; sections go through mime::parse_section. Validity that needs session state
// (which state allows a command, whether a message number exists) is the session's.
// Input: one command as imap::CommandReader assembled it (wire form, literals in place, no
// final CRLF). Trust: unauthenticated peer. Memory: results are bounded by imap::Limits
// (list items, sequence ranges, search keys and depth, FETCH items, MULTIAPPEND messages);
// every string in them is a copy of part of the input. Pure functions, no exceptions.
#pragma once

#include <optional>
#include <string_view>

#include "imap/proto/imap_command.hpp"
#include "imap/proto/imap_command_reader.hpp"
#include "imap/proto/imap_limits.hpp"

namespace estafeta::imap {

// The outcome of parse_command: a command, or the error to answer with at once.
struct ParseResult {
  std::optional<Command> command;
  CommandError error;  // when !command: tag ("*" if none could be read), BAD, text
  explicit operator bool() const { return command.has_value(); }
};

// Parses one assembled command. Errors are "BAD" with a short text naming what is wrong
// ("Missing command tag", "Unknown command FOO", "Invalid arguments to SELECT", ...). The
// exact texts are listed in imap_parser_test.cpp.
ParseResult parse_command(std::string_view wire, const Limits& limits = {});

}  // namespace estafeta::imap
