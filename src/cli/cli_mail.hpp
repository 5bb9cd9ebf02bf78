// cli_mail: the command line of `estafeta mail`, the mail client. cmd_mail.cpp parses the
// options every mail command shares (--account FILE, --name ACCOUNT, --json) with CLI11 and
// asks two files to add their subcommands: cmd_mail_read.cpp (mailboxes, list, read,
// save-attachments, move, delete, flag, search, watch: reading over IMAP) and
// cmd_mail_send.cpp (send, flush, reply, reply-all, forward, fetch: composing, submitting,
// the outbox, POP3; it also registers setup, which is cmd_mail_setup.cpp). The mail client needs no
// server configuration: `estafeta mail` is dispatched before the server's config is read.
// Subcommand state bound by CLI11 must outlive the parse: the registering functions keep it in
// storage they own (static or captured shared_ptr).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mua/mua_account.hpp"

namespace CLI {
class App;
}

namespace estafeta::cli {

struct MailGlobals {
  std::string account_file;  // --account FILE ("" = the default client.toml)
  std::string account_name;  // --name NAME ("" = the default account)
  bool json = false;         // --json: listings as JSON
};

// Set by the chosen subcommand's callback; run after parsing. Returns the exit code.
using MailAction = std::function<int(const MailGlobals&)>;

void register_mail_read_commands(CLI::App& mail, MailAction& action);  // cmd_mail_read.cpp
void register_mail_send_commands(CLI::App& mail, MailAction& action);  // cmd_mail_send.cpp
void register_mail_setup_command(CLI::App& mail, MailAction& action);  // cmd_mail_setup.cpp

// The account the shared options choose (--account FILE or the default client.toml, --name
// or the default account), or nullopt after printing an "estafeta: ..." line that names the
// file (and line and key for a bad file) or the unknown account (cmd_mail.cpp).
std::optional<mua::Account> mail_account(const MailGlobals& globals);

// `estafeta mail ARGS...` (cmd_mail.cpp): the exit code.
int run_mail(const std::vector<std::string>& args);

}  // namespace estafeta::cli
