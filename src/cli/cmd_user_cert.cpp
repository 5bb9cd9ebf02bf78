// cmd_user_cert: `estafeta user cert ADDRESS [FILE] [--remove]`: publishes an account's S/MIME
// certificate for encryption at rest (delivery_encryption.hpp): from then on, mail delivered
// to the account is stored encrypted to it (with delivery.encrypt on, the default). FILE is
// the user's certificate in PEM (never the key: the server must not be able to read the
// mail); it must name the address (subjectAltName rfc822Name or emailAddress), be in date and
// not a CA. Without FILE: shows what is published. --remove withdraws it (mail delivered
// before stays encrypted). Input: the operator's command line and file (checked, bounded).
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <string>

#include "auth/auth_address.hpp"
#include "cli/cli_store.hpp"
#include "cli/commands.hpp"
#include "delivery/delivery_encryption.hpp"
#include "smime/smime_cert.hpp"

namespace estafeta::cli {
namespace {

constexpr std::size_t kMaxFile = 256 * 1024;

// Writes `pem` to `path` (mode 0644: a certificate is public) via a temporary file and rename.
std::string write_atomically(const std::filesystem::path& path, const std::string& pem) {
  const auto tmp = path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return fmt::format("cannot write {}: {}", tmp, std::strerror(errno));
  const bool ok =
      ::write(fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return fmt::format("cannot write {}: {}", path.string(), std::strerror(errno));
  }
  return "";
}

void show(const smime::CertInfo& c) {
  std::printf("  subject:     %s\n  issuer:      %s\n  valid:       %s to %s\n", c.subject.c_str(),
              c.issuer.c_str(), c.not_before.c_str(), c.not_after.c_str());
  for (const auto& e : c.emails) std::printf("  address:     %s\n", e.c_str());
  std::printf("  fingerprint: SHA-256 %s\n", c.fingerprint.c_str());
}

}  // namespace

int run_user_cert(const config::Config& config, const std::string& address, const std::string& file,
                  bool remove) {
  auto parsed = auth::parse_account(address);
  if (!parsed) return fail("invalid account address: " + address);
  const std::string name = parsed->full();
  auto store = open_store(config);
  if (!store) return 1;
  if (!store->has_user(name)) return fail("no such user: " + name);
  const auto dir = config.data_dir / "smime-certs";
  const auto path = delivery::AtRestEncryption::certificate_path(dir, name);
  if (path.empty()) return fail("this address cannot name a certificate file: " + name);

  if (remove) {
    if (::unlink(path.c_str()) != 0) {
      if (errno == ENOENT) return fail("no certificate is published for " + name);
      return fail(fmt::format("cannot remove {}: {}", path.string(), std::strerror(errno)));
    }
    std::printf("certificate of %s withdrawn: new mail is stored unencrypted\n", name.c_str());
    return 0;
  }
  if (file.empty()) {
    delivery::AtRestEncryption enc(dir);
    const std::string pem = enc.certificate(name);
    if (pem.empty()) {
      std::printf("%s: no certificate published (mail is stored unencrypted)\n", name.c_str());
      return 0;
    }
    auto info = smime::read_certificate(pem);
    if (!info) return fail(path.string() + ": " + info.error().text);
    std::printf("%s: mail is stored encrypted%s to\n", name.c_str(),
                config.delivery.encrypt ? "" : " (but delivery.encrypt is off)");
    show(*info);
    return 0;
  }

  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(fmt::format("cannot read {}: {}", file, std::strerror(errno)));
  std::string pem(kMaxFile + 1, '\0');
  in.read(pem.data(), static_cast<std::streamsize>(pem.size()));
  pem.resize(static_cast<std::size_t>(in.gcount()));
  if (pem.size() > kMaxFile) return fail(file + ": larger than 256 KiB: not a certificate");
  if (pem.find("PRIVATE KEY") != std::string::npos)
    return fail(file +
                ": contains a private key; publish the certificate only (the server "
                "must not be able to open the mail)");
  auto info = smime::read_certificate(pem);
  if (!info) return fail(file + ": " + info.error().text);
  if (info->is_ca) return fail(file + ": a CA certificate, not a user's");
  if (!info->covers(name)) {
    std::string names;
    for (const auto& e : info->emails) names += (names.empty() ? "" : ", ") + e;
    return fail(fmt::format("{}: the certificate does not name {} (it names: {})", file, name,
                            names.empty() ? std::string("no address") : names));
  }
  const std::time_t now = std::time(nullptr);
  if (info->not_after_t < now)
    return fail(file + ": the certificate expired on " + info->not_after);
  if (info->not_before_t > now)
    return fail(file + ": the certificate is not valid before " + info->not_before);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  ::chmod(dir.c_str(), 0755);
  if (std::string e = write_atomically(path, info->pem); !e.empty()) return fail(e);
  std::printf("%s: new mail will be stored encrypted to\n", name.c_str());
  show(*info);
  if (!config.delivery.encrypt)
    std::printf("note: delivery.encrypt is off in the configuration: nothing is encrypted\n");
  return 0;
}

}  // namespace estafeta::cli
