// cmd_mail_setup: `estafeta mail setup`, which writes an account into client.toml: the address,
// display name and password source from the options or asked on the terminal, the servers
// found by autoconfig or SRV records (mua_setup.hpp) or, failing that, asked; shown, confirmed
// and saved (mua_account.hpp: atomic, 0600), beside the accounts already in the file.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cctype>
#include <cstdio>
#include <memory>
#include <optional>

#include "cli/cli_mail.hpp"
#include "cli/commands.hpp"
#include "mua/mua_setup.hpp"
#include "mua/mua_tty.hpp"
#include "mua/proto/mua_draft_input.hpp"

namespace estafeta::cli {

namespace {

struct SetupOptions {
  std::string address, display_name, account_name, password_command, password_env, ca_file;
  std::vector<std::string> autoconfig_urls, dns_servers;
  std::string submission, imap, pop3;  // HOST[:PORT][/tls|/starttls|/none]
  bool no_autoconfig = false, no_dns = false, yes = false;
};

std::string endpoint_text(const mua::Endpoint& e) {
  if (!e.configured()) return "none";
  return e.host + ":" + std::to_string(e.port) + " (" + mua::security_name(e.security) + ")";
}

// "host", "host:port", "host:port/starttls", "[::1]:993/tls".
bool parse_endpoint(const std::string& text, mua::Service service, mua::Endpoint& out,
                    std::string& error) {
  std::string t = text;
  std::optional<mua::Security> security;
  if (auto slash = t.rfind('/'); slash != std::string::npos) {
    mua::Security s;
    if (!mua::parse_security(t.substr(slash + 1), s)) {
      error = "\"" + text + "\": security is tls, starttls or none";
      return false;
    }
    security = s;
    t = t.substr(0, slash);
  }
  std::string host = t;
  int port = 0;
  std::size_t colon = t.rfind(':');
  bool bracketed = !t.empty() && t.front() == '[';
  if (colon != std::string::npos && (bracketed ? t.find(']') < colon : t.find(':') == colon)) {
    host = t.substr(0, colon);
    port = std::atoi(t.substr(colon + 1).c_str());
    if (port <= 0 || port > 65535) {
      error = "\"" + text + "\": bad port";
      return false;
    }
  }
  if (bracketed && host.size() > 2 && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty() || host.find_first_of(" \t/@") != std::string::npos) {
    error = "\"" + text + "\": expected HOST[:PORT][/tls|/starttls|/none]";
    return false;
  }
  if (!security) {
    bool plain_port = port == 587 || port == 25 || port == 143 || port == 110;
    security = plain_port ? mua::Security::starttls : mua::Security::tls;
  }
  if (*security == mua::Security::none && !mua::is_loopback_host(host)) {
    error = "\"" + text + "\": none (no TLS) is only allowed to localhost, 127.0.0.0/8 or ::1";
    return false;
  }
  out.host = host;
  out.security = *security;
  out.port = port ? static_cast<std::uint16_t>(port) : mua::default_port(service, *security);
  return true;
}

// Asks until the answer is acceptable (at most 5 times); nullopt after printing the error.
std::optional<std::string> ask(const std::string& question, bool allow_empty = false) {
  for (int i = 0; i < 5; ++i) {
    auto a = mua::ask_tty(question, true);
    if (!a) {
      fail(a.error().text);
      return std::nullopt;
    }
    std::string v = *a;
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.pop_back();
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.erase(0, 1);
    if (!v.empty() || allow_empty) return v;
  }
  fail("no answer given");
  return std::nullopt;
}

bool ask_endpoint(const char* what, mua::Service service, bool optional, mua::Endpoint& out) {
  for (int i = 0; i < 5; ++i) {
    auto a = ask(std::string(what) + " server (HOST[:PORT][/tls|/starttls])" +
                     (optional ? ", empty for none: " : ": "),
                 optional);
    if (!a) return false;
    if (a->empty()) return true;
    std::string error;
    if (parse_endpoint(*a, service, out, error)) return true;
    std::fprintf(stderr, "%s\n", error.c_str());
  }
  fail("no usable answer");
  return false;
}

std::string default_account_name(const std::string& address) {
  std::string name;
  for (char c : address.substr(0, address.find('@')))
    name.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '-' ? c : '_');
  return mua::valid_account_name(name) ? name : "main";
}

int run_setup(const MailGlobals& g, const SetupOptions& o) {
  const bool tty = mua::have_tty();
  std::filesystem::path file =
      g.account_file.empty() ? mua::default_config_path() : std::filesystem::path(g.account_file);
  mua::Account a;
  // The address and the display name.
  a.address = o.address;
  if (a.address.empty()) {
    if (!tty) return fail("setup: give --address (there is no terminal to ask on)");
    auto v = ask("Email address: ");
    if (!v) return 1;
    a.address = *v;
  }
  auto parsed = mua::parse_recipients(a.address);
  if (!parsed || parsed->size() != 1 || !(*parsed)[0].name.empty())
    return fail("setup: \"" + a.address + "\" is not an address like alice@example.org");
  a.address = (*parsed)[0].address;
  a.display_name = o.display_name;
  if (a.display_name.empty() && tty && !o.yes) {
    auto v = ask("Your name (shown in From, may be empty): ", true);
    if (!v) return 1;
    a.display_name = *v;
  }
  a.name = o.account_name.empty()
               ? (g.account_name.empty() ? default_account_name(a.address) : g.account_name)
               : o.account_name;
  if (!mua::valid_account_name(a.name))
    return fail("setup: the account name \"" + a.name +
                "\" must be 1-64 letters, digits, '-' and '_'");
  // The password source.
  if (!o.password_command.empty() && !o.password_env.empty())
    return fail("setup: give only one of --password-command and --password-env");
  if (!o.password_command.empty()) {
    a.password = {mua::PasswordSource::Kind::command, o.password_command};
  } else if (!o.password_env.empty()) {
    a.password = {mua::PasswordSource::Kind::env, o.password_env};
  } else if (tty && !o.yes) {
    auto v =
        ask("Password: [p]rompt each time, [c]ommand (like `pass show mail`) or "
            "[e]nvironment variable? [p] ",
            true);
    if (!v) return 1;
    if (*v == "c" || *v == "command") {
      auto cmd = ask("Command that prints the password: ");
      if (!cmd) return 1;
      a.password = {mua::PasswordSource::Kind::command, *cmd};
    } else if (*v == "e" || *v == "env") {
      auto var = ask("Environment variable: ");
      if (!var) return 1;
      a.password = {mua::PasswordSource::Kind::env, *var};
    }
  }
  a.ca_file = o.ca_file.empty() ? "" : std::filesystem::absolute(o.ca_file).string();
  // The servers: given, else found, else asked.
  std::string error;
  if (!o.submission.empty() &&
      !parse_endpoint(o.submission, mua::Service::submission, a.submission, error))
    return fail("setup: --submission " + error);
  if (!o.imap.empty() && !parse_endpoint(o.imap, mua::Service::imap, a.imap, error))
    return fail("setup: --imap " + error);
  if (!o.pop3.empty() && !parse_endpoint(o.pop3, mua::Service::pop3, a.pop3, error))
    return fail("setup: --pop3 " + error);
  bool given = a.submission.configured() || a.imap.configured() || a.pop3.configured();
  if (!given) {
    mua::DiscoveryOptions d;
    d.autoconfig_urls = o.autoconfig_urls;
    d.autoconfig = !o.no_autoconfig;
    d.dns = !o.no_dns;
    d.dns_servers = o.dns_servers;
    d.ca_file = a.ca_file;
    d.timeout = std::chrono::seconds(10);
    std::printf("Looking for the servers of %s...\n", a.address.c_str());
    std::fflush(stdout);
    mua::Discovered found = mua::discover_servers(a.address, d);
    if (found.found()) {
      std::printf("Found by %s\n", found.source.c_str());
      a.submission = found.submission;
      a.imap = found.imap;
      a.pop3 = found.pop3;
      a.user = found.user;
    } else {
      std::printf("Nothing found:\n");
      for (const auto& n : found.notes) std::printf("  %s\n", n.c_str());
    }
  }
  if (!a.submission.configured()) {
    if (!tty) return fail("setup: no submission server found; give --submission HOST:PORT");
    if (!ask_endpoint("Submission (SMTP)", mua::Service::submission, false, a.submission)) return 1;
  }
  if (!a.imap.configured() && !a.pop3.configured() && tty && !o.yes) {
    if (!ask_endpoint("IMAP", mua::Service::imap, true, a.imap)) return 1;
    if (!a.imap.configured() && !ask_endpoint("POP3", mua::Service::pop3, true, a.pop3)) return 1;
  }
  std::printf(
      "Account \"%s\": %s%s\n  submission %s\n  imap       %s\n  pop3       %s\n  login      "
      "%s\n  password   %s\n",
      a.name.c_str(), a.address.c_str(),
      a.display_name.empty() ? "" : (" (" + a.display_name + ")").c_str(),
      endpoint_text(a.submission).c_str(), endpoint_text(a.imap).c_str(),
      endpoint_text(a.pop3).c_str(), a.login().c_str(),
      a.password.kind == mua::PasswordSource::Kind::command
          ? ("command `" + a.password.value + "`").c_str()
      : a.password.kind == mua::PasswordSource::Kind::env ? ("$" + a.password.value).c_str()
                                                          : "asked each time");
  if (tty && !o.yes) {
    auto v = ask("Write it to " + file.string() + "? [Y/n] ", true);
    if (!v) return 1;
    if (!v->empty() && *v != "y" && *v != "Y" && *v != "yes") return fail("setup: nothing written");
  }
  // Beside the accounts already there; one of the same name is replaced.
  mua::ClientConfig config;
  std::error_code ec;
  if (std::filesystem::exists(file, ec)) {
    auto existing = mua::load_client_config(file);
    if (!existing) return fail("setup: " + existing.error().text + " (fix it or use --account)");
    config = std::move(*existing);
  }
  config.file = file;
  a.outbox = mua::default_outbox(a.name);
  bool replaced = false;
  for (auto& old : config.accounts)
    if (old.name == a.name) {
      a.sent_mailbox = old.sent_mailbox;
      a.outbox = old.outbox;
      a.maildir = old.maildir;
      a.smime_store = old.smime_store;
      old = a;
      replaced = true;
    }
  if (!replaced) config.accounts.push_back(a);
  auto saved = mua::save_client_config(config);
  if (!saved) return fail("setup: " + saved.error().text);
  std::printf("%s account \"%s\" in %s\n", replaced ? "Replaced" : "Wrote", a.name.c_str(),
              file.c_str());
  return 0;
}

}  // namespace

void register_mail_setup_command(CLI::App& mail, MailAction& action) {
  auto o = std::make_shared<SetupOptions>();
  auto* setup = mail.add_subcommand(
      "setup",
      "write an account into client.toml, finding its servers by autoconfig or SRV "
      "records (asks on the terminal for what the options do not give)");
  setup->add_option("--address", o->address, "the email address");
  setup->add_option("--display-name", o->display_name, "your name, shown in From");
  setup->add_option("--account-name", o->account_name,
                    "the [account.NAME] (default: --name, else the address's local part)");
  setup->add_option("--password-command", o->password_command,
                    "a command printing the password (e.g. \"pass show mail\")");
  setup->add_option("--password-env", o->password_env, "an environment variable holding it");
  setup->add_option("--ca-file", o->ca_file, "a CA certificate file to trust (PEM)");
  setup->add_option("--submission", o->submission, "HOST[:PORT][/tls|/starttls|/none]");
  setup->add_option("--imap", o->imap, "HOST[:PORT][/tls|/starttls|/none]");
  setup->add_option("--pop3", o->pop3, "HOST[:PORT][/tls|/starttls|/none]");
  setup->add_option("--autoconfig-url", o->autoconfig_urls,
                    "an autoconfig URL to try first (repeatable; https only)");
  setup->add_option("--dns-server", o->dns_servers,
                    "ask this DNS server for SRV records, e.g. 127.0.0.1@5353 (repeatable)");
  setup->add_flag("--no-autoconfig", o->no_autoconfig, "do not fetch autoconfig files");
  setup->add_flag("--no-dns", o->no_dns, "do not look up SRV records");
  setup->add_flag("--yes", o->yes, "ask nothing that has a default; write without confirming");
  setup->callback(
      [&action, o] { action = [o](const MailGlobals& g) { return run_setup(g, *o); }; });
}

}  // namespace estafeta::cli
