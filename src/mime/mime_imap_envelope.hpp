// mime_imap_envelope: the IMAP ENVELOPE of a message (RFC 3501 §7.4.2, RFC 9051 §7.5.2),
// written exactly as Dovecot writes it: raw (undecoded) values; the last Date, Subject,
// Message-ID and In-Reply-To field counts, repeated address fields are merged; Sender and
// Reply-To default to From; groups as (NIL NIL "name" NIL) ... (NIL NIL NIL NIL); missing address
// parts filled with MISSING_MAILBOX / MISSING_DOMAIN, a broken angle address's domain as
// SYNTAX_ERROR, a route without ':' as INVALID_ROUTE. Input is a parsed untrusted message; output
// grows with the header size only.
#pragma once

#include <cstdint>
#include <string>

#include "mime/mime_address.hpp"
#include "mime/mime_imap_quote.hpp"
#include "mime/mime_message.hpp"

namespace estafeta::mime {

// The ENVELOPE fields, without the outer parentheses (as Dovecot's doveadm prints them), of the
// message whose header is that of part `part` (0 for the message itself, or the embedded
// message child of a message/rfc822 part). A FETCH response wraps them in "(...)".
std::string imap_envelope(const Message& m, std::uint32_t part = 0, ImapQuoteOptions o = {});

// Appends one envelope address list ("((name route mailbox host) ...)" or NIL).
void imap_append_address_list(std::string& out, const AddressList& list, ImapQuoteOptions o = {});

}  // namespace estafeta::mime
