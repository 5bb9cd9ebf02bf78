// smtp_client_data: the message content as the SMTP client sends it after DATA: dot-stuffed
// (RFC 5321 §4.5.2: a line starting with "." gets one more) and ended by CRLF "." CRLF
// (§4.1.1.4), a CRLF being added first when the content does not end with one.
// A bare CR or bare LF in the content (§2.3.8 forbids them on the wire) is sent as CRLF, so
// that what the receiver sees as the end of data is exactly what we meant (no SMTP smuggling
// through a peer that takes a lone LF for a line end). Content may be given in any pieces.
// Trust: the content is ours (the spool), possibly from an untrusted sender. Memory: O(1)
// state; output is at most twice the input plus 5 octets.
#pragma once

#include <string>
#include <string_view>

namespace estafeta::smtp {

class DotStuffer {
 public:
  // Appends the stuffed form of the next piece of content to `out`.
  void encode(std::string_view in, std::string& out);
  // Appends the end of the content: a CRLF if needed, then "." CRLF. The stuffer is then
  // ready for a new message.
  void finish(std::string& out);

 private:
  bool line_start_ = true;   // the next octet starts a line
  bool pending_cr_ = false;  // the last octet seen was a CR
};

}  // namespace estafeta::smtp
