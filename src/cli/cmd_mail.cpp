// cmd_mail: `estafeta mail ARGS...`, the mail client's command line (cli_mail.hpp). Parses
// the shared options, lets cmd_mail_read.cpp and cmd_mail_send.cpp add their subcommands and
// runs the one chosen. Exit codes: 0 success, 1 with an "estafeta: ..." line otherwise.
#include <CLI/CLI.hpp>

#include "cli/cli_mail.hpp"
#include "cli/commands.hpp"

namespace estafeta::cli {

std::optional<mua::Account> mail_account(const MailGlobals& globals) {
  std::filesystem::path file = globals.account_file.empty()
                                   ? mua::default_config_path()
                                   : std::filesystem::path(globals.account_file);
  auto config = mua::load_client_config(file);
  if (!config) {
    fail(config.error().text);
    return std::nullopt;
  }
  const mua::Account* account = config->find(globals.account_name);
  if (!account) {
    std::string names;
    for (const auto& a : config->accounts) names += (names.empty() ? "" : ", ") + a.name;
    fail(file.string() + ": no account called \"" + globals.account_name +
         "\" (there are: " + names + ")");
    return std::nullopt;
  }
  return *account;
}

int run_mail(const std::vector<std::string>& args) {
  CLI::App app{"the mail client: send, read and manage mail on any IMAP/POP3/SMTP server",
               "estafeta mail"};
  app.fallthrough();  // the shared options are also accepted after the subcommand
  app.require_subcommand(1);
  MailGlobals globals;
  app.add_option("--account", globals.account_file,
                 "client configuration file (default ~/.config/estafeta/client.toml)");
  app.add_option("--name", globals.account_name, "the account to use (default: the first)");
  app.add_flag("--json", globals.json, "print listings as JSON");
  MailAction action;
  register_mail_read_commands(app, action);
  register_mail_send_commands(app, action);
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them reversed
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (!action) return fail("mail: no command given (see estafeta mail --help)");
  return action(globals);
}

}  // namespace estafeta::cli
