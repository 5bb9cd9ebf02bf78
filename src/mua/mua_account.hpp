// mua_account: the mail client's accounts, as `estafeta mail` reads them from
// ~/.config/estafeta/client.toml ($XDG_CONFIG_HOME honoured) or the file given with
// --account: for each account its address, the submission server, the IMAP and/or POP3
// server, the login name, how to get the password (prompt without echo, a command such as
// `pass show mail`, or an environment variable) and the CA file to trust besides the system
// store. `estafeta mail setup` writes this file; the user may edit it. Trust: the file is the
// user's own (it names a command to run), read with the same bounds as the server's TOML.
// A missing or wrong key is an error naming the file, the line and the key.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace estafeta::mua {

// How a connection is secured: implicit TLS (465, 993, 995), STARTTLS/STLS (587, 143, 110),
// or none (only allowed to a loopback address: tests, a local relay).
enum class Security { tls, starttls, none };

// "tls", "starttls", "none" (the config file's spelling); parse_security: false if unknown.
const char* security_name(Security s);
bool parse_security(std::string_view text, Security& out);

// The servers an account names, and their usual ports: submission 465 (tls) / 587,
// IMAP 993 / 143, POP3 995 / 110.
enum class Service { submission, imap, pop3 };
std::uint16_t default_port(Service service, Security security);

// True for "localhost", 127.0.0.0/8 and ::1: the only hosts `security = "none"` may name.
bool is_loopback_host(std::string_view host);

struct Endpoint {
  std::string host;  // "" = this account has no such server
  std::uint16_t port = 0;
  Security security = Security::tls;
  bool configured() const { return !host.empty(); }
};

struct PasswordSource {
  enum class Kind { prompt, command, env };
  Kind kind = Kind::prompt;
  std::string value;  // the command (run with /bin/sh -c) or the variable's name
};

struct Account {
  std::string name;          // [account.NAME]
  std::string address;       // the From address, e.g. alice@example.org
  std::string display_name;  // UTF-8, may be empty
  std::string user;          // login name; "" = address
  Endpoint submission;       // SMTP submission (587 STARTTLS or 465 TLS)
  Endpoint imap;             // IMAP (993 TLS or 143 STARTTLS)
  Endpoint pop3;             // POP3 (995 TLS or 110 STLS)
  PasswordSource password;
  std::string ca_file;  // PEM file trusted besides the system store ("" = system store only)
  std::string sent_mailbox = "Sent";
  std::filesystem::path outbox;   // messages waiting to be sent; default under the data home
  std::filesystem::path maildir;  // where `mail fetch` (POP3) stores; default ~/Maildir
  // S/MIME (issue 11): the certificate store directory; default under the data home.
  std::filesystem::path smime_store;

  const std::string& login() const { return user.empty() ? address : user; }
};

struct ClientConfig {
  std::filesystem::path file;     // where it was read from
  std::vector<Account> accounts;  // in file order; the first is the default
  std::string default_account;    // `default = "NAME"` at the top level; "" = the first

  // The account called `name` ("" = the default), or nullptr.
  const Account* find(const std::string& name) const;
};

// ~/.config/estafeta/client.toml (or $XDG_CONFIG_HOME/estafeta/client.toml).
std::filesystem::path default_config_path();
// ~/.local/share/estafeta (or $XDG_DATA_HOME/estafeta): the outbox and the certificate store
// default to folders under it (outbox/NAME; smime, the store `estafeta cert` uses), and
// `mail fetch` keeps the UIDLs it has seen there (pop3/NAME.uidl).
std::filesystem::path data_home();
std::filesystem::path default_outbox(const std::string& account_name);

// An account name as [account.NAME] allows: 1-64 of letters, digits, '-', '_'.
bool valid_account_name(std::string_view name);

// Reads and checks the file. Error text names file, line and key.
Result<ClientConfig> load_client_config(const std::filesystem::path& file);

// Writes the config atomically with mode 0600 (it may name a password command).
Result<bool> save_client_config(const ClientConfig& config);

// The account's password from its source: the command's first output line, the variable's
// value, or a prompt on /dev/tty without echo ("Password for alice@example.org: "). Error
// text says which source failed and why.
Result<std::string> read_password(const Account& account);

// The password command's first output line: run with /bin/sh -c, standard input and error
// the user's (a pinentry may ask), killed after `timeout`. At most 64 KiB of output is read.
// An exit status other than 0, no output or an empty first line is an error.
Result<std::string> run_password_command(const std::string& command,
                                         std::chrono::milliseconds timeout);

}  // namespace estafeta::mua
