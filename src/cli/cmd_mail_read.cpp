// cmd_mail_read: the reading commands of `estafeta mail` (cli_mail.hpp): mailboxes, list,
// read, save-attachments, move, delete, flag, search and watch, over IMAP.
#include <CLI/CLI.hpp>

#include "cli/cli_mail.hpp"

namespace estafeta::cli {

void register_mail_read_commands(CLI::App& /*mail*/, MailAction& /*action*/) {}

}  // namespace estafeta::cli
