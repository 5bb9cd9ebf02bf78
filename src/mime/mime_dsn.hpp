// mime_dsn: builds delivery status notifications — multipart/report; report-type=
// delivery-status (RFC 6522) holding a human-readable text/plain part, a
// message/delivery-status part (RFC 3464 §2.2 per-message and §2.3 per-recipient fields)
// and the original message (message/rfc822) or only its header (text/rfc822-headers) as the
// envelope's RET asked (RFC 3461 §4.3). The notification is from the null sender's point of
// view: sent with MAIL FROM:<> by the caller; it carries Auto-Submitted: auto-replied (RFC
// 3834 §5). Input: our own queue's records, but the original message and diagnostic texts
// come from peers: they are copied, never interpreted beyond finding the header end, and
// diagnostic text is stripped of CR/LF. Memory: output about the size of the returned part.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace estafeta::mime {

// RFC 3464 §2.3.3 Action.
enum class DsnAction { failed, delayed, delivered, relayed, expanded };

struct DsnRecipient {
  std::string final_recipient;     // address; written as "rfc822; <address>"
  std::string original_recipient;  // ORCPT as given ("rfc822;a@b") or "" (RFC 3461 §4.2)
  DsnAction action = DsnAction::failed;
  std::string status;           // RFC 3463 "5.1.1"
  std::string remote_mta;       // host name, "" = none ("dns; <host>")
  std::string diagnostic_code;  // remote reply, "" = none ("smtp; 550 5.1.1 ...")
  // RFC 3464 §2.3.6 diagnostic-type: "smtp" for an SMTP reply; an "X-" name for a failure
  // of our own that no server replied (no route, connection refused), as Postfix writes
  // "X-Postfix".
  std::string diagnostic_type = "smtp";
  std::chrono::system_clock::time_point last_attempt{};      // zero = none
  std::chrono::system_clock::time_point will_retry_until{};  // for delayed; zero = none
};

struct DsnReport {
  std::string reporting_mta;         // our hostname ("dns; <host>")
  std::string postmaster;            // From address, e.g. "MAILER-DAEMON@host"
  std::string recipient;             // the original envelope sender, gets the report
  std::string original_envelope_id;  // ENVID as given (xtext, RFC 3461 §4.4), "" = none
  std::chrono::system_clock::time_point arrival_date{};  // zero = none
  std::vector<DsnRecipient> recipients;
  std::string original_message;  // CRLF message as received
  bool return_full = false;      // RET=FULL: whole message; else headers only
  std::size_t max_returned_size = std::size_t{10} * 1024 * 1024;  // larger: headers only
  std::string original_message_id;               // to set In-Reply-To/References; "" = none
  std::chrono::system_clock::time_point date{};  // zero = now
  std::string message_id;                        // "" = generated
  int utc_offset_minutes = 0;
};

// Builds the whole notification message (headers + body, CRLF, ends with CRLF).
std::string build_dsn(const DsnReport& report);

// "failed" / "delayed" / ...
std::string_view dsn_action_name(DsnAction a);

// The header part (up to and including the blank line) of a CRLF or LF message; the whole
// message if it has no body.
std::string_view message_header_block(std::string_view message);

}  // namespace estafeta::mime
