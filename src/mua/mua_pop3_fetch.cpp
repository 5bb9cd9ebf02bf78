// mua_pop3_fetch: see mua_pop3_fetch.hpp.
#include "mua/mua_pop3_fetch.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>

#include "mua/mua_connection.hpp"
#include "mua/mua_maildir.hpp"

namespace estafeta::mua {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxStateFile = 64 * 1024 * 1024;

std::set<std::string> read_uidls(const fs::path& file) {
  std::set<std::string> out;
  std::ifstream in(file, std::ios::binary);
  std::string line;
  std::size_t total = 0;
  while (std::getline(in, line) && total < kMaxStateFile) {
    total += line.size() + 1;
    if (line.empty() || line.front() == '#' || line.size() > 70) continue;
    out.insert(line);
  }
  return out;
}

bool append_uidl(const fs::path& file, const std::string& uidl) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  std::string line = uidl + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

bool rewrite_uidls(const fs::path& file, const std::set<std::string>& uidls) {
  fs::path tmp = file;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  std::string text = "# UIDLs `estafeta mail fetch` has stored; delete this file to fetch again\n";
  for (const auto& u : uidls) text += u + "\n";
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (ok) ok = ::rename(tmp.c_str(), file.c_str()) == 0;
  if (!ok) ::unlink(tmp.c_str());
  return ok;
}

Pop3Done failed(std::string error) {
  Pop3Done d;
  d.error = std::move(error);
  return d;
}

}  // namespace

Pop3Done fetch_pop3(const Account& account, const std::string& password,
                    const FetchOptions& options, std::FILE* out) {
  if (!account.pop3.configured())
    return failed("account \"" + account.name + "\" has no [account." + account.name +
                  ".pop3] server");
  fs::path state = options.uidl_file.empty() ? data_home() / "pop3" / (account.name + ".uidl")
                                             : options.uidl_file;
  std::error_code ec;
  fs::create_directories(state.parent_path(), ec);
  if (ec) return failed(state.parent_path().string() + ": cannot create: " + ec.message());

  ConnectOptions co = connect_options(account, account.pop3);
  co.io_timeout = options.io_timeout;
  auto opened = Connection::open(co);
  if (!opened) return failed(opened.error().text);
  std::unique_ptr<Connection> conn = std::move(*opened);

  Pop3ClientConfig cfg;
  cfg.user = account.login();
  cfg.password = password;
  cfg.starttls = account.pop3.security == Security::starttls;
  cfg.tls_active = account.pop3.security == Security::tls;
  cfg.allow_plaintext = account.pop3.security == Security::none && conn->peer_is_loopback();
  cfg.delete_after = options.delete_after;
  cfg.known = read_uidls(state);
  std::set<std::string> known = cfg.known;
  Pop3ClientSession session(std::move(cfg));

  while (true) {
    std::optional<Pop3Event> ev = session.next_event();
    if (!ev) {
      auto bytes = conn->read_some();
      if (!bytes)
        session.connection_lost(bytes.error().text);
      else if (bytes->empty())
        session.connection_lost("closed by the server");
      else
        session.receive(*bytes);
      continue;
    }
    if (auto* s = std::get_if<Pop3Send>(&*ev)) {
      auto w = conn->write(s->bytes);
      if (!w) session.connection_lost(w.error().text);
    } else if (std::holds_alternative<Pop3StartTls>(*ev)) {
      auto t = conn->start_tls();
      if (t)
        session.tls_started();
      else
        session.tls_failed(t.error().text);
    } else if (auto* m = std::get_if<Pop3Message>(&*ev)) {
      auto stored = maildir_store(account.maildir, to_lf_line_ends(m->bytes));
      if (!stored) {
        session.stored(false, stored.error().text);
        continue;
      }
      // The message is safe before its UIDL is remembered (a crash between the two fetches
      // it again, never loses it).
      if (!append_uidl(state, m->uidl)) {
        session.stored(false, state.string() + ": cannot record the UIDL: " + std::strerror(errno));
        continue;
      }
      known.insert(m->uidl);
      std::fprintf(out, "stored %s\n", stored->filename().c_str());
      session.stored(true);
    } else if (auto* d = std::get_if<Pop3Done>(&*ev)) {
      conn->close();
      Pop3Done result = std::move(*d);
      if (result.ok) {
        // Forget the UIDLs the server no longer lists (deleted here or elsewhere).
        std::set<std::string> listed(result.server_uidls.begin(), result.server_uidls.end());
        std::set<std::string> keep;
        for (const auto& u : known)
          if (listed.count(u)) keep.insert(u);
        rewrite_uidls(state, keep);
      }
      return result;
    }
  }
}

}  // namespace estafeta::mua
