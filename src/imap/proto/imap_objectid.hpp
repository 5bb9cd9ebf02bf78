// imap_objectid: RFC 8474 OBJECTID identifiers the session shows. MAILBOXID is "F" followed
// by the mailbox's UIDVALIDITY in decimal: the store gives every mailbox of an account a
// UIDVALIDITY of its own that only grows (a deleted and re-created mailbox gets a new one),
// keeps it through RENAME and index rebuilds, so the id names one mailbox for its whole life
// (RFC 8474 §4). EMAILID is the store's email_id ("M" + 16 hex digits, kept by COPY and MOVE).
// No state, no allocation beyond the result.
#pragma once

#include <string>

#include "store/api/store.hpp"

namespace estafeta::imap {

std::string mailbox_object_id(const store::MailboxInfo& info);

}  // namespace estafeta::imap
