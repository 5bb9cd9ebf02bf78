// mua_imap_client: the blocking IMAP client (see the header).
#include "mua/mua_imap_client.hpp"

#include <algorithm>

#include "base/base64.hpp"

namespace estafeta::mua {
namespace {

using Clock = std::chrono::steady_clock;

PeerError error(std::string text, std::string code = {}) {
  return PeerError{0, std::move(code), std::move(text)};
}

// "the server said NO [NONEXISTENT] Mailbox does not exist" from a tagged refusal.
std::string server_said(const ImapResponse& r) {
  std::string s = "the server said " + r.status;
  if (!r.code.empty()) s += " [" + r.code + (r.code_args.empty() ? "" : " " + r.code_args) + "]";
  if (!r.text.empty()) s += " " + r.text.substr(0, 300);
  return s;
}

std::string in_quotes(std::string_view name) {
  return "\"" + std::string(name) + "\"";
}

// RFC 2177: clients should re-issue IDLE at least every 29 minutes.
constexpr std::chrono::minutes kIdleRenew{25};
constexpr std::size_t kMaxUids = 10'000'000;

}  // namespace

ImapClient::ImapClient(std::unique_ptr<Connection> connection, ImapLimits limits)
    : connection_(std::move(connection)), reader_(limits) {}

bool ImapClient::has_capability(std::string_view cap) const {
  return std::any_of(capabilities_.begin(), capabilities_.end(),
                     [&](const std::string& c) { return imap_iequals(c, cap); });
}

ImapCommand ImapClient::command(std::string_view name) {
  ImapCommandOptions o;
  o.literal_plus = has_capability("LITERAL+");
  o.literal_minus = has_capability("LITERAL-");
  o.utf8 = utf8_;
  return ImapCommand("e" + std::to_string(next_tag_++), name, o);
}

Result<ImapResponse> ImapClient::read_response() {
  for (;;) {
    if (auto r = reader_.next()) return std::move(*r);
    if (reader_.failed())
      return error("the IMAP server " + connection_->peer() +
                   " sent a bad response: " + reader_.error());
    const std::uint64_t want =
        std::clamp<std::uint64_t>(reader_.literal_pending(), 64 * 1024, std::uint64_t{4} << 20);
    auto bytes = connection_->read_some(static_cast<std::size_t>(want));
    if (!bytes) return bytes.error();
    if (bytes->empty()) return error("the IMAP server closed the connection");
    reader_.receive(*bytes);
  }
}

Result<ImapResponse> ImapClient::read_response_for(std::chrono::milliseconds wait,
                                                   bool& timed_out) {
  timed_out = false;
  const auto deadline = Clock::now() + wait;
  for (;;) {
    if (auto r = reader_.next()) return std::move(*r);
    if (reader_.failed())
      return error("the IMAP server " + connection_->peer() +
                   " sent a bad response: " + reader_.error());
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      return ImapResponse{};
    }
    auto bytes = connection_->read_for(left);
    if (!bytes) return bytes.error();
    if (bytes->empty()) {
      if (connection_->timed_out()) continue;  // the loop sees the deadline
      return error("the IMAP server closed the connection");
    }
    reader_.receive(*bytes);
  }
}

void ImapClient::note_untagged(const ImapResponse& r) {
  if (r.code == "ALERT" && alerts_.size() < 16) alerts_.push_back(r.text.substr(0, 500));
  if (r.type != ImapResponse::Type::untagged) return;
  if (r.name == "CAPABILITY") capabilities_ = parse_capabilities(r.values);
  if (r.code == "CAPABILITY") capabilities_ = parse_capabilities(r.code_values);
  if (r.number && r.name == "EXISTS") selected_.exists = *r.number;
  if (r.number && r.name == "EXPUNGE" && selected_.exists > 0) --selected_.exists;
  if (r.code == "UIDVALIDITY" && !r.code_values.empty())
    selected_.uidvalidity = r.code_values[0].number().value_or(0);
  if (r.code == "UIDNEXT" && !r.code_values.empty())
    selected_.uidnext = r.code_values[0].number().value_or(0);
}

Result<std::vector<ImapResponse>> ImapClient::run(const ImapCommand& cmd, std::string_view what) {
  if (!cmd.ok()) return error(std::string(what) + ": an argument holds a NUL byte");
  const auto chunks = cmd.chunks();
  std::vector<ImapResponse> untagged;
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    auto w = connection_->write(chunks[i]);
    if (!w) return w.error();
    if (i + 1 == chunks.size()) break;
    // A synchronizing literal or a SASL step: wait for "+" (or a refusal).
    for (;;) {
      auto r = read_response();
      if (!r) return r.error();
      if (r->type == ImapResponse::Type::continuation) break;
      if (r->type == ImapResponse::Type::tagged && r->tag == cmd.tag()) {
        last_tagged_ = *r;
        return error(std::string(what) + " failed: " + server_said(*r), r->code);
      }
      note_untagged(*r);
      untagged.push_back(std::move(*r));
    }
  }
  for (;;) {
    auto r = read_response();
    if (!r) {
      for (const auto& u : untagged)
        if (u.status == "BYE")
          return error(std::string(what) + " failed: the server said BYE " + u.text);
      return r.error();
    }
    if (r->type == ImapResponse::Type::tagged && r->tag == cmd.tag()) {
      last_tagged_ = *r;
      if (!r->ok()) return error(std::string(what) + " failed: " + server_said(*r), r->code);
      note_untagged(*r);  // an [ALERT] on a completion
      return untagged;
    }
    if (r->type == ImapResponse::Type::continuation) {
      // Unexpected "+": an AUTHENTICATE challenge we cannot answer; cancel with "*".
      auto w = connection_->write("*\r\n");
      if (!w) return w.error();
      continue;
    }
    note_untagged(*r);
    if (r->type == ImapResponse::Type::untagged) untagged.push_back(std::move(*r));
  }
}

Result<bool> ImapClient::refresh_capabilities() {
  auto rs = run(command("CAPABILITY"), "CAPABILITY");
  if (!rs) return rs.error();
  return true;
}

Result<std::unique_ptr<ImapClient>> ImapClient::start(std::unique_ptr<Connection> connection,
                                                      bool starttls, ImapLimits limits) {
  std::unique_ptr<ImapClient> c(new ImapClient(std::move(connection), limits));
  auto greeting = c->read_response();
  if (!greeting) return greeting.error();
  if (greeting->status == "BYE")
    return error("the IMAP server refused the connection: " + greeting->text);
  if (greeting->type != ImapResponse::Type::untagged ||
      (greeting->status != "OK" && greeting->status != "PREAUTH"))
    return error("the server did not greet as an IMAP server does (\"* OK\")");
  c->note_untagged(*greeting);
  c->authenticated_ = greeting->status == "PREAUTH";
  if (c->capabilities_.empty()) {
    auto caps = c->refresh_capabilities();
    if (!caps) return caps.error();
  }
  if (starttls && !c->connection_->secure()) {
    if (c->authenticated_)  // RFC 9051 §6.2.1: no STARTTLS after PREAUTH
      return error(
          "the server pre-authenticated the cleartext connection; refusing to go on "
          "without TLS");
    if (!c->has_capability("STARTTLS"))
      return error("the IMAP server does not offer STARTTLS; refusing to go on in cleartext");
    auto rs = c->run(c->command("STARTTLS"), "STARTTLS");
    if (!rs) return rs.error();
    if (c->reader_.buffered() != 0)  // bytes sent before the handshake: an injection
      return error("the IMAP server sent data after its STARTTLS answer; refusing it");
    auto tls = c->connection_->start_tls();
    if (!tls) return tls.error();
    c->capabilities_.clear();  // RFC 9051 §6.2.1: forget what was said in cleartext
    auto caps = c->refresh_capabilities();
    if (!caps) return caps.error();
  }
  return c;
}

Result<std::unique_ptr<ImapClient>> ImapClient::connect(const Account& account,
                                                        const std::string& password) {
  if (!account.imap.configured())
    return error("the account " + account.name + " has no IMAP server configured");
  auto conn = Connection::open(connect_options(account, account.imap));
  if (!conn) return conn.error();
  if (account.imap.security == Security::none && !(*conn)->peer_is_loopback())
    return error("security = \"none\" is only allowed to a loopback address, not " +
                 account.imap.host);
  auto client = start(std::move(*conn), account.imap.security == Security::starttls);
  if (!client) return client.error();
  if (!(*client)->authenticated_) {
    auto ok = (*client)->login(account.login(), password);
    if (!ok) return ok.error();
  }
  return client;
}

Result<bool> ImapClient::authenticate_plain(const std::string& user, const std::string& password) {
  std::string plain;
  plain += '\0';
  plain += user;
  plain += '\0';
  plain += password;
  const std::string b64 = base64::encode(plain);
  ImapCommand cmd = command("AUTHENTICATE");
  cmd.atom("PLAIN");
  if (has_capability("SASL-IR")) {
    cmd.atom(b64);
    cmd.mask_summary();
    auto rs = run(cmd, "login as " + user);
    if (!rs) return rs.error();
    return true;
  }
  // Without SASL-IR: the response after the server's empty challenge ("+ ").
  const std::string tag = cmd.tag();
  auto w = connection_->write(cmd.chunks()[0]);
  if (!w) return w.error();
  for (;;) {
    auto r = read_response();
    if (!r) return r.error();
    if (r->type == ImapResponse::Type::continuation) break;
    if (r->type == ImapResponse::Type::tagged && r->tag == tag)
      return error("login as " + user + " failed: " + server_said(*r), r->code);
    note_untagged(*r);
  }
  w = connection_->write(b64 + "\r\n");
  if (!w) return w.error();
  for (;;) {
    auto r = read_response();
    if (!r) return r.error();
    if (r->type == ImapResponse::Type::continuation) {
      w = connection_->write("*\r\n");  // a second challenge: PLAIN has none; cancel
      if (!w) return w.error();
      continue;
    }
    if (r->type == ImapResponse::Type::tagged && r->tag == tag) {
      last_tagged_ = *r;
      if (!r->ok()) return error("login as " + user + " failed: " + server_said(*r), r->code);
      return true;
    }
    note_untagged(*r);
  }
}

Result<bool> ImapClient::login(const std::string& user, const std::string& password) {
  if (!connection_->secure() && !connection_->peer_is_loopback())
    return error("refusing to send the password for " + user + " in cleartext to " +
                 connection_->peer() + " (use TLS or STARTTLS)");
  if (has_capability("LOGINDISABLED"))
    return error("the IMAP server does not allow login on this connection (LOGINDISABLED)");
  if (has_capability("AUTH=PLAIN")) {
    auto ok = authenticate_plain(user, password);
    if (!ok) return ok.error();
  } else {
    ImapCommand cmd = command("LOGIN");
    cmd.astring(user).astring(password);
    cmd.mask_summary();
    auto rs = run(cmd, "login as " + user);
    if (!rs) return rs.error();
  }
  authenticated_ = true;
  // RFC 9051 §6.2.3: capabilities may change after login.
  if (last_tagged_.code == "CAPABILITY")
    capabilities_ = parse_capabilities(last_tagged_.code_values);
  else if (auto caps = refresh_capabilities(); !caps)
    return caps.error();
  if (has_capability("UTF8=ACCEPT") && !utf8_) {
    ImapCommand en = command("ENABLE");
    en.atom("UTF8=ACCEPT");
    auto rs = run(en, "ENABLE UTF8=ACCEPT");
    if (!rs) return rs.error();
    for (const auto& r : *rs)
      if (r.name == "ENABLED")
        for (const auto& v : r.values)
          if (v.atom_is("UTF8=ACCEPT")) utf8_ = true;
  }
  return true;
}

Result<std::vector<ImapMailbox>> ImapClient::list() {
  ImapCommand cmd = command("LIST");
  cmd.string("").string("*");
  if (has_capability("LIST-EXTENDED") && has_capability("SPECIAL-USE"))
    cmd.raw(" RETURN (SPECIAL-USE)");
  auto rs = run(cmd, "listing the mailboxes");
  if (!rs) return rs.error();
  std::vector<ImapMailbox> out;
  for (const auto& r : *rs) {
    if (r.name != "LIST") continue;
    auto m = parse_list(r, utf8_);
    if (m) out.push_back(std::move(*m));
  }
  return out;
}

Result<std::vector<ImapClient::MailboxCounts>> ImapClient::list_with_counts() {
  std::vector<MailboxCounts> out;
  if (!has_capability("LIST-STATUS") || !has_capability("LIST-EXTENDED")) {
    auto all = list();
    if (!all) return all.error();
    for (auto& m : *all) {
      MailboxCounts e{std::move(m), std::nullopt};
      if (e.mailbox.selectable()) {
        auto st = status(e.mailbox.name);
        if (st) e.status = std::move(*st);  // a mailbox that vanished meanwhile has none
      }
      out.push_back(std::move(e));
    }
    return out;
  }
  ImapCommand cmd = command("LIST");
  cmd.string("").string("*");
  cmd.raw(has_capability("SPECIAL-USE") ? " RETURN (SPECIAL-USE STATUS (MESSAGES UNSEEN))"
                                        : " RETURN (STATUS (MESSAGES UNSEEN))");
  auto rs = run(cmd, "listing the mailboxes");
  if (!rs) return rs.error();
  for (const auto& r : *rs) {
    if (r.name == "LIST") {
      if (auto m = parse_list(r, utf8_)) out.push_back({std::move(*m), std::nullopt});
    } else if (r.name == "STATUS") {
      // RFC 5819 §2: the STATUS follows its LIST; match by the name as sent.
      auto st = parse_status(r);
      if (!st) continue;
      for (auto it = out.rbegin(); it != out.rend(); ++it) {
        if (it->mailbox.raw_name == st->raw_name ||
            (imap_iequals(st->raw_name, "INBOX") && it->mailbox.name == "INBOX")) {
          it->status = std::move(*st);
          break;
        }
      }
    }
  }
  return out;
}

Result<std::optional<ImapMailbox>> ImapClient::find_special(std::string_view use) {
  auto all = list();
  if (!all) return all.error();
  for (auto& m : *all)
    if (m.selectable() && m.has_attribute(use)) return std::optional<ImapMailbox>(std::move(m));
  return std::optional<ImapMailbox>();
}

Result<SelectedMailbox> ImapClient::select(const std::string& mailbox, bool read_only) {
  selected_ = SelectedMailbox{};
  ImapCommand cmd = command(read_only ? "EXAMINE" : "SELECT");
  cmd.mailbox(mailbox);
  auto rs = run(cmd, "opening the mailbox " + in_quotes(mailbox));
  if (!rs) {
    if (rs.error().enhanced == "NONEXISTENT")
      return error("there is no mailbox " + in_quotes(mailbox) + " (see estafeta mail mailboxes)",
                   "NONEXISTENT");
    return rs.error();
  }
  selected_.name = mailbox;
  selected_.read_only = read_only || last_tagged_.code == "READ-ONLY";
  return selected_;
}

Result<ImapStatus> ImapClient::status(const std::string& mailbox) {
  ImapCommand cmd = command("STATUS");
  cmd.mailbox(mailbox).raw(" (MESSAGES UNSEEN UIDNEXT UIDVALIDITY)");
  auto rs = run(cmd, "the status of " + in_quotes(mailbox));
  if (!rs) return rs.error();
  for (const auto& r : *rs)
    if (r.name == "STATUS")
      if (auto s = parse_status(r)) return *s;
  return error("the server answered STATUS " + in_quotes(mailbox) + " without the counts");
}

Result<bool> ImapClient::create(const std::string& mailbox) {
  ImapCommand cmd = command("CREATE");
  cmd.mailbox(mailbox);
  auto rs = run(cmd, "creating the mailbox " + in_quotes(mailbox));
  if (!rs) return rs.error();
  return true;
}

Result<std::vector<std::uint32_t>> ImapClient::uid_search(const std::vector<SearchKey>& keys,
                                                          bool charset_utf8) {
  ImapCommand cmd = command("UID SEARCH");
  if (has_capability("ESEARCH")) cmd.raw(" RETURN (ALL)");
  if (charset_utf8 && !utf8_) cmd.atom("CHARSET").atom("UTF-8");  // RFC 6855 §3: not after ENABLE
  for (const auto& k : keys) {
    if (k.is_string)
      cmd.string(k.text);
    else
      cmd.atom(k.text);
  }
  auto rs = run(cmd, "searching");
  if (!rs) return rs.error();
  std::vector<std::uint32_t> out;
  for (const auto& r : *rs) {
    if (r.name == "SEARCH") {
      auto uids = parse_search(r, kMaxUids);
      if (!uids) return error("the server's SEARCH answer is malformed or too long");
      out.insert(out.end(), uids->begin(), uids->end());
    } else if (r.name == "ESEARCH") {
      auto e = parse_esearch(r, kMaxUids);
      if (!e) return error("the server's ESEARCH answer is malformed or too long");
      if (!e->tag.empty() && e->tag != cmd.tag()) continue;
      out.insert(out.end(), e->all.begin(), e->all.end());
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<std::vector<std::uint32_t>> ImapClient::uid_search(const SearchQuery& query) {
  return uid_search(query.keys, query.non_ascii);
}

Result<std::vector<ImapFetch>> ImapClient::uid_fetch(const std::string& set,
                                                     const std::string& items) {
  ImapCommand cmd = command("UID FETCH");
  cmd.atom(set).atom(items);
  auto rs = run(cmd, "fetching " + set);
  if (!rs) return rs.error();
  std::vector<ImapFetch> out;
  for (const auto& r : *rs) {
    if (r.name != "FETCH") continue;
    auto f = parse_fetch(r);
    if (!f)
      return error("the server's FETCH answer for message " + std::to_string(*r.number) +
                   " is malformed");
    if (f->uid) out.push_back(std::move(*f));
  }
  return out;
}

Result<FetchedMessage> ImapClient::fetch_message(std::uint32_t uid) {
  auto fs = uid_fetch(std::to_string(uid), "(UID FLAGS INTERNALDATE BODY.PEEK[])");
  if (!fs) return fs.error();
  for (auto& f : *fs) {
    if (f.uid != uid) continue;
    for (auto& [name, bytes] : f.sections) {
      if (name != "BODY[]") continue;
      FetchedMessage m;
      m.uid = uid;
      m.flags = f.flags.value_or(std::vector<std::string>{});
      m.internal_date = f.internal_date;
      m.bytes = std::move(bytes);  // the message may be large: no further copy
      return m;
    }
  }
  return error(
      "there is no message with UID " + std::to_string(uid) + " in " + in_quotes(selected_.name),
      "NONEXISTENT");
}

Result<bool> ImapClient::uid_store(const std::string& set, bool add,
                                   const std::vector<std::string>& flags) {
  ImapCommand cmd = command("UID STORE");
  cmd.atom(set).atom(add ? "+FLAGS.SILENT" : "-FLAGS.SILENT").raw(" (");
  for (const auto& f : flags) cmd.atom(f);
  cmd.raw(")");
  auto rs = run(cmd, "changing flags of " + set);
  if (!rs) return rs.error();
  return true;
}

Result<bool> ImapClient::uid_expunge(const std::string& set) {
  if (has_capability("UIDPLUS")) {
    ImapCommand cmd = command("UID EXPUNGE");
    cmd.atom(set);
    auto rs = run(cmd, "expunging " + set);
    if (!rs) return rs.error();
    return true;
  }
  // Plain EXPUNGE removes every \Deleted message: only when those are ours.
  auto marked = uid_search({{false, "DELETED"}});
  if (!marked) return marked.error();
  const std::uint32_t star =
      selected_.uidnext > 1 ? static_cast<std::uint32_t>(selected_.uidnext - 1) : 0xffffffffu;
  auto ours = parse_sequence_set(set, star, kMaxUids);
  if (!ours) return error("bad UID set " + set);
  for (std::uint32_t u : *marked)
    if (!std::binary_search(ours->begin(), ours->end(), u))
      return error(
          "the server has no UIDPLUS and other messages are marked \\Deleted too; "
          "message " +
          set + " is left marked \\Deleted");
  auto rs = run(command("EXPUNGE"), "EXPUNGE");
  if (!rs) return rs.error();
  return true;
}

Result<bool> ImapClient::uid_move(const std::string& set, const std::string& destination) {
  if (has_capability("MOVE")) {
    ImapCommand cmd = command("UID MOVE");
    cmd.atom(set).mailbox(destination);
    auto rs = run(cmd, "moving " + set + " to " + in_quotes(destination));
    if (!rs) {
      if (rs.error().enhanced == "TRYCREATE" || rs.error().enhanced == "NONEXISTENT")
        return error(
            "there is no mailbox " + in_quotes(destination) + " (see estafeta mail mailboxes)",
            "NONEXISTENT");
      return rs.error();
    }
    return true;
  }
  ImapCommand copy = command("UID COPY");
  copy.atom(set).mailbox(destination);
  auto rs = run(copy, "copying " + set + " to " + in_quotes(destination));
  if (!rs) {
    if (rs.error().enhanced == "TRYCREATE" || rs.error().enhanced == "NONEXISTENT")
      return error(
          "there is no mailbox " + in_quotes(destination) + " (see estafeta mail mailboxes)",
          "NONEXISTENT");
    return rs.error();
  }
  auto stored = uid_store(set, true, {"\\Deleted"});
  if (!stored) return stored.error();
  return uid_expunge(set);
}

Result<AppendResult> ImapClient::append(const std::string& mailbox, std::string_view message,
                                        const std::vector<std::string>& flags) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    ImapCommand cmd = command("APPEND");
    cmd.mailbox(mailbox);
    cmd.raw(" (");
    for (const auto& f : flags) cmd.atom(f);
    cmd.raw(")");
    cmd.literal(message);
    auto rs = run(cmd, "saving a copy in " + in_quotes(mailbox));
    if (!rs) {
      if (attempt == 0 && rs.error().enhanced == "TRYCREATE") {
        auto made = create(mailbox);
        if (!made) return made.error();
        continue;
      }
      return rs.error();
    }
    AppendResult out;
    if (last_tagged_.code == "APPENDUID" && last_tagged_.code_values.size() == 2) {
      out.uidvalidity = last_tagged_.code_values[0].number().value_or(0);
      out.uid = static_cast<std::uint32_t>(last_tagged_.code_values[1].number().value_or(0));
    }
    return out;
  }
  return error("saving a copy in " + in_quotes(mailbox) + " failed after creating it");
}

Result<bool> ImapClient::noop() {
  auto rs = run(command("NOOP"), "NOOP");
  if (!rs) return rs.error();
  return true;
}

Result<bool> ImapClient::idle(const std::function<bool(const IdleEvent&)>& on_event,
                              const std::function<bool()>& stop, std::chrono::milliseconds limit,
                              std::chrono::milliseconds poll) {
  const auto end = Clock::now() + limit;
  bool keep_going = true;
  // Turns an untagged response into an event; false when the caller wants to stop.
  auto deliver = [&](const ImapResponse& r, bool noted = false) {
    if (!noted) note_untagged(r);
    IdleEvent e;
    if (r.status == "BYE") {
      e.kind = IdleEvent::Kind::bye;
    } else if (r.number && r.name == "EXISTS") {
      e.kind = IdleEvent::Kind::exists;
      e.number = *r.number;
    } else if (r.number && r.name == "EXPUNGE") {
      e.kind = IdleEvent::Kind::expunge;
      e.number = *r.number;
    } else if (r.name == "VANISHED") {
      auto uids = parse_vanished(r, kMaxUids);
      if (!uids) return true;
      e.kind = IdleEvent::Kind::vanished;
      e.uids = std::move(*uids);
    } else if (r.number && r.name == "FETCH") {
      e.kind = IdleEvent::Kind::fetch;
      e.fetch = parse_fetch(r);
      if (!e.fetch) return true;
    } else {
      return true;
    }
    if (keep_going && !on_event(e)) keep_going = false;
    return keep_going;
  };
  auto finished = [&] { return !keep_going || Clock::now() >= end || (stop && stop()); };

  if (!has_capability("IDLE")) {
    while (!finished()) {
      auto rs = run(command("NOOP"), "NOOP");
      if (!rs) return rs.error();
      for (const auto& r : *rs) deliver(r, true);
      const auto wait_until = std::min(end, Clock::now() + poll);
      while (keep_going && Clock::now() < wait_until && !(stop && stop())) {
        bool timed_out = false;
        auto r = read_response_for(
            std::chrono::duration_cast<std::chrono::milliseconds>(std::min<Clock::duration>(
                wait_until - Clock::now(), std::chrono::milliseconds(200))),
            timed_out);
        if (!r) return r.error();
        if (!timed_out) deliver(*r);
      }
    }
    return true;
  }

  while (!finished()) {
    ImapCommand cmd = command("IDLE");
    const std::string tag = cmd.tag();
    auto w = connection_->write(cmd.chunks()[0]);
    if (!w) return w.error();
    for (;;) {  // the "+ idling" answer
      auto r = read_response();
      if (!r) return r.error();
      if (r->type == ImapResponse::Type::continuation) break;
      if (r->type == ImapResponse::Type::tagged && r->tag == tag)
        return error("IDLE failed: " + server_said(*r), r->code);
      deliver(*r);
    }
    const auto renew = std::min(end, Clock::now() + kIdleRenew);
    while (keep_going && Clock::now() < renew && !(stop && stop())) {
      bool timed_out = false;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(renew - Clock::now());
      auto r = read_response_for(std::min(left, poll), timed_out);
      if (!r) return r.error();
      if (timed_out) continue;
      if (r->type == ImapResponse::Type::tagged && r->tag == tag)
        return error("the server ended IDLE: " + server_said(*r), r->code);
      if (r->status == "BYE") {
        deliver(*r);
        return error("the server closed the connection during IDLE: " + r->text);
      }
      deliver(*r);
    }
    w = connection_->write("DONE\r\n");
    if (!w) return w.error();
    for (;;) {
      auto r = read_response();
      if (!r) return r.error();
      if (r->type == ImapResponse::Type::tagged && r->tag == tag) {
        if (!r->ok()) return error("IDLE failed: " + server_said(*r), r->code);
        break;
      }
      deliver(*r);
    }
  }
  return true;
}

void ImapClient::logout() {
  if (!connection_) return;
  auto rs = run(command("LOGOUT"), "LOGOUT");
  (void)rs;
  connection_->close();
}

}  // namespace estafeta::mua
