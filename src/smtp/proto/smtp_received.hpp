// smtp_received: the trace field the server prepends to each message it accepts (RFC 5321
// §4.4 Time-stamp-line, "with" protocol types from RFC 3848 and RFC 6531 §3.7.3) and the
// RFC 5322 §3.3 date it carries. Trust: HELO names come from the peer, so everything quoted in
// the field is reduced to characters that cannot break the header (no CR, LF, parentheses).
// Memory: the field is bounded by the HELO limit (255) plus the server's own strings.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace estafeta::smtp {

struct ReceivedFields {
  std::string helo;     // as the client gave it ("" if none)
  std::string peer_ip;  // "192.0.2.1" / "2001:db8::1"
  std::string server_hostname;
  bool esmtp = false;  // EHLO (true) or HELO (false)
  bool tls = false;
  std::string tls_version, tls_cipher;
  std::string auth_user;  // "" if none
  bool smtputf8 = false;
  std::string id;
  std::string single_recipient;  // "for <...>" when the message has exactly one recipient
  std::chrono::system_clock::time_point when;
};

// "ESMTP", "ESMTPS", "ESMTPA", "ESMTPSA", "SMTP", or the UTF8SMTP* forms.
std::string with_protocol(bool esmtp, bool tls, bool authenticated, bool smtputf8);

// The whole field, folded, ending in CRLF: "Received: from ... ; <date>\r\n".
std::string format_received(const ReceivedFields& fields);

// "Sat, 28 Nov 2026 03:17:28 +0000" (RFC 5322 §3.3, always UTC).
std::string format_rfc5322_date(std::chrono::system_clock::time_point when);

}  // namespace estafeta::smtp
