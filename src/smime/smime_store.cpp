// smime_store: see smime_store.hpp.
#include "smime/smime_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <system_error>

#include "smime/smime_ossl.hpp"

namespace estafeta::smime {

namespace fs = std::filesystem;

namespace {

PeerError io_error(const std::string& what, int err) {
  return PeerError{451, "4.3.0", what + ": " + std::strerror(err)};
}

Result<std::string> read_small(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return PeerError{550, "5.1.0", "cannot read " + p.string()};
  std::string data;
  char buf[16384];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    data.append(buf, static_cast<std::size_t>(in.gcount()));
    if (data.size() > Store::kMaxFileSize)
      return PeerError{552, "5.3.4", p.string() + " is too large"};
  }
  return data;
}

// Writes `data` to `p` through a temporary file created with `mode` (never looser), synced
// and renamed into place.
Status write_file(const fs::path& p, std::string_view data, mode_t mode) {
  fs::path tmp = p;
  tmp += ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return io_error("cannot write " + tmp.string(), errno);
  ::fchmod(fd, mode);  // umask may have made it stricter; never looser than `mode`
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return io_error("cannot write " + tmp.string(), err);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return io_error("cannot write " + tmp.string(), err);
  }
  if (::rename(tmp.c_str(), p.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return io_error("cannot rename into " + p.string(), err);
  }
  return Ok{};
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// An address that can name a file: printable ASCII, one '@', no '/', not starting with '.'.
bool safe_address(std::string_view a) {
  if (a.empty() || a.size() > 254 || a.front() == '.' || a.find('@') == std::string_view::npos)
    return false;
  for (unsigned char c : a)
    if (c <= 0x20 || c >= 0x7f || c == '/' || c == '\\') return false;
  return true;
}

std::vector<fs::path> list(const fs::path& dir, std::string_view suffix) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    auto name = it->path().filename().string();
    if (name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        name.find(".tmp.") == std::string::npos)
      out.push_back(it->path());
    if (out.size() >= Store::kMaxEntries) break;
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

fs::path Store::default_dir() {
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg)
    return fs::path(xdg) / "estafeta" / "smime";
  const char* home = std::getenv("HOME");
  return fs::path(home && *home ? home : ".") / ".local" / "share" / "estafeta" / "smime";
}

Status Store::open() {
  std::error_code ec;
  for (const auto& d : {dir_, dir_ / "own", dir_ / "people"}) {
    fs::create_directories(d, ec);
    if (ec) return PeerError{451, "4.3.0", "cannot create " + d.string() + ": " + ec.message()};
    if (::chmod(d.c_str(), 0700) != 0)
      return io_error("cannot set the mode of " + d.string(), errno);
  }
  return Ok{};
}

Result<CertInfo> Store::import_identity(const Identity& id, std::string_view passphrase) {
  if (auto st = check_identity(id); !st) return st.error();
  auto key = ossl::read_key(id.key_pem);
  if (!key) return key.error();
  auto info = read_certificate(id.cert_pem);
  if (!info) return info.error();
  fs::path base = dir_ / "own" / info->fingerprint;
  // The key first, encrypted with the passphrase when there is one, mode 0600 either way.
  std::string key_pem = ossl::key_pem(key->get(), passphrase);
  if (key_pem.empty()) return ossl::error("cannot encode the private key");
  if (auto st = write_file(fs::path(base) += ".key.pem", key_pem, 0600); !st) return st.error();
  if (auto st = write_file(fs::path(base) += ".chain.pem", id.chain_pem, 0600); !st)
    return st.error();
  if (auto st = write_file(fs::path(base) += ".cert.pem", info->pem, 0600); !st) return st.error();
  return info;
}

Result<CertInfo> Store::import_pkcs12(std::string_view der, const PassphraseCallback& passphrase,
                                      const std::string& label) {
  auto id = identity_from_pkcs12(der, "");
  std::string pass;
  for (int attempt = 0; !id && attempt < 3; ++attempt) {
    if (!passphrase || !passphrase("Passphrase for " + label + ": ", pass))
      return PeerError{550, "5.7.0", "no passphrase given for " + label};
    id = identity_from_pkcs12(der, pass);
  }
  if (!id) return id.error();
  return import_identity(*id, pass);
}

Result<CertInfo> Store::add_certificate(std::string_view pem) {
  auto info = read_certificate(pem);
  if (!info) return info.error();
  if (info->emails.empty())
    return PeerError{550, "5.7.0", "the certificate names no e-mail address: " + info->subject};
  for (const auto& e : info->emails) {
    if (!safe_address(e)) continue;
    fs::path p = dir_ / "people" / (e + ".pem");
    if (auto old = read_small(p); old) {
      auto old_info = read_certificate(*old);
      // Keep the one valid longest (a renewed certificate replaces the old one).
      if (old_info && old_info->not_after_t > info->not_after_t) continue;
    }
    if (auto st = write_file(p, info->pem, 0644); !st) return st.error();
  }
  return info;
}

Result<std::vector<CertInfo>> Store::own() const {
  std::vector<CertInfo> out;
  for (const auto& p : list(dir_ / "own", ".cert.pem")) {
    auto data = read_small(p);
    if (!data) return data.error();
    auto info = read_certificate(*data);
    if (!info) return PeerError{550, "5.7.0", p.string() + ": " + info.error().text};
    out.push_back(std::move(*info));
  }
  return out;
}

Result<std::vector<CertInfo>> Store::people() const {
  std::vector<CertInfo> out;
  for (const auto& p : list(dir_ / "people", ".pem")) {
    auto data = read_small(p);
    if (!data) return data.error();
    auto info = read_certificate(*data);
    if (!info) return PeerError{550, "5.7.0", p.string() + ": " + info.error().text};
    // One file per address: show a certificate once.
    bool seen = false;
    for (const auto& o : out) seen = seen || o.fingerprint == info->fingerprint;
    if (!seen) out.push_back(std::move(*info));
  }
  return out;
}

namespace {

Result<Identity> load_own(const fs::path& base, const CertInfo& info,
                          const PassphraseCallback& passphrase) {
  auto key_pem = read_small(fs::path(base) += ".key.pem");
  if (!key_pem) return key_pem.error();
  auto chain = read_small(fs::path(base) += ".chain.pem");
  std::string pass;
  auto key = ossl::read_key(*key_pem);
  if (!key && key_pem->find("ENCRYPTED") != std::string::npos) {
    std::string who = info.emails.empty() ? info.subject : info.emails.front();
    for (int attempt = 0; !key && attempt < 3; ++attempt) {
      if (!passphrase || !passphrase("Passphrase for the key of " + who + ": ", pass))
        return PeerError{550, "5.7.0", "no passphrase given for the key of " + who};
      key = ossl::read_key(*key_pem, pass);
    }
  }
  if (!key) return key.error();
  Identity id;
  id.key_pem = ossl::key_pem(key->get());
  id.cert_pem = info.pem;
  id.chain_pem = chain ? *chain : std::string();
  return id;
}

}  // namespace

Result<Identity> Store::own_identity(std::string_view address,
                                     const PassphraseCallback& passphrase) const {
  auto mine = own();
  if (!mine) return mine.error();
  for (const auto& c : *mine) {
    if (!address.empty() && !c.covers(address)) continue;
    return load_own(dir_ / "own" / c.fingerprint, c, passphrase);
  }
  return PeerError{550, "5.7.0",
                   address.empty()
                       ? std::string("no own certificate in ") + dir_.string()
                       : "no own certificate for " + std::string(address) + " in " + dir_.string()};
}

std::vector<Identity> Store::own_identities(const PassphraseCallback& passphrase) const {
  std::vector<Identity> out;
  auto mine = own();
  if (!mine) return out;
  for (const auto& c : *mine)
    if (auto id = load_own(dir_ / "own" / c.fingerprint, c, passphrase))
      out.push_back(std::move(*id));
  return out;
}

Result<CertInfo> Store::find(std::string_view address) const {
  std::string a = lower(address);
  if (safe_address(a)) {
    if (auto data = read_small(dir_ / "people" / (a + ".pem")); data)
      return read_certificate(*data);
  }
  if (auto mine = own(); mine)
    for (const auto& c : *mine)
      if (c.covers(a)) return c;
  return PeerError{550, "5.7.0", "no S/MIME certificate for " + std::string(address)};
}

std::size_t Store::collect(const Verdict& v) {
  std::size_t written = 0;
  for (const auto& l : v.layers)
    for (const auto& s : l.signatures) {
      if (!s.signer_found || !s.signature_ok || !s.chain.trusted || s.chain.expired ||
          s.chain.not_yet_valid || s.chain.revoked || s.chain.wrong_purpose)
        continue;
      if (!add_certificate(s.signer.pem)) continue;
      ++written;
      if (s.capabilities.empty()) continue;
      std::string caps;
      for (const auto& c : s.capabilities) caps += c + "\n";
      for (const auto& e : s.signer.emails)
        if (safe_address(e)) (void)write_file(dir_ / "people" / (e + ".caps"), caps, 0644);
    }
  return written;
}

std::vector<std::string> Store::capabilities(std::string_view address) const {
  std::vector<std::string> out;
  std::string a = lower(address);
  if (!safe_address(a)) return out;
  auto data = read_small(dir_ / "people" / (a + ".caps"));
  if (!data) return out;
  std::size_t pos = 0;
  while (pos < data->size() && out.size() < 32) {
    auto nl = data->find('\n', pos);
    if (nl == std::string::npos) nl = data->size();
    if (nl > pos) out.push_back(data->substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

}  // namespace estafeta::smime
