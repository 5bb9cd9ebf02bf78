// store_maildir: the embedded store backend: message files in Maildir (readable by any
// Maildir tool), an SQLite index per account (store_index.hpp says why per account). See
// docs/STORE.md for the layout on disk.
//
// Layout: account "local@domain" lives in <data_dir>/mail/<domain>/<local>/ (where
// auth::SqliteDirectory and local delivery have always put it). INBOX is that Maildir root;
// other mailboxes are Maildir++ folders (store_folder_names.hpp). The index is
// estafeta-index.sqlite in the root; each Maildir directory has its state file
// estafeta-mailbox; subscriptions are also kept in the root's "subscriptions" file, one name
// per line, so that a rebuild keeps them.
//
// Notes:
// - Durability: a mutating call returns after the file, its directory and the index commit
//   are on stable storage (fsync; SQLite WAL with synchronous=FULL). deliver() with
//   defer_sync syncs nothing (SQLite synchronous=OFF for that commit): the caller syncs the
//   file system (syncfs) before it acknowledges.
// - Order of effects, so that a crash at any point loses nothing acknowledged and never
//   reuses a UID: files are written in tmp/, renamed into new/ or cur/ under the index write
//   lock (BEGIN IMMEDIATE), then the index commits; a crash between leaves a file whose U= is
//   at or above UIDNEXT, adopted with that UID when the account is next opened; a delivered
//   file carries its delivery key's hash (K=), recorded then, so the spool's redelivery
//   appends nothing (a copy whose key is already recorded is dropped). Expunge removes the file
//   before the commit; a crash between leaves an entry without a file, which rescan drops.
//   The state file's UIDNEXT is raised (durably) before a file holding a UID at or above it
//   is removed, so that a rebuild from the files never hands that UID out again.
// - Appended and delivered messages without flags go into new/ (other Maildir tools show them
//   as new); messages with flags into cur/ with the info suffix. Messages are left where
//   another program put them until their flags change, which renames them into cur/ (the
//   file names always carry the flags, so Maildir tools agree with IMAP clients).
// - Files dropped in by other programs are found by rescan() (snapshot() runs it first) and
//   by rebuild. rescan is two stat() calls when the new/ and cur/ modification times are
//   those of the last scan or of the store's own last change; a directory changed within the
//   last two seconds (a file may hide in the same timestamp tick) is scanned at most once a
//   second. A file another program adds while the store changes the same directory may wait
//   for the next change there (or a rebuild) to be seen. At a rescan or rebuild, a file
//   without U= (or with a UID already taken or below UIDNEXT) gets the next UID and is
//   renamed to carry it.
// - A missing index is built from the files when the account is opened; an index SQLite
//   cannot read is moved aside (estafeta-index.sqlite.corrupt-<time>), logged, and rebuilt.
//   A rebuild keeps UIDs, UIDVALIDITY, UIDNEXT, flags, keywords with a letter, special use,
//   subscriptions and mailbox ids; it gives every message one new MODSEQ above any the old
//   index could have handed out (the time in microseconds), so CONDSTORE clients resync.
// - Concurrency: one SQLite connection per open account, used under the account's mutex;
//   writers in other processes (the CLI) are serialized by SQLite's write lock, and every
//   call reads the state it needs inside its transaction. Watchers are called after the
//   commit, with no lock held, on the writer's thread.
// Trust: account names come from the account database or the operator; mailbox names and
// messages from clients (checked / parsed as untrusted). Memory: per call, bounded by the
// number of messages of one mailbox (snapshot, rescan) and mime::Limits per message.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string_view>

#include "store/api/store.hpp"

namespace estafeta::store {

struct MaildirStoreOptions {
  std::filesystem::path data_dir;      // accounts under data_dir/mail/<domain>/<local>
  std::size_t max_open_accounts = 64;  // accounts kept open when no one holds them
  bool fsync = true;                   // false only for tests and benchmarks of the peers
  // RFC 9208 limits of accounts without their own (config [quota]; 0 = none).
  QuotaLimits default_quota;
  bool fulltext = true;  // keep a full-text index per account (store_fulltext.hpp)
};

std::shared_ptr<Store> make_maildir_store(MaildirStoreOptions options);

// The Maildir root of account `name`, or an empty path when `name` is not a usable
// "local@domain" (empty parts, '/', control characters, a leading '.').
std::filesystem::path maildir_account_root(const std::filesystem::path& data_dir,
                                           std::string_view name);

}  // namespace estafeta::store
