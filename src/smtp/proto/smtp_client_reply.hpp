// smtp_client_reply: reads the replies of a remote SMTP server (RFC 5321 §4.2) for the SMTP
// client: bytes in, complete replies out, with the multiline form ("250-..." lines ended by
// "250 ...", §4.2.1) and the enhanced status code (RFC 2034 §3, syntax RFC 3463 §2) split
// off. Lines may end in CRLF or a bare LF (liberal in what we accept); any split of the input
// gives the same replies.
// Trust: every byte comes from the remote server, which we do not control. Memory: bounded
// by ClientReplyLimits: a line longer than max_line octets, a reply of more than max_lines
// lines or max_reply octets, a reply line that does not start with a valid three-digit code
// (§4.2: first digit 2-5, second 0-5), or a multiline reply whose lines disagree on the code
// is a protocol error; the reader then stops for good (the connection is unusable). The
// reader keeps the input not yet returned as replies: its owner drains next() after every
// receive(), so that is at most one read of the I/O layer plus one reply in progress.
// Reply text is sanitized (control characters and invalid UTF-8 become '?') before it is
// returned, so it can go into logs, DSNs and the queue as it is.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace estafeta::smtp {

struct ClientReplyLimits {
  // Octets in one reply line including CRLF. RFC 5321 §4.5.3.1.5 says 512; servers exceed it
  // (long EHLO keyword lists, verbose policy texts), so we accept up to Postfix's 2048.
  std::size_t max_line = 2048;
  // Lines in one reply (an EHLO reply has one per extension).
  std::size_t max_lines = 100;
  // Octets of one whole reply.
  std::size_t max_reply = 32 * 1024;
};

// One complete reply of the server.
struct ServerReply {
  int code = 0;                    // 200..599 (a reader never returns anything else)
  std::string enhanced;            // "5.1.1" when the reply carried one (RFC 3463), else ""
  std::vector<std::string> lines;  // the text of each line, code and enhanced code removed

  int klass() const { return code / 100; }  // 2, 3, 4 or 5
  // The text of all lines joined by a space.
  std::string text() const;
  // One line for logs, DSN Diagnostic-Code and the queue's "last remote reply":
  // "550 5.1.1 text of line one text of line two".
  std::string summary() const;
};

// Parses an enhanced status code (RFC 3463 §2: class "." subject "." detail, subject and
// detail 1-3 digits) at the start of `text`, followed by a space or the end. `klass` is the
// first digit of the basic code: RFC 3463 requires the classes to agree, and a code that does
// not is treated as text. Returns its length (0 when there is none).
std::size_t enhanced_code_length(std::string_view text, int klass);

class ReplyReader {
 public:
  explicit ReplyReader(ClientReplyLimits limits = {}) : limits_(limits) {}

  // Appends bytes from the server. Ignored once failed().
  void receive(std::string_view bytes);

  // The next complete reply, or nullopt when more input is needed or the input is broken
  // (then failed() is true and error() says why).
  std::optional<ServerReply> next();

  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }

  // Octets received and not yet returned in a reply (RFC 3207 §4.2: nothing may follow the
  // 220 to STARTTLS in cleartext).
  std::size_t buffered() const { return in_.size() - pos_ + partial_size_; }

  // Forgets all input (after the TLS handshake the cleartext is gone).
  void reset();

 private:
  // Consumes one complete line (`text` without its line end, `raw` octets with it); may
  // complete the reply in progress.
  void line(std::string_view text, std::size_t raw);
  void fail(std::string why);

  ClientReplyLimits limits_;
  std::string in_;  // input not parsed yet, from pos_
  std::size_t pos_ = 0;
  ServerReply partial_;           // the multiline reply in progress
  std::size_t partial_size_ = 0;  // its octets so far
  std::optional<ServerReply> done_;
  std::string error_;
};

}  // namespace estafeta::smtp
