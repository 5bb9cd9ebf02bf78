// pop3_command: the POP3 command line parser (RFC 1939 §3, §5-7; RFC 2449 CAPA; RFC 2595 STLS;
// RFC 5034 AUTH; RFC 6856 UTF8). One line (without its CRLF) becomes a Command or the text of
// the -ERR reply that refuses it. Keywords are case-insensitive; arguments are separated by
// spaces (runs of spaces and trailing spaces are tolerated). USER and PASS take the rest of
// the line after the keyword's space as their one argument (RFC 1939 §7: a password may
// contain spaces). Message numbers are decimal digits; a number too big for 32 bits is kept
// as UINT32_MAX (then "no such message"), TOP's line count saturates likewise. Which commands
// are allowed in which state is the session's business, not the parser's.
// Trust: lines come from an unauthenticated peer; the caller bounds their length
// (pop3_session.hpp kMaxLine); nothing here keeps more than the line. Never throws.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace estafeta::pop3 {

enum class Verb {
  user,
  pass,
  apop,
  auth,
  stls,
  capa,
  utf8,
  quit,
  stat,
  list,
  retr,
  dele,
  noop,
  rset,
  top,
  uidl,
};

struct Command {
  Verb verb = Verb::noop;
  // USER: the name; PASS: the password; APOP: the name; AUTH: the mechanism (upper case, ""
  // for a bare AUTH, which lists the mechanisms).
  std::string text;
  // APOP: the digest; AUTH: the initial response (RFC 5034 §4), if given.
  std::optional<std::string> text2;
  // LIST, UIDL (optional), RETR, DELE, TOP: the message number.
  std::optional<std::uint32_t> number;
  std::uint64_t lines = 0;  // TOP: the number of body lines
};

struct ParseResult {
  std::optional<Command> command;
  std::string error;  // when !command: the reply text after "-ERR "
};

ParseResult parse_command(std::string_view line);

// The keyword of a line (its first word), upper-cased, at most 16 octets ("" if none).
std::string command_keyword(std::string_view line);

}  // namespace estafeta::pop3
