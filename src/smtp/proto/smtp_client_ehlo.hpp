// smtp_client_ehlo: what a remote server's EHLO reply (RFC 5321 §4.1.1.1) says it supports,
// for the SMTP client: PIPELINING (RFC 2920), SIZE (RFC 1870), 8BITMIME (RFC 6152),
// SMTPUTF8 (RFC 6531), DSN (RFC 3461), CHUNKING and BINARYMIME (RFC 3030), STARTTLS
// (RFC 3207), AUTH with its mechanisms (RFC 4954, and the pre-standard "AUTH=" form some
// servers still send), REQUIRETLS (RFC 8689) and ENHANCEDSTATUSCODES (RFC 2034).
// Trust: the reply comes from the remote server. Keywords are matched case-insensitively
// (§4.1.1.1); unknown ones are ignored. Memory: at most kMaxAuthMechanisms mechanisms of at
// most 20 characters (RFC 4422 §3.1) are kept; everything else is flags and one number.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/proto/smtp_client_reply.hpp"

namespace estafeta::smtp {

inline constexpr std::size_t kMaxAuthMechanisms = 16;

struct Capabilities {
  bool esmtp = false;  // the EHLO was accepted (false after a HELO fallback: nothing below)
  bool pipelining = false;
  bool size = false;
  std::uint64_t size_limit = 0;  // SIZE n; 0 = no fixed limit announced (RFC 1870 §4)
  bool eightbitmime = false;
  bool smtputf8 = false;
  bool dsn = false;
  bool chunking = false;
  bool binarymime = false;
  bool starttls = false;
  bool requiretls = false;
  bool enhancedstatuscodes = false;
  std::vector<std::string> auth;  // SASL mechanisms, upper case, in the server's order

  bool has_auth(std::string_view mechanism) const;
};

// The capabilities in an EHLO reply (its first line is the server's name and is skipped).
Capabilities parse_ehlo(const ServerReply& reply);

}  // namespace estafeta::smtp
