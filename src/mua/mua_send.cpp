// mua_send: see mua_send.hpp.
#include "mua/mua_send.hpp"

#include "mime/mime_compose.hpp"

namespace estafeta::mua {

namespace {

void line(std::FILE* out, const std::string& text) {
  std::fprintf(out, "%s\n", text.c_str());
}

}  // namespace

std::string with_bcc_header(const std::string& message, const std::string& bcc_value) {
  if (bcc_value.empty()) return message;
  std::size_t end = message.find("\r\n\r\n");
  std::string field = mime::fold_header("Bcc", bcc_value);
  if (end == std::string::npos) return field + message;
  return message.substr(0, end + 2) + field + message.substr(end + 2);
}

SendSummary send_messages(const Account& account, std::vector<Outgoing> messages,
                          const PasswordFn& password, const SentCopyFn& sent_copy, std::FILE* out,
                          const SubmitOptions& options) {
  SendSummary sum;
  if (messages.empty()) return sum;
  Outbox outbox(account.outbox);
  std::vector<Submission> subs;
  for (const auto& m : messages)
    subs.push_back(Submission{m.record.sender, m.record.recipients, m.record.message});
  SubmitOutcome result = submit(account, subs, password, options);
  if (!result.error.empty()) {
    line(out, (result.temporary ? "not sent now: " : "error: ") + result.error);
    if (!result.temporary) sum.failed = true;
  }
  for (std::size_t i = 0; i < messages.size(); ++i) {
    Outgoing& m = messages[i];
    const SubmissionReport& rep = result.reports[i];
    std::vector<std::string> still_due;
    std::string last_error = result.error;
    std::size_t delivered = 0;
    if (rep.tried) {
      for (const auto& r : rep.recipients) {
        line(out, describe(r));
        switch (r.result.outcome) {
          case smtp::RecipientOutcome::delivered:
            ++delivered;
            break;
          case smtp::RecipientOutcome::bounced:
            ++sum.refused;
            break;
          default:
            still_due.push_back(r.address);
            last_error = r.result.code ? r.result.reply() : r.result.text;
        }
      }
      if (rep.final_reply_lost)
        line(out,
             "warning: the server's answer to the end of the message never came; it may "
             "have been sent already and could arrive twice");
    } else {
      // Not tried: the server unreachable (temporary), or a problem the user must fix first
      // (authentication, certificate). Either way the message is kept, not lost.
      still_due = m.record.recipients;
    }
    sum.sent += delivered;
    // The Sent copy, once: when this message first reaches someone.
    bool copy_due = m.record.sent_copy && delivered > 0;
    if (copy_due && sent_copy && account.imap.configured()) {
      auto c = sent_copy(account, with_bcc_header(m.record.message, m.record.bcc));
      if (c)
        line(out, "copy kept in " + account.sent_mailbox);
      else
        line(out, "warning: no copy in " + account.sent_mailbox + ": " + c.error().text);
    }
    if (!still_due.empty()) {
      OutboxRecord next = m.record;
      next.recipients = still_due;
      next.sent_copy = m.record.sent_copy && !copy_due;
      next.attempts += 1;
      next.last_error = last_error;
      Result<std::string> stored = [&]() -> Result<std::string> {
        if (!m.id) return outbox.add(next);
        auto r = outbox.replace(*m.id, next);
        if (!r) return r.error();
        return *m.id;
      }();
      if (!stored) {
        // Could not keep it: say so loudly (the message would be lost otherwise).
        line(out, "error: " + stored.error().text + "; the message was NOT kept");
        sum.failed = true;
      } else {
        ++sum.queued;
        line(out, "kept in the outbox for " + std::to_string(still_due.size()) +
                      " recipient(s); `estafeta mail flush` retries");
      }
    } else if (m.id) {
      // Done with it: every recipient accepted or refused for good.
      auto removed = outbox.remove(*m.id);
      if (!removed) line(out, "warning: " + removed.error().text);
    }
  }
  return sum;
}

}  // namespace estafeta::mua
