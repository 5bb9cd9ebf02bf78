// imap_command: IMAP commands as data, the contract between the command parser
// (imap_parser.hpp: bytes from the client -> Command) and the session core
// (imap_session.hpp: Command -> responses and store requests). Covers every command of
// RFC 9051 (IMAP4rev2) and RFC 3501 (IMAP4rev1) and the extensions the server offers:
// UIDPLUS, MOVE, IDLE, ENABLE, NAMESPACE, ID, UNSELECT, SPECIAL-USE/CREATE-SPECIAL-USE,
// LIST-EXTENDED/LIST-STATUS, ESEARCH/SEARCHRES, SORT/THREAD, CONDSTORE/QRESYNC, STATUS=SIZE,
// MULTIAPPEND, BINARY, UTF8=ACCEPT, COMPRESS=DEFLATE, ACL (RFC 4314). Mailbox names here are as
// the client sent
// them (modified UTF-7 or UTF-8, already unquoted); the session decodes them. No I/O, no allocation
// bounds of its own: the parser enforces the limits (imap_limits.hpp).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "mime/mime_imap_section.hpp"

namespace estafeta::imap {

// A sequence set (RFC 9051 §9 sequence-set): ranges of numbers where 0 stands for '*'
// (the largest number in use), or '$' (SEARCHRES, RFC 5182: the saved search result).
struct SeqRange {
  std::uint32_t first = 0;  // as written; first > last is allowed ("4:2" means 2:4)
  std::uint32_t last = 0;
};
struct SequenceSet {
  std::vector<SeqRange> ranges;
  bool saved = false;  // "$"
};

// Flags as the client wrote them: system flags with their backslash ("\Seen"), keywords as
// atoms. "\Recent" and "\*" are kept as written for the session to judge.
using FlagList = std::vector<std::string>;

// One FETCH data item (RFC 9051 §6.4.5, RFC 3516 BINARY, RFC 7162 MODSEQ, RFC 8514 SAVEDATE).
struct FetchItem {
  enum class Kind {
    flags,
    internal_date,
    rfc822_size,
    envelope,
    body_structure,
    body,  // BODY without a section: the non-extensible BODYSTRUCTURE
    uid,
    modseq,
    save_date,
    email_id,       // OBJECTID EMAILID (RFC 8474)
    thread_id,      // OBJECTID THREADID
    rfc822,         // RFC822 (rev1): BODY[]
    rfc822_header,  // RFC822.HEADER (rev1): BODY.PEEK[HEADER]
    rfc822_text,    // RFC822.TEXT (rev1): BODY[TEXT]
    body_section,   // BODY[...] / BODY.PEEK[...]
    binary,         // BINARY[...] / BINARY.PEEK[...]
    binary_size,    // BINARY.SIZE[...]
    preview,        // PREVIEW [(LAZY)] (RFC 8970); `peek` holds LAZY
  };
  Kind kind = Kind::flags;
  bool peek = false;          // BODY.PEEK / BINARY.PEEK: do not set \Seen
  mime::SectionSpec section;  // body_section (text part), binary/binary_size (path only)
  std::string section_text;   // the section as written, echoed in the response
  std::optional<std::uint32_t> partial_origin;  // "<origin.count>"
  std::uint32_t partial_count = 0;
};

// A SEARCH key (RFC 9051 §6.4.4), as a tree. Children: AND of `children` for a parenthesized
// list, `children[0]` for NOT, `children[0]`/`children[1]` for OR.
struct SearchKey {
  enum class Kind {
    all,
    answered,
    deleted,
    draft,
    flagged,
    seen,
    unanswered,
    undeleted,
    undraft,
    unflagged,
    unseen,
    recent,
    new_,
    old,  // rev1 \Recent keys
    keyword,
    unkeyword,  // text = the keyword
    bcc,
    body,
    cc,
    from,
    subject,
    text,
    to,      // text = the string
    header,  // field + text
    before,
    on,
    since,  // date: INTERNALDATE
    sent_before,
    sent_on,
    sent_since,  // date: Date: header
    larger,
    smaller,  // number
    uid,
    sequence,  // set
    not_,
    or_,
    and_,    // children
    modseq,  // number (CONDSTORE), entry ignored
    older,
    younger,  // number of seconds (WITHIN, RFC 5032)
    save_date_before,
    save_date_on,
    save_date_since,
    save_date_supported,  // RFC 8514
    email_id,
    thread_id,  // text (OBJECTID)
    fuzzy,      // children[0] matched fuzzily (RFC 6203)
  };
  Kind kind = Kind::all;
  std::string field;         // header
  std::string text;          // strings, keyword, ids
  std::int64_t date = 0;     // days since 1970-01-01 for date keys (a day, not a time)
  std::uint64_t number = 0;  // larger/smaller/modseq/older/younger
  SequenceSet set;           // uid/sequence
  std::vector<SearchKey> children;
};

// ESEARCH RETURN options (RFC 4731, RFC 5182 SAVE); all false = a plain SEARCH answer.
struct SearchReturn {
  bool min = false, max = false, all = false, count = false, save = false;
  bool update = false;     // CONTEXT=SEARCH UPDATE (RFC 5267 §4.3): ADDTO/REMOVEFROM follow
  bool context = false;    // CONTEXT (RFC 5267 §4.2): a hint, ignored
  bool relevancy = false;  // RFC 6203 §4: the FUZZY scores
  bool specified = false;  // RETURN (...) was given (even empty: means ALL)
  // PARTIAL (RFC 9394): a window of the result by 1-based position, negative positions
  // counting from the end (-1 the last); kept as first:last with |first| <= |last| ("4:2"
  // is 2:4, "-100:-1" is -1:-100).
  bool partial = false;
  std::int32_t partial_first = 0, partial_last = 0;
};

struct StatusItems {
  bool messages = false, uid_next = false, uid_validity = false, unseen = false;
  bool deleted = false, size = false, highest_modseq = false, recent = false;
  bool append_limit = false, mailbox_id = false;
  bool deleted_storage = false;  // DELETED-STORAGE (RFC 9208 §4.2.2)
};

// ---- the commands ------------------------------------------------------------------------

struct Capability {};
struct Noop {};
struct Logout {};
struct StartTls {};
struct Authenticate {
  std::string mechanism;                        // upper-cased
  std::optional<std::string> initial_response;  // SASL-IR (RFC 4959), base64 as sent; "=" = empty
};
struct Login {
  std::string user, password;
};
struct Enable {
  std::vector<std::string> capabilities;  // upper-cased
};
struct Id {
  std::vector<std::pair<std::string, std::optional<std::string>>> fields;  // empty for NIL
};
struct Select {
  std::string mailbox;
  bool read_only = false;  // EXAMINE
  bool condstore = false;
  struct Qresync {
    std::uint32_t uid_validity = 0;
    std::uint64_t modseq = 0;
    std::optional<SequenceSet> known_uids;
    std::optional<std::pair<SequenceSet, SequenceSet>> seq_match;  // (sequences, uids)
  };
  std::optional<Qresync> qresync;
};
struct Create {
  std::string mailbox;
  std::vector<std::string> special_use;  // USE (\Sent ...) (RFC 6154 §5)
};
struct Delete {
  std::string mailbox;
};
struct Rename {
  std::string from, to;
};
struct Subscribe {
  std::string mailbox;
  bool on = true;  // false: UNSUBSCRIBE
};
struct List {
  bool lsub = false;  // LSUB (rev1)
  std::string reference;
  std::vector<std::string> patterns;
  // LIST-EXTENDED selection options (RFC 5258 §3.1)
  bool select_subscribed = false, select_remote = false, select_recursive_match = false;
  bool select_special_use = false;
  // RETURN options (RFC 5258 §3.2, RFC 6154, RFC 5819)
  bool return_subscribed = false, return_children = false, return_special_use = false;
  bool return_myrights = false;
  std::optional<StatusItems> return_status;
  bool extended = false;  // any selection or RETURN option was given (extended syntax)
};
struct Namespace {};
struct Status {
  std::string mailbox;
  StatusItems items;
};
struct AppendMessage {
  FlagList flags;
  std::optional<std::string> internal_date;  // as written ("17-Jul-1996 02:44:25 -0700")
  std::string data;                          // the literal
  bool utf8 = false;                         // UTF8 (~{...}) literal (RFC 6855)
  bool binary = false;                       // ~{...} literal8 (RFC 3516)
};
struct Append {
  std::string mailbox;
  std::vector<AppendMessage> messages;  // more than one: MULTIAPPEND (RFC 3502)
};
struct Idle {};
struct Check {};
struct Close {};
struct Unselect {};
struct Expunge {
  std::optional<SequenceSet> uids;  // UID EXPUNGE (RFC 4315)
};
struct Search {
  bool uid = false;
  std::optional<std::string> charset;
  SearchReturn ret;
  SearchKey key;  // an AND of the keys given
};
struct Fetch {
  bool uid = false;
  SequenceSet set;
  std::vector<FetchItem> items;                // macros (ALL/FAST/FULL) already expanded
  std::optional<std::uint64_t> changed_since;  // CONDSTORE
  bool vanished = false;                       // QRESYNC (UID FETCH only)
};
struct Store {
  bool uid = false;
  SequenceSet set;
  enum class Mode { replace, add, remove } mode = Mode::replace;
  bool silent = false;
  FlagList flags;
  std::optional<std::uint64_t> unchanged_since;  // CONDSTORE
};
struct Copy {
  bool uid = false;
  bool move = false;  // MOVE (RFC 6851)
  SequenceSet set;
  std::string mailbox;
};
struct Compress {
  std::string mechanism;  // upper-cased; only DEFLATE is offered
};
// QUOTA (RFC 9208 §4.1)
struct GetQuota {
  std::string root;  // quota-root-name (astring)
};
struct GetQuotaRoot {
  std::string mailbox;
};
struct SetQuota {
  std::string root;
  // (resource-name, resource-limit) as sent, names upper-cased; empty list = "()".
  std::vector<std::pair<std::string, std::uint64_t>> limits;
};
// RFC 5464 METADATA. Entry names are lower-cased by the parser (imap_parser_metadata.hpp
// checks their syntax); mailbox "" is the server.
struct GetMetadata {
  std::string mailbox;
  std::vector<std::string> entries;
  std::optional<std::uint32_t> max_size;  // MAXSIZE
  enum class Depth { zero, one, infinity } depth = Depth::zero;
};
struct SetMetadata {
  std::string mailbox;
  std::vector<std::pair<std::string, std::optional<std::string>>> entries;  // NIL: remove
};
// RFC 8508 REPLACE / UID REPLACE: one message, as APPEND takes it.
struct Replace {
  bool uid = false;
  std::uint32_t number = 0;  // message sequence number (0: "*") or UID
  std::string mailbox;       // the target
  AppendMessage message;
};

// NOTIFY (RFC 5465 §8). The parser checks the grammar and the rules that make a command
// BAD (one SELECTED/SELECTED-DELAYED group, only message events for it, FETCH attributes only
// for it); the session answers unsupported events with NO [BADEVENT].
struct NotifyGroup {
  enum class Filter {
    selected,
    selected_delayed,
    inboxes,
    personal,
    subscribed,
    subtree,
    mailboxes
  };
  // Event bits (RFC 5465 §5).
  enum Event : std::uint16_t {
    kMessageNew = 1,
    kMessageExpunge = 2,
    kFlagChange = 4,
    kAnnotationChange = 8,
    kMailboxName = 16,
    kSubscriptionChange = 32,
    kMailboxMetadataChange = 64,
    kServerMetadataChange = 128,
  };
  static constexpr std::uint16_t kMessageEvents =
      kMessageNew | kMessageExpunge | kFlagChange | kAnnotationChange;
  Filter filter = Filter::selected;
  std::vector<std::string> mailboxes;  // subtree / mailboxes: names as sent
  std::uint16_t events = 0;            // 0: NONE
  std::vector<std::string> unknown;    // event names the server does not know (event-ext)
  std::vector<FetchItem> fetch;        // MessageNew (fetch-att ...): selected groups only
};
// CANCELUPDATE (RFC 5267 §4.3.5): the tags of the searches whose updates stop.
struct CancelUpdate {
  std::vector<std::string> tags;
};
struct Notify {
  bool none = false;    // NOTIFY NONE
  bool status = false;  // NOTIFY SET STATUS
  std::vector<NotifyGroup> groups;
};
// ACL (RFC 4314 §3): identifiers and rights as the client wrote them (astrings).
struct SetAcl {
  std::string mailbox, identifier, rights;  // rights: mod-rights ("+lr", "-w", "lrs")
};
struct DeleteAcl {
  std::string mailbox, identifier;
};
struct GetAcl {
  std::string mailbox;
};
struct ListRights {
  std::string mailbox, identifier;
};
struct MyRights {
  std::string mailbox;
};

// One SORT criterion (RFC 5256 §3 sort-criterion, RFC 5957 DISPLAYFROM/DISPLAYTO).
struct SortCriterion {
  enum class Key { arrival, cc, date, from, size, subject, to, display_from, display_to };
  Key key = Key::arrival;
  bool reverse = false;
};
// SORT / UID SORT (RFC 5256 §3), with ESORT's RETURN options (RFC 5267 §3).
struct Sort {
  bool uid = false;
  SearchReturn ret;  // ret.specified: answer with ESEARCH
  std::vector<SortCriterion> criteria;
  std::string charset;
  SearchKey key;  // an AND of the keys given
};
// THREAD / UID THREAD (RFC 5256 §3).
struct Thread {
  enum class Algorithm { ordered_subject, references };
  bool uid = false;
  Algorithm algorithm = Algorithm::references;
  std::string charset;
  SearchKey key;
};

using CommandBody =
    std::variant<Capability, Noop, Logout, StartTls, Authenticate, Login, Enable, Id, Select,
                 Create, Delete, Rename, Subscribe, List, Namespace, Status, Append, Idle, Check,
                 Close, Unselect, Expunge, Search, Fetch, Store, Copy, Compress, Notify,
                 CancelUpdate, GetQuota, GetQuotaRoot, SetQuota, Sort, Thread, SetAcl, DeleteAcl,
                 GetAcl, ListRights, MyRights, GetMetadata, SetMetadata, Replace>;

struct Command {
  std::string tag;
  std::string name;  // upper-cased command name as sent ("UID FETCH" for UID forms)
  CommandBody body;
};

}  // namespace estafeta::imap
