// imap_command_reader: assembles one IMAP command from the lines the server reads
// (net::LineReader, lines without CRLF) and the octets of its literals (RFC 9051 §4.3 and
// §2.2.1): "{N}" synchronizing literals (the server answers "+" first), "{N+}" non-synchronizing
// (LITERAL+/LITERAL-, RFC 7888), "~{N}" / "~{N+}" literal8 (BINARY, RFC 3516; also the UTF8
// APPEND data of RFC 6855). Enforces imap::Limits before any byte is stored: line length,
// command size, literal sizes (APPEND message literals up to append_limit, others up to
// max_literal), literal count. The assembled command is kept in wire form (lines joined by
// CRLF, literal octets in place, no final CRLF) for imap::parse_command. Sans-I/O, no
// exceptions. Trust: unauthenticated peer. Memory: at most max_command octets plus the APPEND
// message literals (each <= append_limit, together <= max_append_total).
//
// Use, per command (the session owns the LineReader):
//   Step s = reader.feed_line(line_reader.take_line());
//   while (true) switch (s.kind) {
//     need_line:    read the next line, s = reader.feed_line(...);
//     need_literal: if s.synchronizing send "+ Ready for literal data"; line_reader.read_octets(
//                   s.size) once; hand each run of octets to reader.feed_literal() (it
//                   returns need_line: the command continues on the next line after them);
//     complete:     parse_command(reader.command(), limits); reader.reset() for the next one;
//     error:        send s.error.response() at once. If s.size > 0 (a too-big non-synchronizing
//                   literal the client is sending anyway, RFC 7888) the command is being
//                   discarded: line_reader.read_octets(s.size), hand the octets to
//                   feed_literal() (they are counted and dropped, never stored), and go on
//                   feeding lines: the reader swallows the rest of that command (further
//                   "{N+}" literals are dropped the same way, as need_literal with discard set)
//                   and then answers need_line with idle() true. For a too-big synchronizing
//                   literal no "+" is sent, the client sends nothing more of the command, and
//                   the reader is idle again at once (RFC 9051 §4.3, §7.1 TOOBIG).
//   }
// IDLE's "DONE" and AUTHENTICATE's continuation lines are not commands: the session reads
// them itself, not through this reader.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "imap/proto/imap_limits.hpp"
#include "net/proto/net_line_reader.hpp"

namespace estafeta::imap {

// A command refused before it is executed: answered "<tag> BAD <text>" or "<tag> NO <text>".
struct CommandError {
  enum class Kind { bad, no };
  std::string tag = "*";  // the client's tag, "*" when none could be read
  Kind kind = Kind::bad;
  std::string text;  // response text incl. any response code: "[TOOBIG] Message too large"
  std::string name;  // upper-cased command name when one was read ("UID FETCH"), else ""
  // The full response line: "<tag> BAD <text>\r\n".
  std::string response() const;
};

class CommandReader {
 public:
  struct Step {
    enum class Kind { need_line, need_literal, complete, error };
    Kind kind = Kind::need_line;
    std::uint64_t size = 0;      // need_literal / error: octets the caller must read next;
                                 // need_line after feed_literal: octets still expected
    bool synchronizing = false;  // need_literal: send "+ ..." before the client sends them
    bool literal8 = false;       // need_literal: "~{N}" (may hold NUL octets)
    bool discard = false;        // need_literal: octets of a rejected command, to be dropped
    CommandError error;          // error
  };

  explicit CommandReader(const Limits& limits = {}) : limits_(limits) {}

  // One line as the LineReader reported it (overlong, bare CR and NUL are judged here: bare
  // CR or NUL -> "BAD Invalid characters in command", overlong -> "BAD Command line too long";
  // a bare LF line end is accepted as CRLF, as Dovecot does).
  Step feed_line(const net::LineReader::Line& line);
  // The same for a line given as text (tests, fuzzing); length limits apply to text.size()+2.
  Step feed_line(std::string_view text);

  // Octets of the literal announced by the last need_literal (or error with size > 0), in
  // any number of pieces; never more than announced in total (extra octets are ignored).
  // Always returns need_line: nothing for the caller to do but go on reading input, the rest
  // of the literal first (LineReader::octets_remaining() counts it; Step::size repeats it,
  // 0 once all arrived: then the command continues on the next line).
  Step feed_literal(std::string_view octets);

  // After complete: the command in wire form (lines joined by CRLF, literals in place).
  std::string_view command() const { return buffer_; }
  std::string take_command();

  // True between commands: nothing of a command held, nothing being discarded.
  bool idle() const { return state_ == State::idle; }

  // Forgets the current command (after complete, or to abandon one).
  void reset();

  const Limits& limits() const { return limits_; }

 private:
  enum class State { idle, lines, literal, discard_literal, discard_lines, complete };
  Step on_line(std::string_view text, std::uint64_t length, bool overlong, bool bad_chars);
  Step fail(CommandError::Kind kind, std::string text);

  Limits limits_;
  State state_ = State::idle;
  std::string buffer_;                // the command so far, wire form
  std::string tag_;                   // from the first line, for errors
  std::string name_;                  // upper-cased command name, for errors
  bool append_ = false;               // the command is APPEND: message literals may be large
  std::uint64_t command_octets_ = 0;  // counted against max_command
  std::uint64_t append_octets_ = 0;   // message literals, counted against max_append_total
  std::size_t literals_ = 0;
  std::uint64_t literal_left_ = 0;  // octets of the current literal still expected
};

}  // namespace estafeta::imap
