// mua_submit: see mua_submit.hpp. The driver loop of docs/SMTP.md "SMTP client core" over a
// blocking mua::Connection: drain next_event(), read when the core waits, report I/O failures
// as connection_lost()/timed_out().
#include "mua/mua_submit.hpp"

#include <unistd.h>

#include <algorithm>
#include <optional>

#include "mime/mime_downgrade.hpp"
#include "mua/mua_connection.hpp"

namespace estafeta::mua {

namespace {

constexpr std::size_t kPiece = 64 * 1024;

std::string default_ehlo_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) == 0) {
    std::string h(buf);
    if (h.find('.') != std::string::npos && h.find_first_of(" \t\r\n") == std::string::npos)
      return h;
  }
  return "localhost";
}

bool has_8bit(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

smtp::ClientTransaction transaction_of(const Submission& s) {
  smtp::ClientTransaction tx;
  tx.mail_from = s.mail_from;
  bool utf8 = has_8bit(s.mail_from);
  for (const auto& r : s.recipients) {
    tx.recipients.push_back(smtp::ClientRecipient{r, "", ""});
    utf8 = utf8 || has_8bit(r);
  }
  tx.size = s.message.size();
  tx.eight_bit = has_8bit(s.message);
  tx.smtputf8 = utf8;
  return tx;
}

std::string close_text(const smtp::ClientClose& c) {
  using smtp::CloseReason;
  std::string why;
  switch (c.reason) {
    case CloseReason::quit:
      return "";
    case CloseReason::greeting_refused:
      why = "the server refused the connection";
      break;
    case CloseReason::helo_refused:
      why = "the server refused EHLO and HELO";
      break;
    case CloseReason::tls_unavailable:
      why = "the server does not offer STARTTLS (security = \"starttls\" requires it)";
      break;
    case CloseReason::tls_failed:
      why = "TLS failed";
      break;
    case CloseReason::auth_failed:
      why = "authentication failed";
      break;
    case CloseReason::peer_closing:
      why = "the server is closing the connection";
      break;
    case CloseReason::protocol_error:
      why = "the server's reply could not be understood";
      break;
    case CloseReason::connection_lost:
      why = "the connection was lost";
      break;
    case CloseReason::timeout:
      why = "the server did not answer in time";
      break;
  }
  if (!c.text.empty()) why += ": " + c.text;
  return why;
}

}  // namespace

bool SubmissionReport::all_delivered() const {
  if (!tried) return false;
  return std::all_of(recipients.begin(), recipients.end(), [](const RecipientReport& r) {
    return r.result.outcome == smtp::RecipientOutcome::delivered;
  });
}

bool SubmissionReport::any_deferred() const {
  if (!tried) return true;
  return std::any_of(recipients.begin(), recipients.end(), [](const RecipientReport& r) {
    return r.result.outcome == smtp::RecipientOutcome::deferred ||
           r.result.outcome == smtp::RecipientOutcome::pending;
  });
}

std::string describe(const RecipientReport& r) {
  std::string state;
  switch (r.result.outcome) {
    case smtp::RecipientOutcome::delivered:
      state = "sent";
      break;
    case smtp::RecipientOutcome::bounced:
      state = "refused";
      break;
    case smtp::RecipientOutcome::deferred:
    case smtp::RecipientOutcome::pending:
      state = "deferred";
      break;
  }
  std::string reply = r.result.code ? r.result.reply() : r.result.text;
  return r.address + ": " + state + (reply.empty() ? "" : " (" + reply + ")");
}

bool is_unreachable_error(const std::string& text) {
  return text.rfind("cannot connect to", 0) == 0 || text.rfind("cannot resolve", 0) == 0 ||
         text.find("timed out") != std::string::npos;
}

SubmitOutcome submit(const Account& account, const std::vector<Submission>& messages,
                     const PasswordFn& password, const SubmitOptions& options) {
  SubmitOutcome out;
  out.reports.resize(messages.size());
  if (!account.submission.configured()) {
    out.error =
        "account \"" + account.name + "\" has no [account." + account.name + ".submission] server";
    return out;
  }
  ConnectOptions co = connect_options(account, account.submission);
  co.connect_timeout = options.connect_timeout;
  co.io_timeout = options.io_timeout;
  auto opened = Connection::open(co);
  if (!opened) {
    out.error = opened.error().text;
    out.temporary = is_unreachable_error(out.error);
    return out;
  }
  std::unique_ptr<Connection> conn = std::move(*opened);

  smtp::ClientConfig cfg;
  cfg.ehlo_name = options.ehlo_name.empty() ? default_ehlo_name() : options.ehlo_name;
  // Each wait is bounded by the connection's io_timeout; the core's RFC 5321 minimums are
  // longer than a person waits.
  switch (account.submission.security) {
    case Security::tls:
      cfg.tls_active = true;
      cfg.tls_verified = true;  // Connection::open verified the certificate and the name
      cfg.starttls = smtp::StartTlsPolicy::off;
      break;
    case Security::starttls:
      cfg.starttls = smtp::StartTlsPolicy::required;
      break;
    case Security::none:
      cfg.starttls = smtp::StartTlsPolicy::off;  // a loopback relay; no AUTH in cleartext
      break;
  }
  if (account.submission.security != Security::none) {
    auto pw = password ? password() : Result<std::string>(std::string());
    if (!pw) {
      out.error = pw.error().text;
      return out;
    }
    if (!pw->empty()) cfg.credentials = smtp::ClientCredentials{account.login(), std::move(*pw)};
  }

  smtp::ClientSession session(std::move(cfg));
  std::size_t next = 0;                // the next message to start
  std::optional<std::size_t> current;  // the message in its transaction
  std::string converted;               // a downgraded copy of the current message
  bool use_converted = false;
  std::size_t offset = 0;
  std::string tls_error;
  std::optional<smtp::ClientClose> closed;

  auto local_result = [&](std::size_t index, smtp::RecipientOutcome outcome, int code,
                          const std::string& enhanced, const std::string& text) {
    SubmissionReport& rep = out.reports[index];
    rep.tried = true;
    rep.recipients.clear();
    for (const auto& r : messages[index].recipients) {
      smtp::RecipientResult res;
      res.outcome = outcome;
      res.code = code;
      res.enhanced = enhanced;
      res.text = text;
      res.stage = smtp::ClientStage::local;
      rep.recipients.push_back(RecipientReport{r, res});
    }
  };

  while (!closed) {
    std::optional<smtp::ClientEvent> ev = session.next_event();
    if (!ev) {
      auto bytes = conn->read_some();
      if (!bytes) {
        if (bytes.error().text.find("timed out") != std::string::npos)
          session.timed_out();
        else
          session.connection_lost();
      } else if (bytes->empty()) {
        session.connection_lost();
      } else {
        session.receive(*bytes);
      }
      continue;
    }
    if (auto* send = std::get_if<smtp::ClientSend>(&*ev)) {
      auto w = conn->write(send->bytes);
      if (!w) {
        if (w.error().text.find("timed out") != std::string::npos)
          session.timed_out();
        else
          session.connection_lost();
      }
    } else if (std::holds_alternative<smtp::ClientStartTls>(*ev)) {
      auto t = conn->start_tls();
      if (t) {
        session.tls_started(true);
      } else {
        tls_error = t.error().text;
        session.tls_failed(tls_error);
      }
    } else if (std::holds_alternative<smtp::ClientNeedBody>(*ev)) {
      const std::string& data = use_converted ? converted : messages[*current].message;
      std::string_view piece = std::string_view(data).substr(offset, kPiece);
      offset += piece.size();
      session.body(piece, offset >= data.size());
    } else if (std::holds_alternative<smtp::ClientReady>(*ev)) {
      bool started = false;
      while (!started && next < messages.size()) {
        const std::size_t index = next++;
        current = index;
        offset = 0;
        use_converted = false;
        converted.clear();
        smtp::ClientTransaction tx = transaction_of(messages[index]);
        smtp::StartResult r = session.start_transaction(tx);
        if (r == smtp::StartResult::needs_downgrade) {
          mime::Downgrade d = mime::downgrade_to_7bit(messages[index].message);
          if (d.status == mime::Downgrade::Status::impossible) {
            local_result(index, smtp::RecipientOutcome::bounced, 554, "5.6.3",
                         "the server has no 8BITMIME and the message cannot be converted to "
                         "7 bit: " +
                             d.reason);
            current.reset();
            continue;
          }
          if (d.status == mime::Downgrade::Status::converted) {
            converted = std::move(d.message);
            use_converted = true;
          }
          tx.eight_bit = false;
          tx.size = use_converted ? converted.size() : messages[index].message.size();
          r = session.start_transaction(tx);
        }
        if (r == smtp::StartResult::started) {
          out.reports[index].tried = true;
          started = true;
        } else if (r == smtp::StartResult::refused) {
          out.reports[index].tried = true;
          started = true;  // its ClientTransactionDone and a new ClientReady follow
        } else {
          current.reset();
          break;
        }
      }
      if (!started) session.quit();
    } else if (auto* done = std::get_if<smtp::ClientTransactionDone>(&*ev)) {
      if (!current) continue;
      SubmissionReport& rep = out.reports[*current];
      rep.tried = true;
      rep.final_reply_lost = done->result.final_reply_lost;
      rep.recipients.clear();
      const auto& rcpts = messages[*current].recipients;
      for (std::size_t i = 0; i < rcpts.size() && i < done->result.recipients.size(); ++i)
        rep.recipients.push_back(RecipientReport{rcpts[i], done->result.recipients[i]});
      current.reset();
    } else if (auto* c = std::get_if<smtp::ClientClose>(&*ev)) {
      closed = *c;
    }
  }
  conn->close();
  const smtp::ClientClose& c = *closed;
  if (c.reason != smtp::CloseReason::quit) {
    out.error = close_text(c);
    if (c.reason == smtp::CloseReason::tls_failed && !tls_error.empty())
      out.error = "TLS failed: " + tls_error;
    // Worth retrying later: the server went away or asked us to come back (421, 4xx
    // greeting). Not: TLS/certificate problems, authentication, a permanent refusal.
    using smtp::CloseReason;
    bool transient =
        c.reason == CloseReason::connection_lost || c.reason == CloseReason::timeout ||
        c.reason == CloseReason::peer_closing ||
        (c.reason == CloseReason::greeting_refused && !c.permanent && c.reply.code / 100 == 4);
    out.temporary = transient;
  }
  return out;
}

}  // namespace estafeta::mua
