// net_line_reader: the one line reader of every text protocol (SMTP commands, IMAP, POP3).
// Cuts a byte stream, split anywhere, into lines ended by LF, and judges each line the way
// RFC 5321 §2.3.8 / §4.1.1 (SMTP), RFC 9051 §2.2 (IMAP) and RFC 1939 §3 (POP3) require: the
// line end must be CRLF, so a bare LF (an LF with no CR before it), a bare CR (a CR followed
// by anything but LF) and NUL octets are reported, never silently repaired. It also reads a
// counted run of raw octets (an IMAP literal "{N}" CRLF, RFC 9051 §4.3) between two lines.
// Sans-I/O: no sockets, no clock, no exceptions; the caller owns the input buffer.
// Trust: the octets come from an unauthenticated peer. Memory: at most max_line octets of a
// line are kept; the rest of an overlong line is counted and dropped, and the line is
// reported overlong when its LF arrives, so the reader stays in step with the dialogue. State
// between calls is O(1) besides that bounded prefix, whatever the split of the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace estafeta::net {

class LineReader {
 public:
  // One complete line, as reported by take_line().
  struct Line {
    std::string text;          // the line without its CRLF (or bare LF); if overlong, cut
                               // to its first max_line octets
    std::uint64_t length = 0;  // octets received for the line, its line end included
    bool overlong = false;     // length > max_line: text is a prefix, the rest was dropped
    bool bare_lf = false;      // ended by an LF with no CR before it
    bool bare_cr = false;      // holds a CR followed by something other than LF
    bool nul = false;          // holds a NUL octet
  };

  // max_line: the longest acceptable line in octets, CRLF included (e.g. RFC 5321 §4.5.3.1.4
  // sets 512 for SMTP commands before extensions; SMTP's smtp.max_command_line).
  explicit LineReader(std::size_t max_line) : max_line_(max_line) {}

  // Consumes input and returns how many octets of `bytes` were used:
  // - reading a line: octets up to and including the next LF; when the LF is consumed the line
  //   is ready (line_ready()) and nothing more is consumed (0 is returned) until take_line();
  // - reading octets (after read_octets(n)): up to the octets still expected; those octets are
  //   the first `returned` octets of `bytes`, handed to the caller raw (no CRLF, NUL or length
  //   checks). When the last one is consumed the reader reads lines again.
  // The caller keeps the unconsumed rest of `bytes` and offers it again later.
  std::size_t feed(std::string_view bytes);

  // True when a complete line waits for take_line().
  bool line_ready() const { return ready_; }

  // Hands over the ready line and starts the next one. Precondition: line_ready().
  Line take_line();

  // The next n octets, after the line just taken, are raw data (an IMAP literal, a POP3 or
  // SMTP byte count). Precondition: between lines (no line ready, no octets of a line held).
  // n == 0 is a no-op.
  void read_octets(std::uint64_t n);

  // Octets of a read_octets() run still expected; 0 when reading lines.
  std::uint64_t octets_remaining() const { return octets_left_; }

  // True when part of a line has been received but not its LF (e.g. to tell an idle client
  // from one that stopped in the middle of a command).
  bool mid_line() const { return !ready_ && seen_ > 0; }

  // Forgets any partial line, ready line or octet run (e.g. after a TLS upgrade, RFC 3207 §4).
  void reset();

  std::size_t max_line() const { return max_line_; }

 private:
  std::size_t max_line_;
  std::string text_;        // the kept prefix of the current line (<= max_line_ octets)
  std::uint64_t seen_ = 0;  // octets of the current line received so far, LF included
  std::uint64_t octets_left_ = 0;
  bool cr_pending_ = false;  // the last octet received was a CR (not yet judged)
  bool bare_cr_ = false, bare_lf_ = false, nul_ = false;
  bool ready_ = false;
};

}  // namespace estafeta::net
