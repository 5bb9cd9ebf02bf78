// store_memory: a complete store (store/api/store.hpp) held in memory, for tests of the
// protocol cores (IMAP, POP3) and for anything that wants mailboxes without a disk. Every
// rule of the interface holds: UIDs are never reused while a mailbox's UIDVALIDITY lasts,
// every change bumps HIGHESTMODSEQ and is announced through watch(), expunges are remembered
// with their MODSEQ (QRESYNC), COPY/MOVE keep the email id, deliveries are idempotent by key,
// special-use mailboxes are created with the account, and cached fields are computed with the
// message library exactly as the embedded backend computes them. Messages are stored with
// bare LF turned into CRLF, so RFC822.SIZE equals the stored size.
// Trust: messages are untrusted bytes (parsed by mime::parse, which accepts anything);
// names come from protocol cores and are checked with valid_mailbox_name. Memory: everything
// lives in memory, unbounded by design (a test store); nothing persists.
// Threading: thread-safe (one mutex per account, one for the account map); change callbacks
// run on the writer's thread after the change, with no account lock held; a callback must not
// destroy its own Subscription.
#pragma once

#include <memory>

#include "store/api/store.hpp"

namespace estafeta::store {

// A new, empty in-memory store; `default_quota`: the limits of accounts without their own.
std::shared_ptr<Store> make_memory_store(QuotaLimits default_quota = {});

}  // namespace estafeta::store
