// smtp_client_session: the SMTP client state machine (see smtp_client_session.hpp).
// Layout: receive() feeds the reply reader and hands each reply to on_reply(), which pops what
// the oldest outstanding command awaits and calls its handler; handlers send the next
// commands and settle recipients. fail() is the one way a connection ends abnormally.
#include "smtp/proto/smtp_client_session.hpp"

#include <fmt/format.h>

#include <cassert>
#include <utility>

#include "base/base64.hpp"
#include "base/log.hpp"

namespace estafeta::smtp {

namespace {

std::string default_enhanced(RecipientOutcome o) {
  switch (o) {
    case RecipientOutcome::delivered:
      return "2.0.0";
    case RecipientOutcome::bounced:
      return "5.0.0";
    default:
      return "4.0.0";
  }
}

// RFC 5321 §4.2.1: 2yz success, 5yz permanent; anything else at this point is temporary.
RecipientOutcome outcome_of(const ServerReply& r, bool success_possible) {
  if (r.klass() == 2 && success_possible) return RecipientOutcome::delivered;
  if (r.klass() == 5) return RecipientOutcome::bounced;
  return RecipientOutcome::deferred;
}

// No octet that could end or split a command line (CR, LF, other controls).
bool clean(std::string_view s, bool allow_space) {
  for (char ch : s) {
    auto u = static_cast<unsigned char>(ch);
    if (u < 0x20 || u == 0x7f) return false;
    if (!allow_space && u == ' ') return false;
  }
  return true;
}

}  // namespace

std::string RecipientResult::reply() const {
  std::string out = fmt::format("{:03d}", code);
  if (!enhanced.empty()) out += ' ' + enhanced;
  if (!text.empty()) out += ' ' + text;
  return out;
}

std::string_view client_state_name(ClientState s) {
  switch (s) {
    case ClientState::greeting:
      return "greeting";
    case ClientState::ehlo:
      return "ehlo";
    case ClientState::helo:
      return "helo";
    case ClientState::starttls:
      return "starttls";
    case ClientState::tls_handshake:
      return "tls_handshake";
    case ClientState::auth:
      return "auth";
    case ClientState::ready:
      return "ready";
    case ClientState::envelope:
      return "envelope";
    case ClientState::body:
      return "body";
    case ClientState::end_of_data:
      return "end_of_data";
    case ClientState::rset:
      return "rset";
    case ClientState::quit:
      return "quit";
    case ClientState::closed:
      return "closed";
  }
  return "?";
}

ClientSession::ClientSession(ClientConfig config)
    : config_(std::move(config)),
      reader_(config_.reply_limits),
      tls_active_(config_.tls_active),
      tls_verified_(config_.tls_active && config_.tls_verified) {
  awaiting_.push_back({Await::greeting});
}

void ClientSession::enter(ClientState next) {
  if (next != state_)
    log::trace("smtp", "client session: {} -> {}", client_state_name(state_),
               client_state_name(next));
  state_ = next;
}

void ClientSession::send(std::string bytes, bool secret) {
  events_.emplace_back(ClientSend{std::move(bytes), secret});
}

std::optional<ClientEvent> ClientSession::next_event() {
  if (events_.empty()) return std::nullopt;
  ClientEvent e = std::move(events_.front());
  events_.pop_front();
  return e;
}

void ClientSession::receive(std::string_view bytes) {
  if (state_ == ClientState::closed || bytes.empty()) return;
  if (state_ == ClientState::tls_handshake) {
    fail(CloseReason::protocol_error, false, {},
         "cleartext from the server during the TLS handshake", false);
    return;
  }
  reader_.receive(bytes);
  while (state_ != ClientState::closed) {
    auto r = reader_.next();
    if (!r) {
      if (reader_.failed())
        fail(CloseReason::protocol_error, false, {},
             "bad reply from the server: " + reader_.error(), false);
      return;
    }
    on_reply(*r);
    if (state_ == ClientState::tls_handshake) {
      // RFC 3207 §4.2, §6: nothing may follow the 220 in cleartext; what did is an attempt
      // to inject replies into the TLS session (STARTTLS response injection, as in
      // CVE-2021-38371).
      if (reader_.buffered() > 0) {
        if (!events_.empty() && std::holds_alternative<ClientStartTls>(events_.back()))
          events_.pop_back();
        fail(CloseReason::protocol_error, false, {}, "cleartext after the 220 to STARTTLS", false);
      }
      return;
    }
  }
}

void ClientSession::on_reply(const ServerReply& r) {
  if (r.code == 421 && state_ != ClientState::quit) {  // RFC 5321 §3.8: the server goes away
    fail(CloseReason::peer_closing, false, r, "server closing the connection: " + r.summary(),
         false);
    return;
  }
  if (awaiting_.empty()) {
    fail(CloseReason::protocol_error, false, r, "unexpected reply from the server: " + r.summary(),
         false);
    return;
  }
  Pending p = awaiting_.front();
  awaiting_.pop_front();
  switch (p.what) {
    case Await::greeting:
      on_greeting(r);
      break;
    case Await::ehlo:
      on_ehlo(r);
      break;
    case Await::helo:
      on_helo(r);
      break;
    case Await::starttls:
      on_starttls(r);
      break;
    case Await::auth_plain:
    case Await::auth_login_user:
    case Await::auth_login_password:
    case Await::auth_done:
      on_auth(p.what, r);
      break;
    case Await::mail:
      on_mail(r);
      break;
    case Await::rcpt:
      on_rcpt(p.index, r);
      break;
    case Await::data:
      on_data(r);
      break;
    case Await::bdat:
      on_bdat(p.index != 0, r);
      break;
    case Await::end_of_data:
      on_end_of_data(r);
      break;
    case Await::rset:
      if (r.klass() == 2) {
        probe_in_flight_ = false;
        if (!tx_) become_ready();  // else a pipelined MAIL follows it
      } else {
        // QUIT only when no transaction follows the RSET in the same flight (its MAIL, RCPT
        // and DATA replies would come first).
        fail(CloseReason::protocol_error, false, r, "RSET refused: " + r.summary(), !tx_);
      }
      break;
    case Await::quit: {
      ClientClose c = close_after_quit_ ? std::move(*close_after_quit_) : ClientClose{};
      close_after_quit_.reset();
      events_.emplace_back(std::move(c));
      enter(ClientState::closed);
      break;
    }
  }
}

// --- Greeting, EHLO/HELO, STARTTLS, AUTH ---

void ClientSession::on_greeting(const ServerReply& r) {
  if (r.code != 220) {  // RFC 5321 §3.1: 554 (or anything else): no service here
    fail(CloseReason::greeting_refused, false, r, "greeting refused: " + r.summary(), true);
    return;
  }
  send(fmt::format("EHLO {}\r\n", config_.ehlo_name));
  awaiting_.push_back({Await::ehlo});
  enter(ClientState::ehlo);
}

void ClientSession::on_ehlo(const ServerReply& r) {
  if (r.klass() == 2) {
    caps_ = parse_ehlo(r);
    after_hello();
  } else if (r.klass() == 5) {  // RFC 5321 §3.2: a server without ESMTP; fall back to HELO
    send(fmt::format("HELO {}\r\n", config_.ehlo_name));
    awaiting_.push_back({Await::helo});
    enter(ClientState::helo);
  } else {
    fail(CloseReason::helo_refused, false, r, "EHLO refused: " + r.summary(), true);
  }
}

void ClientSession::on_helo(const ServerReply& r) {
  if (r.klass() != 2) {
    fail(CloseReason::helo_refused, r.klass() == 5, r, "HELO refused: " + r.summary(), true);
    return;
  }
  caps_ = Capabilities{};  // no extensions after HELO
  after_hello();
}

void ClientSession::after_hello() {
  if (!tls_active_ && config_.starttls != StartTlsPolicy::off && !tls_tried_) {
    if (caps_.starttls) {
      send("STARTTLS\r\n");
      awaiting_.push_back({Await::starttls});
      enter(ClientState::starttls);
      return;
    }
    if (config_.starttls == StartTlsPolicy::required) {
      fail(CloseReason::tls_unavailable, false, {},
           "TLS is required, but the server does not offer STARTTLS", true);
      return;
    }
  }
  if (config_.credentials) {
    begin_auth();
    return;
  }
  become_ready();
}

void ClientSession::on_starttls(const ServerReply& r) {
  tls_tried_ = true;
  if (r.code == 220) {
    enter(ClientState::tls_handshake);
    events_.emplace_back(ClientStartTls{});
    return;
  }
  if (config_.starttls == StartTlsPolicy::required) {
    fail(CloseReason::tls_unavailable, false, r, "STARTTLS refused: " + r.summary(), true);
    return;
  }
  after_hello();  // opportunistic: go on in cleartext
}

void ClientSession::tls_started(bool peer_verified) {
  if (state_ != ClientState::tls_handshake) return;
  tls_active_ = true;
  tls_verified_ = peer_verified;
  reader_.reset();
  caps_ = Capabilities{};  // RFC 3207 §4.2: forget what was learnt in cleartext
  send(fmt::format("EHLO {}\r\n", config_.ehlo_name));
  awaiting_.push_back({Await::ehlo});
  enter(ClientState::ehlo);
}

void ClientSession::tls_failed(std::string_view reason) {
  if (state_ != ClientState::tls_handshake) return;
  fail(CloseReason::tls_failed, false, {}, fmt::format("TLS handshake failed: {}", reason), false);
}

void ClientSession::begin_auth() {
  enter(ClientState::auth);
  if (!tls_active_) {  // RFC 4954 §4, §14: no password over cleartext
    fail(CloseReason::auth_failed, false, {},
         "credentials are configured but the connection is not encrypted; not sending them", true);
    return;
  }
  const ClientCredentials& c = *config_.credentials;
  if (caps_.has_auth("PLAIN")) {  // RFC 4616, with the initial response (RFC 4954 §4)
    std::string response;
    response += '\0';
    response += c.user;
    response += '\0';
    response += c.password;
    send("AUTH PLAIN " + base64::encode(response) + "\r\n", true);
    awaiting_.push_back({Await::auth_done});
  } else if (caps_.has_auth("LOGIN")) {
    send("AUTH LOGIN\r\n");
    awaiting_.push_back({Await::auth_login_user});
  } else {
    fail(CloseReason::auth_failed, false, {},
         caps_.auth.empty() ? "the server does not offer AUTH"
                            : "the server offers no AUTH mechanism we use (PLAIN, LOGIN)",
         true);
  }
}

void ClientSession::on_auth(Await step, const ServerReply& r) {
  const ClientCredentials& c = *config_.credentials;
  if (step == Await::auth_login_user && r.code == 334) {
    send(base64::encode(c.user) + "\r\n", true);
    awaiting_.push_back({Await::auth_login_password});
    return;
  }
  if (step == Await::auth_login_password && r.code == 334) {
    send(base64::encode(c.password) + "\r\n", true);
    awaiting_.push_back({Await::auth_done});
    return;
  }
  if (step == Await::auth_done && r.klass() == 2) {  // 235 2.7.0
    become_ready();
    return;
  }
  // A refusal ends the exchange; an unexpected 334 leaves the server waiting for a response
  // line, so the connection is dropped rather than sent QUIT.
  fail(CloseReason::auth_failed, false, r, "authentication failed: " + r.summary(), r.klass() != 3);
}

void ClientSession::become_ready() {
  enter(ClientState::ready);
  events_.emplace_back(ClientReady{});
}

void ClientSession::quit() {
  if (state_ != ClientState::ready) return;
  rset_pending_ = false;  // nothing to probe for
  send("QUIT\r\n");
  awaiting_.push_back({Await::quit});
  close_after_quit_ = ClientClose{CloseReason::quit, false, {}, "QUIT"};
  enter(ClientState::quit);
}

bool ClientSession::reset() {
  if (state_ != ClientState::ready || tx_) return false;
  if (caps_.pipelining) {  // (again, when a session kept idle since had nothing to send)
    rset_pending_ = true;
    events_.emplace_back(ClientReady{});
    return true;
  }
  send("RSET\r\n");
  awaiting_.push_back({Await::rset});
  probe_in_flight_ = true;
  enter(ClientState::rset);
  return true;
}

// --- Transactions ---

StartResult ClientSession::start_transaction(ClientTransaction tx) {
  if (state_ != ClientState::ready || tx_) return StartResult::not_ready;
  Transaction t;
  t.tx = std::move(tx);
  std::size_t n = t.tx.recipients.size();
  t.result.recipients.resize(n);
  t.accepted_flags.assign(n, false);
  for (std::size_t i = 0; i < n; ++i)
    t.result.recipients[i].dsn_not_passed = !t.tx.recipients[i].notify.empty() && !caps_.dsn;
  tx_ = std::move(t);

  // Local decisions, before anything is sent.
  auto refuse = [&](int code, std::string enhanced, std::string text) {
    settle_local(RecipientOutcome::bounced, code, std::move(enhanced), std::move(text),
                 ClientStage::local);
    events_.emplace_back(ClientTransactionDone{std::move(tx_->result)});
    tx_.reset();
    events_.emplace_back(ClientReady{});
    return StartResult::refused;
  };
  const ClientTransaction& x = tx_->tx;
  bool ok = clean(x.mail_from, true) && clean(x.ret, false) && clean(x.envid, false);
  for (const auto& rc : x.recipients)
    ok = ok && clean(rc.address, true) && clean(rc.notify, false) && clean(rc.orcpt, false);
  if (!ok) return refuse(553, "5.1.3", "address or DSN parameter with control characters");
  if (x.requiretls) {  // RFC 8689 §4.2.1
    if (!tls_active_ || !tls_verified_)
      return refuse(550, "5.7.30", "REQUIRETLS: the connection is not verified TLS");
    if (!caps_.requiretls)
      return refuse(550, "5.7.30", "REQUIRETLS support required but not offered by the server");
  }
  if (x.smtputf8 && !caps_.smtputf8)  // RFC 6531: no UTF-8 envelope without SMTPUTF8
    return refuse(553, "5.6.7", "SMTPUTF8 support required but not offered by the server");
  if (caps_.size && caps_.size_limit > 0 && x.size > caps_.size_limit)  // RFC 1870 §6.1
    return refuse(
        552, "5.3.4",
        fmt::format("message size {} exceeds the server's limit of {}", x.size, caps_.size_limit));
  if (x.eight_bit && !caps_.eightbitmime) {  // RFC 6152 §3: downgrade or bounce
    tx_.reset();
    return StartResult::needs_downgrade;
  }
  if (n == 0) {
    events_.emplace_back(ClientTransactionDone{std::move(tx_->result)});
    tx_.reset();
    events_.emplace_back(ClientReady{});
    return StartResult::refused;
  }

  tx_->chunking = caps_.chunking;
  enter(ClientState::envelope);
  std::string out;
  if (rset_pending_) {  // reset()'s probe leads the group (RFC 2920 §3.1)
    out = "RSET\r\n";
    awaiting_.push_back({Await::rset});
    rset_pending_ = false;
    probe_in_flight_ = true;
  }
  out += mail_command();
  awaiting_.push_back({Await::mail});
  if (caps_.pipelining) {  // RFC 2920 §3.1: MAIL, every RCPT and DATA in one flight
    for (std::size_t i = 0; i < n; ++i) {
      out += rcpt_command(x.recipients[i]);
      awaiting_.push_back({Await::rcpt, i});
    }
    tx_->next_rcpt = n;
    if (!tx_->chunking) {
      out += "DATA\r\n";
      awaiting_.push_back({Await::data});
    }
  }
  send(std::move(out));
  return StartResult::started;
}

std::string ClientSession::mail_command() const {
  const ClientTransaction& x = tx_->tx;
  std::string out = "MAIL FROM:<" + x.mail_from + ">";
  if (caps_.size && x.size > 0) out += fmt::format(" SIZE={}", x.size);  // RFC 1870 §6
  if (x.eight_bit && caps_.eightbitmime) out += " BODY=8BITMIME";        // RFC 6152
  if (x.smtputf8 && caps_.smtputf8) out += " SMTPUTF8";                  // RFC 6531 §3.4
  if (caps_.dsn) {                                                       // RFC 3461 §4.3, §4.4
    if (!x.ret.empty()) out += " RET=" + x.ret;
    if (!x.envid.empty()) out += " ENVID=" + x.envid;
  }
  if (x.requiretls) out += " REQUIRETLS";  // RFC 8689 §4.1 (checked in start_transaction)
  out += "\r\n";
  return out;
}

std::string ClientSession::rcpt_command(const ClientRecipient& r) const {
  std::string out = "RCPT TO:<" + r.address + ">";
  if (caps_.dsn) {  // RFC 3461 §4.1, §4.2
    if (!r.notify.empty()) out += " NOTIFY=" + r.notify;
    if (!r.orcpt.empty()) out += " ORCPT=" + r.orcpt;
  }
  out += "\r\n";
  return out;
}

void ClientSession::send_rcpt(std::size_t index) {
  send(rcpt_command(tx_->tx.recipients[index]));
  awaiting_.push_back({Await::rcpt, index});
  tx_->next_rcpt = index + 1;
}

void ClientSession::on_mail(const ServerReply& r) {
  if (r.klass() != 2) {
    tx_->mail_ok = false;
    settle(r, ClientStage::mail, false, false);  // every recipient, from the MAIL reply
  }
  if (caps_.pipelining) return;  // the RCPT (and DATA) replies follow
  if (!tx_->mail_ok)
    end_transaction(true);
  else
    send_rcpt(0);
}

void ClientSession::on_rcpt(std::size_t index, const ServerReply& r) {
  Transaction& t = *tx_;
  if (t.mail_ok) {  // after a refused MAIL the recipients are settled already
    if (r.klass() == 2) {
      t.accepted_flags[index] = true;
      ++t.accepted;
    } else {
      RecipientResult& res = t.result.recipients[index];
      res.outcome = outcome_of(r, false);
      res.code = r.code;
      res.enhanced = r.enhanced.empty() ? default_enhanced(res.outcome) : r.enhanced;
      res.text = r.text();
      res.remote = true;
      res.stage = ClientStage::rcpt;
    }
  }
  if (index + 1 < t.tx.recipients.size()) {
    if (!caps_.pipelining) send_rcpt(index + 1);
    return;
  }
  after_rcpts();
}

void ClientSession::after_rcpts() {
  Transaction& t = *tx_;
  bool go = t.mail_ok && t.accepted > 0;
  if (t.chunking) {  // BDAT only once some recipient was accepted (RFC 3030 §2)
    if (!go) {
      end_transaction(true);
      return;
    }
    enter(ClientState::body);
    want_body_ = true;
    events_.emplace_back(ClientNeedBody{});
    return;
  }
  if (caps_.pipelining) return;  // DATA is out already; its reply follows
  if (!go) {
    end_transaction(true);
    return;
  }
  send("DATA\r\n");
  awaiting_.push_back({Await::data});
}

void ClientSession::on_data(const ServerReply& r) {
  Transaction& t = *tx_;
  bool go = t.mail_ok && t.accepted > 0;
  if (r.code == 354) {
    if (go) {
      enter(ClientState::body);
      want_body_ = true;
      events_.emplace_back(ClientNeedBody{});
    } else {
      // RFC 2920 §3.1: DATA was pipelined, nothing was accepted and yet the server wants
      // content: end it empty and ignore the outcome.
      t.failed = true;
      send(".\r\n");
      awaiting_.push_back({Await::end_of_data});
      enter(ClientState::end_of_data);
    }
    return;
  }
  if (go) settle(r, ClientStage::data, true, false);
  end_transaction(true);
}

bool ClientSession::body(std::string_view chunk, bool last) {
  if (state_ != ClientState::body || !want_body_ || !tx_) return false;
  want_body_ = false;
  Transaction& t = *tx_;
  if (!t.chunking) {
    std::string out;
    stuffer_.encode(chunk, out);
    if (last) {
      stuffer_.finish(out);
      t.data_end_sent = true;
      awaiting_.push_back({Await::end_of_data});
      enter(ClientState::end_of_data);
    }
    if (!out.empty()) send(std::move(out));
    if (!last) {
      want_body_ = true;
      events_.emplace_back(ClientNeedBody{});
    }
    return true;
  }
  if (chunk.empty() && !last) {  // nothing to frame
    want_body_ = true;
    events_.emplace_back(ClientNeedBody{});
    return true;
  }
  // RFC 3030 §2: "BDAT" SP size [SP "LAST"] CRLF, then exactly size octets.
  std::string out = fmt::format("BDAT {}{}\r\n", chunk.size(), last ? " LAST" : "");
  out.append(chunk);
  send(std::move(out));
  awaiting_.push_back({Await::bdat, last ? 1u : 0u});
  if (last) {
    t.data_end_sent = true;
    enter(ClientState::end_of_data);
  } else if (caps_.pipelining) {  // RFC 3030 §4.2: chunks may be pipelined
    want_body_ = true;
    events_.emplace_back(ClientNeedBody{});
  }
  return true;
}

void ClientSession::on_bdat(bool last, const ServerReply& r) {
  Transaction& t = *tx_;
  if (!t.failed) {
    if (r.klass() != 2) {
      // RFC 3030 §4.1: a refused chunk fails the whole message; later chunks are refused too.
      t.failed = true;
      want_body_ = false;
      settle(r, last ? ClientStage::end_of_data : ClientStage::data, true, false);
    } else if (last) {
      settle(r, ClientStage::end_of_data, true, true);
      end_transaction(false);
      return;
    }
  }
  if (t.failed) {
    if (awaiting_.empty()) end_transaction(true);
    return;
  }
  if (!caps_.pipelining) {
    want_body_ = true;
    events_.emplace_back(ClientNeedBody{});
  }
}

void ClientSession::on_end_of_data(const ServerReply& r) {
  // RFC 5321 §4.1.1.4: the reply to the final "." decides for every accepted recipient, and
  // the transaction is over whatever it says (no RSET needed).
  if (!tx_->failed) settle(r, ClientStage::end_of_data, true, true);
  end_transaction(false);
}

void ClientSession::settle(const ServerReply& r, ClientStage stage, bool accepted_only,
                           bool success_possible) {
  Transaction& t = *tx_;
  RecipientOutcome o = outcome_of(r, success_possible);
  for (std::size_t i = 0; i < t.result.recipients.size(); ++i) {
    RecipientResult& res = t.result.recipients[i];
    if (res.outcome != RecipientOutcome::pending) continue;
    if (accepted_only && !t.accepted_flags[i]) continue;
    res.outcome = o;
    res.code = r.code;
    res.enhanced = r.enhanced.empty() ? default_enhanced(o) : r.enhanced;
    res.text = r.text();
    res.remote = true;
    res.stage = stage;
  }
}

void ClientSession::settle_local(RecipientOutcome outcome, int code, std::string enhanced,
                                 std::string text, ClientStage stage) {
  for (RecipientResult& res : tx_->result.recipients) {
    if (res.outcome != RecipientOutcome::pending) continue;
    res.outcome = outcome;
    res.code = code;
    res.enhanced = enhanced;
    res.text = text;
    res.remote = false;
    res.stage = stage;
  }
}

void ClientSession::end_transaction(bool reset) {
  assert(awaiting_.empty());
  events_.emplace_back(ClientTransactionDone{std::move(tx_->result)});
  tx_.reset();
  want_body_ = false;
  stuffer_ = DotStuffer{};
  if (reset) {  // RFC 5321 §4.1.1.5: clear what is left of the unfinished transaction
    send("RSET\r\n");
    awaiting_.push_back({Await::rset});
    enter(ClientState::rset);
  } else {
    become_ready();
  }
}

// --- Ends ---

ClientStage ClientSession::current_stage() const {
  switch (state_) {
    case ClientState::body:
      return ClientStage::data;
    case ClientState::end_of_data:
      return ClientStage::end_of_data;
    case ClientState::envelope:
      if (!awaiting_.empty()) {
        switch (awaiting_.front().what) {
          case Await::mail:
            return ClientStage::mail;
          case Await::rcpt:
            return ClientStage::rcpt;
          default:
            return ClientStage::data;
        }
      }
      return ClientStage::rcpt;
    default:
      return ClientStage::connect;
  }
}

void ClientSession::fail(CloseReason reason, bool permanent, const ServerReply& reply,
                         std::string text, bool send_quit) {
  log::debug("smtp", "client session: {} in state {}", text, client_state_name(state_));
  if (state_ == ClientState::quit) {  // ending anyway: the reason given before QUIT stands
    events_.emplace_back(close_after_quit_ ? std::move(*close_after_quit_)
                                           : ClientClose{reason, permanent, reply, text});
    close_after_quit_.reset();
    awaiting_.clear();
    enter(ClientState::closed);
    return;
  }
  const bool probe_failed = probe_in_flight_;
  probe_in_flight_ = false;
  rset_pending_ = false;
  if (tx_ && probe_failed) {
    tx_.reset();  // sent behind a probe that failed: it never began (ClientClose says so)
  } else if (tx_) {
    ClientStage stage = current_stage();
    // The end of data went out and its reply did not come: the message may have arrived.
    tx_->result.final_reply_lost = tx_->data_end_sent && state_ == ClientState::end_of_data &&
                                   reason != CloseReason::peer_closing;
    if (reason == CloseReason::peer_closing) {
      settle(reply, stage, false, false);  // the 421 itself, for the queue and DSNs
    } else {
      bool io = reason == CloseReason::connection_lost || reason == CloseReason::timeout;
      settle_local(RecipientOutcome::deferred, 451, io ? "4.4.2" : "4.5.0", text, stage);
    }
    events_.emplace_back(ClientTransactionDone{std::move(tx_->result)});
    tx_.reset();
  }
  want_body_ = false;
  awaiting_.clear();
  // Requests queued before the end are void: no ClientReady or ClientNeedBody after it.
  std::erase_if(events_, [](const ClientEvent& e) {
    return std::holds_alternative<ClientReady>(e) || std::holds_alternative<ClientNeedBody>(e);
  });
  ClientClose c{reason, permanent, reply, std::move(text)};
  c.probe_failed = probe_failed;
  if (send_quit) {
    send("QUIT\r\n");
    awaiting_.push_back({Await::quit});
    close_after_quit_ = std::move(c);
    enter(ClientState::quit);
  } else {
    events_.emplace_back(std::move(c));
    enter(ClientState::closed);
  }
}

void ClientSession::connection_lost() {
  if (state_ == ClientState::closed) return;
  // In state quit the server closed after (or instead of) its 221: fail() ends it as quit.
  fail(CloseReason::connection_lost, false, {},
       fmt::format("connection lost ({})", client_state_name(state_)), false);
}

void ClientSession::timed_out() {
  if (state_ == ClientState::closed) return;
  fail(CloseReason::timeout, false, {},
       fmt::format("timeout waiting for the server ({})", client_state_name(state_)), false);
}

std::optional<std::chrono::seconds> ClientSession::timeout() const {
  const ClientTimeouts& t = config_.timeouts;
  switch (state_) {
    case ClientState::ready:
    case ClientState::closed:
      return std::nullopt;
    case ClientState::tls_handshake:
      return t.command;
    case ClientState::body:
      if (awaiting_.empty() || want_body_) return t.data_block;
      break;
    default:
      break;
  }
  if (awaiting_.empty()) return t.command;
  switch (awaiting_.front().what) {
    case Await::greeting:
      return t.greeting;
    case Await::mail:
      return t.mail;
    case Await::rcpt:
      return t.rcpt;
    case Await::data:
      return t.data_init;
    case Await::end_of_data:
      return t.data_done;
    case Await::bdat:
      return awaiting_.front().index != 0 ? t.data_done : t.data_block;
    default:
      return t.command;
  }
}

}  // namespace estafeta::smtp
