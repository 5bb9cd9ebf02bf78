// cmd_sendmail_smtp: `sendmail -bs`, an SMTP dialogue on standard input and output (as
// Postfix's and Sendmail's -bs: programs such as some MUAs and cron replacements speak SMTP to
// a local sendmail instead of piping a message). The SMTP server's own sans-I/O session core
// (smtp_server_session.hpp) answers, so the grammar, limits, DSN parameters and replies are
// those of port 25; the driver here reads stdin, writes stdout, takes every recipient (the
// server resolves them when it picks the message up, as for `sendmail` without -bs) and turns
// each accepted message into a maildrop file before the 250. Trust: the submitting local user,
// no more than the plain `sendmail` path. Memory: one message, bounded by smtp.max_message_size
// (the core drains what is larger and refuses it).
#include <unistd.h>

#include <cerrno>
#include <string>

#include "cli/cli_sendmail.hpp"
#include "smtp/proto/smtp_server_session.hpp"
#include "smtp/smtp_config.hpp"

namespace estafeta::cli {
namespace {

bool write_stdout(std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(STDOUT_FILENO, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

int run_sendmail_smtp(const config::Config& config, const queue::SendmailArgs& args) {
  smtp::SessionInfo info;
  info.server_hostname = config.hostname;
  info.peer_ip = "127.0.0.1";
  info.peer_is_loopback = true;
  info.mode = smtp::ListenerMode::mx;  // no AUTH: the local user is known from the file's owner
  info.starttls_available = false;
  info.offer_auth = false;
  smtp::ServerSession session(info, smtp::settings_from(config).limits);
  session.start();
  const auto dir = config.data_dir / "maildrop";
  std::string message;  // the chunks of the message being received
  int status = 0;
  char buf[16384];
  for (;;) {
    while (auto ev = session.next_event()) {
      if (auto* reply = std::get_if<smtp::SendReply>(&*ev)) {
        if (!write_stdout(reply->bytes)) return kExTempFail;
      } else if (std::get_if<smtp::CheckRecipient>(&*ev)) {
        session.recipient_checked(smtp::RecipientVerdict::local);
      } else if (auto* chunk = std::get_if<smtp::MessageChunk>(&*ev)) {
        message += chunk->bytes;
      } else if (std::get_if<smtp::DiscardMessage>(&*ev)) {
        message.clear();
      } else if (auto* store = std::get_if<smtp::StoreMessage>(&*ev)) {
        message += store->tail;
        queue::MaildropHeader header;
        header.from = store->envelope.mail_from;
        header.fullname = args.fullname;
        header.ret = store->envelope.ret;
        header.envid = store->envelope.envid;
        for (const auto& r : store->envelope.recipients) {
          header.recipients.push_back(r.address);
          header.notify.push_back(r.dsn.notify);
          header.orcpt.push_back(r.dsn.orcpt);
        }
        // The server adds its own Received field when it picks the file up; the session's
        // (which names a network peer) is not used.
        const int written = write_maildrop(dir, header, message);
        message.clear();
        if (written != 0) status = written;
        session.message_stored(written == 0);
      } else if (std::get_if<smtp::Close>(&*ev)) {
        return status;  // after QUIT, or the core's 421 (too many errors, a timeout)
      }
      // StartTls, CheckSender and Authenticate cannot come: no TLS, no AUTH, port 25 rules.
    }
    if (session.closed()) return status;
    const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    // The end of the input without QUIT: what was accepted stays accepted (each message got
    // its 250 only once its file was in place); a message cut off in DATA was never answered.
    if (n <= 0) return status;
    session.receive(std::string_view(buf, static_cast<std::size_t>(n)));
  }
}

}  // namespace estafeta::cli
