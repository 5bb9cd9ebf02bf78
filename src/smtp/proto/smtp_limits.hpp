// smtp_limits: every resource bound of the SMTP server in one struct, each with its default
// and its config key (section [smtp] of estafeta.toml). The session core and the server
// driver read these; each limit has its own test. Defaults follow RFC 5321 §4.5.3 and the
// choices Postfix makes where the RFC leaves one.
#pragma once

#include <chrono>
#include <cstddef>

namespace estafeta::smtp {

struct Limits {
  // smtp.max_command_line: octets in a command line incl. CRLF. RFC 5321 §4.5.3.1.4 sets 512
  // and lets extensions raise it; ESMTP parameters (DSN ORCPT/ENVID, SIZE...) need more.
  std::size_t max_command_line = 2048;
  // smtp.max_line_length: octets in one message text line incl. CRLF. RFC 5321 §4.5.3.1.6
  // sets a floor of 1000 and asks implementations to impose no limit where they can.
  std::size_t max_line_length = 65536;
  // smtp.max_message_size: octets of message data (advertised as SIZE, RFC 1870).
  std::size_t max_message_size = 50 * 1024 * 1024;
  // smtp.bare_lf: what a lone LF in DATA/BDAT content gets. reject (the default): 550 5.6.2.
  // normalize: it becomes CRLF (as Postfix 3.9's smtpd_forbid_bare_newline = normalize); only
  // CRLF "." CRLF still ends DATA, so SMTP smuggling stays impossible.
  enum class BareLf { reject, normalize };
  BareLf bare_lf = BareLf::reject;
  // smtp.max_recipients: RCPT TO per transaction; past it, 452 4.5.3 (RFC 5321 §4.5.3.1.8).
  std::size_t max_recipients = 100;
  // smtp.max_errors: failed commands per session before 421 4.7.0 and close.
  std::size_t max_errors = 10;
  // smtp.max_junk_commands: commands that move no mail (EHLO, HELO, NOOP, RSET, HELP, VRFY,
  // EXPN) per session, counted again from 0 after each accepted message; the next one gets
  // 421 4.7.0 and the session is closed (Postfix smtpd_junk_command_limit).
  std::size_t max_junk_commands = 100;
  // smtp.max_received_headers: Received fields before 554 5.4.6 (loop, RFC 5321 §6.3).
  std::size_t max_received_headers = 100;
  // smtp.max_connections / smtp.max_connections_per_ip: concurrent sessions.
  std::size_t max_connections = 1000;
  std::size_t max_connections_per_ip = 50;
  // smtp.ipv6_prefix: IPv6 clients are counted per prefix of this length for
  // max_connections_per_ip (one host commonly owns a whole /64, RFC 6177).
  unsigned ipv6_prefix = 64;
  // smtp.stress_threshold: percent of max_connections in use above which the server is in
  // stress mode (as Postfix's): sessions that are unauthenticated and before MAIL get
  // smtp.stress_command_timeout, and at the limit the longest-idle of them is closed with
  // 421 4.7.0 to make room for a newcomer instead of refusing it.
  unsigned stress_threshold = 80;
  std::chrono::seconds stress_command_timeout{10};
  // smtp.max_auth_failures: failed AUTH attempts before 421 and close.
  std::size_t max_auth_failures = 3;
  // smtp.command_timeout: waiting for a command (RFC 5321 §4.5.3.2.7: at least 5 minutes).
  std::chrono::seconds command_timeout{300};
  // smtp.data_timeout: waiting for the next chunk of DATA/BDAT (§4.5.3.2.6: 3 minutes).
  std::chrono::seconds data_timeout{180};
  // smtp.min_data_rate: octets/second a client must sustain during DATA/BDAT, measured after
  // smtp.data_rate_grace seconds; a slower client gets 421 4.4.2 and is closed.
  std::size_t min_data_rate = 1024;
  std::chrono::seconds data_rate_grace{30};
};

}  // namespace estafeta::smtp
