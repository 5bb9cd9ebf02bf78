// imap_session: the command dispatch (which command is legal in which state, RFC 9051 §3 and
// §6), the output queue, the bad-command and autologout endings, and the capability list.
// The commands themselves live in imap_session_{auth,mailbox,select,message}.cpp.
#include "imap/proto/imap_session.hpp"

#include <chrono>
#include <type_traits>

#include "imap/proto/imap_session_selected.hpp"

namespace estafeta::imap {

Session::Session(SessionOptions options, SessionHooks hooks)
    : options_(std::move(options)), hooks_(std::move(hooks)), tls_active_(options_.tls_active) {}

Session::~Session() = default;

std::int64_t Session::now() const {
  if (options_.now) return options_.now();
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Session::capabilities() const {
  std::string c = "IMAP4rev2 IMAP4rev1";
  if (state_ == State::not_authenticated) {
    if (!tls_active_ && options_.starttls_available) c += " STARTTLS";
    if (auth_allowed())
      c += " AUTH=PLAIN AUTH=LOGIN SASL-IR";
    else
      c += " LOGINDISABLED";
  }
  c += " LITERAL+ LITERAL- ID ENABLE IDLE NAMESPACE UNSELECT UIDPLUS MOVE CHILDREN SPECIAL-USE"
       " CREATE-SPECIAL-USE LIST-EXTENDED LIST-STATUS ESEARCH SEARCHRES CONDSTORE QRESYNC"
       " STATUS=SIZE MULTIAPPEND BINARY UTF8=ACCEPT";
  c += " SAVEDATE WITHIN";  // RFC 8514, RFC 5032
  c += " PREVIEW";          // RFC 8970
  c += " NOTIFY";           // RFC 5465
  // RFC 9208 (no QUOTASET: SETQUOTA is the administrator's)
  c += " QUOTA QUOTA=RES-STORAGE QUOTA=RES-MESSAGE QUOTA=RES-MAILBOX";
  c += " SEARCH=FUZZY";                                               // RFC 6203
  c += " SORT SORT=DISPLAY THREAD=ORDEREDSUBJECT THREAD=REFERENCES";  // RFC 5256, RFC 5957
  c += " ESORT PARTIAL";                                              // RFC 5267 §3, RFC 9394
  c += " OBJECTID";  // RFC 8474: MAILBOXID, EMAILID, THREADID (the store's thread ids)
  // RFC 4314 ACL and shared mailboxes, RFC 8440 LIST-MYRIGHTS
  c += " ACL RIGHTS=texk LIST-MYRIGHTS";
  c += " METADATA METADATA-SERVER";     // RFC 5464
  c += " REPLACE";                      // RFC 8508
  c += " UIDONLY";                      // RFC 9586
  c += " CONTEXT=SEARCH CONTEXT=SORT";  // RFC 5267 §4 (UPDATE, CONTEXT; PARTIAL: RFC 9394)
  c += " MESSAGELIMIT=" + std::to_string(options_.message_limit);  // RFC 9738
  c += " APPENDLIMIT=" + std::to_string(options_.append_limit);
  if (options_.compress_available && !compressed_) c += " COMPRESS=DEFLATE";
  return c;
}

void Session::start() {
  send("* OK [CAPABILITY " + capabilities() + "] Estafeta ready.\r\n");
}

std::optional<Output> Session::next() {
  if (out_.empty()) return std::nullopt;
  Output o = std::move(out_.front());
  out_.pop_front();
  return o;
}

void Session::send(std::string text) {
  if (!out_.empty() && out_.back().kind == Output::Kind::text) {
    out_.back().text += text;
    return;
  }
  Output o;
  o.text = std::move(text);
  out_.push_back(std::move(o));
}

void Session::tagged_ok(const std::string& tag, std::string_view text) {
  if (message_limit_hit_) {
    // RFC 9738: the tagged OK says the result is partial. A response code of the command's
    // own (COPYUID, MODIFIED) keeps the tagged OK, and the limit goes in an untagged OK.
    message_limit_hit_ = false;
    const std::string code = "[MESSAGELIMIT " + std::to_string(options_.message_limit) + "] ";
    if (text.starts_with('[')) {
      send("* OK " + code + "Only the messages with the highest UIDs were processed.\r\n");
    } else {
      send(tag + " OK " + code + std::string(text) +
           " Only the messages with the highest UIDs were processed.\r\n");
      return;
    }
  }
  send(tag + " OK " + std::string(text) + "\r\n");
}
void Session::tagged_no(const std::string& tag, std::string_view text) {
  send(tag + " NO " + std::string(text) + "\r\n");
}
void Session::tagged_bad(const std::string& tag, std::string_view text) {
  send(tag + " BAD " + std::string(text) + "\r\n");
  bad_command();
}

// Too many invalid commands end the session (a client in a loop, or a probe).
void Session::bad_command() {
  if (++bad_commands_ >= options_.max_bad_commands) close_with("Too many invalid IMAP commands.");
}

void Session::close_with(std::string bye) {
  if (closed_) return;
  send("* BYE " + bye + "\r\n");
  Output o;
  o.kind = Output::Kind::close;
  out_.push_back(std::move(o));
  closed_ = true;
  state_ = State::logout;
  sasl_.reset();
  idle_tag_.reset();
}

void Session::timed_out() {
  close_with("Disconnected for inactivity.");
}

std::optional<store::MailboxId> Session::selected() const {
  if (!selected_) return std::nullopt;
  return selected_->info.id;
}

void Session::tls_started() {
  tls_active_ = true;
}

void Session::changed(store::ModSeq up_to) {
  if (!selected_) return;
  if (up_to != 0 && up_to <= selected_->modseq) return;  // read already (by its own command)
  selected_->dirty = true;
  if (idle_tag_) sync(true);  // RFC 9051 §6.3.13: IDLE reports changes as they happen
}

bool Session::expects_line() const {
  return !closed_ && (sasl_ || idle_tag_);
}

void Session::receive_error(const CommandError& error) {
  if (closed_) return;
  send(error.response());
  if (error.kind == CommandError::Kind::bad) bad_command();
}

void Session::receive_error(std::string_view tag, std::string_view text) {
  CommandError e;
  e.tag = tag.empty() ? "*" : std::string(tag);
  e.text = std::string(text);
  receive_error(e);
}

void Session::receive_line(std::string_view line) {
  if (closed_) return;
  if (sasl_) {
    auth_step(line);
    return;
  }
  if (idle_tag_) {
    std::string tag = *idle_tag_;
    idle_tag_.reset();
    // RFC 9051 §6.3.13: the client ends IDLE with "DONE" (case-insensitive, as Dovecot).
    bool done = line.size() == 4;
    for (std::size_t i = 0; done && i < 4; ++i) done = (line[i] & ~0x20) == "DONE"[i];
    if (!done) {
      tagged_bad(tag, "Expected DONE.");
      return;
    }
    if (selected_) sync(true);
    tagged_ok(tag, "Idle completed.");
    return;
  }
  receive_error("*", "Unexpected line.");
}

namespace {

// Which states a command is legal in (RFC 9051 §6.1-§6.4 headings).
enum class Need { any, not_authenticated, authenticated, selected };

template <class T>
Need need_of() {
  if constexpr (std::is_same_v<T, Capability> || std::is_same_v<T, Noop> ||
                std::is_same_v<T, Logout> || std::is_same_v<T, Id>)
    return Need::any;
  else if constexpr (std::is_same_v<T, StartTls> || std::is_same_v<T, Authenticate> ||
                     std::is_same_v<T, Login>)
    return Need::not_authenticated;
  else if constexpr (std::is_same_v<T, Check> || std::is_same_v<T, Close> ||
                     std::is_same_v<T, Unselect> || std::is_same_v<T, Expunge> ||
                     std::is_same_v<T, Search> || std::is_same_v<T, Fetch> ||
                     std::is_same_v<T, imap::Store> || std::is_same_v<T, Copy> ||
                     std::is_same_v<T, CancelUpdate> || std::is_same_v<T, Sort> ||
                     std::is_same_v<T, Thread> || std::is_same_v<T, Replace>)
    return Need::selected;
  else
    return Need::authenticated;
}

}  // namespace

void Session::receive(Command command) {
  if (closed_) return;
  if (sasl_ || idle_tag_) {
    // The server should have given us a line; treat the command as that line's error.
    tagged_bad(command.tag, "Unexpected command.");
    return;
  }
  Need need =
      std::visit([](const auto& b) { return need_of<std::decay_t<decltype(b)>>(); }, command.body);
  if (selected_) refresh_shared_rights();  // may close the selection (rights withdrawn)
  switch (need) {
    case Need::any:
      break;
    case Need::not_authenticated:
      if (state_ != State::not_authenticated) {
        tagged_bad(command.tag, "Already authenticated.");
        return;
      }
      break;
    case Need::authenticated:
      if (state_ == State::not_authenticated) {
        tagged_bad(command.tag, "Not authenticated.");
        return;
      }
      break;
    case Need::selected:
      if (state_ == State::not_authenticated) {
        tagged_bad(command.tag, "Not authenticated.");
        return;
      }
      if (state_ != State::selected) {
        tagged_bad(command.tag, "No mailbox selected.");
        return;
      }
      break;
  }
  // RFC 9586 §3: once UIDONLY is enabled, message numbers are refused.
  if (enabled_uidonly_ && needs_sequence_numbers(command)) {
    tagged_bad(command.tag, "[UIDREQUIRED] Message sequence numbers are not allowed with UIDONLY.");
    return;
  }
  // Dovecot's rule: only consecutive BAD answers count towards max_bad_commands.
  const std::uint32_t bad_before = bad_commands_;
  dispatch(command);
  if (bad_commands_ == bad_before) bad_commands_ = 0;
}

void Session::dispatch(Command& c) {
  message_limit_hit_ = false;
  std::visit(
      [&](auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, Capability>) {
          cmd_capability(c);
        } else if constexpr (std::is_same_v<T, Noop> || std::is_same_v<T, Check>) {
          // RFC 9051 §6.1.2: NOOP is the way to poll for updates; CHECK (rev1) likewise.
          if (selected_) sync(true);
          tagged_ok(c.tag, std::is_same_v<T, Noop> ? "NOOP completed." : "CHECK completed.");
        } else if constexpr (std::is_same_v<T, Logout>) {
          cmd_logout(c);
        } else if constexpr (std::is_same_v<T, StartTls>) {
          cmd_starttls(c);
        } else if constexpr (std::is_same_v<T, Authenticate>) {
          cmd_authenticate(c, b);
        } else if constexpr (std::is_same_v<T, Login>) {
          cmd_login(c, b);
        } else if constexpr (std::is_same_v<T, Enable>) {
          cmd_enable(c, b);
        } else if constexpr (std::is_same_v<T, Id>) {
          cmd_id(c, b);
        } else if constexpr (std::is_same_v<T, Select>) {
          cmd_select(c, b);
        } else if constexpr (std::is_same_v<T, Create>) {
          cmd_create(c, b);
        } else if constexpr (std::is_same_v<T, Delete>) {
          cmd_delete(c, b);
        } else if constexpr (std::is_same_v<T, Rename>) {
          cmd_rename(c, b);
        } else if constexpr (std::is_same_v<T, Subscribe>) {
          cmd_subscribe(c, b);
        } else if constexpr (std::is_same_v<T, List>) {
          cmd_list(c, b);
        } else if constexpr (std::is_same_v<T, Namespace>) {
          cmd_namespace(c);
        } else if constexpr (std::is_same_v<T, Status>) {
          cmd_status(c, b);
        } else if constexpr (std::is_same_v<T, Append>) {
          cmd_append(c, b);
        } else if constexpr (std::is_same_v<T, Idle>) {
          cmd_idle(c);
        } else if constexpr (std::is_same_v<T, Close>) {
          cmd_close(c, true);
        } else if constexpr (std::is_same_v<T, Unselect>) {
          cmd_close(c, false);
        } else if constexpr (std::is_same_v<T, Expunge>) {
          cmd_expunge(c, b);
        } else if constexpr (std::is_same_v<T, Search>) {
          cmd_search(c, b);
        } else if constexpr (std::is_same_v<T, Fetch>) {
          cmd_fetch(c, b);
        } else if constexpr (std::is_same_v<T, imap::Store>) {
          cmd_store(c, b);
        } else if constexpr (std::is_same_v<T, Copy>) {
          cmd_copy(c, b);
        } else if constexpr (std::is_same_v<T, Compress>) {
          cmd_compress(c, b);
        } else if constexpr (std::is_same_v<T, Notify>) {
          cmd_notify(c, b);
        } else if constexpr (std::is_same_v<T, CancelUpdate>) {
          cmd_cancelupdate(c, b);
        } else if constexpr (std::is_same_v<T, GetQuotaRoot>) {
          cmd_getquotaroot(c, b);
        } else if constexpr (std::is_same_v<T, GetQuota>) {
          cmd_getquota(c, b);
        } else if constexpr (std::is_same_v<T, SetQuota>) {
          cmd_setquota(c, b);
        } else if constexpr (std::is_same_v<T, Sort>) {
          cmd_sort(c, b);
        } else if constexpr (std::is_same_v<T, Thread>) {
          cmd_thread(c, b);
        } else if constexpr (std::is_same_v<T, SetAcl>) {
          cmd_setacl(c, b);
        } else if constexpr (std::is_same_v<T, DeleteAcl>) {
          cmd_deleteacl(c, b);
        } else if constexpr (std::is_same_v<T, GetAcl>) {
          cmd_getacl(c, b);
        } else if constexpr (std::is_same_v<T, ListRights>) {
          cmd_listrights(c, b);
        } else if constexpr (std::is_same_v<T, MyRights>) {
          cmd_myrights(c, b);
        } else if constexpr (std::is_same_v<T, GetMetadata>) {
          cmd_getmetadata(c, b);
        } else if constexpr (std::is_same_v<T, SetMetadata>) {
          cmd_setmetadata(c, b);
        } else if constexpr (std::is_same_v<T, Replace>) {
          cmd_replace(c, b);
        }
      },
      c.body);
}

// The response text for a store error (RFC 5530 response codes).
std::string Session::store_error_text(std::error_code ec) const {
  if (ec.category() == store::store_category()) {
    switch (static_cast<store::Errc>(ec.value())) {
      case store::Errc::no_such_mailbox:
        return "[NONEXISTENT] Mailbox doesn't exist.";
      case store::Errc::mailbox_exists:
        return "[ALREADYEXISTS] Mailbox already exists.";
      case store::Errc::bad_mailbox_name:
        return "[CANNOT] Invalid mailbox name.";
      case store::Errc::mailbox_has_children:
        return "[INUSE] Mailbox has children, delete them first.";
      case store::Errc::cannot_delete_inbox:
        return "[CANNOT] INBOX can't be deleted.";
      case store::Errc::no_such_message:
        return "[EXPUNGEISSUED] Some of the requested messages no longer exist.";
      case store::Errc::too_many_keywords:
        return "[LIMIT] Too many keywords.";
      case store::Errc::over_quota:
        return "[OVERQUOTA] Quota exceeded.";
      case store::Errc::too_many_metadata:
        return "[METADATA TOOMANY] Too many metadata entries.";  // RFC 5464 §4.3
      default:
        break;
    }
  }
  return "[SERVERBUG] Internal error occurred. Refer to server log for more information.";
}

}  // namespace estafeta::imap
