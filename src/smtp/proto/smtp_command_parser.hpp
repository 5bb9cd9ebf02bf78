// smtp_command_parser: the grammar of SMTP client commands (RFC 5321 §4.1), with the ESMTP
// parameters Estafeta advertises: SIZE (RFC 1870), BODY (RFC 6152), SMTPUTF8 (RFC 6531),
// RET/ENVID/NOTIFY/ORCPT (RFC 3461), AUTH= (RFC 4954 §5), and the BDAT (RFC 3030) and AUTH
// (RFC 4954 §4) argument forms. Every function is pure: it takes one command line (without
// its CRLF) or an argument and returns a value or the PeerError that becomes the reply.
// Trust: input comes from an unauthenticated peer; lengths are bounded by the caller's
// command-line limit and by the RFC 5321 §4.5.3.1 limits checked here (local part 64 octets,
// domain 255, path 256). Memory: results own copies of at most those sizes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace estafeta::smtp {

enum class Verb {
  ehlo,
  helo,
  mail,
  rcpt,
  data,
  bdat,
  rset,
  noop,
  help,
  vrfy,
  expn,
  quit,
  starttls,
  auth,
  unknown
};

// A command line split into its verb (case-insensitive, RFC 5321 §2.4) and the argument after
// the single space that follows it ("" when there is none).
struct CommandLine {
  Verb verb = Verb::unknown;
  std::string_view verb_text;  // as sent, for "unknown command" replies and traces
  std::string_view argument;
  bool has_argument = false;  // a space followed the verb (even if nothing after it)
};
CommandLine split_command(std::string_view line);
std::string_view verb_name(Verb verb);  // "EHLO", ..., "" for unknown

// An envelope address as parsed from a path (RFC 5321 §4.1.2).
struct Address {
  std::string address;  // local@domain with the local part unquoted (quoted-pairs resolved);
                        // "" for the null path <>. What the directory resolves.
  std::string wire;     // the RFC 5321 form: local part quoted when it is not a dot-string
  bool utf8 = false;    // contains non-ASCII (needs SMTPUTF8, RFC 6531 §3.3)
};

// Parses a Path: "<" [A-d-l ":"] Mailbox ">" (source routes are accepted and dropped,
// RFC 5321 §3.6.1 and Appendix C). allow_null admits "<>" (reverse-path); allow_postmaster
// admits "<Postmaster>" (forward-path, §4.1.1.3), returned as "postmaster@<hostname>".
// Well-formed RFC 6531 UTF-8 is accepted in local part and domain and flagged in
// Address::utf8 (the MAIL/RCPT parsers refuse it without SMTPUTF8). `rest` receives what
// follows the closing ">". Errors carry `bad_code` (5.1.7 sender / 5.1.3 recipient).
// Bounds: path 256 octets, domain 255, label 63 (RFC 5321 §4.5.3.1; the 64-octet local-part
// limit is applied to recipients only, in parse_rcpt_to, since long VERP/SRS senders exist).
Result<Address> parse_path(std::string_view text, bool allow_null, bool allow_postmaster,
                           std::string_view hostname, std::string_view bad_code,
                           std::string_view& rest);

// RFC 1870 / 6152 / 6531 / 3461 / 4954 / 8689 parameters of MAIL FROM.
struct MailParams {
  std::optional<std::uint64_t> size;  // SIZE=
  std::string body;                   // "7BIT" / "8BITMIME" (upper-cased), "" if absent
  bool smtputf8 = false;
  bool requiretls = false;          // RFC 8689 §3 REQUIRETLS (no value)
  std::string ret;                  // "FULL" / "HDRS" (upper-cased), "" if absent
  std::string envid;                // xtext as given
  std::optional<std::string> auth;  // AUTH= value as given (xtext or "<>")
};
struct MailFrom {
  Address from;
  MailParams params;
};
// Parses the argument of MAIL: "FROM:<path> [SP params]". Whitespace after the colon is
// tolerated (as Postfix does); the path must be in angle brackets.
// Errors: 501 5.5.2 (no FROM:), 501 5.1.7 (bad address), 555 5.5.4 (unknown parameter),
// 501 5.5.4 (bad or repeated parameter value), 553 5.6.7 (UTF-8 address without SMTPUTF8).
Result<MailFrom> parse_mail_from(std::string_view argument);

// RFC 3461 parameters of RCPT TO.
struct RcptParams {
  std::string notify;  // "NEVER" or a comma list of SUCCESS/FAILURE/DELAY (upper-cased)
  std::string orcpt;   // "addr-type;xtext" as given
};
struct RcptTo {
  Address to;
  bool postmaster = false;  // "<Postmaster>" without a domain
  RcptParams params;
};
// Parses the argument of RCPT: "TO:<path> [SP params]". `smtputf8` says whether the MAIL
// command of the transaction carried SMTPUTF8. Errors: 501 5.5.2, 501 5.1.3, 555 5.5.4,
// 501 5.5.4, 553 5.6.7 as for MAIL.
Result<RcptTo> parse_rcpt_to(std::string_view argument, bool smtputf8, std::string_view hostname);

// The EHLO/HELO argument: one domain or address literal, no spaces (§4.1.1.1). Lenient like
// Postfix about what the domain looks like (clients send "localhost", "my_pc"); refuses
// control characters and malformed UTF-8. Error: 501 5.5.4.
Result<std::string> parse_helo(std::string_view argument, bool ehlo);

// BDAT chunk-size [SP "LAST"] (RFC 3030 §2). `size_known` tells the caller whether the chunk
// size could be read even though the command is refused (so the chunk can still be skipped).
struct BdatArgs {
  std::uint64_t size = 0;
  bool last = false;
};
Result<BdatArgs> parse_bdat(std::string_view argument, std::optional<std::uint64_t>& size_known);

// AUTH mechanism [SP initial-response] (RFC 4954 §4). The mechanism is upper-cased; the
// initial response is returned as sent ("=" means empty). Error: 501 5.5.4.
struct AuthArgs {
  std::string mechanism;
  std::optional<std::string> initial_response;
};
Result<AuthArgs> parse_auth(std::string_view argument);

// RFC 3461 §4 xtext: ASCII 33..126 except "+" and "=", or "+" followed by two upper-case hex
// digits.
bool is_xtext(std::string_view s);

}  // namespace estafeta::smtp
