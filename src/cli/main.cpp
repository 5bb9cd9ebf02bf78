// main: entry point of the `estafeta` binary. Parses the command line with CLI11 (the only
// file that includes it), chooses the configuration file (-c/--config, before or after the
// subcommand; else $ESTAFETA_CONFIG; else /etc/estafeta/estafeta.toml if present; else the
// built-in defaults; `mime` needs none) and calls the subcommand's run_* function
// (commands.hpp). Exit codes: 0 success, 1 any error, reported as one "estafeta: ..." line.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "base/log.hpp"
#include "cli/cli_cert.hpp"
#include "cli/cli_mail.hpp"
#include "cli/commands.hpp"
#include "imap/imap_config.hpp"
#include "pop3/pop3_config.hpp"
#include "queue/queue_config.hpp"
#include "smtp/smtp_config.hpp"
#include "smtp/smtp_outbound_config.hpp"

namespace {

using namespace estafeta;
using cli::PasswordInput;

constexpr const char* kVersion = "estafeta 0.1.0";

// The [smtp], [imap], [pop3], [relay], [dns], [routing] and [queue] sections, before any
// configuration is read.
void register_sections() {
  smtp::register_config();
  imap::register_config();
  pop3::register_config();
  smtp::register_outbound_config();
  queue::register_config();
}

int run(int argc, char** argv) {
  register_sections();
  CLI::App app{"Estafeta: a complete mail system in one program", "estafeta"};
  app.set_version_flag("--version", kVersion);
  app.fallthrough();  // -c/--config is also accepted after the subcommand
  app.require_subcommand(1);
  std::string config_option;
  app.add_option("-c,--config", config_option, "configuration file (TOML)");

  // Set by the chosen subcommand; runs after parsing with the loaded configuration.
  std::function<int(const config::Config&)> action;
  bool is_config_check = false;
  // Set by subcommands that need no configuration (mime); runs instead of loading it.
  std::function<int()> standalone;

  // serve
  bool trace = false;
  auto* serve = app.add_subcommand("serve", "run the mail server until SIGTERM/SIGINT");
  serve->add_flag("--trace", trace, "log every SMTP conversation (AUTH redacted)");
  serve->callback([&] {
    action = [&](const config::Config& c) {
      config::Config copy = c;
      if (trace) copy.trace = true;
      log::set_level(copy.log_level);
      return cli::run_serve(copy);
    };
  });

  // user
  auto* user = app.add_subcommand("user", "manage accounts (full addresses)");
  user->require_subcommand(1);
  std::string address;
  bool password_stdin = false;
  std::string hash;
  auto password_options = [&](CLI::App* sub) {
    sub->add_option("ADDRESS", address, "account address, e.g. alice@example.org")->required();
    auto* ps = sub->add_flag("--password-stdin", password_stdin,
                             "read the password as one line from standard input");
    auto* h = sub->add_option("--hash", hash, "store this crypt(3) hash ($y$, $2b$, $6$...)");
    ps->excludes(h);
  };
  auto password_input = [&] {
    PasswordInput in;
    if (!hash.empty()) {
      in.source = PasswordInput::Source::hash;
      in.hash = hash;
    } else if (password_stdin) {
      in.source = PasswordInput::Source::stdin_line;
    }
    return in;
  };
  auto* user_add = user->add_subcommand("add", "add an account (and its domain if new)");
  password_options(user_add);
  user_add->callback([&] {
    action = [&](const config::Config& c) {
      return cli::run_user_add(c, address, password_input());
    };
  });
  auto* user_passwd = user->add_subcommand("passwd", "set an account's password");
  password_options(user_passwd);
  user_passwd->callback([&] {
    action = [&](const config::Config& c) {
      return cli::run_user_passwd(c, address, password_input());
    };
  });
  bool purge = false;
  auto* user_del =
      user->add_subcommand("del", "delete an account (its mail stays on disk unless --purge)");
  user_del->add_option("ADDRESS", address, "account address")->required();
  user_del->add_flag("--purge", purge, "also remove all of its mail");
  user_del->callback([&] {
    action = [&](const config::Config& c) { return cli::run_user_del(c, address, purge); };
  });
  cli::QuotaOptions quota_options;
  auto* user_quota = user->add_subcommand(
      "quota", "show or set an account's quota (RFC 9208 STORAGE, MESSAGE, MAILBOX limits)");
  user_quota->add_option("ADDRESS", address, "account address")->required();
  user_quota->add_option("--storage", quota_options.storage,
                         "storage limit: 500M, 2G, 1024K (KiB without a unit); none; default");
  user_quota->add_option("--messages", quota_options.messages,
                         "message limit: a number; none (or 0); default");
  user_quota->add_option("--mailboxes", quota_options.mailboxes,
                         "mailbox limit: a number; none (or 0); default");
  user_quota->callback([&] {
    action = [&](const config::Config& c) {
      return cli::run_user_quota(c, address, quota_options);
    };
  });
  std::string cert_file;
  bool cert_remove = false;
  auto* user_cert = user->add_subcommand(
      "cert",
      "publish (FILE), show or --remove the S/MIME certificate mail is stored encrypted to");
  user_cert->add_option("ADDRESS", address, "account address")->required();
  user_cert->add_option("FILE", cert_file, "the user's certificate (PEM; no private key)");
  user_cert->add_flag("--remove", cert_remove, "withdraw it: new mail is stored unencrypted");
  user_cert->callback([&] {
    action = [&](const config::Config& c) {
      return cli::run_user_cert(c, address, cert_file, cert_remove);
    };
  });
  auto* user_list = user->add_subcommand("list", "list accounts");
  user_list->callback(
      [&] { action = [](const config::Config& c) { return cli::run_user_list(c); }; });

  // domain
  auto* domain = app.add_subcommand("domain", "manage local domains");
  domain->require_subcommand(1);
  std::string domain_name;
  auto* domain_add = domain->add_subcommand("add", "add a local domain");
  domain_add->add_option("DOMAIN", domain_name, "domain name")->required();
  domain_add->callback([&] {
    action = [&](const config::Config& c) { return cli::run_domain_add(c, domain_name); };
  });
  auto* domain_del = domain->add_subcommand("del", "delete a domain with no users or aliases");
  domain_del->add_option("DOMAIN", domain_name, "domain name")->required();
  domain_del->callback([&] {
    action = [&](const config::Config& c) { return cli::run_domain_del(c, domain_name); };
  });
  auto* domain_list = domain->add_subcommand("list", "list local domains");
  domain_list->callback(
      [&] { action = [](const config::Config& c) { return cli::run_domain_list(c); }; });

  // queue
  auto* queue = app.add_subcommand("queue", "the spool and the outbound queue");
  queue->require_subcommand(1);
  bool queue_json = false;
  auto* queue_list = queue->add_subcommand("list", "list the messages in the spool");
  queue_list->add_flag("--json", queue_json, "print JSON");
  queue_list->callback([&] {
    action = [&](const config::Config& c) { return cli::run_queue_list(c, queue_json); };
  });
  std::string queue_id;
  auto* queue_show = queue->add_subcommand("show", "one message: envelope and recipients");
  queue_show->add_option("ID", queue_id, "queue id or spool file name")->required();
  queue_show->add_flag("--json", queue_json, "print JSON");
  queue_show->callback([&] {
    action = [&](const config::Config& c) { return cli::run_queue_show(c, queue_id, queue_json); };
  });
  for (const char* name : {"retry", "hold", "release", "delete"}) {
    const std::string verb = name;
    auto* sub = queue->add_subcommand(
        name, verb == "retry"     ? "try the deferred recipients now (every message without ID)"
              : verb == "hold"    ? "keep a message from being tried until released"
              : verb == "release" ? "let a held message be tried again"
                                  : "remove a message from the queue (no bounce)");
    auto* opt = sub->add_option("ID", queue_id, "queue id or spool file name");
    if (verb != "retry") opt->required();
    sub->callback([&, verb] {
      action = [&, verb](const config::Config& c) {
        return cli::run_queue_action(c, verb, queue_id);
      };
    });
  }

  queue->add_subcommand("tls-report", "send the TLS reports (RFC 8460) recorded so far now")
      ->callback(
          [&] { action = [](const config::Config& c) { return cli::run_queue_tls_report(c); }; });

  // mailbox (cmd_mailbox.cpp) and index (cmd_index.cpp): one account's mailbox store.
  auto* mailbox = app.add_subcommand("mailbox", "manage an account's mailboxes");
  mailbox->require_subcommand(1);
  std::string mail_user, mailbox_name, mailbox_to, special_use;
  auto user_arg = [&](CLI::App* sub) {
    sub->add_option("USER", mail_user, "account address, e.g. alice@example.org")->required();
  };
  auto* mailbox_list = mailbox->add_subcommand("list", "list mailboxes with their counts");
  user_arg(mailbox_list);
  mailbox_list->callback([&] {
    action = [&](const config::Config& c) { return cli::run_mailbox_list(c, mail_user); };
  });
  auto* mailbox_create = mailbox->add_subcommand("create", "create a mailbox (and its parents)");
  user_arg(mailbox_create);
  mailbox_create->add_option("NAME", mailbox_name, "mailbox name, '/' between levels")->required();
  mailbox_create->add_option("--special-use", special_use,
                             "all, archive, drafts, flagged, junk, sent or trash");
  mailbox_create->callback([&] {
    action = [&](const config::Config& c) {
      return cli::run_mailbox_create(c, mail_user, mailbox_name, special_use);
    };
  });
  auto* mailbox_delete = mailbox->add_subcommand("delete", "delete a mailbox and its messages");
  user_arg(mailbox_delete);
  mailbox_delete->add_option("NAME", mailbox_name, "mailbox name")->required();
  mailbox_delete->callback([&] {
    action = [&](const config::Config& c) {
      return cli::run_mailbox_delete(c, mail_user, mailbox_name);
    };
  });
  auto* mailbox_rename =
      mailbox->add_subcommand("rename", "rename a mailbox with its inferiors (INBOX: its mail)");
  user_arg(mailbox_rename);
  mailbox_rename->add_option("FROM", mailbox_name, "current name")->required();
  mailbox_rename->add_option("TO", mailbox_to, "new name")->required();
  mailbox_rename->callback([&] {
    action = [&](const config::Config& c) {
      return cli::run_mailbox_rename(c, mail_user, mailbox_name, mailbox_to);
    };
  });
  auto* index = app.add_subcommand("index", "check or rebuild an account's mailbox index");
  index->require_subcommand(1);
  auto* index_check = index->add_subcommand("check", "compare the index with the Maildir files");
  user_arg(index_check);
  index_check->callback([&] {
    action = [&](const config::Config& c) { return cli::run_index_check(c, mail_user); };
  });
  auto* index_rebuild = index->add_subcommand("rebuild", "rebuild the index from the files");
  user_arg(index_rebuild);
  index_rebuild->callback([&] {
    action = [&](const config::Config& c) { return cli::run_index_rebuild(c, mail_user); };
  });
  auto* index_fulltext =
      index->add_subcommand("fulltext", "bring the full-text index up to date and show it");
  user_arg(index_fulltext);
  index_fulltext->callback([&] {
    action = [&](const config::Config& c) { return cli::run_index_fulltext(c, mail_user); };
  });

  // alias
  auto* alias = app.add_subcommand("alias", "manage aliases and catch-alls");
  alias->require_subcommand(1);
  std::string source;
  std::vector<std::string> targets;
  std::string target;
  auto* alias_add = alias->add_subcommand("add", "map SOURCE to one or more TARGETs");
  alias_add->add_option("SOURCE", source, "address, or @domain for a catch-all")->required();
  alias_add->add_option("TARGET", targets, "accounts or aliases")->required();
  alias_add->callback([&] {
    action = [&](const config::Config& c) { return cli::run_alias_add(c, source, targets); };
  });
  auto* alias_del = alias->add_subcommand("del", "delete an alias, or one of its targets");
  alias_del->add_option("SOURCE", source, "address, or @domain")->required();
  alias_del->add_option("TARGET", target, "only this target");
  alias_del->callback([&] {
    action = [&](const config::Config& c) { return cli::run_alias_del(c, source, target); };
  });
  auto* alias_list = alias->add_subcommand("list", "list aliases");
  alias_list->callback(
      [&] { action = [](const config::Config& c) { return cli::run_alias_list(c); }; });

  // config
  auto* cfg = app.add_subcommand("config", "inspect the configuration");
  cfg->require_subcommand(1);
  auto* cfg_check = cfg->add_subcommand("check", "load and check the configuration file");
  cfg_check->callback([&] { is_config_check = true; });

  // mime: the MIME library on one message file (cmd_mime.cpp); no configuration needed.
  auto* mime = app.add_subcommand("mime", "show how Estafeta parses a message file (- = stdin)");
  mime->require_subcommand(1);
  std::string mime_file;
  std::string mime_spec;
  bool mime_no_bodies = false;
  bool mime_body_only = false;
  bool mime_binary = false;
  auto* mime_json = mime->add_subcommand("json", "part tree, headers, addresses, decoded bodies");
  mime_json->add_option("FILE", mime_file, "message file, - for stdin")->required();
  mime_json->add_flag("--no-bodies", mime_no_bodies, "leave out the decoded bodies");
  mime_json->callback(
      [&] { standalone = [&] { return cli::run_mime_json(mime_file, !mime_no_bodies); }; });
  auto* mime_env = mime->add_subcommand("envelope", "the IMAP ENVELOPE");
  mime_env->add_option("FILE", mime_file, "message file, - for stdin")->required();
  mime_env->callback([&] { standalone = [&] { return cli::run_mime_envelope(mime_file); }; });
  auto* mime_bs = mime->add_subcommand("bodystructure", "the IMAP BODYSTRUCTURE");
  mime_bs->add_option("FILE", mime_file, "message file, - for stdin")->required();
  mime_bs->add_flag("--body", mime_body_only, "IMAP BODY: without extension data");
  mime_bs->callback(
      [&] { standalone = [&] { return cli::run_mime_bodystructure(mime_file, mime_body_only); }; });
  auto* mime_sec = mime->add_subcommand("section", "the bytes of an IMAP section, e.g. 1.2.MIME");
  mime_sec->add_option("SPEC", mime_spec, "section: \"\", 2, 1.TEXT, HEADER.FIELDS (From)...")
      ->required();
  mime_sec->add_option("FILE", mime_file, "message file, - for stdin")->required();
  mime_sec->add_flag("--binary", mime_binary, "the decoded content (RFC 3516 BINARY)");
  mime_sec->callback([&] {
    standalone = [&] { return cli::run_mime_section(mime_spec, mime_file, mime_binary); };
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    std::fprintf(stderr, "estafeta: %s (see --help)\n", what.c_str());
    return 1;
  }

  if (standalone) return standalone();
  auto file = cli::choose_config_file(config_option);
  if (is_config_check) return cli::run_config_check(file);
  if (!action) return cli::fail("no subcommand given (see --help)");
  auto config = cli::load_config(file);
  if (!config) return 1;
  log::set_level(config->log_level);
  return action(*config);
}

}  // namespace

// The one catch outside a session: anything unexpected (a bug, or bad_alloc) ends the command
// with a message and exit 1 instead of std::terminate.
int main(int argc, char** argv) {
  try {
    // sendmail's options (-oi, -fADDR, -t...) are not CLI11's: called as `sendmail` (the
    // symlink) or as `estafeta [-c FILE] sendmail ...`, the rest goes to run_sendmail as is.
    std::string_view self = argv[0] ? argv[0] : "";
    if (auto slash = self.rfind('/'); slash != std::string_view::npos)
      self.remove_prefix(slash + 1);
    if (self == "sendmail") {
      register_sections();
      return estafeta::cli::run_sendmail(std::vector<std::string>(argv + 1, argv + argc), "");
    }
    int i = 1;
    std::string config_option;
    if (argc > 3 &&
        (std::string_view(argv[1]) == "-c" || std::string_view(argv[1]) == "--config")) {
      config_option = argv[2];
      i = 3;
    }
    // The mail client needs no server configuration: its own command line (cmd_mail.cpp).
    if (argc > 1 && std::string_view(argv[1]) == "mail")
      return estafeta::cli::run_mail(std::vector<std::string>(argv + 2, argv + argc));
    // S/MIME certificates need none either (cmd_cert.cpp).
    if (argc > 1 && std::string_view(argv[1]) == "cert")
      return estafeta::cli::run_cert(std::vector<std::string>(argv + 2, argv + argc));
    if (argc > i && std::string_view(argv[i]) == "sendmail") {
      register_sections();
      return estafeta::cli::run_sendmail(std::vector<std::string>(argv + i + 1, argv + argc),
                                         config_option);
    }
    return run(argc, argv);
  } catch (const std::exception& e) {
    return cli::fail(std::string("internal error: ") + e.what());
  } catch (...) {
    return cli::fail("internal error");
  }
}
