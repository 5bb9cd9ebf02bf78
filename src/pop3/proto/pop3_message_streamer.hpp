// pop3_message_streamer: the wire form of a message for RETR and TOP (RFC 1939 §3, §7), made
// in bounded pieces so that a 50 MB message never sits whole in memory. DotStuffer is the
// pure transformation (bytes in, wire bytes out, any split of the input); MessageStreamer
// pulls the bytes from a store::Blob and feeds them through it. The transformation: bare LF
// becomes CRLF (bare CR is kept), NUL becomes 0x80 (pop3_session.hpp says why), a line
// starting with "." gets one more "." (dot-stuffing), a last line without its line end gets a
// CRLF, and ".\r\n" ends it all. With a TOP limit n it sends the header, the blank line (added
// when the message has none: then the whole message is header) and at most n body lines,
// counting a last line without line end as a line.
// Trust: message bytes are untrusted and may be anything. Memory: O(1) state besides the
// output string the caller passes; MessageStreamer reads kStreamChunk octets at a time, so a
// piece of output is at most about 2 * kStreamChunk + 5 octets. Never throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "store/api/store.hpp"

namespace estafeta::pop3 {

inline constexpr std::size_t kStreamChunk = 64 * 1024;

class DotStuffer {
 public:
  // top_lines: TOP's n (nullopt for RETR).
  explicit DotStuffer(std::optional<std::uint64_t> top_lines = std::nullopt);
  // Appends the wire form of `in` (the next octets of the message) to `out`.
  void feed(std::string_view in, std::string& out);
  // The message ended: appends what is still owed (a CRLF after a last line without line
  // end; TOP's blank line when the header never ended) and ".\r\n".
  void finish(std::string& out);
  // True when TOP has sent all it will: the rest of the message need not be read.
  bool satisfied() const;
  // Octets of message content produced so far, before dot-stuffing (what STAT / LIST count
  // for RETR), not counting the terminating ".\r\n".
  std::uint64_t content_octets() const { return content_; }

 private:
  void end_line(std::string& out);

  std::optional<std::uint64_t> top_lines_;
  bool at_line_start_ = true;
  bool pending_cr_ = false;        // the last octet of the current line so far is a CR
  std::uint64_t line_octets_ = 0;  // octets of the current line so far, its line end not counted
  bool in_body_ = false;           // TOP: the blank line after the header was sent
  std::uint64_t body_lines_ = 0;   // TOP: body lines sent
  bool done_ = false;              // TOP satisfied
  std::uint64_t content_ = 0;
};

class MessageStreamer {
 public:
  MessageStreamer(std::shared_ptr<store::Blob> blob, std::optional<std::uint64_t> top_lines);
  // Replaces `out` with the next piece of wire output. After the last piece (which ends with
  // ".\r\n") done() is true. A read error is returned as it is: the server can only close the
  // connection then (the "+OK" was sent; the client sees no terminating ".").
  std::error_code next(std::string& out);
  bool done() const { return done_; }

 private:
  std::shared_ptr<store::Blob> blob_;
  DotStuffer stuffer_;
  std::uint64_t offset_ = 0;
  std::uint64_t size_ = 0;
  std::string buf_;
  bool done_ = false;
};

}  // namespace estafeta::pop3
