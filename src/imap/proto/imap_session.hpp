// imap_session: the IMAP server state machine (RFC 9051 IMAP4rev2 and RFC 3501 IMAP4rev1
// together, with the extensions of imap_command.hpp), sans-I/O. The server hands it parsed
// commands (receive), parse errors (receive_error) and, while it expects_line(), raw lines
// (AUTHENTICATE responses, IDLE's DONE); the session answers through next(): text to send,
// a literal to stream from a store::Blob, "start TLS", "start compression", "close". It calls
// the store (store::Account, blocking) and the login hook directly: the server runs it on a
// worker thread, one call at a time per session. It never touches a socket or a file.
// States (RFC 9051 §3): not_authenticated -> authenticated <-> selected -> logout.
// Trust: every command comes from an unauthenticated peer until login succeeds, then from
// the account's owner. Memory: the selected mailbox's message-number map (one
// store::MessageInfo per message, ~120 octets; RFC 9051 §2.3.1.2), pending output (one
// command's responses; whole-message fetches over 256 KiB are streamed from the Blob, not
// copied), the SASL exchange (auth::kMaxSaslResponse). Sequence sets are never expanded
// beyond the mailbox size. Never throws.
//
// Notes:
// - Untagged EXISTS / EXPUNGE / FETCH FLAGS of other sessions' changes (RFC 9051 §5.2, §7.5.1)
//   are sent at the end of a command, except EXPUNGE (or VANISHED) during FETCH, STORE and
//   SEARCH by sequence number, which waits for a later command; during IDLE they are sent
//   as changed() reports them. The store tells the server of a change through
//   store::Account::watch on selected(); the server calls changed().
// - \Recent (IMAP4rev1 only) is session state: the messages this session was the first to
//   notice (SessionHooks::recent, shared by the server's sessions).
// - Mailbox names are modified UTF-7 until the client enables IMAP4rev2 or UTF8=ACCEPT, then
//   UTF-8 (RFC 9051 §5.1, RFC 6855 §3). "INBOX" in any case is the inbox.
// - What the server does around it: send "+ Ready for literal data" for synchronizing
//   literals (imap::CommandReader), drop input buffered before a STARTTLS handshake, compress
//   after start_compress (set compress_available = false if it cannot), run the autologout
//   timer (timed_out()) but not while idling() beyond its IDLE limit, and watch selected().
// - Only consecutive BAD answers count towards max_bad_commands (as Dovecot counts them).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/proto/auth_sasl.hpp"
#include "imap/proto/imap_acl.hpp"
#include "imap/proto/imap_command.hpp"
#include "imap/proto/imap_command_reader.hpp"
#include "imap/proto/imap_notify.hpp"
#include "imap/proto/imap_recent.hpp"
#include "store/api/store.hpp"

namespace estafeta::imap {

struct SessionOptions {
  std::string hostname = "localhost";
  bool tls_active = false;         // implicit TLS (993): true from the start
  bool starttls_available = true;  // a certificate is loaded: STARTTLS offered before TLS
  // LOGIN/AUTHENTICATE without TLS too (auth.allow_plaintext; benchmarks, trusted loopback).
  bool allow_plaintext_auth = false;
  bool compress_available = true;                 // COMPRESS=DEFLATE offered (the server has zlib)
  std::uint64_t append_limit = 50 * 1024 * 1024;  // APPENDLIMIT (RFC 7889)
  // MESSAGELIMIT (RFC 9738): messages one FETCH, SEARCH, STORE, COPY, MOVE or UID EXPUNGE
  // processes. At least the MULTIAPPEND bound (imap_limits.hpp), so APPEND never exceeds it.
  std::uint32_t message_limit = 1000000;
  std::uint32_t max_bad_commands = 20;  // BAD answers in a row, then BYE and close
  std::uint32_t max_auth_failures = 3;  // failed LOGIN/AUTHENTICATE, then BYE and close
  std::int32_t server_tz = 0;           // minutes east of UTC, for SEARCH dates
  // Seconds since the epoch (SEARCH OLDER/YOUNGER); the system clock when empty.
  std::function<std::int64_t()> now;
};

// The server's answer to a login (auth::check_login with its throttling behind it).
struct LoginResult {
  enum class Kind {
    ok,           // `account` is the canonical account name
    invalid,      // wrong user or password (or throttled): NO [AUTHENTICATIONFAILED]
    unavailable,  // the account store cannot be reached now: NO [UNAVAILABLE]
  };
  Kind kind = Kind::invalid;
  std::string account;
};

struct SessionHooks {
  // Checks a user name and password (blocking is fine: the session runs on a worker).
  std::function<LoginResult(std::string_view user, std::string_view password)> login;
  // The store account of a canonical account name; nullptr when it cannot be opened
  // (the login then fails with NO [UNAVAILABLE]).
  std::function<std::shared_ptr<store::Account>(const std::string& account)> open_account;
  // Who gets \Recent (IMAP4rev1), one per server (imap_recent.hpp). When null, every session
  // that sees a message arrive marks it \Recent.
  std::shared_ptr<RecentClaims> recent;
  // RFC 4314 shared mailboxes: the accounts that share a mailbox with `user`
  // (store::Store::sharers). When null, no other user's mailbox is ever shown.
  std::function<std::vector<std::string>(const std::string& user)> sharers;
};

// One piece of output, in order.
struct Output {
  enum class Kind {
    text,            // send `text`
    literal,         // send `length` octets at `offset` of `blob` (a literal's data; the
                     // "{n}\r\n" is at the end of the text before it)
    start_tls,       // the OK to STARTTLS was the text before: handshake, then tls_started()
    start_compress,  // the OK to COMPRESS was the text before: compress everything after it
    close,           // the BYE/OK was the text before: close the connection
  };
  Kind kind = Kind::text;
  std::string text;
  std::shared_ptr<store::Blob> blob;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

struct SearchContext;  // imap_search_eval.hpp

class Session {
 public:
  enum class State { not_authenticated, authenticated, selected, logout };

  Session(SessionOptions options, SessionHooks hooks);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Queues the greeting "* OK [CAPABILITY ...] Estafeta ready.".
  void start();
  // One parsed command (imap::parse_command). Ignored after close.
  void receive(Command command);
  // A command the reader or parser refused: answered with its response (BAD or NO) and
  // counted against max_bad_commands when it is a BAD.
  void receive_error(const CommandError& error);
  void receive_error(std::string_view tag, std::string_view text);  // "<tag> BAD <text>"
  // A raw line (without CRLF) while expects_line(): an AUTHENTICATE response or IDLE's DONE.
  void receive_line(std::string_view line);
  // True while the next client line is not a command (AUTHENTICATE exchange, IDLE).
  bool expects_line() const;
  // True when receive(c) will not call the store or the login hook (CAPABILITY, NOOP, IDLE,
  // FETCH of flags/UIDs/sizes/dates and SEARCH of flags/sizes/dates/sets, with no change of
  // another session waiting to be read): the server may run it on its network thread.
  bool runs_without_store(const Command& c) const;
  // The same for receive_line() while idling (DONE).
  bool line_runs_without_store() const;
  // True while in IDLE (the server then waits without the autologout timer, RFC 9051 §5.4
  // still applies: the server may keep its own limit).
  bool idling() const { return idle_tag_.has_value(); }
  // The TLS handshake after start_tls succeeded.
  void tls_started();
  // The store announced a change to the selected mailbox (from Account::watch on
  // selected()). During IDLE the untagged responses are queued at once; otherwise they
  // wait for the end of the next command. `up_to`: the highest MODSEQ announced (0: not
  // known); a change the session has already read (its own STORE, APPEND, EXPUNGE) is
  // ignored, so the next command needs no store read.
  void changed(store::ModSeq up_to = 0);
  // The server's autologout timer fired (RFC 9051 §5.4): BYE and close.
  void timed_out();

  // NOTIFY (RFC 5465, imap_session_notify.cpp). While watches_account(), the server watches
  // every mailbox of account() (store watch(0, ...)) and hands the changes to
  // account_changed() between commands (and during IDLE): STATUS and LIST responses for the
  // mailboxes the client asked about. While wants_push(), changes of the selected mailbox
  // wait to be pushed (NOTIFY SELECTED): the server calls push_selected() between commands.
  // When it cannot keep up (too many changes queued), notify_overflow(): "* OK
  // [NOTIFICATIONOVERFLOW]" and NOTIFY NONE (§5.8).
  bool watches_account() const;
  // NOTIFY on other users' shared mailboxes (RFC 4314 with RFC 5465): the owners whose
  // mailboxes the filter names (MAILBOXES / SUBTREE under "Shared/<owner>"), with their
  // stores; the server watches each (watch(0, ...)) and hands their changes to
  // account_changed() with the owner's name. Read again only when notify_generation()
  // changed.
  std::vector<std::pair<std::string, std::shared_ptr<store::Account>>> notify_owners() const;
  std::uint64_t notify_generation() const { return notify_generation_; }
  bool wants_push() const;
  void push_selected();
  // `owner`: the changes are of that user's account (their shared mailboxes), not this one's.
  void account_changed(const std::vector<store::Change>& changes, const std::string& owner = {});
  void notify_overflow();

  // The next output, or nullopt when there is nothing to send now.
  std::optional<Output> next();

  State state() const { return state_; }
  bool closed() const { return closed_; }
  // The selected mailbox (to watch), or nullopt.
  std::optional<store::MailboxId> selected() const;
  // The store account the selected mailbox belongs to: the user's own, or for a shared
  // mailbox its owner's (watch that one); nullptr when nothing is selected.
  std::shared_ptr<store::Account> selected_account() const;
  // Bumped whenever selected() changes, so the server knows to re-subscribe.
  std::uint64_t selection_generation() const { return selection_generation_; }
  // The logged-in account's name and store ("" / nullptr before login).
  const std::string& account_name() const { return account_name_; }
  const std::shared_ptr<store::Account>& account() const { return account_; }
  // The capability list as currently advertised ("IMAP4rev2 IMAP4rev1 ...").
  std::string capabilities() const;

  struct SelectedMailbox;  // imap_session_selected.hpp

  // A mailbox as this session names it (RFC 4314 shared mailboxes): personal names are the
  // user's own; "Shared/<owner>/<name>" is <name> of the owner <owner> of the same domain.
  struct MailboxRef {
    std::shared_ptr<store::Account> account;  // the owner's store
    std::string owner;                        // the owner's account name
    std::string name;                         // in the owner's store
    std::string display;                      // as the session names it (UTF-8)
    bool shared = false;                      // another user's mailbox
    acl::Rights rights = 0;                   // this user's rights (kAll on their own)
    store::MailboxInfo info;                  // when it exists
  };
  // Resolves a decoded (UTF-8, canonical) name. Errors: no_such_mailbox when it does not
  // exist or this user has no right on it at all (`out` still names the owner's store and
  // name when the owner shares something with the user, for CREATE); bad_mailbox_name for a
  // namespace node ("Shared", "Shared/<owner>").
  std::error_code resolve_mailbox(std::string_view name, MailboxRef& out) const;
  static constexpr std::string_view kSharedPrefix = "Shared/";

 private:
  // imap_session.cpp: dispatch, output, common responses
  void dispatch(Command& command);
  void send(std::string text);
  void tagged_ok(const std::string& tag, std::string_view text);
  void tagged_no(const std::string& tag, std::string_view text);
  void tagged_bad(const std::string& tag, std::string_view text);
  void bad_command();
  void close_with(std::string bye);
  std::string store_error_text(std::error_code ec) const;
  bool auth_allowed() const { return tls_active_ || options_.allow_plaintext_auth; }
  bool utf8_names() const { return enabled_rev2_ || enabled_utf8_; }
  std::int64_t now() const;
  // imap_session_auth.cpp
  void cmd_capability(const Command& c);
  void cmd_starttls(const Command& c);
  void cmd_login(const Command& c, const Login& login);
  void cmd_authenticate(const Command& c, const Authenticate& a);
  void auth_step(std::string_view response);
  void finish_login(const std::string& tag, std::string_view user, std::string_view password);
  void cmd_enable(const Command& c, const Enable& e);
  void cmd_id(const Command& c, const Id& id);
  void cmd_compress(const Command& c, const Compress& z);
  void cmd_logout(const Command& c);
  // imap_session_mailbox.cpp
  std::optional<std::string> decode_name(std::string_view wire) const;
  std::string encode_name(std::string_view utf8) const;
  void cmd_create(const Command& c, const Create& cr);
  void cmd_delete(const Command& c, const Delete& d);
  void cmd_rename(const Command& c, const Rename& r);
  void cmd_subscribe(const Command& c, const Subscribe& s);
  void cmd_list(const Command& c, const List& l);
  void cmd_namespace(const Command& c);
  void cmd_status(const Command& c, const Status& s);
  // `ref`: the mailbox when it may be another user's (RECENT reads the owner's store).
  std::string status_items(const store::MailboxInfo& info, const StatusItems& items,
                           const MailboxRef* ref = nullptr);
  // imap_session_quota.cpp (RFC 9208)
  void cmd_getquotaroot(const Command& c, const GetQuotaRoot& g);
  void cmd_getquota(const Command& c, const GetQuota& g);
  void cmd_setquota(const Command& c, const SetQuota& s);
  std::string deleted_storage(const store::MailboxInfo& info, store::Account* in = nullptr);
  // imap_session_select.cpp
  void cmd_select(const Command& c, const Select& s);
  void cmd_close(const Command& c, bool expunge);
  void unselect();
  void refresh_shared_rights();
  void sync(bool allow_expunge);
  store::Uid claim_recent(store::Uid uid_next);
  void cmd_idle(const Command& c);
  // imap_session_message.cpp
  void enable_condstore_in_selected();
  void cmd_fetch(const Command& c, const Fetch& f);
  void cmd_search(const Command& c, const Search& s);
  // The matching messages' indexes into the selected map, ascending (SEARCH, SORT, THREAD).
  void search_indexes(const SearchKey& key, std::vector<std::uint32_t>& indexes,
                      std::vector<std::uint8_t>* relevancy = nullptr);
  void cmd_store(const Command& c, const Store& s);
  void cmd_copy(const Command& c, const Copy& cp);
  void cmd_expunge(const Command& c, const Expunge& e);
  void cmd_append(const Command& c, const Append& a);
  // An APPEND (or REPLACE) message as the store takes it; answers BAD/NO itself when false.
  bool new_message_of(const Command& c, const AppendMessage& m, store::NewMessage& out);
  // imap_session_replace.cpp (RFC 8508)
  void cmd_replace(const Command& c, const Replace& r);
  // imap_session_uidonly.cpp (RFC 9586)
  bool needs_sequence_numbers(const Command& c) const;
  std::string fetch_head(std::uint32_t seq, store::Uid uid) const;
  bool vanished_responses() const { return enabled_qresync_ || enabled_uidonly_; }
  bool resolve_set(const Command& c, const SequenceSet& set, bool uid,
                   std::vector<std::uint32_t>& indexes);
  // RFC 9738: more than message_limit entries in `indexes` (ascending). A UID command keeps the
  // highest UIDs and its tagged OK carries [MESSAGELIMIT n]; a command by sequence numbers is
  // answered NO [MESSAGELIMIT n] (false) and processes nothing.
  bool apply_message_limit(const Command& c, bool uid, std::vector<std::uint32_t>& indexes);
  // imap_session_context.cpp (CONTEXT=SEARCH, RFC 5267 §4.3)
  struct UpdateContext {
    std::string tag;
    bool uid = false;
    SearchKey key;
    std::vector<store::Uid> result;  // ascending
    store::ModSeq evaluated = 0;     // messages with a higher MODSEQ are evaluated again
    std::vector<store::Uid> adding;  // between context_removals() and context_additions()
    // CONTEXT=SORT (SORT RETURN (UPDATE)): the criteria, and `result` in sort order.
    bool sorted = false;
    std::vector<SortCriterion> criteria;
    std::vector<store::Uid> order;
  };
  static constexpr std::size_t kMaxUpdateContexts = 10;
  bool update_tag_in_use(const std::string& tag) const;
  void add_update_context(const std::string& tag, const Search& se, std::vector<store::Uid> result);
  // SORT RETURN (UPDATE): `result` ascending, `order` the same UIDs in sort order.
  void add_sort_context(const std::string& tag, const Sort& so, std::vector<store::Uid> result,
                        std::vector<store::Uid> order);
  // imap_session_sort.cpp: the selected mailbox's entries at `indexes` (ascending) in the order
  // of `criteria`, as indexes; false (and `ec`) when the store cannot give the keys.
  std::error_code sorted_indexes(const std::vector<SortCriterion>& criteria,
                                 const std::vector<std::uint32_t>& indexes,
                                 std::vector<std::uint32_t>& ordered);
  void cmd_cancelupdate(const Command& c, const CancelUpdate& cu);
  bool context_matches(const UpdateContext& u, std::size_t index, const SearchContext& ctx);
  std::string context_removals();
  std::string context_additions();
  std::string sort_context_additions(UpdateContext& u);
  // imap_session_notify.cpp
  void cmd_notify(const Command& c, const Notify& n);
  void note_own_event(store::Change::Kind kind, std::string_view name);
  void send_new_message_fetches(std::size_t from);
  // `ref`: another user's shared mailbox (`info.name` is then its name as shown).
  std::string notify_status_line(const store::MailboxInfo& info, std::uint16_t events,
                                 const MailboxRef* ref = nullptr);
  // imap_session_sort.cpp (RFC 5256 SORT and THREAD, RFC 5267 ESORT)
  void cmd_sort(const Command& c, const Sort& so);
  void cmd_thread(const Command& c, const Thread& th);
  bool sort_charset_ok(const Command& c, const std::string& charset);
  // imap_session_acl.cpp (RFC 4314)
  void cmd_setacl(const Command& c, const SetAcl& a);
  void cmd_deleteacl(const Command& c, const DeleteAcl& a);
  void cmd_getacl(const Command& c, const GetAcl& a);
  void cmd_listrights(const Command& c, const ListRights& a);
  void cmd_myrights(const Command& c, const MyRights& a);
  // Resolves for a command needing `need` (all of the bits) and answers NO when it cannot:
  // [NONEXISTENT] when the user may not even know of it (no right at all, or `l` missing
  // and the right missing), [NOPERM] otherwise. `missing_text` answers a missing mailbox.
  bool mailbox_for(const Command& c, std::string_view wire_name, acl::Rights need, MailboxRef& out,
                   std::string_view missing_text = {});
  // The other users' mailboxes this user may see (`l`), as (display name, info, rights).
  struct SharedBox {
    std::string display;
    store::MailboxInfo info;
    acl::Rights rights = 0;
  };
  void shared_mailboxes(std::vector<SharedBox>& out) const;
  // True when `ref` is the selected mailbox.
  bool is_selected(const MailboxRef& ref) const;
  // The rights setting these flags needs (RFC 4314 §4: \Seen "s", \Deleted "t", others "w"),
  // and `flags` without those `rights` do not allow (APPEND and COPY drop them silently).
  static acl::Rights rights_for_flags(const store::Flags& flags);
  static void drop_forbidden_flags(store::Flags& flags, acl::Rights rights);
  // COPY message by message into `dest` (another account's mailbox, or flags to drop).
  std::error_code copy_across(SelectedMailbox& s, const std::vector<store::Uid>& uids,
                              const MailboxRef& dest, store::CopyResult& out);
  // imap_session_metadata.cpp (RFC 5464)
  void cmd_getmetadata(const Command& c, const GetMetadata& g);
  void cmd_setmetadata(const Command& c, const SetMetadata& s);
  struct MetadataTarget {
    std::shared_ptr<store::Account> account;  // the mailbox's owner's store
    store::MailboxId id = 0;                  // 0: the server
    std::string shown;                        // the name as METADATA responses give it
  };
  bool metadata_target(const Command& c, const std::string& wire, bool write_shared,
                       MetadataTarget& out);

  SessionOptions options_;
  bool message_limit_hit_ = false;  // this command processed only part of its set (RFC 9738)
  SessionHooks hooks_;
  State state_ = State::not_authenticated;
  bool closed_ = false;
  bool tls_active_ = false;
  bool compressed_ = false;
  std::deque<Output> out_;
  std::uint32_t bad_commands_ = 0;
  std::uint32_t auth_failures_ = 0;

  // AUTHENTICATE in progress
  std::unique_ptr<auth::SaslMechanism> sasl_;
  std::string sasl_tag_;
  // IDLE in progress
  std::optional<std::string> idle_tag_;

  // ENABLEd (RFC 5161)
  bool enabled_rev2_ = false;
  bool enabled_utf8_ = false;
  bool enabled_condstore_ = false;
  bool enabled_qresync_ = false;
  bool enabled_uidonly_ = false;  // RFC 9586

  std::string account_name_;
  std::shared_ptr<store::Account> account_;
  std::unique_ptr<SelectedMailbox> selected_;
  std::uint64_t selection_generation_ = 0;
  std::vector<store::Uid> saved_search_;  // SEARCHRES "$" (RFC 5182)
  bool saved_search_valid_ = false;

  // NOTIFY SET in effect (RFC 5465), the mailbox events this session caused itself (not
  // reported back, §5: cleared at each account_changed(), at most kMaxOwnEvents), and the
  // last STATUS sent per mailbox (an unchanged one is not sent again; one per mailbox).
  std::optional<NotifyFilter> notify_;
  // SEARCH RETURN (UPDATE) contexts of the selected mailbox (at most kMaxUpdateContexts).
  std::vector<UpdateContext> updates_;
  std::vector<std::pair<store::Change::Kind, std::string>> own_events_;
  std::map<store::MailboxId, std::string> notify_sent_;
  std::map<std::string, std::string> notify_shared_sent_;  // by the shared mailbox's name
  std::uint64_t notify_generation_ = 0;                    // bumped when the filter changes
  // imap_session_notify.cpp: the events of another user's (owner's) account.
  void owner_changed(const std::vector<store::Change>& changes, const std::string& owner);
};

}  // namespace estafeta::imap
