// store: the mailbox store every reader and writer of mail goes through (local delivery,
// IMAP, POP3, the operator's CLI). The interface has no file paths in it: accounts are named
// by their canonical address, mailboxes and messages by ids, and message bytes come from a
// Blob. One backend per deployment: the embedded one (../store_maildir.hpp: Maildir files, an
// SQLite index per account) and later one on PostgreSQL; both must pass the conformance
// suite (store_conformance.hpp).
//
// The model (RFC 9051 §2.3): a mailbox has a UIDVALIDITY, a UIDNEXT and a HIGHESTMODSEQ
// (RFC 7162); a message has a UID that is never reused in the mailbox while its UIDVALIDITY
// lasts, system flags and keywords, a MODSEQ that grows with every change, INTERNALDATE,
// SAVEDATE (RFC 8514), RFC822.SIZE (octets as IMAP serves them: CRLF line ends) and a
// message id of the store's own (email_id) that stays with the message through COPY and
// MOVE and across index rebuilds (POP3 UIDL, RFC 8474 EMAILID), and a thread id (RFC 8474
// THREADID) given when the message enters the account by its Message-ID, References and
// In-Reply-To (store_thread_ids.hpp), kept by COPY and MOVE. Every change to a mailbox
// bumps its HIGHESTMODSEQ; expunges are remembered with their MODSEQ so that sessions can
// ask what changed since a MODSEQ (QRESYNC VANISHED, and IMAP sessions catching up).
//
// Mailbox names are UTF-8, hierarchy delimiter '/', "INBOX" (any case) is the inbox. Names
// that are empty, start or end with '/', contain "//", a component "." or "..", control
// characters, or are longer than kMaxMailboxName octets are refused (valid_mailbox_name).
//
// Threading: every call may block (SQLite, file I/O, fsync): call from worker threads, never
// from a network thread. Implementations are thread-safe. Change notifications are delivered
// on the writer's thread and must only post work elsewhere.
// Durability: a call that changes the store returns after the change is on stable storage
// (an IMAP tagged OK and a POP3 +OK after QUIT promise that), except deliver() with
// defer_sync, whose caller makes the file system durable itself (the spool's group sync).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "store/api/store_quota.hpp"

namespace estafeta::store {

using MailboxId = std::int64_t;
using Uid = std::uint32_t;
using ModSeq = std::uint64_t;

inline constexpr std::size_t kMaxMailboxName = 512;  // octets of UTF-8
inline constexpr std::size_t kMaxKeywords = 64;      // per mailbox (PERMANENTFLAGS)
inline constexpr std::size_t kMaxKeywordLength = 100;

// System flags (RFC 9051 §2.3.2) as bits. \Recent is not stored: it is session state.
enum Flag : std::uint8_t {
  kSeen = 1,
  kAnswered = 2,
  kFlagged = 4,
  kDeleted = 8,
  kDraft = 16,
};

struct Flags {
  std::uint8_t system = 0;
  std::vector<std::string> keywords;  // atoms as the client gave them, each at most once
                                      // (compared case-insensitively), sorted
  bool operator==(const Flags&) const = default;
};

// RFC 6154 special-use attributes.
enum class SpecialUse : std::uint8_t { none, all, archive, drafts, flagged, junk, sent, trash };

struct MailboxInfo {
  MailboxId id = 0;
  std::string name;  // UTF-8, '/' separated; "INBOX" for the inbox
  SpecialUse special_use = SpecialUse::none;
  std::uint32_t uid_validity = 0;
  Uid uid_next = 1;
  ModSeq highest_modseq = 1;
  std::uint32_t messages = 0;
  std::uint32_t unseen = 0;   // messages without \Seen
  std::uint32_t deleted = 0;  // messages with \Deleted (STATUS DELETED, RFC 9051)
  std::uint64_t size = 0;     // sum of RFC822.SIZE (STATUS SIZE, RFC 8438)
};

struct MessageInfo {
  Uid uid = 0;
  Flags flags;
  ModSeq modseq = 0;
  std::int64_t internal_date = 0;  // seconds since the epoch (UTC)
  std::int32_t internal_tz = 0;    // minutes east of UTC, for INTERNALDATE's zone
  std::int64_t save_date = 0;      // when it entered this mailbox
  std::uint64_t size = 0;          // RFC822.SIZE
  std::string email_id;            // the store's id of the message (stable across copies)
  // The message's thread (RFC 8474 §5.2 objectid, "T" + 16 hex digits; "" when the store
  // keeps none): given when the message enters the account (store_thread_ids.hpp), never
  // changed, kept by COPY and MOVE, recomputed from the files by rebuild_index.
  std::string thread_id;
  // The last octet is LF (or there is none). POP3 ends a message that lacks a final line end
  // with CRLF and counts it in its sizes (RFC 1939 §3); nothing else needs this.
  bool ends_with_line_end = true;
};

// What IMAP SORT and THREAD compare (RFC 5256, RFC 5957 SORT=DISPLAY), computed from the
// header at insert (store_sort_keys.hpp) so that neither ever opens a message file. The
// string keys are i;unicode-casemap keys (RFC 5051, mime::casemap_key): their byte order is
// the collation's order. Recomputable from the message file (rebuild_index).
struct SortKeys {
  std::string subject;       // base subject of the decoded Subject (RFC 5256 §2.1), folded
  bool reply = false;        // the subject was a reply/forward's (RFC 5256 §2.1, §2.3 step 5)
  std::string from, to, cc;  // addr-mailbox of the first address (a group's name), folded
  std::string display_from, display_to;  // RFC 5957: display name, else mailbox@host; folded
  std::string message_id;                // the Message-ID, without <> ("" when none)
  // The message's parents oldest first (RFC 5256 §2.3 step 1): the References ids, or when
  // there are none the first In-Reply-To id; separated by single spaces.
  std::string references;
  bool operator==(const SortKeys&) const = default;
};

// What the index keeps per message so that FETCH of these and most SEARCHes never open the
// message file. Strings are as the message library renders them for IMAP.
struct CachedFields {
  std::string envelope;        // ENVELOPE without the outer parentheses
  std::string body_structure;  // BODYSTRUCTURE without the outer parentheses
  std::string body;            // BODY (non-extensible form)
  std::string header;          // the whole header section, as stored (for SEARCH
                               // HEADER and HEADER.FIELDS fetches)
  std::int64_t sent_date = 0;  // Date: field, seconds since the epoch (0 = none/bad)
  std::int32_t sent_tz = 0;
  bool ends_with_line_end = true;  // as MessageInfo::ends_with_line_end
  // RFC 8970 PREVIEW: the message's preview text (mime::message_preview), UTF-8, at most 256
  // characters; "" when the message has no text. Computed when the message is stored and
  // recomputed from the file by rebuild_index.
  std::string preview;
  SortKeys sort;  // SORT / THREAD keys
};

// One message's SORT / THREAD keys (Account::sort_keys).
struct MessageSortKeys {
  Uid uid = 0;
  std::int64_t sent_date = 0;  // CachedFields::sent_date (0 = none or unparsable)
  SortKeys keys;               // only the fields asked for are filled
};
// Which SortKeys fields Account::sort_keys fills (bits).
enum SortKeyField : unsigned {
  kSortSubject = 1,  // subject and reply
  kSortFrom = 2,
  kSortTo = 4,
  kSortCc = 8,
  kSortDisplayFrom = 16,
  kSortDisplayTo = 32,
  kSortThreadIds = 64,  // message_id and references
};

// The SORT / THREAD keys of a whole mailbox (Account::sort_table) as one immutable table,
// with the rank of every message's key among all of the mailbox's keys per string field,
// computed on first use (store_sort_table.cpp). Ranks turn SORT by SUBJECT, FROM, TO, CC,
// DISPLAYFROM or DISPLAYTO into integer comparisons: a large mailbox sorted again by a key
// compares 32-bit numbers instead of strings. Equal keys have equal ranks and rank order is
// the keys' byte order (i;unicode-casemap keys, RFC 5051), so ordering by rank is ordering by
// key. Thread-safe: rows never change; each rank vector is filled once under the mutex.
// Memory: the rows and their UIDs, plus 4 octets per message for each field sorted by.
class SortTable {
 public:
  SortTable() = default;
  explicit SortTable(std::vector<MessageSortKeys> rows);
  SortTable(const SortTable&) = delete;
  SortTable& operator=(const SortTable&) = delete;

  const std::vector<MessageSortKeys>& rows() const { return rows_; }
  // uids()[i] == rows()[i].uid: the rows' UIDs packed, for matching messages to rows without
  // reading the rows themselves.
  const std::vector<Uid>& uids() const { return uids_; }
  // ranks(f)[i]: the rank of rows()[i]'s key `f` (one string field: kSortSubject, kSortFrom,
  // kSortTo, kSortCc, kSortDisplayFrom, kSortDisplayTo): 0 for the empty key, then 1, 2, ...
  // in ascending byte order, equal keys equal. Any other `f`: an empty vector.
  const std::vector<std::uint32_t>& ranks(unsigned field) const;
  // A memo of answers computed from every row of this table (THREAD of the whole mailbox:
  // a pure function of the rows, so valid as long as the table), by the caller's key. At
  // most a few entries (kMaxMemos; the oldest goes).
  bool recall(std::string_view key, std::string& out) const;
  void remember(std::string key, std::string answer) const;
  static constexpr std::size_t kMaxMemos = 4;

 private:
  std::vector<MessageSortKeys> rows_;
  std::vector<Uid> uids_;
  mutable std::mutex mu_;
  mutable std::vector<std::pair<std::string, std::string>> memos_;
  mutable std::array<std::vector<std::uint32_t>, 6> ranks_;
  mutable std::array<bool, 6> ranked_{};
};

// The bytes of one message, readable in pieces (a 50 MB message is never read whole).
class Blob {
 public:
  virtual ~Blob() = default;
  virtual std::uint64_t size() const = 0;  // octets as stored
  // Reads up to `n` octets at `offset` into `out` (replacing its contents). Short at the end.
  virtual std::error_code read(std::uint64_t offset, std::size_t n, std::string& out) = 0;
};

// A change to one mailbox, announced to subscribers after it is committed.
struct Change {
  // What changed. RFC 5465 (NOTIFY) tells message events from mailbox events: MailboxName
  // (create, delete, rename) and SubscriptionChange.
  enum class Kind : std::uint8_t {
    messages,      // messages or flags of `mailbox` (every store write)
    created,       // `mailbox` was created as `name` (CREATE; not the parents it implies)
    deleted,       // `mailbox`, named `name`, was deleted
    renamed,       // `mailbox` is now `name`, was `old_name` (each inferior has its own)
    subscription,  // `name` was subscribed (`subscribed`) or unsubscribed; `mailbox` is 0,
                   // so only watchers of every mailbox (watch(0, ...)) hear of it
    metadata,      // RFC 5464 entry `name` of `mailbox` (0: the server) was set or removed;
                   // `user` is the user of a /private entry, "" for a /shared one
  };
  MailboxId mailbox = 0;
  ModSeq modseq = 0;  // the mailbox's HIGHESTMODSEQ after the change
  Kind kind = Kind::messages;
  std::string name;      // created / deleted / renamed / subscription
  std::string old_name;  // renamed
  bool subscribed = false;
  std::string user;  // metadata
};

struct FlagUpdate {
  enum class Mode { replace, add, remove };
  Mode mode = Mode::replace;
  Flags flags;
  std::optional<ModSeq> unchanged_since;  // CONDSTORE (RFC 7162 §3.1.3)
};

struct FlagResult {
  std::vector<MessageInfo> changed;  // messages whose flags changed, as they are now
  std::vector<Uid> modified;         // refused by UNCHANGEDSINCE (the MODIFIED response code)
};

// What changed in a mailbox after a MODSEQ (QRESYNC, and how sessions catch up after a
// notification).
struct ChangesSince {
  std::vector<MessageInfo> changed;  // added or flag-changed messages, ascending UID
  std::vector<Uid> expunged;         // ascending
  MailboxInfo mailbox;               // the state these changes lead to
};

struct CopyResult {
  std::uint32_t uid_validity = 0;  // of the destination (COPYUID, RFC 4315)
  std::vector<Uid> source;         // ascending
  std::vector<Uid> target;         // target[i] is the copy of source[i]
};

struct AppendResult {
  std::uint32_t uid_validity = 0;
  Uid uid = 0;
  bool existing = false;  // deliver(): the key was delivered before; nothing was appended
};

// A message to append or deliver: its bytes (CRLF line ends) from a Blob-like source.
struct NewMessage {
  std::string_view prefix;  // written before the data (delivery's Return-Path/Received)
  int fd = -1;              // when >= 0: `length` octets at `offset` of this file
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  std::string_view bytes;  // otherwise the data itself
  // When set, the data (not the prefix) passes through it, in pieces in order, then once
  // with `last` true and no input: what it appends to `out` is stored instead. Local delivery
  // drops the Return-Path fields a message arrived with (RFC 5321 §4.4).
  std::function<void(std::string_view in, bool last, std::string& out)> filter;
  // The data is stored as given, bare LFs included: an APPEND of a literal8 (RFC 3516 §4.4:
  // no transformation may lose data of a binary part). Otherwise each bare LF is stored as
  // CRLF. Either way RFC822.SIZE counts a bare LF as CRLF, as IMAP and POP3 serve it.
  bool keep_bare_lf = false;
  Flags flags;
  std::optional<std::int64_t> internal_date;  // now when absent
  std::int32_t internal_tz = 0;
};

// One entry of a mailbox's access control list (RFC 4314 §2): an identifier ("anyone", an
// address, either with a leading "-" for negative rights) and its rights letters (§2.1), as
// the IMAP layer canonicalised them; the store keeps them without interpreting them.
struct AclEntry {
  std::string identifier;
  std::string rights;
  bool operator==(const AclEntry&) const = default;
};

// RFC 5464 METADATA: annotations on a mailbox or on the server (mailbox id 0 stands for the
// server: the account's own server entries). Entry names are lower case and start with
// "/private/" or "/shared/" (imap validates them); a /private entry belongs to one user (the
// account itself, or another user of a shared mailbox), a /shared one to everyone who may
// see the mailbox. Values are octets (binary-safe). Kept in the index and, for rebuilds, in
// a file beside the mailbox's messages.
inline constexpr std::size_t kMaxMetadataValue = 16 * 1024;  // octets per value
inline constexpr std::size_t kMaxMetadataEntries = 200;      // per mailbox (or the server),
                                                             // private and shared together
inline constexpr std::size_t kMaxMetadataName = 512;         // octets per entry name

struct MetadataEntry {
  std::string user;  // "" for a /shared entry; the owner of a /private one
  std::string name;  // "/private/comment"
  std::string value;
  bool operator==(const MetadataEntry&) const = default;
};
struct MetadataChange {
  std::string user;
  std::string name;
  std::optional<std::string> value;  // nullopt: remove the entry
};

// The outcome of check_index / rebuild_index (estafeta index check|rebuild).
struct IndexReport {
  std::uint32_t mailboxes = 0;
  std::uint32_t messages = 0;
  std::uint32_t added = 0;            // files found without an index entry (new UIDs)
  std::uint32_t removed = 0;          // index entries without a file
  std::uint32_t repaired = 0;         // entries whose cached data or size was wrong
  std::vector<std::string> problems;  // human-readable, one per problem found
};

// Full-text search (RFC 9051 §6.4.4 SUBJECT/FROM/TO/CC/BCC/BODY/TEXT, RFC 6203 FUZZY): which
// text of a message a string is looked for in (mime/mime_search_text.hpp defines each).
enum class TextField : std::uint8_t { subject, from, to, cc, bcc, body, text };

// The answer of Account::fulltext_search. It covers the messages with a UID up to
// `covered_through` except those in `not_covered`; for the others (delivered since the index
// last caught up, or unreadable) the caller scans. Among the covered messages, `uids` are the
// matches (`exact`) or a superset of them to confirm by scanning (!exact). `uids` may name
// messages expunged since: the caller intersects them with the mailbox's messages.
struct FulltextResult {
  Uid covered_through = 0;
  std::vector<Uid> not_covered;  // ascending, each <= covered_through
  std::vector<Uid> uids;         // ascending
  bool exact = false;
  // Fuzzy (RFC 6203) only: scores[i] (1..100) of uids[i], and for each word of the string
  // (mime::fuzzy_query_words) the vocabulary words one edit away the index searched for too,
  // which a scan of the messages the index does not cover must also look for.
  std::vector<std::uint8_t> scores;
  std::vector<std::vector<std::string>> variants;
  bool covers(Uid uid) const;
};

// What the full-text index holds (estafeta index status; the benchmark awaits it).
struct FulltextStatus {
  std::uint64_t messages = 0;   // messages in the account
  std::uint64_t indexed = 0;    // of those, how many the index answers for
  std::uint64_t file_size = 0;  // octets on disk (0 for a backend without a file)
};

// Errors the store reports (as std::error_code in store_category()).
enum class Errc {
  ok = 0,
  no_such_account = 1,
  no_such_mailbox,
  mailbox_exists,
  bad_mailbox_name,
  mailbox_has_children,  // DELETE of a mailbox with inferiors that has \Noselect semantics
  cannot_delete_inbox,
  no_such_message,
  too_many_keywords,
  index_corrupt,  // the index could not be read; rebuild_index repairs it
  over_quota,
  too_many_metadata,  // SETMETADATA beyond kMaxMetadataEntries (RFC 5464 [METADATA TOOMANY])
};
const std::error_category& store_category();
inline std::error_code make_error_code(Errc e) {
  return {static_cast<int>(e), store_category()};
}

// True when `name` may name a mailbox (see the file comment). INBOX in any case is valid.
bool valid_mailbox_name(std::string_view name);
// "INBOX" for any case of inbox, else the name unchanged.
std::string canonical_mailbox_name(std::string_view name);
// The RFC 6154 attribute of a special use ("\\Sent"; "" for none), and back (any case).
std::string_view special_use_attribute(SpecialUse use);
std::optional<SpecialUse> special_use_from_attribute(std::string_view attribute);

class Subscription {
 public:
  virtual ~Subscription() = default;  // unsubscribes
};

// One account's mailboxes. Obtained from Store::account(); shared by every session of the
// account; thread-safe.
class Account {
 public:
  virtual ~Account() = default;
  virtual const std::string& name() const = 0;

  // Mailboxes (every one, including INBOX and the special-use ones created on first use).
  virtual std::error_code list(std::vector<MailboxInfo>& out) = 0;
  virtual std::error_code find(std::string_view name, MailboxInfo& out) = 0;
  // Creates `name` and any missing parents.
  virtual std::error_code create(std::string_view name, SpecialUse use, MailboxInfo& out) = 0;
  // Deletes the mailbox and its messages (RFC 9051 §6.3.4). INBOX cannot be deleted.
  virtual std::error_code remove(std::string_view name) = 0;
  // Renames with its inferiors; renaming INBOX moves its messages into a new mailbox and
  // leaves INBOX empty (RFC 9051 §6.3.6). The renamed mailbox gets a new UIDVALIDITY only if
  // the backend cannot keep UIDs.
  virtual std::error_code rename(std::string_view from, std::string_view to) = 0;
  // Subscriptions (LSUB / LIST (SUBSCRIBED)): names, which need not exist.
  virtual std::error_code subscriptions(std::vector<std::string>& out) = 0;
  virtual std::error_code subscribe(std::string_view name, bool on) = 0;

  // Every message of a mailbox, ascending UID, with the mailbox state they belong to.
  virtual std::error_code snapshot(MailboxId mailbox, MailboxInfo& info,
                                   std::vector<MessageInfo>& messages) = 0;
  virtual std::error_code changes_since(MailboxId mailbox, ModSeq since, ChangesSince& out) = 0;
  virtual std::error_code cached(MailboxId mailbox, Uid uid, CachedFields& out) = 0;
  virtual std::error_code open(MailboxId mailbox, Uid uid, std::unique_ptr<Blob>& out) = 0;
  // cached() of several messages at once (SEARCH SUBJECT reads every message's header):
  // out[i] for uids[i], empty when that message does not exist. A backend may answer all in
  // one index read; this one calls cached() for each.
  virtual std::error_code cached_many(MailboxId mailbox, std::span<const Uid> uids,
                                      std::vector<std::optional<CachedFields>>& out) {
    out.clear();
    out.resize(uids.size());
    for (std::size_t i = 0; i < uids.size(); ++i) {
      CachedFields c;
      std::error_code ec = cached(mailbox, uids[i], c);
      if (ec && ec != make_error_code(Errc::no_such_message)) return ec;
      if (!ec) out[i] = std::move(c);
    }
    return {};
  }
  // open() of several messages at once (SEARCH TEXT reads every message): out[i] for uids[i],
  // null when that message does not exist. A backend may answer all in one index read; this
  // one calls open() for each.
  virtual std::error_code open_many(MailboxId mailbox, std::span<const Uid> uids,
                                    std::vector<std::unique_ptr<Blob>>& out) {
    out.clear();
    out.resize(uids.size());
    for (std::size_t i = 0; i < uids.size(); ++i) {
      std::error_code ec = open(mailbox, uids[i], out[i]);
      if (ec && ec != make_error_code(Errc::no_such_message)) return ec;
    }
    return {};
  }

  // RFC 5256 SORT / THREAD, RFC 5957 SORT=DISPLAY: the keys of every message of the mailbox
  // in one read, ascending UID; `fields` (SortKeyField bits) says which strings to fill
  // (sent_date always). 100,000 messages cost one index scan and ~100 octets each.
  virtual std::error_code sort_keys(MailboxId mailbox, unsigned fields,
                                    std::vector<MessageSortKeys>& out) = 0;
  // sort_keys() of every field as an immutable table that a backend may keep and hand out
  // again, to any session of the account, while no message was added to or removed from the
  // mailbox (a message's keys never change): a client sorting the same large mailbox again, or
  // by another key, pays no index read. This one reads the keys each time.
  virtual std::error_code sort_table(MailboxId mailbox, std::shared_ptr<const SortTable>& out) {
    std::vector<MessageSortKeys> rows;
    if (auto ec = sort_keys(mailbox, ~0u, rows)) return ec;
    out = std::make_shared<const SortTable>(std::move(rows));
    return {};
  }

  virtual std::error_code append(MailboxId mailbox, const NewMessage& message,
                                 AppendResult& out) = 0;
  // Local delivery: appends to mailbox `name` (created if missing, INBOX when empty).
  // `delivery_key` makes it idempotent: a second delivery with the same key (a redelivery
  // after a crash) appends nothing and returns the first one's UID. With `defer_sync` the
  // file and index writes are not synced: the caller syncs the file system.
  virtual std::error_code deliver(std::string_view name, const NewMessage& message,
                                  std::string_view delivery_key, bool defer_sync,
                                  AppendResult& out) = 0;
  virtual std::error_code update_flags(MailboxId mailbox, const std::vector<Uid>& uids,
                                       const FlagUpdate& update, FlagResult& out) = 0;
  // Removes the given messages (IMAP EXPUNGE passes those with \Deleted); `out` gets those
  // actually removed, ascending.
  virtual std::error_code expunge(MailboxId mailbox, const std::vector<Uid>& uids,
                                  std::vector<Uid>& out) = 0;
  // IMAP EXPUNGE, UID EXPUNGE and CLOSE: removes the messages that have \Deleted in the
  // store at this moment (another session may have just set or cleared it), all of them
  // when `among` is null, else only those among the given UIDs; `out` as for expunge.
  virtual std::error_code expunge_deleted(MailboxId mailbox, const std::vector<Uid>* among,
                                          std::vector<Uid>& out) = 0;
  virtual std::error_code copy(MailboxId from, const std::vector<Uid>& uids, MailboxId to,
                               CopyResult& out) = 0;
  // COPY then EXPUNGE of the sources, as one change (RFC 6851).
  virtual std::error_code move(MailboxId from, const std::vector<Uid>& uids, MailboxId to,
                               CopyResult& out) = 0;

  // Notifies `on_change` after every committed change to `mailbox` (0: to any mailbox),
  // made through this store by anyone. Runs on the writer's thread: post, do not block.
  virtual std::unique_ptr<Subscription> watch(MailboxId mailbox,
                                              std::function<void(const Change&)> on_change) = 0;
  // Picks up messages other programs put into the backend's storage (new UIDs) and drops
  // entries whose message vanished. Cheap when nothing changed.
  virtual std::error_code rescan(MailboxId mailbox) = 0;

  // RFC 9208 (QUOTA): the account is one quota root; usage is the sum over all its mailboxes
  // (STORAGE: octets of RFC822.SIZE; MESSAGE; MAILBOX: mailboxes including INBOX), read
  // without scanning messages. append, deliver and copy return Errc::over_quota, storing
  // nothing, when the result would pass a STORAGE or MESSAGE limit (MULTIAPPEND callers check
  // the whole batch first with quota()); create when the new mailboxes would pass the MAILBOX
  // limit. move within the account never changes usage and is never refused; expunge and
  // remove free what they remove. Mailboxes deliver() creates are not counted against the
  // MAILBOX limit (mail is never lost to it). When an append or delivery takes STORAGE or
  // MESSAGE usage to 90 % of its limit, the account gets one warning message in INBOX (not
  // counted against the limits), once per crossing (store_quota.hpp quota_warning_step).
  // A shared mailbox counts against its owner's quota: the owner's Account is the one asked.
  // This one (for wrappers and backends without limits) reports no limits and the usage
  // list() gives.
  virtual std::error_code quota(QuotaState& out) {
    std::vector<MailboxInfo> all;
    if (auto ec = list(all)) return ec;
    out = QuotaState{};
    out.usage.mailboxes = all.size();
    for (const auto& m : all) {
      out.usage.messages += m.messages;
      out.usage.storage += m.size;
    }
    return {};
  }
  // Sets the account's own limits (QuotaState::own): kQuotaDefault for a resource returns it to
  // the store's default, 0 lifts its limit. Takes effect for every process using the store.
  virtual std::error_code set_quota(const QuotaLimits& /*own*/) {
    return std::make_error_code(std::errc::operation_not_supported);
  }
  // RFC 9208 §4.2.2 STATUS DELETED-STORAGE: the sum of RFC822.SIZE of the messages with
  // \Deleted. This one reads the snapshot; a backend may answer from its index.
  virtual std::error_code deleted_size(MailboxId mailbox, std::uint64_t& out) {
    MailboxInfo info;
    std::vector<MessageInfo> msgs;
    if (auto ec = snapshot(mailbox, info, msgs)) return ec;
    out = 0;
    for (const auto& m : msgs)
      if (m.flags.system & kDeleted) out += m.size;
    return {};
  }

  // Full-text search (RFC 9051 §6.4.4 string keys), see FulltextResult. `folded` is the key's
  // string folded by mime::search_fold. A backend without an index, or a string it cannot
  // answer exactly (shorter than 3 characters, say), returns a result covering nothing:
  // the caller scans, and the answers are the same either way. Never fails for want of an
  // index (a missing or damaged one is rebuilt); errors are environment faults.
  virtual std::error_code fulltext_search(MailboxId mailbox, TextField field,
                                          std::string_view folded, FulltextResult& out) {
    (void)mailbox;
    (void)field;
    (void)folded;
    out = {};
    return {};
  }
  // FUZZY (RFC 6203) search of `folded` in `field` (mime/mime_search_fuzzy.hpp has the
  // rules): the matching covered messages with their scores, and the variants searched for.
  // A backend without an index covers nothing and finds no variants (the caller scans with
  // each message's own words).
  virtual std::error_code fulltext_fuzzy(MailboxId mailbox, TextField field,
                                         std::string_view folded, FulltextResult& out) {
    (void)mailbox;
    (void)field;
    (void)folded;
    out = {};
    return {};
  }
  // Brings the full-text index up to date now (it otherwise catches up in the background
  // after changes) and reports its state; with `rebuild` it is first emptied.
  virtual std::error_code fulltext_catch_up(bool rebuild, FulltextStatus& out) {
    (void)rebuild;
    out = {};
    return {};
  }
  // The state of the full-text index without changing it.
  virtual std::error_code fulltext_status(FulltextStatus& out) {
    out = {};
    return {};
  }

  virtual std::error_code check_index(IndexReport& out) = 0;
  virtual std::error_code rebuild_index(IndexReport& out) = 0;

  // RFC 4314 ACL: a mailbox's entries, sorted by identifier. Kept through rename (with its
  // inferiors), dropped with the mailbox, kept by rebuild_index. The backends here implement
  // them; the defaults are for test doubles (no entries, set_acl refused).
  virtual std::error_code acl(MailboxId mailbox, std::vector<AclEntry>& out) {
    (void)mailbox;
    out.clear();
    return {};
  }
  // Sets the rights of `identifier` on the mailbox; empty `rights` removes the entry.
  virtual std::error_code set_acl(MailboxId mailbox, std::string_view identifier,
                                  std::string_view rights) {
    (void)mailbox, (void)identifier, (void)rights;
    return std::make_error_code(std::errc::operation_not_supported);
  }
  // Every entry of every mailbox as (mailbox name, entry), by name then identifier (the
  // store's registry of shared mailboxes is made from it).
  virtual std::error_code acl_all(std::vector<std::pair<std::string, AclEntry>>& out) {
    out.clear();
    return {};
  }
  // RFC 5464 METADATA. Every entry of `mailbox` (0: the server), ordered by name then user;
  // Errc::no_such_mailbox. At most kMaxMetadataEntries entries of kMaxMetadataValue octets.
  // The backends here implement both; the defaults are for test doubles (no entries, no
  // change accepted).
  virtual std::error_code metadata(MailboxId mailbox, std::vector<MetadataEntry>& out) {
    (void)mailbox;
    out.clear();
    return {};
  }
  // Applies every change or none: Errc::too_many_metadata when the mailbox would hold more
  // than kMaxMetadataEntries entries, Errc::no_such_mailbox. Removing an absent entry is not
  // an error. DELETE drops a mailbox's entries; RENAME keeps them with the mailbox.
  virtual std::error_code set_metadata(MailboxId mailbox, std::span<const MetadataChange> changes) {
    (void)mailbox, (void)changes;
    return std::make_error_code(std::errc::operation_not_supported);
  }
};

class Store {
 public:
  virtual ~Store() = default;
  // The account `name` (canonical address, "alice@example.org"). Created in storage on
  // first use, with INBOX and the special-use mailboxes (Sent, Drafts, Trash, Junk, Archive).
  virtual std::error_code account(std::string_view name, std::shared_ptr<Account>& out) = 0;
  // Removes an account's mail entirely (estafeta user del --purge).
  virtual std::error_code remove_account(std::string_view name) = 0;
  // RFC 4314 shared mailboxes: the accounts other than `user` with a mailbox whose ACL has a
  // positive entry for `user` or for "anyone" of the user's domain, sorted. Answered from a
  // registry the accounts keep up to date (set_acl, rename, remove, rebuild_index), never by
  // opening every account; it may name an owner whose entry no longer grants anything (the
  // caller reads the owner's ACL for the truth).
  virtual std::error_code sharers(std::string_view user, std::vector<std::string>& owners) {
    (void)user;
    owners.clear();
    return {};
  }
};

}  // namespace estafeta::store

template <>
struct std::is_error_code_enum<estafeta::store::Errc> : std::true_type {};
