// mime_downgrade: turns a message with 8-bit content into one that is 7-bit clean, for a next
// hop that lacks 8BITMIME (RFC 6152 §3: the client downgrades or bounces; the method is that
// of RFC 1652 §4 / RFC 2045 §6). Only leaf parts whose body has octets >= 0x80 (or is
// labelled binary) are touched: text parts (text/*, or no Content-Type) are re-encoded as
// quoted-printable, others as base64, and their Content-Transfer-Encoding field is replaced
// (added when absent). Header fields with raw UTF-8 (RFC 6532, as PHP's mail() and mail(1)
// write a Subject) are rewritten as RFC 6857 §3.1 does where it can: the text of Subject,
// Comments and Content-Description, and the display names of address fields (From, To, Cc,
// Bcc, Reply-To, Sender, Resent-*), become RFC 2047 encoded words; other fields are left
// alone. A field that cannot be so rewritten (an 8-bit address, text that is not UTF-8, any
// other field) cannot be downgraded (the message needs SMTPUTF8), and neither can 8-bit
// octets outside any leaf body (a multipart preamble or epilogue) or in a body that claims
// base64 or quoted-printable: these give Status::impossible and the caller bounces (5.6.3).
// A message without MIME-Version and Content-Type gets "MIME-Version: 1.0", a Content-Type
// of text/plain with charset utf-8 (when its content is valid UTF-8) or unknown-8bit
// (RFC 1428), and the encoding field.
//
// DKIM (RFC 6376): re-encoding changes the body, so a DKIM signature made before the
// downgrade no longer verifies (its bh= body hash fails; §5.3 asks signers to convert to
// 7 bit *before* signing for exactly this reason). Hence: sign after downgrading where we
// sign; for a message that arrives signed (Result::dkim_signed), the caller chooses between
// sending it 8-bit anyway (most servers take it), downgrading and breaking the signature
// (which DMARC may then reject), or deferring to another route. Nothing here re-signs.
// Trust: the message is untrusted content (parsed by mime::parse, bounded by mime::Limits).
// Memory: the input and the output (at most about 3.2 times the input) are held whole.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "mime/mime_message.hpp"

namespace estafeta::mime {

struct Downgrade {
  enum class Status {
    unchanged,   // already 7-bit clean: send it as it is
    converted,   // `message` is the 7-bit form
    impossible,  // `reason` says why
  };
  Status status = Status::unchanged;
  std::string message;
  std::string reason;
  std::size_t parts_converted = 0;
  std::size_t fields_converted = 0;  // header fields given RFC 2047 encoded words
  bool dkim_signed = false;          // the top-level header has a DKIM-Signature field
};

// True when `data` has no octet >= 0x80.
bool is_7bit(std::string_view data);

Downgrade downgrade_to_7bit(std::string_view message, const Limits& limits = {});

}  // namespace estafeta::mime
