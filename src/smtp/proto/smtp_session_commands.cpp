// smtp_session_commands: the command table (OpenSMTPD-style check + proceed pairs) and
// the envelope commands EHLO/HELO, MAIL, RCPT, RSET, NOOP, HELP, VRFY, EXPN, QUIT, STARTTLS
// (RFC 5321 §4.1.1, RFC 3207), with the answers to CheckSender, CheckRecipient and StartTls.
// Part of ServerSession (see smtp_server_session.cpp for the invariants); sees
// unauthenticated input, bounded as smtp_server_session.hpp says.
#include <fmt/format.h>

#include <array>

#include "smtp/proto/smtp_reply.hpp"
#include "smtp/proto/smtp_server_session_impl.hpp"

namespace estafeta::smtp {

using namespace detail;

namespace {

// ASCII case-insensitive equality: the directory treats local parts and domains that way.
bool same_address(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

void ServerSession::Impl::dispatch(std::string_view text) {
  // OpenSMTPD-style table: a check (sequence and argument presence) and a proceed.
  static constexpr std::array<Command, 14> kCommands{{
      {Verb::ehlo, &Impl::check_none, &Impl::do_ehlo},
      {Verb::helo, &Impl::check_none, &Impl::do_ehlo},
      {Verb::mail, &Impl::check_mail, &Impl::do_mail},
      {Verb::rcpt, &Impl::check_rcpt, &Impl::do_rcpt},
      {Verb::data, &Impl::check_data, &Impl::do_data},
      {Verb::bdat, &Impl::check_none, &Impl::do_bdat},
      {Verb::rset, &Impl::check_no_argument, &Impl::do_rset},
      {Verb::noop, &Impl::check_none, &Impl::do_noop},
      {Verb::help, &Impl::check_none, &Impl::do_help},
      {Verb::vrfy, &Impl::check_argument, &Impl::do_vrfy},
      {Verb::expn, &Impl::check_argument, &Impl::do_expn},
      {Verb::quit, &Impl::check_none, &Impl::do_quit},
      {Verb::starttls, &Impl::check_starttls, &Impl::do_starttls},
      {Verb::auth, &Impl::check_auth, &Impl::do_auth},
  }};
  CommandLine cmd = split_command(text);
  for (const auto& c : kCommands) {
    if (c.verb != cmd.verb) continue;
    Status ok = (this->*c.check)(cmd);
    if (!ok) {
      fail(ok.error());
      return;
    }
    (this->*c.proceed)(cmd);
    return;
  }
  fail({500, "5.5.2", "Error: command not recognized"});
}

Status ServerSession::Impl::check_none(const CommandLine&) {
  return Ok{};
}

Status ServerSession::Impl::check_no_argument(const CommandLine& cmd) {
  if (cmd.has_argument)
    return PeerError{501, "5.5.4", fmt::format("Syntax: {}", verb_name(cmd.verb))};
  return Ok{};
}

Status ServerSession::Impl::check_argument(const CommandLine& cmd) {
  if (!cmd.has_argument)
    return PeerError{501, "5.5.4", fmt::format("Syntax: {} address", verb_name(cmd.verb))};
  return Ok{};
}

Status ServerSession::Impl::check_helo_seen() {
  if (helo.empty()) return bad_sequence("Error: send EHLO or HELO first");
  return Ok{};
}

Status ServerSession::Impl::check_mail(const CommandLine&) {
  if (auto s = check_helo_seen(); !s) return s;
  if (in_transaction) return bad_sequence("Error: nested MAIL command");
  // RFC 6409 §4.3 / RFC 4954 §6: the submission port takes mail only from authenticated
  // users.
  if (info.mode != ListenerMode::mx && auth_user.empty())
    return PeerError{530, "5.7.0", "Authentication required"};
  return Ok{};
}

Status ServerSession::Impl::check_rcpt(const CommandLine&) {
  if (!in_transaction) return bad_sequence("Error: need MAIL command");
  if (bdat_active) return bad_sequence("Error: RCPT not allowed during BDAT transfer");
  // RFC 5321 §4.5.3.1.8: 452 for too many recipients; the client sends the rest later.
  if (envelope.recipients.size() >= limits.max_recipients)
    return PeerError{452, "4.5.3", "Error: too many recipients"};
  return Ok{};
}

Status ServerSession::Impl::check_data(const CommandLine& cmd) {
  if (auto s = check_no_argument(cmd); !s) return s;
  if (!in_transaction) return bad_sequence("Error: need MAIL command");
  // RFC 3030 §2: DATA may not be mixed with BDAT in one transaction.
  if (bdat_active) return bad_sequence("Error: DATA not allowed during BDAT transfer");
  if (envelope.recipients.empty()) return PeerError{554, "5.5.1", "Error: no valid recipients"};
  return Ok{};
}

Status ServerSession::Impl::check_starttls(const CommandLine& cmd) {
  if (auto s = check_no_argument(cmd); !s) return s;
  if (tls_active) return bad_sequence("Error: TLS already active");
  if (!info.starttls_available) return PeerError{502, "5.5.1", "Error: STARTTLS not available"};
  return Ok{};
}

Status ServerSession::Impl::check_auth(const CommandLine& cmd) {
  // Postfix's reply where SASL is off: the MX listener unless smtp.auth_on_mx.
  if (!info.offer_auth) return PeerError{503, "5.5.1", "Error: authentication not enabled"};
  if (!esmtp) return bad_sequence("Error: send EHLO first");
  if (!auth_user.empty()) return bad_sequence("Error: already authenticated");  // RFC 4954 §4
  if (in_transaction) return bad_sequence("Error: MAIL transaction in progress");
  if (!cmd.has_argument) return PeerError{501, "5.5.4", "Syntax: AUTH mechanism"};
  // RFC 4954 §6: 538 when the mechanism needs an encrypted channel first.
  if (!auth_offered())
    return PeerError{538, "5.7.11", "Encryption required for requested authentication mechanism"};
  return Ok{};
}

void ServerSession::Impl::do_ehlo(const CommandLine& cmd) {
  bool is_ehlo = cmd.verb == Verb::ehlo;
  auto name = parse_helo(cmd.argument, is_ehlo);
  if (!name) {
    fail(name.error());
    return;
  }
  // RFC 5321 §4.1.4: EHLO/HELO resets any transaction, like RSET.
  reset_transaction();
  helo = std::move(name.value());
  esmtp = is_ehlo;
  if (!is_ehlo) {
    send(fmt::format("250 {}\r\n", info.server_hostname));
    return;
  }
  Reply r{250, "", {info.server_hostname}};
  r.lines.push_back("PIPELINING");                                     // RFC 2920
  r.lines.push_back(fmt::format("SIZE {}", limits.max_message_size));  // RFC 1870
  r.lines.push_back("8BITMIME");                                       // RFC 6152
  r.lines.push_back("SMTPUTF8");                                       // RFC 6531
  r.lines.push_back("ENHANCEDSTATUSCODES");                            // RFC 2034
  if (starttls_offered()) r.lines.push_back("STARTTLS");               // RFC 3207
  if (auth_offered()) r.lines.push_back("AUTH PLAIN LOGIN");           // RFC 4954
  if (tls_active) r.lines.push_back("REQUIRETLS");                     // RFC 8689 §3: over TLS
  r.lines.push_back("CHUNKING");                                       // RFC 3030
  r.lines.push_back("DSN");                                            // RFC 3461
  r.lines.push_back("HELP");
  send(r.format());
}

void ServerSession::Impl::do_mail(const CommandLine& cmd) {
  auto mf = parse_mail_from(cmd.argument);
  if (!mf) {
    fail(mf.error());
    return;
  }
  // RFC 8689 §3: REQUIRETLS is offered only over TLS; on a plain connection it is refused
  // like any request that needs encryption (RFC 3207 §4, RFC 5248 5.7.10).
  if (mf->params.requiretls && !tls_active) {
    fail({530, "5.7.10", "REQUIRETLS needs a TLS connection: issue STARTTLS first"});
    return;
  }
  // RFC 1870 §6.1: a declared size over the limit is refused before any data.
  if (mf->params.size && *mf->params.size > limits.max_message_size) {
    fail({552, "5.3.4",
          fmt::format("Message size exceeds fixed limit of {} octets", limits.max_message_size)});
    return;
  }
  // RFC 4954 §5: AUTH= from an untrusted client is treated as <>; we record nothing.
  if (!auth_user.empty()) {
    pending_mail = std::move(mf.value());
    events.emplace_back(CheckSender{auth_user, pending_mail.from.address});
    enter(State::await_sender);
    return;
  }
  accept_mail(std::move(mf.value()));
}

void ServerSession::Impl::accept_mail(MailFrom mf) {
  in_transaction = true;
  envelope = Envelope{};
  envelope.mail_from = std::move(mf.from.address);
  envelope.helo = helo;
  envelope.ret = std::move(mf.params.ret);
  envelope.envid = std::move(mf.params.envid);
  envelope.body = std::move(mf.params.body);
  envelope.smtputf8 = mf.params.smtputf8;
  envelope.requiretls = mf.params.requiretls;
  envelope.auth_user = auth_user;
  envelope.id = hooks.new_id();
  reply(250, "2.1.0", "Ok");
}

void ServerSession::Impl::do_rcpt(const CommandLine& cmd) {
  auto rt = parse_rcpt_to(cmd.argument, envelope.smtputf8, info.server_hostname);
  if (!rt) {
    fail(rt.error());
    return;
  }
  // A recipient given twice is accepted once (Postfix's cleanup drops the duplicate too), so
  // the message is not delivered twice to the same mailbox.
  for (const auto& r : envelope.recipients) {
    if (same_address(r.address, rt->to.address)) {
      reply(250, "2.1.5", "Ok");
      return;
    }
  }
  pending_rcpt = std::move(rt.value());
  events.emplace_back(CheckRecipient{pending_rcpt.to.address});
  enter(State::await_recipient);
}

void ServerSession::Impl::do_rset(const CommandLine&) {
  reset_transaction();
  reply(250, "2.0.0", "Ok");
}

void ServerSession::Impl::do_noop(const CommandLine&) {
  reply(250, "2.0.0", "Ok");
}

void ServerSession::Impl::do_help(const CommandLine&) {
  reply(214, "2.0.0",
        "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT HELP VRFY STARTTLS AUTH");
}

// RFC 5321 §3.5.3: 252 when we will not verify but will accept mail for the address.
void ServerSession::Impl::do_vrfy(const CommandLine&) {
  reply(252, "2.5.2", "Cannot VRFY user, but will accept message and attempt delivery");
}

// RFC 5321 §3.5.2: EXPN may be refused with 502.
void ServerSession::Impl::do_expn(const CommandLine&) {
  fail({502, "5.5.1", "Error: EXPN not available"});
}

void ServerSession::Impl::do_quit(const CommandLine&) {
  reply(221, "2.0.0", "Bye");
  close();
}

void ServerSession::Impl::do_starttls(const CommandLine&) {
  reply(220, "2.0.0", "Ready to start TLS");
  events.emplace_back(StartTls{});
  enter(State::await_tls);
  // RFC 3207 §5: discard whatever the client pipelined after STARTTLS.
  in_pos = in.size();
}

void ServerSession::Impl::recipient_checked(RecipientVerdict verdict) {
  if (!expect(State::await_recipient, "recipient_checked")) return;
  enter(State::command);
  const std::string& addr = pending_rcpt.to.wire;
  switch (verdict) {
    case RecipientVerdict::local:
      envelope.recipients.push_back(Recipient{
          pending_rcpt.to.address, DsnRcpt{pending_rcpt.params.notify, pending_rcpt.params.orcpt}});
      reply(250, "2.1.5", "Ok");
      break;
    case RecipientVerdict::unknown_user:
      fail({550, "5.1.1", fmt::format("<{}>: Recipient address rejected: User unknown", addr)});
      break;
    case RecipientVerdict::not_local_domain:
      if ((!auth_user.empty() || info.relay_client) && info.relay_for_authenticated) {
        envelope.recipients.push_back(
            Recipient{pending_rcpt.to.address,
                      DsnRcpt{pending_rcpt.params.notify, pending_rcpt.params.orcpt}, true});
        reply(250, "2.1.5", "Ok");
      } else if (!auth_user.empty())
        fail({550, "5.7.1",
              fmt::format("<{}>: remote delivery not available: Estafeta has no "
                          "outbound queue yet",
                          addr)});
      else
        fail({554, "5.7.1", fmt::format("<{}>: Relay access denied", addr)});
      break;
    case RecipientVerdict::temporary_failure:
      reply(451, "4.3.0", fmt::format("<{}>: Temporary lookup failure, try again later", addr));
      break;
    case RecipientVerdict::mailbox_full:
      reply(452, "4.2.2", fmt::format("<{}>: Mailbox full, try again later", addr));
      break;
  }
  pending_rcpt = RcptTo{};
  pump();
}

void ServerSession::Impl::sender_checked(bool allowed) {
  if (!expect(State::await_sender, "sender_checked")) return;
  enter(State::command);
  if (allowed) {
    accept_mail(std::move(pending_mail));
  } else {
    fail({553, "5.7.1",
          fmt::format("<{}>: Sender address rejected: not owned by user {}", pending_mail.from.wire,
                      auth_user)});
  }
  pending_mail = MailFrom{};
  pump();
}

void ServerSession::Impl::tls_started(TlsInfo info_in) {
  if (!expect(State::await_tls, "tls_started")) return;
  // RFC 3207 §4.2: forget everything learnt before TLS; the client must EHLO again.
  tls_active = true;
  tls = std::move(info_in);
  helo.clear();
  esmtp = false;
  auth_user.clear();
  reset_transaction();
  in.clear();
  in_pos = 0;
  lines.reset();
  enter(State::command);
  pump();
}

}  // namespace estafeta::smtp
