// store_index: the SQLite index of one account of the embedded store (schema and queries).
// One database per account, "estafeta-index.sqlite" in the account's Maildir root, because:
// its write lock is per user (one user's IMAP EXPUNGE never waits for another's delivery);
// deleting or moving a user is one directory (mail, index and state together); a rebuild is
// per user and touches nothing else; and a damaged file hurts one account. WAL mode with
// synchronous=FULL: a commit is durable when it returns.
//
// Tables: meta (schema version, last UIDVALIDITY given out), mailboxes (name, folder
// directory, special use, UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ, the UIDNEXT last written to
// the mailbox state file, keyword letters, directory stamp of the last rescan), messages (UID,
// file base name and place (new/ or cur/ + info), system flags, keywords, MODSEQ,
// INTERNALDATE + zone, SAVEDATE, RFC822.SIZE, email id, thread id, then the cached ENVELOPE,
// BODYSTRUCTURE, BODY, header and sent date last so that listing queries never read them),
// expunged (UID, MODSEQ) for changes_since, subscriptions, deliveries (key -> UID, for
// idempotent deliver()), threads (Message-ID -> RFC 8474 thread id, store_thread_ids.hpp).
// Trusted input (the store's own values); not thread-safe: the caller holds the account lock.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "store/api/store.hpp"
#include "store/store_sqlite.hpp"

namespace estafeta::store {

inline constexpr const char* kIndexFile = "estafeta-index.sqlite";

struct MailboxRow {
  MailboxId id = 0;
  std::string name;
  std::string dir;  // folder directory ("" for INBOX)
  SpecialUse special_use = SpecialUse::none;
  std::uint32_t uid_validity = 0;
  Uid uid_next = 1;
  ModSeq highest_modseq = 1;
  Uid file_uid_next = 1;              // UIDNEXT as last written to the state file
  std::vector<std::string> keywords;  // letter order (a, b, ...)
  std::int64_t stamp = 0;             // maildir_stamp at the last full scan
  // Kept by triggers on `messages` (read-only here: update_mailbox does not write them).
  std::uint32_t messages = 0;
  std::uint32_t unseen = 0;
  std::uint32_t deleted = 0;
  std::uint64_t size = 0;
};

struct MessageRow {
  MessageInfo info;
  std::string base;
  bool in_new = false;
  std::string file_info;  // what follows ":2," in cur/
};

class Index {
 public:
  // Opens or creates the database; `created` tells whether the schema was just made.
  std::error_code open(const std::filesystem::path& file, bool& created);
  // The format of an index open() refused as index_corrupt because it is another one (older
  // or newer than this program's); 0 when it was not a format question.
  std::int64_t other_format() const { return other_format_; }
  void close() { db_.close(); }
  Db& db() { return db_; }

  std::int64_t meta(std::string_view key, std::int64_t fallback = 0);
  std::error_code set_meta(std::string_view key, std::int64_t value);
  // Removes every row (rebuild in place, so that other processes keep a valid file).
  std::error_code clear();

  std::error_code mailboxes(std::vector<MailboxRow>& out);
  std::error_code mailbox(std::string_view name, MailboxRow& out);  // no_such_mailbox
  std::error_code mailbox(MailboxId id, MailboxRow& out);
  std::error_code insert_mailbox(MailboxRow& row);  // sets row.id
  std::error_code update_mailbox(const MailboxRow& row);
  std::error_code delete_mailbox(MailboxId id);
  // messages, unseen, deleted, size of a mailbox.
  // Counted from the messages themselves (index check compares with the kept counts).
  std::error_code counts(MailboxId id, MailboxInfo& info);
  // UIDs of the messages with \Deleted, ascending (a partial index keeps this cheap).
  std::error_code deleted(MailboxId id, std::vector<Uid>& out);
  // The mailbox's folder and the message's base, in_new and file_info (out.info untouched).
  std::error_code file_location(MailboxId id, Uid uid, std::string& dir, MessageRow& out);

  std::error_code messages(MailboxId id, std::vector<MessageRow>& out);
  std::error_code message(MailboxId id, Uid uid, MessageRow& out);  // no_such_message
  std::error_code changed_since(MailboxId id, ModSeq since, std::vector<MessageInfo>& out);
  std::error_code expunged_since(MailboxId id, ModSeq since, std::vector<Uid>& out);
  // Inserts the row; a row without a thread id gets one first (thread_of), unless
  // assign_threads is off (a rebuild, which calls assign_threads() at its end).
  std::error_code insert_message(MailboxId id, MessageRow& row, const CachedFields& cache);
  // RFC 8474 THREADID (store_thread_ids.hpp): the thread of a message with these keys that
  // enters the account now, from the threads table, which then maps its ids to it. One
  // indexed lookup per id until one is found, one insert per id.
  std::error_code thread_of(const SortKeys& keys, std::string_view email_id, std::string& out);
  // Gives every message its thread again from its kept Message-ID and references, in arrival
  // order, after emptying the threads table (rebuild).
  std::error_code assign_threads();
  void set_assign_threads(bool on) { assign_threads_ = on; }
  std::error_code update_flags(MailboxId id, Uid uid, const Flags& flags, ModSeq modseq);
  std::error_code update_file(MailboxId id, Uid uid, const std::string& base, bool in_new,
                              const std::string& file_info);
  std::error_code update_size(MailboxId id, Uid uid, std::uint64_t size);
  // Deletes the message and remembers the expunge at `modseq`.
  std::error_code expunge(MailboxId id, Uid uid, ModSeq modseq);
  std::error_code cached(MailboxId id, Uid uid, CachedFields& out);
  // Account::sort_keys: one scan of the mailbox's rows, only the asked columns.
  std::error_code sort_keys(MailboxId id, unsigned fields, std::vector<MessageSortKeys>& out);

  // RFC 5464 METADATA (mailbox 0: the server).
  std::error_code metadata(MailboxId id, std::vector<MetadataEntry>& out);
  std::error_code set_metadata(MailboxId id, const MetadataChange& change);
  std::error_code metadata_count(MailboxId id, std::size_t& out);
  std::error_code subscriptions(std::vector<std::string>& out);
  std::error_code subscribe(std::string_view name, bool on);

  // RFC 4314 ACL rows (empty rights: delete the row).
  std::error_code acl(MailboxId id, std::vector<AclEntry>& out);
  std::error_code set_acl(MailboxId id, std::string_view identifier, std::string_view rights);
  std::error_code acl_all(std::vector<std::pair<std::string, AclEntry>>& out);

  // The UID a key was delivered as; false when unknown.
  bool delivery(std::string_view key, MailboxId& mailbox, Uid& uid, std::uint32_t& validity);
  std::error_code put_delivery(std::string_view key, MailboxId mailbox, Uid uid,
                               std::uint32_t validity, std::int64_t now);
  std::error_code prune_deliveries(std::int64_t before);

  // RFC 9208 usage of the whole account from the per-mailbox counts the triggers keep (one
  // row per mailbox read, no message scanned).
  std::error_code quota_usage(QuotaUsage& out);
  // Sum of RFC822.SIZE of the mailbox's messages with \Deleted (the partial index).
  std::error_code deleted_size(MailboxId id, std::uint64_t& out);

 private:
  std::int64_t other_format_ = 0;
  bool assign_threads_ = true;
  Db db_;
};

std::string join_keywords(const std::vector<std::string>& k);
std::vector<std::string> split_keywords(std::string_view s);

}  // namespace estafeta::store
