// smtp_data_reader: reads message content after DATA (RFC 5321 §4.1.1.4: ends at CRLF.CRLF
// only, dot-stuffing removed per §4.5.2) or in BDAT chunks (RFC 3030: raw octets, no
// stuffing), and judges it: bare CR or LF (§2.3.8), NUL octets, text lines longer than
// Limits::max_line_length (§4.5.3.1.6), a message larger than Limits::max_message_size
// (RFC 1870), too many Received fields in the header section (mail loop, §6.3).
// The content is not kept whole: it collects in a buffer the caller empties with take_chunk()
// (to stream it into the spool), and Received fields are counted as the header section goes
// by. With Limits::bare_lf = normalize a lone LF becomes CRLF (only CRLF "." CRLF ends DATA).
// Trust: the octets come from an unauthenticated peer. Memory: the buffer holds what the
// caller has not taken yet; past max_message_size, or once the message is known to be
// refused, nothing more is kept (the rest is counted and dropped, "drained", so the dialogue
// stays in step); other state is O(1) whatever the split of the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "smtp/proto/smtp_limits.hpp"

namespace estafeta::smtp {

class DataReader {
 public:
  enum class Mode { dot_stuffed, chunked };

  explicit DataReader(const Limits& limits) : limits_(limits) {}

  // Starts a new message, forgetting the previous one.
  void reset(Mode mode);

  // DATA: consumes octets up to and including the terminating CRLF "." CRLF and returns how
  // many were consumed (all of them while the end has not been seen).
  // BDAT: consumes every octet (the caller feeds exactly the chunk).
  std::size_t feed(std::string_view bytes);

  // True once the DATA terminator was consumed.
  bool complete() const { return complete_; }

  // BDAT LAST: the message is complete (a CR left pending at the very end is a bare CR).
  void finish();

  // The first problem found, in the order: too big (552 5.3.4), bare CR/LF (550 5.6.2),
  // NUL (554 5.6.0), line too long (500 5.5.2), too many Received fields (554 5.4.6, checked
  // only once the message is complete). nullopt when the message is acceptable.
  std::optional<PeerError> error() const;

  // True when the message grew past max_message_size (its content is no longer kept).
  bool too_big() const { return too_big_; }

  // Octets of content seen (after unstuffing), including any that were dropped.
  std::uint64_t size() const { return size_; }

  // The content received since the last take (CRLF line ends kept), emptying the buffer.
  std::string take_chunk();
  std::size_t buffered() const { return message_.size(); }
  // take_chunk() for a message read in one go (tests).
  std::string take_message() { return take_chunk(); }

 private:
  void emit(char c);
  void emit_run(std::string_view run);
  void scan_header(std::string_view run);
  void line_feed(bool dot);

  Limits limits_;
  Mode mode_ = Mode::dot_stuffed;
  std::string message_;
  std::uint64_t size_ = 0;
  std::uint64_t line_len_ = 0;  // octets of the current line, CR and LF included
  bool cr_ = false;             // the previous octet was a CR not yet matched with LF
  bool dot_line_ = false;       // DATA: the current line so far is a single (stuffing) "."
  bool complete_ = false;
  bool after_lf_ = false;  // normalize: the current line began after a lone LF
  bool too_big_ = false, bare_newline_ = false, nul_ = false, long_line_ = false;
  // The header section, scanned as it goes by for Received fields (mail loops).
  bool in_header_ = true;
  std::uint64_t header_line_len_ = 0;
  std::string header_line_start_;  // the first octets of the current header line, lower case
  std::size_t received_ = 0;
};

// Counts "Received:" fields in the header section of `message` (up to the first empty line).
// Stops counting at `stop_after` + 1.
std::size_t count_received_fields(std::string_view message, std::size_t stop_after);

}  // namespace estafeta::smtp
