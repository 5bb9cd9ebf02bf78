// imap_limits: every bound the IMAP command reader and parser enforce, in one struct, each
// with its default. Commands come from unauthenticated peers, so every buffer the reader
// keeps and every vector the parser builds is capped here: line length (as Dovecot's
// imap_max_line_length, 64 KiB), the whole command, literal sizes (APPEND literals up to the
// advertised APPENDLIMIT, RFC 7889; any other literal far less), search-key nesting and count,
// sequence-set ranges, FETCH items and MULTIAPPEND messages (RFC 3502). The server fills
// append_limit from its configuration; the rest are defaults fit for every known client.
#pragma once

#include <cstddef>
#include <cstdint>

namespace estafeta::imap {

struct Limits {
  // Octets in one line incl. CRLF (the LineReader's max_line). Past it: "BAD Command line too
  // long". Dovecot's imap_max_line_length default.
  std::size_t max_line = std::size_t{64} * 1024;
  // Octets of one command: all its lines plus every literal that is not an APPEND message.
  // Past it: "BAD Command too long".
  std::uint64_t max_command = std::uint64_t{256} * 1024;
  // Octets of one literal anywhere but an APPEND message (mailbox names, search strings,
  // passwords). Past it: "NO [TOOBIG] Literal too large".
  std::uint64_t max_literal = std::uint64_t{64} * 1024;
  // Octets of one APPEND message literal (APPENDLIMIT, RFC 7889); the server sets it.
  // Past it: "NO [TOOBIG] Message too large".
  std::uint64_t append_limit = std::uint64_t{50} * 1024 * 1024;
  // Octets of all message literals of one (MULTI)APPEND together. Past it:
  // "NO [TOOBIG] Messages too large together".
  std::uint64_t max_append_total = std::uint64_t{100} * 1024 * 1024;
  // Messages in one MULTIAPPEND (RFC 3502). Past it: "BAD Too many messages".
  std::size_t max_append_messages = 1000;
  // Literals in one command (each costs a "+" round trip or a buffer). Past it: "BAD Too many
  // literals".
  std::size_t max_literals = 1100;
  // Nesting of SEARCH keys: parentheses, NOT, OR (each level a recursion). Past it: "BAD Search
  // keys nested too deeply".
  std::size_t max_search_depth = 32;
  // SEARCH keys in one command, at every level together. Past it: "BAD Too many search keys".
  std::size_t max_search_keys = 1000;
  // Ranges in one sequence set ("1,3,5:7" has three). Past it: "BAD Too many ranges in sequence
  // set". (Expanding a set is bounded by the mailbox, not by this: see imap_sequence.hpp.)
  std::size_t max_sequence_ranges = 10000;
  // FETCH data items in one command. Past it: "BAD Too many FETCH items".
  std::size_t max_fetch_items = 100;
  // Items in any other parenthesized list (flags, STATUS items, ID fields, ENABLE names,
  // LIST patterns, CREATE USE flags). Past it: "BAD Too many flags" (STATUS items, ...).
  std::size_t max_list_items = 100;
};

}  // namespace estafeta::imap
