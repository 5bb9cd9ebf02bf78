// commands: the subcommands of the `estafeta` binary, one function each, called by main.cpp
// after CLI11 has parsed the arguments. Each returns the process exit code and prints its
// own errors (naming the file, key or argument at fault): 0 on success, 1 with a one-line
// "estafeta: ..." message on stderr otherwise.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace estafeta::cli {

// `estafeta serve`: binds the listeners, drops privileges when root, serves until SIGTERM or
// SIGINT, then drains (cmd_serve.cpp).
int run_serve(const config::Config& config);

// Where a new password comes from (user add / user passwd).
struct PasswordInput {
  enum class Source { prompt, stdin_line, hash };
  Source source = Source::prompt;  // prompt: twice on /dev/tty, no echo
  std::string hash;                // Source::hash: an existing crypt hash
};

// cmd_user.cpp
int run_user_add(const config::Config& config, const std::string& address,
                 const PasswordInput& password);
int run_user_passwd(const config::Config& config, const std::string& address,
                    const PasswordInput& password);
int run_user_del(const config::Config& config, const std::string& address, bool purge);
int run_user_list(const config::Config& config);

// cmd_quota.cpp: `user quota` (an option left out is left as it is; none of them: show).
struct QuotaOptions {
  std::optional<std::string> storage, messages, mailboxes;
};
int run_user_quota(const config::Config& config, const std::string& address,
                   const QuotaOptions& options);

// cmd_user_cert.cpp: `user cert ADDRESS [FILE] [--remove]`: publish, show or withdraw the
// S/MIME certificate mail for the account is stored encrypted to (encryption at rest).
int run_user_cert(const config::Config& config, const std::string& address, const std::string& file,
                  bool remove);

// cmd_domain.cpp
int run_domain_add(const config::Config& config, const std::string& domain);
int run_domain_del(const config::Config& config, const std::string& domain);
int run_domain_list(const config::Config& config);

// cmd_alias.cpp (source "@example.org" = catch-all; empty target = every target)
int run_alias_add(const config::Config& config, const std::string& source,
                  const std::vector<std::string>& targets);
int run_alias_del(const config::Config& config, const std::string& source,
                  const std::string& target);
int run_alias_list(const config::Config& config);

// cmd_sendmail.cpp: `estafeta sendmail ARGS...` (and the binary called as `sendmail`): reads
// a message on stdin and drops it for the server; `args` are sendmail's options and
// recipients; `config_option` the -c given to estafeta ("" none). Exit codes as sysexits.h.
int run_sendmail(const std::vector<std::string>& args, const std::string& config_option);

// cmd_queue.cpp: `estafeta queue list`: the messages in the spool with each recipient's
// state; `json` prints a JSON array instead.
int run_queue_list(const config::Config& config, bool json);
// `queue show ID`: one message with its envelope (ID: the queue id or the spool file name).
int run_queue_show(const config::Config& config, const std::string& which, bool json);
// `queue hold|release|retry|delete ID` ("retry" with an empty ID: every message).
int run_queue_action(const config::Config& config, const std::string& action,
                     const std::string& which);
// `queue tls-report`: asks the server to send the TLS reports (RFC 8460) of everything
// recorded so far (smtp_tls_rpt_sender.hpp); the server acts within 5 seconds.
int run_queue_tls_report(const config::Config& config);

// cmd_mailbox.cpp: `estafeta mailbox list|create|delete|rename USER ...` on the account's
// mailboxes in the store (special_use: "" or all, archive, drafts, flagged, junk, sent, trash).
int run_mailbox_list(const config::Config& config, const std::string& user);
int run_mailbox_create(const config::Config& config, const std::string& user,
                       const std::string& name, const std::string& special_use);
int run_mailbox_delete(const config::Config& config, const std::string& user,
                       const std::string& name);
int run_mailbox_rename(const config::Config& config, const std::string& user,
                       const std::string& from, const std::string& to);

// cmd_index.cpp: `estafeta index check|rebuild|fulltext USER`: the account's mailbox index against
// its Maildir files (check exits 1 when it finds problems); rebuild recreates it from the files
// (and the full-text index); fulltext brings the full-text index up to date and shows it.
int run_index_check(const config::Config& config, const std::string& user);
int run_index_rebuild(const config::Config& config, const std::string& user);
int run_index_fulltext(const config::Config& config, const std::string& user);

// cmd_config.cpp: `estafeta config check`. `file` is the configuration file chosen by main
// (nullopt: none, built-in defaults). Loads it, checks that TLS files named in it are
// readable, prints "OK: <file>" or the error.
int run_config_check(const std::optional<std::filesystem::path>& file);

// cmd_mime.cpp: `estafeta mime ...` on one message file ("-" = stdin, at most 1 GiB), no
// configuration needed. json: mime::message_to_json (bodies: include decoded bodies);
// envelope: IMAP ENVELOPE; bodystructure: IMAP BODYSTRUCTURE, or BODY when body_only;
// section: the bytes IMAP serves for BODY[spec] (optional "<origin.count>"), or with binary
// the decoded content of BINARY[spec] (RFC 3516). An invalid spec, a missing section or an
// unreadable file print one line and return 1.
int run_mime_json(const std::string& file, bool bodies);
int run_mime_envelope(const std::string& file);
int run_mime_bodystructure(const std::string& file, bool body_only);
int run_mime_section(const std::string& spec, const std::string& file, bool binary);

// cli_config_file.cpp: which configuration file applies: -c/--config if given, else
// $ESTAFETA_CONFIG if set, else /etc/estafeta/estafeta.toml if it exists, else none.
std::optional<std::filesystem::path> choose_config_file(const std::string& option);

// Loads the chosen file (or the defaults). On error prints it and returns nullopt.
std::optional<config::Config> load_config(const std::optional<std::filesystem::path>& file);

// Prints "estafeta: <message>" on stderr and returns 1.
int fail(const std::string& message);

}  // namespace estafeta::cli
