// pop3_session: see pop3_session.hpp. The dispatcher and the commands of both states; the
// AUTHORIZATION commands (RFC 1939 §7 USER/PASS/APOP, RFC 5034 AUTH, RFC 2595 STLS, RFC 6856
// UTF8) then the TRANSACTION ones (RFC 1939 §5) and the UPDATE state (§6). Passwords never
// appear in output or logs and are wiped once checked.
#include "pop3/proto/pop3_session.hpp"

#include <algorithm>
#include <unordered_set>
#include <utility>
#include <variant>

#include "pop3/proto/pop3_command.hpp"

namespace estafeta::pop3 {

// One message of the maildrop snapshot (RFC 1939 §5: numbered 1..N at login).
struct Session::Message {
  store::Uid uid = 0;
  std::uint64_t size = 0;  // what RETR sends (pop3_session.hpp, Notes)
  bool seen = false;       // had \Seen at login
  bool deleted = false;    // DELE'd in this session
  bool retrieved = false;  // RETR'd in this session (\Seen at UPDATE)
  std::string uidl;
};

namespace {

constexpr std::string_view kPlaintextRefused =
    "[AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.";

bool valid_uidl(std::string_view id) {
  if (id.empty() || id.size() > kMaxUidl) return false;
  for (char c : id)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

}  // namespace

Session::Session(SessionOptions options, SessionHooks hooks)
    : options_(std::move(options)), hooks_(std::move(hooks)), tls_active_(options_.tls_active) {}

Session::~Session() {
  if (user_) auth::wipe(*user_);
}

void Session::start() {
  std::string greeting = "+OK " + options_.implementation + " POP3 ready.";
  if (apop_enabled()) greeting += " " + options_.apop_timestamp;  // RFC 1939 §7 APOP
  send(greeting + "\r\n");
}

std::optional<Output> Session::next() {
  if (out_.empty()) return std::nullopt;
  Output o = std::move(out_.front());
  out_.pop_front();
  return o;
}

void Session::send(std::string text) {
  Output o;
  o.text = std::move(text);
  out_.push_back(std::move(o));
}

void Session::ok(std::string_view text) {
  bad_commands_ = 0;
  send("+OK" + (text.empty() ? std::string() : " " + std::string(text)) + "\r\n");
}

void Session::err(std::string_view text) {
  bad_commands_ = 0;
  send("-ERR " + std::string(text) + "\r\n");
}

// A malformed, unknown or misplaced command: counted (only in a row) towards
// max_bad_commands; the last one allowed is answered "Too many bad commands" and closes.
void Session::bad(std::string_view text) {
  if (++bad_commands_ >= options_.max_bad_commands) {
    send("-ERR Too many bad commands, closing.\r\n");
    close();
    return;
  }
  send("-ERR " + std::string(text) + "\r\n");
}

void Session::close() {
  Output o;
  o.kind = Output::Kind::close;
  out_.push_back(std::move(o));
  closed_ = true;
  state_ = State::closed;
  sasl_.reset();
  lock_.reset();  // RFC 1939 §6: the maildrop lock is released
}

void Session::timed_out() {
  if (closed_) return;
  // RFC 1939 §3: an autologout timer closes without entering the UPDATE state.
  send("-ERR Disconnected for inactivity.\r\n");
  close();
}

void Session::tls_started() {
  awaiting_tls_ = false;
  tls_active_ = true;
  // RFC 2595 §4: the client discards what it learned; so does the server's AUTHORIZATION.
  if (user_) auth::wipe(*user_);
  user_.reset();
  utf8_ = false;
}

bool Session::apop_enabled() const {
  return options_.apop && hooks_.apop && !options_.apop_timestamp.empty();
}

std::vector<std::string> Session::capabilities() const {
  // RFC 2449 §5-6; RESP-CODES §8; AUTH-RESP-CODE RFC 3206 §6; UTF8 RFC 6856 §2.
  std::vector<std::string> caps{"TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"};
  caps.push_back("EXPIRE " + options_.expire);
  caps.push_back("LOGIN-DELAY " + std::to_string(options_.login_delay));
  if (options_.utf8) caps.push_back("UTF8 USER");
  if (state_ == State::authorization) {
    if (plaintext_allowed()) {
      caps.push_back("USER");
      std::string mechs = auth::SaslRegistry::standard().advertised();
      if (!mechs.empty()) caps.push_back("SASL " + mechs);
    }
    if (!tls_active_ && options_.starttls_available) caps.push_back("STLS");
  }
  caps.push_back("IMPLEMENTATION " + options_.implementation);
  return caps;
}

bool Session::runs_without_io(std::string_view line) const {
  if (closed_ || awaiting_tls_) return true;
  if (sasl_) return false;  // the exchange may end in the login hook
  std::string keyword = command_keyword(line);
  if (state_ == State::authorization)
    return keyword != "PASS" && keyword != "APOP" && keyword != "AUTH";
  return keyword != "STAT" && keyword != "LIST" && keyword != "RETR" && keyword != "TOP" &&
         keyword != "QUIT";
}

void Session::receive_line(const net::LineReader::Line& line) {
  if (closed_ || awaiting_tls_) return;
  if (line.overlong || line.nul || line.bare_cr) {
    if (sasl_) {
      sasl_.reset();  // the AUTH command gets its one -ERR (RFC 5034 §4)
    }
    bad(line.overlong ? "Line too long." : "Invalid character in command line.");
    return;
  }
  handle_line(line.text, line.length);
}

void Session::receive_line(std::string_view line) {
  if (closed_ || awaiting_tls_) return;
  if (line.find('\0') != std::string_view::npos || line.find('\r') != std::string_view::npos ||
      line.find('\n') != std::string_view::npos) {
    if (sasl_) sasl_.reset();
    bad("Invalid character in command line.");
    return;
  }
  if (line.size() + 2 > kMaxLine) {
    if (sasl_) sasl_.reset();
    bad("Line too long.");
    return;
  }
  handle_line(line, line.size() + 2);
}

void Session::handle_line(std::string_view line, std::uint64_t length) {
  if (sasl_) {
    auth_step(line);
    return;
  }
  if (length > kMaxCommandLine) {
    // RFC 2449 §4; AUTH and PASS may be longer (initial response, passphrase).
    std::string keyword = command_keyword(line);
    if (keyword != "AUTH" && keyword != "PASS") {
      bad("Line too long.");
      return;
    }
  }
  ParseResult r = parse_command(line);
  if (!r.command) {
    bad(r.error);
    return;
  }
  dispatch(*r.command);
  if (r.command->verb == Verb::pass) auth::wipe(r.command->text);
}

void Session::dispatch(Command& c) {
  if (c.verb == Verb::capa) {
    cmd_capa();
    return;
  }
  if (c.verb == Verb::quit) {
    cmd_quit();
    return;
  }
  if (state_ == State::authorization) {
    switch (c.verb) {
      case Verb::user:
        cmd_user(c);
        return;
      case Verb::pass:
        cmd_pass(c);
        return;
      case Verb::apop:
        cmd_apop(c);
        return;
      case Verb::auth:
        cmd_auth(c);
        return;
      case Verb::stls:
        cmd_stls();
        return;
      case Verb::utf8:
        cmd_utf8();
        return;
      default:
        bad("Command not available before login.");
        return;
    }
  }
  switch (c.verb) {
    case Verb::stat:
      cmd_stat();
      return;
    case Verb::list:
      cmd_list(c, false);
      return;
    case Verb::uidl:
      cmd_list(c, true);
      return;
    case Verb::retr:
      cmd_retr(c, std::nullopt);
      return;
    case Verb::top:
      cmd_retr(c, c.lines);
      return;
    case Verb::dele:
      cmd_dele(c);
      return;
    case Verb::noop:
      ok("");
      return;
    case Verb::rset:
      cmd_rset();
      return;
    default:
      bad("Command not available after login.");
      return;
  }
}

void Session::cmd_capa() {
  std::string text = "+OK Capability list follows\r\n";
  for (const auto& cap : capabilities()) text += cap + "\r\n";
  text += ".\r\n";
  bad_commands_ = 0;
  send(std::move(text));
}

void Session::cmd_quit() {
  if (state_ == State::transaction) {
    update();
    return;
  }
  ok("Logging out.");
  close();
}

// ---- AUTHORIZATION ----

void Session::cmd_stls() {
  if (tls_active_) {
    err("TLS is already active.");
    return;
  }
  if (!options_.starttls_available) {
    err("TLS support isn't enabled.");
    return;
  }
  ok("Begin TLS negotiation now.");
  Output o;
  o.kind = Output::Kind::start_tls;
  out_.push_back(std::move(o));
  awaiting_tls_ = true;
}

void Session::cmd_utf8() {
  if (!options_.utf8) {
    bad("Unknown command: UTF8");
    return;
  }
  utf8_ = true;  // RFC 6856 §2: user names, passwords and messages are UTF-8 from now on
  ok("UTF8 enabled.");
}

void Session::cmd_user(Command& c) {
  if (!plaintext_allowed()) {
    err(kPlaintextRefused);
    return;
  }
  if (user_) auth::wipe(*user_);
  user_ = std::move(c.text);
  ok("");
}

void Session::cmd_pass(Command& c) {
  if (!plaintext_allowed()) {
    err(kPlaintextRefused);
    return;
  }
  if (!user_) {
    bad("No user name given: send USER first.");
    return;
  }
  std::string user = std::move(*user_);
  user_.reset();
  LoginResult r;
  if (hooks_.login) r = hooks_.login(user, c.text);
  finish_login(r);
}

void Session::cmd_apop(Command& c) {
  if (!apop_enabled()) {
    err("APOP is not available.");
    return;
  }
  if (!plaintext_allowed()) {
    err(kPlaintextRefused);
    return;
  }
  finish_login(hooks_.apop(c.text, options_.apop_timestamp, *c.text2));
}

void Session::cmd_auth(Command& c) {
  const auth::SaslRegistry& registry = auth::SaslRegistry::standard();
  if (c.text.empty()) {
    // A bare AUTH lists the mechanisms (the pre-RFC 5034 form Outlook still sends).
    std::string text = "+OK\r\n";
    if (plaintext_allowed()) {
      std::string all = registry.advertised();
      std::string_view mechs = all;
      while (!mechs.empty()) {
        auto sp = mechs.find(' ');
        text += std::string(mechs.substr(0, sp)) + "\r\n";
        mechs = sp == std::string_view::npos ? std::string_view() : mechs.substr(sp + 1);
      }
    }
    text += ".\r\n";
    bad_commands_ = 0;
    send(std::move(text));
    return;
  }
  if (!plaintext_allowed()) {
    err(kPlaintextRefused);
    return;
  }
  auth::SaslContext context;
  context.tls_active = tls_active_;
  sasl_ = registry.create(c.text, context);
  if (!sasl_) {
    err("Unsupported authentication mechanism.");
    return;
  }
  if (c.text2) {  // RFC 5034 §4: the initial response ("=" for an empty one)
    auth_step(*c.text2);
    auth::wipe(*c.text2);
    return;
  }
  send(auth::frame_challenge("+ ", sasl_->initial_challenge()));
}

// One client line of the AUTH exchange (RFC 5034 §4).
void Session::auth_step(std::string_view line) {
  auth::SaslResponse r = auth::decode_response(line);
  if (r.kind == auth::SaslResponse::Kind::cancel) {
    sasl_.reset();
    err("Authentication aborted by client.");
    return;
  }
  if (r.kind == auth::SaslResponse::Kind::malformed) {
    sasl_.reset();
    bad("Invalid base64 data in continued response.");
    return;
  }
  auth::SaslStep step = sasl_->step(r.data);
  auth::wipe(r.data);
  if (auto* cont = std::get_if<auth::SaslContinue>(&step)) {
    send(auth::frame_challenge("+ ", cont->challenge));
    return;
  }
  sasl_.reset();
  if (auto* done = std::get_if<auth::SaslDone>(&step)) {
    if (!done->authzid.empty() && done->authzid != done->authcid) {
      auth::wipe(done->secret);
      auth_failed("[AUTH] Authorization failed.");
      return;
    }
    LoginResult result;
    if (hooks_.login) result = hooks_.login(done->authcid, done->secret);
    auth::wipe(done->secret);
    finish_login(result);
    return;
  }
  const auto& fail = std::get<auth::SaslFail>(step);
  if (fail.kind == auth::SaslFail::Kind::malformed)
    bad("Invalid authentication data.");
  else
    auth_failed("[AUTH] Authentication failed.");
}

void Session::auth_failed(std::string_view text) {
  if (++auth_failures_ >= options_.max_auth_failures) {
    err(std::string(text) + " Too many failures, closing.");
    close();
    return;
  }
  err(text);
}

void Session::finish_login(const LoginResult& r) {
  switch (r.kind) {
    case LoginResult::Kind::ok:
      break;
    case LoginResult::Kind::invalid:
      auth_failed("[AUTH] Authentication failed.");
      return;
    case LoginResult::Kind::unavailable:
      err("[SYS/TEMP] Temporary authentication failure.");
      return;
    case LoginResult::Kind::too_soon:
      // RFC 2449 §8.1.1
      err("[LOGIN-DELAY] Minimum time between logins is " + std::to_string(options_.login_delay) +
          " seconds.");
      return;
  }
  std::shared_ptr<store::Account> account;
  if (hooks_.open_account) account = hooks_.open_account(r.account);
  if (!account) {
    err("[SYS/TEMP] Mailbox storage is temporarily unavailable.");
    return;
  }
  std::unique_ptr<MaildropLock> lock;
  if (hooks_.lock_maildrop) {
    lock = hooks_.lock_maildrop(r.account);
    if (!lock) {
      // RFC 2449 §8.1.2: another session holds the maildrop.
      err("[IN-USE] Mailbox is locked by another POP3 session.");
      return;
    }
  }
  // RFC 1939 §8: the maildrop as it is now; later arrivals wait for the next session.
  store::MailboxInfo inbox;
  std::vector<store::MessageInfo> messages;
  if (account->find("INBOX", inbox) || account->snapshot(inbox.id, inbox, messages)) {
    err("[SYS/TEMP] Mailbox storage is temporarily unavailable.");
    return;
  }
  std::size_t shown = messages.size();
  if (options_.max_listed_messages != 0 && shown > options_.max_listed_messages) {
    shown = options_.max_listed_messages;
    if (hooks_.log)
      hooks_.log(r.account + ": INBOX holds " + std::to_string(messages.size()) +
                 " messages; POP3 shows the oldest " + std::to_string(shown) +
                 " (max_listed_messages)");
  }
  messages_.clear();
  messages_.reserve(shown);
  std::unordered_set<std::string_view> ids;
  ids.reserve(shown);
  for (std::size_t i = 0; i < shown; ++i) {
    const store::MessageInfo& m = messages[i];
    Message msg;
    msg.uid = m.uid;
    // RETR ends a last line without line end with CRLF: counted (pop3_session.hpp, Notes).
    msg.size = m.size + (m.ends_with_line_end ? 0 : 2);
    msg.seen = (m.flags.system & store::kSeen) != 0;
    // UIDL: the email id (pop3_session.hpp, Notes).
    if (valid_uidl(m.email_id))
      msg.uidl = m.email_id;
    else
      msg.uidl = "U" + std::to_string(inbox.uid_validity) + "." + std::to_string(m.uid);
    messages_.push_back(std::move(msg));
  }
  // Unique within the listing (RFC 1939 §7): a later copy of an id gets ".<uid>". In a second
  // pass, so that the set's views point into the final vector.
  for (auto& msg : messages_) {
    if (!ids.insert(msg.uidl).second) {
      std::string alt = msg.uidl + "." + std::to_string(msg.uid);
      if (alt.size() > kMaxUidl)
        alt = "U" + std::to_string(inbox.uid_validity) + "." + std::to_string(msg.uid);
      msg.uidl = std::move(alt);
      ids.insert(msg.uidl);
    }
  }
  account_name_ = r.account;
  account_ = std::move(account);
  lock_ = std::move(lock);
  inbox_ = inbox.id;
  uid_validity_ = inbox.uid_validity;
  state_ = State::transaction;
  ok("Logged in.");
}

// ---- TRANSACTION ----

// The message with number n (1-based), if it is listed; nullptr otherwise.
Session::Message* Session::message(std::optional<std::uint32_t> n) {
  if (!n || *n == 0 || *n > messages_.size()) return nullptr;
  return &messages_[*n - 1];
}

std::uint64_t Session::exact_size(std::size_t index) const {
  return messages_[index].size;
}

void Session::cmd_stat() {
  std::uint64_t count = 0, size = 0;
  for (std::size_t i = 0; i < messages_.size(); ++i) {
    if (messages_[i].deleted) continue;
    ++count;
    size += exact_size(i);
  }
  ok(std::to_string(count) + " " + std::to_string(size));
}

void Session::cmd_list(const Command& c, bool uidl) {
  if (c.number) {
    Message* m = message(c.number);
    if (!m) {
      err("No such message.");
      return;
    }
    if (m->deleted) {
      err("Message is deleted.");
      return;
    }
    std::string value = uidl ? m->uidl : std::to_string(exact_size(*c.number - 1));
    ok(std::to_string(*c.number) + " " + value);
    return;
  }
  std::string text;
  std::uint64_t count = 0, size = 0;
  for (std::size_t i = 0; i < messages_.size(); ++i) {
    if (messages_[i].deleted) continue;
    ++count;
    text += std::to_string(i + 1);
    text += ' ';
    if (uidl) {
      text += messages_[i].uidl;
    } else {
      std::uint64_t s = exact_size(i);
      size += s;
      text += std::to_string(s);
    }
    text += "\r\n";
  }
  text += ".\r\n";
  if (uidl)
    ok("");
  else
    ok(std::to_string(count) + " messages (" + std::to_string(size) + " octets)");
  send(std::move(text));
}

void Session::cmd_retr(const Command& c, std::optional<std::uint64_t> top_lines) {
  Message* m = message(c.number);
  if (!m) {
    err("No such message.");
    return;
  }
  if (m->deleted) {
    err("Message is deleted.");
    return;
  }
  std::unique_ptr<store::Blob> blob;
  std::error_code ec = account_->open(inbox_, m->uid, blob);
  if (ec == store::Errc::no_such_message) {
    err("Message was removed by another session.");
    return;
  }
  if (ec || !blob) {
    err("[SYS/TEMP] Mailbox storage is temporarily unavailable.");
    return;
  }
  if (top_lines) {
    ok("");
  } else {
    m->retrieved = true;
    ok(std::to_string(exact_size(*c.number - 1)) + " octets");
  }
  Output o;
  o.kind = Output::Kind::message;
  o.blob = std::shared_ptr<store::Blob>(std::move(blob));
  o.top_lines = top_lines;
  out_.push_back(std::move(o));
}

void Session::cmd_dele(const Command& c) {
  Message* m = message(c.number);
  if (!m) {
    err("No such message.");
    return;
  }
  if (m->deleted) {
    err("Message is already deleted.");
    return;
  }
  m->deleted = true;
  ok("Marked to be deleted.");
}

void Session::cmd_rset() {
  // RFC 1939 §5: unmark the deleted messages (\Seen marks stay: they were retrieved).
  for (auto& m : messages_) m.deleted = false;
  ok("");
}

// ---- UPDATE (RFC 1939 §6) ----

void Session::update() {
  state_ = State::update;
  if (options_.retr_sets_seen) {
    std::vector<store::Uid> seen;
    for (const auto& m : messages_)
      if (m.retrieved && !m.deleted && !m.seen) seen.push_back(m.uid);
    if (!seen.empty()) {
      store::FlagUpdate u;
      u.mode = store::FlagUpdate::Mode::add;
      u.flags.system = store::kSeen;
      store::FlagResult result;
      if (std::error_code ec = account_->update_flags(inbox_, seen, u, result); ec && hooks_.log)
        hooks_.log(account_name_ + ": POP3 could not set \\Seen: " + ec.message());
    }
  }
  std::vector<store::Uid> deleted;
  for (const auto& m : messages_)
    if (m.deleted) deleted.push_back(m.uid);
  if (!deleted.empty()) {
    std::vector<store::Uid> removed;
    if (std::error_code ec = account_->expunge(inbox_, deleted, removed)) {
      if (hooks_.log) hooks_.log(account_name_ + ": POP3 could not expunge: " + ec.message());
      err("[SYS/TEMP] Some deleted messages were not removed.");
      close();
      return;
    }
    ok("Logging out, messages deleted.");
  } else {
    ok("Logging out.");
  }
  close();
}

}  // namespace estafeta::pop3
