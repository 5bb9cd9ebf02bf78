// mua_imap_client: the mail client's blocking IMAP client (RFC 9051, RFC 3501) over a
// mua::Connection, driving the sans-I/O reader and command builder of proto/: greeting and
// CAPABILITY, STARTTLS (RFC 9051 §6.2.1), login by AUTHENTICATE PLAIN (RFC 4616, with
// SASL-IR, RFC 4959) or LOGIN, never with a password in cleartext except to a loopback
// address; ENABLE UTF8=ACCEPT when offered (RFC 6855); LIST with special-use attributes
// (RFC 6154, RFC 5258 RETURN (SPECIAL-USE) when LIST-EXTENDED is offered), SELECT/EXAMINE,
// STATUS, UID SEARCH (ESEARCH answers understood), UID FETCH, UID STORE, UID MOVE (RFC 6851;
// without MOVE: UID COPY, UID STORE \Deleted and UID EXPUNGE (RFC 4315) or, without UIDPLUS,
// EXPUNGE only when no other message is marked \Deleted), APPEND (with TRYCREATE retry,
// APPENDUID reported), IDLE (RFC 2177, re-issued before 29 minutes) with a NOOP-polling
// fallback, LOGOUT. Every command waits at most the connection's I/O timeout per read.
// Errors are PeerError values whose `text` says what failed (the command and the server's
// words) and whose `enhanced` holds the IMAP response code when there was one
// ("NONEXISTENT", "AUTHENTICATIONFAILED", "TRYCREATE"); no exceptions.
// Trust: the server is untrusted: responses are bounded by ImapLimits; a literal larger than
// the limit ends the connection with an error. Memory: one response at a time, plus what
// the caller asked for (a FETCH's results, a whole message).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.hpp"
#include "mua/mua_account.hpp"
#include "mua/mua_connection.hpp"
#include "mua/proto/mua_imap_command.hpp"
#include "mua/proto/mua_imap_parse.hpp"
#include "mua/proto/mua_imap_response.hpp"
#include "mua/proto/mua_search_query.hpp"

namespace estafeta::mua {

struct SelectedMailbox {
  std::string name;  // UTF-8, as asked
  std::uint64_t exists = 0;
  std::uint64_t uidvalidity = 0;
  std::uint64_t uidnext = 0;  // 0 = not reported
  bool read_only = false;
};

struct AppendResult {
  std::uint64_t uidvalidity = 0;  // from [APPENDUID v uid] (RFC 4315), 0 when not reported
  std::uint32_t uid = 0;
};

// A message fetched whole: its UID, flags, internal date and the RFC 5322 bytes.
struct FetchedMessage {
  std::uint32_t uid = 0;
  std::vector<std::string> flags;
  std::string internal_date;
  std::string bytes;
};

// What IDLE reports as it happens (RFC 2177; RFC 9051 §7.4).
struct IdleEvent {
  enum class Kind { exists, expunge, vanished, fetch, bye } kind = Kind::exists;
  std::uint64_t number = 0;         // EXISTS count or EXPUNGE sequence number
  std::vector<std::uint32_t> uids;  // VANISHED
  std::optional<ImapFetch> fetch;   // a flag change
};

class ImapClient {
 public:
  // Reads the greeting (PREAUTH and BYE understood) and the capabilities; with `starttls`
  // upgrades the connection first (an error when the server does not offer STARTTLS).
  static Result<std::unique_ptr<ImapClient>> start(std::unique_ptr<Connection> connection,
                                                   bool starttls, ImapLimits limits = {});

  // Connects to the account's IMAP endpoint (TLS or STARTTLS as configured; Security::none
  // only to a loopback address), logs in with `password` and enables UTF8=ACCEPT.
  static Result<std::unique_ptr<ImapClient>> connect(const Account& account,
                                                     const std::string& password);

  // AUTHENTICATE PLAIN when offered, else LOGIN. Refused before anything is sent when the
  // connection is neither TLS nor to a loopback address, or the server says LOGINDISABLED.
  Result<bool> login(const std::string& user, const std::string& password);

  // Mailboxes in the server's order, with special-use attributes.
  Result<std::vector<ImapMailbox>> list();
  // Mailboxes with their message and unseen counts: one LIST ... RETURN (STATUS ...) where
  // the server has LIST-STATUS (RFC 5819), else LIST then STATUS per selectable mailbox.
  struct MailboxCounts {
    ImapMailbox mailbox;
    std::optional<ImapStatus> status;  // nullopt: not selectable, or the server gave none
  };
  Result<std::vector<MailboxCounts>> list_with_counts();
  // The mailbox with this special-use attribute ("\\Trash", "\\Sent"), if any.
  Result<std::optional<ImapMailbox>> find_special(std::string_view use);

  Result<SelectedMailbox> select(const std::string& mailbox, bool read_only = false);
  Result<ImapStatus> status(const std::string& mailbox);
  Result<bool> create(const std::string& mailbox);

  // UID SEARCH with raw keys ("ALL", "UNSEEN", ...) or a parsed user query: the UIDs, sorted.
  Result<std::vector<std::uint32_t>> uid_search(const std::vector<SearchKey>& keys,
                                                bool charset_utf8 = false);
  Result<std::vector<std::uint32_t>> uid_search(const SearchQuery& query);

  // UID FETCH `set` (e.g. "4,7:9") `items` (e.g. "(UID FLAGS RFC822.SIZE)"): the results
  // that carry a UID, in the server's order.
  Result<std::vector<ImapFetch>> uid_fetch(const std::string& set, const std::string& items);

  // The whole message with this UID in the selected mailbox (BODY.PEEK[]: the \Seen flag is
  // left alone). An error naming the UID and mailbox when there is no such message. For
  // reply/forward and `mail read`.
  Result<FetchedMessage> fetch_message(std::uint32_t uid);

  // UID STORE `set` +FLAGS.SILENT / -FLAGS.SILENT (flags like "\\Seen").
  Result<bool> uid_store(const std::string& set, bool add, const std::vector<std::string>& flags);
  // Moves to `destination` (UTF-8 name); see the file comment for the fallback.
  Result<bool> uid_move(const std::string& set, const std::string& destination);
  // Removes \Deleted messages among `set` (UID EXPUNGE with UIDPLUS; else EXPUNGE when no
  // other message is marked \Deleted, an error otherwise).
  Result<bool> uid_expunge(const std::string& set);

  // APPEND `message` (RFC 5322 bytes, CRLF line ends) to `mailbox` with `flags` (e.g.
  // {"\\Seen"}) — the Sent copy. Creates the mailbox and retries once when the server answers
  // [TRYCREATE].
  Result<AppendResult> append(const std::string& mailbox, std::string_view message,
                              const std::vector<std::string>& flags = {"\\Seen"});

  // Waits for changes in the selected mailbox and calls `on_event` for each; returns when
  // `on_event` returns false, `stop()` returns true (checked at least every `poll` period),
  // or `limit` has passed. Uses IDLE (re-issued every 25 minutes), else NOOP every `poll`.
  Result<bool> idle(const std::function<bool(const IdleEvent&)>& on_event,
                    const std::function<bool()>& stop, std::chrono::milliseconds limit,
                    std::chrono::milliseconds poll = std::chrono::milliseconds(1000));

  Result<bool> noop();
  // LOGOUT, then closes; errors are ignored (we are leaving).
  void logout();

  // The texts of [ALERT] responses seen so far (RFC 9051 §7.1: shown to the user), emptied.
  std::vector<std::string> take_alerts() { return std::exchange(alerts_, {}); }

  bool has_capability(std::string_view cap) const;
  const std::vector<std::string>& capabilities() const { return capabilities_; }
  bool utf8_enabled() const { return utf8_; }
  const SelectedMailbox& selected() const { return selected_; }
  Connection& connection() { return *connection_; }

 private:
  ImapClient(std::unique_ptr<Connection> connection, ImapLimits limits);

  ImapCommand command(std::string_view name);
  // Sends the command (waiting for "+" between chunks) and collects the untagged responses
  // up to its tagged completion; a NO or BAD becomes an error "WHAT failed: text".
  Result<std::vector<ImapResponse>> run(const ImapCommand& cmd, std::string_view what);
  Result<ImapResponse> read_response();
  Result<ImapResponse> read_response_for(std::chrono::milliseconds wait, bool& timed_out);
  void note_untagged(const ImapResponse& r);
  Result<bool> refresh_capabilities();
  Result<bool> authenticate_plain(const std::string& user, const std::string& password);

  std::unique_ptr<Connection> connection_;
  ImapResponseReader reader_;
  std::vector<std::string> capabilities_;
  bool authenticated_ = false;
  bool utf8_ = false;
  std::uint64_t next_tag_ = 1;
  SelectedMailbox selected_;
  std::vector<ImapResponse> pending_;  // untagged responses not yet consumed (IDLE)
  ImapResponse last_tagged_;
  std::vector<std::string> alerts_;
};

}  // namespace estafeta::mua
