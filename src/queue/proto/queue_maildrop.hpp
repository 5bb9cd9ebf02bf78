// queue_maildrop: the file `estafeta sendmail` leaves in the maildrop directory for the
// server to pick up (local submission without a network hop, as Postfix's maildrop). A file
// is a short header, a blank line, then the message as given (any line ends):
//
//   ESTAFETA-MAILDROP 1
//   from <percent-escaped envelope sender; "~" = null sender; absent = the submitting user>
//   fullname <percent-escaped -F name>      (optional)
//   rcpt <percent-escaped address>          (one per recipient, at least one)
//   notify <NEVER | SUCCESS,FAILURE,DELAY>  (optional, for the rcpt line before it; RFC 3461)
//   orcpt <addr-type;xtext>                 (optional, likewise)
//   ret <FULL | HDRS>                       (optional; RFC 3461 RET)
//   envid <xtext>                           (optional; RFC 3461 ENVID)
//   <blank line>
//   <message>
//
// Values use queue_record's percent-escaping. Trust: the directory is writable by every local
// user, so a file is untrusted input from whoever owns it: the server takes the submitting
// user from the file's owner, never from its content, and this parser bounds everything
// (kMaxMaildropHeader octets of header, kMaxMaildropRecipients recipients, addresses of at most
// 1000 octets) and answers garbage with an error. Memory: the header's fields; the message is
// returned as a view into the caller's buffer.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace estafeta::queue {

inline constexpr std::size_t kMaxMaildropHeader = 256 * 1024;
inline constexpr std::size_t kMaxMaildropRecipients = 1000;

struct MaildropHeader {
  std::optional<std::string> from;  // nullopt: the submitting user's address; "" = null sender
  std::string fullname;             // -F, "" when absent
  std::vector<std::string> recipients;
  // RFC 3461 per recipient, parallel to `recipients` after parsing ("" = not given); the
  // encoder takes shorter vectors. Values are the submitter's: the pickup checks them.
  std::vector<std::string> notify, orcpt;
  std::string ret, envid;  // "" when not given
};

// RFC 3461 values as the maildrop takes them (the SMTP server's grammar): NOTIFY is NEVER or a
// comma list of SUCCESS, FAILURE, DELAY without repeats (any case; returned upper-cased);
// RET is FULL or HDRS; ENVID and ORCPT's address are xtext (ORCPT "type;xtext").
std::optional<std::string> normalize_notify(std::string_view value);
std::optional<std::string> normalize_ret(std::string_view value);
bool valid_xtext(std::string_view value);
bool valid_orcpt(std::string_view value);

// The header block, ending with the blank line; the message follows it in the file.
std::string encode_maildrop_header(const MaildropHeader& header);

// Parses a whole file: the header into `out` and the message as a view into `file`.
// nullopt and `error` set when the file is not a well-formed maildrop file.
std::optional<std::string_view> parse_maildrop(std::string_view file, MaildropHeader& out,
                                               std::string& error);

}  // namespace estafeta::queue
