// mua_account_save: save_client_config (mua_account.hpp): writes client.toml in the format
// load_client_config reads (docs/MUA.md), atomically: a 0600 temporary file in the same
// folder, written, fsync'd, renamed over the old one, and the folder fsync'd. The folder is
// made (0700) when missing. Paths equal to their defaults are left out, so the file stays
// short and follows the defaults if they change.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "config/config_keys.hpp"
#include "mua/mua_account.hpp"

namespace estafeta::mua {

namespace fs = std::filesystem;

namespace {

PeerError error(std::string text) {
  return PeerError{0, "", std::move(text)};
}

// A TOML basic string: the server's configuration writer's, so both files quote alike.
std::string quote(std::string_view s) {
  return config::toml_quote(s);
}

void endpoint(std::string& out, const std::string& table, const Endpoint& e) {
  if (!e.configured()) return;
  out += "\n[" + table + "]\n";
  out += "host = " + quote(e.host) + "\n";
  out += "port = " + std::to_string(e.port) + "\n";
  out += std::string("security = ") + quote(security_name(e.security)) + "\n";
}

std::string render(const ClientConfig& config) {
  std::string out = "# The mail client's accounts (estafeta mail; the format is in docs/MUA.md).\n";
  if (!config.default_account.empty()) out += "default = " + quote(config.default_account) + "\n";
  const fs::path home_maildir = [] {
    const char* h = std::getenv("HOME");
    return fs::path(h && h[0] == '/' ? h : "/") / "Maildir";
  }();
  for (const Account& a : config.accounts) {
    std::string t = "account." + a.name;
    out += "\n[" + t + "]\n";
    out += "address = " + quote(a.address) + "\n";
    if (!a.display_name.empty()) out += "name = " + quote(a.display_name) + "\n";
    if (!a.user.empty()) out += "user = " + quote(a.user) + "\n";
    if (a.password.kind == PasswordSource::Kind::command)
      out += "password_command = " + quote(a.password.value) + "\n";
    else if (a.password.kind == PasswordSource::Kind::env)
      out += "password_env = " + quote(a.password.value) + "\n";
    if (!a.ca_file.empty()) out += "ca_file = " + quote(a.ca_file) + "\n";
    if (a.sent_mailbox != "Sent") out += "sent_mailbox = " + quote(a.sent_mailbox) + "\n";
    if (!a.outbox.empty() && a.outbox != default_outbox(a.name))
      out += "outbox = " + quote(a.outbox.string()) + "\n";
    if (!a.maildir.empty() && a.maildir != home_maildir)
      out += "maildir = " + quote(a.maildir.string()) + "\n";
    if (!a.smime_store.empty() && a.smime_store != data_home() / "smime")
      out += "smime_store = " + quote(a.smime_store.string()) + "\n";
    endpoint(out, t + ".submission", a.submission);
    endpoint(out, t + ".imap", a.imap);
    endpoint(out, t + ".pop3", a.pop3);
  }
  return out;
}

}  // namespace

Result<bool> save_client_config(const ClientConfig& config) {
  for (const Account& a : config.accounts)
    if (!valid_account_name(a.name)) return error("bad account name \"" + a.name + "\"");
  const fs::path& file = config.file;
  if (file.empty()) return error("no file to save the client configuration to");
  fs::path dir = file.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec) return error(dir.string() + ": cannot create: " + ec.message());
    ::chmod(dir.c_str(), 0700);
  }
  std::string text = render(config);
  std::string tmpl = (dir / ("." + file.filename().string() + ".XXXXXX")).string();
  int fd = ::mkstemp(tmpl.data());  // mode 0600
  if (fd < 0) return error(dir.string() + ": cannot create a file: " + std::strerror(errno));
  auto fail = [&](const std::string& what) {
    std::string e = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    ::unlink(tmpl.c_str());
    return error(file.string() + ": " + what + ": " + e);
  };
  if (::fchmod(fd, 0600) != 0) return fail("chmod");
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("write");
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) return fail("fsync");
  if (::close(fd) != 0) {
    fd = -1;
    return fail("close");
  }
  fd = -1;
  if (::rename(tmpl.c_str(), file.c_str()) != 0) return fail("rename");
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

}  // namespace estafeta::mua
