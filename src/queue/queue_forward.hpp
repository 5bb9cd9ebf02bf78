// queue_forward: turns the forward targets of a recipient's resolution (auth::Resolution::
// forwards: alias targets in other domains, or the sender behind one of our SRS addresses)
// into spool recipients for the outbound queue. Shared by the SMTP receive path and the
// maildrop pickup so both forward the same way:
//  - each copy gets its own envelope sender, Directory::forward_sender() (SRS, queue_srs.hpp),
//    kept in SpoolRecipient::sender when it differs from the message's;
//  - ORCPT (RFC 3461 §4.2) is the address the sender wrote (the alias), so a DSN from the far
//    end names it; an ORCPT the client gave is kept;
//  - NOTIFY is passed on; a target already in the message as a remote recipient is not added
//    twice (one copy per address and message).
// Blocking (Directory calls): run on a worker thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "auth/directory.hpp"
#include "queue/proto/queue_record.hpp"

namespace estafeta::queue {

void add_forwards(auth::Directory& directory, const auth::Resolution& resolution,
                  std::string_view mail_from, std::string_view rcpt, std::string_view notify,
                  std::string_view orcpt, std::vector<SpoolRecipient>& out);

// RFC 3461 §4 xtext of `s` ("+" "=" and octets outside 33..126 as "+XX").
std::string xtext_encode(std::string_view s);

}  // namespace estafeta::queue
