// smtp_client_data: dot-stuffing of outgoing message content (see smtp_client_data.hpp).
#include "smtp/proto/smtp_client_data.hpp"

namespace estafeta::smtp {

void DotStuffer::encode(std::string_view in, std::string& out) {
  out.reserve(out.size() + in.size() + in.size() / 16 + 8);
  for (char c : in) {
    if (pending_cr_) {
      pending_cr_ = false;
      out += "\r\n";
      line_start_ = true;
      if (c == '\n') continue;  // it was a CRLF; otherwise a bare CR, now a line end too
    }
    if (c == '\r') {
      pending_cr_ = true;
      continue;
    }
    if (c == '\n') {  // bare LF
      out += "\r\n";
      line_start_ = true;
      continue;
    }
    if (line_start_ && c == '.') out += '.';  // RFC 5321 §4.5.2
    out += c;
    line_start_ = false;
  }
}

void DotStuffer::finish(std::string& out) {
  if (pending_cr_) {
    out += "\r\n";
    line_start_ = true;
  }
  if (!line_start_) out += "\r\n";
  out += ".\r\n";
  line_start_ = true;
  pending_cr_ = false;
}

}  // namespace estafeta::smtp
