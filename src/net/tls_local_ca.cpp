// tls_local_ca: creates and reuses the local CA and the server certificate (see the header).
// OpenSSL 3 EVP/X509 APIs only; every OpenSSL object is owned by a unique_ptr. Files are
// written to a temporary name, fsynced and renamed, so a crash never leaves half a key.
// Keys are P-256 ECDSA: accepted by every current client and cheap to handshake with.
// Name checks (does the CA's nameConstraints permit this name?) are OpenSSL's own
// NAME_CONSTRAINTS_check on a scratch certificate, so they agree with what clients verify.
#include "net/tls_local_ca.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>
#include <system_error>

#include "base/log.hpp"

namespace estafeta::net {
namespace {

struct Free {
  void operator()(X509* p) const { X509_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(ASN1_INTEGER* p) const { ASN1_INTEGER_free(p); }
  void operator()(NAME_CONSTRAINTS* p) const { NAME_CONSTRAINTS_free(p); }
};
using X509Ptr = std::unique_ptr<X509, Free>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Free>;
using BioPtr = std::unique_ptr<BIO, Free>;
using NameConstraintsPtr = std::unique_ptr<NAME_CONSTRAINTS, Free>;

constexpr long kDay = 24L * 60 * 60;
constexpr long kCaLifetime = 3650 * kDay;     // 10 years
constexpr long kServerLifetime = 730 * kDay;  // 2 years
constexpr long kRenewBefore = 30 * kDay;

std::string openssl_error() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

bool read_file_bio(const std::filesystem::path& path, BioPtr& out) {
  out.reset(BIO_new_file(path.c_str(), "rb"));
  return out != nullptr;
}

X509Ptr load_certificate(const std::filesystem::path& path) {
  BioPtr bio;
  if (!read_file_bio(path, bio)) return {};
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

KeyPtr load_key(const std::filesystem::path& path) {
  BioPtr bio;
  if (!read_file_bio(path, bio)) return {};
  return KeyPtr(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

// Writes `data` to `path` with `mode` atomically: temp file, fsync, rename, fsync dir.
bool write_file_atomic(const std::filesystem::path& path, std::string_view data, mode_t mode,
                       std::string& error) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    error = "cannot create " + tmp.string() + ": " + std::strerror(errno);
    return false;
  }
  ::fchmod(fd, mode);  // the umask must not widen or narrow what we asked for
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = "cannot write " + tmp.string() + ": " + std::strerror(errno);
      ::close(fd);
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    error = "cannot write " + tmp.string() + ": " + std::strerror(errno);
    return false;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    error = "cannot rename " + tmp.string() + ": " + std::strerror(errno);
    return false;
  }
  int dfd = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(len > 0 ? len : 0));
}

std::string pem_of(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return {};
  return bio_contents(bio.get());
}

std::string pem_of(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return {};
  return bio_contents(bio.get());
}

KeyPtr generate_key() {
  return KeyPtr(EVP_EC_gen("P-256"));
}

// A random positive 127-bit serial number (RFC 5280 §4.1.2.2: at most 20 octets).
bool set_random_serial(X509* cert) {
  std::unique_ptr<BIGNUM, Free> bn(BN_new());
  if (!bn || BN_rand(bn.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1) return false;
  std::unique_ptr<ASN1_INTEGER, Free> serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  return serial && X509_set_serialNumber(cert, serial.get()) == 1;
}

bool add_ext(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  std::unique_ptr<X509_EXTENSION, Free> ext(X509V3_EXT_nconf_nid(nullptr, ctx, nid, value));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

bool add_name_entry(X509_NAME* name, const char* field, std::string_view value) {
  return X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                    reinterpret_cast<const unsigned char*>(value.data()),
                                    static_cast<int>(value.size()), -1, 0) == 1;
}

// The octets of a numeric IPv4 (4) or IPv6 (16) address; nullopt for anything else.
std::optional<std::string> ip_octets(std::string_view text) {
  std::string s(text);
  unsigned char buf[16];
  if (::inet_pton(AF_INET, s.c_str(), buf) == 1)
    return std::string(reinterpret_cast<char*>(buf), 4);
  if (::inet_pton(AF_INET6, s.c_str(), buf) == 1)
    return std::string(reinterpret_cast<char*>(buf), 16);
  return std::nullopt;
}

// The canonical text of an address ("::ffff:0:1" style for IPv6), or "" if not numeric.
std::string canonical_ip(std::string_view text) {
  auto octets = ip_octets(text);
  if (!octets) return "";
  char buf[INET6_ADDRSTRLEN] = {};
  int family = octets->size() == 4 ? AF_INET : AF_INET6;
  if (!::inet_ntop(family, octets->data(), buf, sizeof buf)) return "";
  return buf;
}

bool is_ip(std::string_view text) {
  return ip_octets(text).has_value();
}

GENERAL_NAME* dns_name(std::string_view dns) {
  GENERAL_NAME* gn = GENERAL_NAME_new();
  ASN1_IA5STRING* s = ASN1_IA5STRING_new();
  if (!gn || !s || ASN1_STRING_set(s, dns.data(), static_cast<int>(dns.size())) != 1) {
    GENERAL_NAME_free(gn);
    ASN1_IA5STRING_free(s);
    return nullptr;
  }
  GENERAL_NAME_set0_value(gn, GEN_DNS, s);
  return gn;
}

// An iPAddress name: the address octets, followed in a name constraint by the mask octets
// (RFC 5280 §4.2.1.10: 8 octets for IPv4, 32 for IPv6).
GENERAL_NAME* ip_name(std::string_view ip, int prefix = -1) {
  auto octets = ip_octets(ip);
  if (!octets) return nullptr;
  std::string value = *octets;
  if (prefix >= 0) {
    std::string mask(octets->size(), '\0');
    for (int bit = 0; bit < prefix && bit < static_cast<int>(mask.size() * 8); ++bit)
      mask[static_cast<std::size_t>(bit / 8)] |= static_cast<char>(0x80 >> (bit % 8));
    value += mask;
  }
  GENERAL_NAME* gn = GENERAL_NAME_new();
  ASN1_OCTET_STRING* os = ASN1_OCTET_STRING_new();
  if (!gn || !os ||
      ASN1_OCTET_STRING_set(os, reinterpret_cast<const unsigned char*>(value.data()),
                            static_cast<int>(value.size())) != 1) {
    GENERAL_NAME_free(gn);
    ASN1_OCTET_STRING_free(os);
    return nullptr;
  }
  GENERAL_NAME_set0_value(gn, GEN_IPADD, os);
  return gn;
}

// What one certificate is for: DNS names and IP addresses (canonical), no duplicates.
struct Names {
  std::vector<std::string> dns;
  std::vector<std::string> ips;
};

void add_unique(std::vector<std::string>& v, std::string s) {
  if (!s.empty() && std::find(v.begin(), v.end(), s) == v.end()) v.push_back(std::move(s));
}

// The hostname (a DNS name, or an IP literal), localhost, the loopback addresses, then
// `addresses`.
Names names_for(std::string_view hostname, const std::vector<std::string>& addresses) {
  Names n;
  if (!hostname.empty()) {
    if (is_ip(hostname))
      add_unique(n.ips, canonical_ip(hostname));
    else
      add_unique(n.dns, std::string(hostname));
  }
  add_unique(n.dns, "localhost");
  add_unique(n.ips, "127.0.0.1");
  add_unique(n.ips, "::1");
  for (const auto& a : addresses) add_unique(n.ips, canonical_ip(a));
  return n;
}

// Subject alternative names built as GENERAL_NAMEs (never through the config-string
// syntax, so a hostname cannot smuggle extra names in).
bool add_subject_alt_names(X509* cert, const Names& wanted) {
  std::unique_ptr<GENERAL_NAMES, Free> names(sk_GENERAL_NAME_new_null());
  if (!names) return false;
  auto push = [&](GENERAL_NAME* gn) {
    if (!gn) return false;
    if (sk_GENERAL_NAME_push(names.get(), gn) <= 0) {
      GENERAL_NAME_free(gn);
      return false;
    }
    return true;
  };
  for (const auto& d : wanted.dns)
    if (!push(dns_name(d))) return false;
  for (const auto& ip : wanted.ips)
    if (!push(ip_name(ip))) return false;
  return X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) == 1;
}

// The CA's critical nameConstraints: permitted dNSName subtrees for the hostname and
// localhost (each also permits its subdomains, RFC 5280 §4.2.1.10), iPAddress subtrees for
// 127.0.0.0/8, ::1/128 and each address as a single host. Name types not listed (e-mail,
// URI) are not used for TLS server names.
bool add_name_constraints(X509* cert, const Names& wanted) {
  NameConstraintsPtr nc(NAME_CONSTRAINTS_new());
  if (!nc) return false;
  nc->permittedSubtrees = sk_GENERAL_SUBTREE_new_null();
  if (!nc->permittedSubtrees) return false;
  auto permit = [&](GENERAL_NAME* gn) {
    if (!gn) return false;
    GENERAL_SUBTREE* sub = GENERAL_SUBTREE_new();
    if (!sub) {
      GENERAL_NAME_free(gn);
      return false;
    }
    GENERAL_NAME_free(sub->base);
    sub->base = gn;
    if (sk_GENERAL_SUBTREE_push(nc->permittedSubtrees, sub) <= 0) {
      GENERAL_SUBTREE_free(sub);
      return false;
    }
    return true;
  };
  for (const auto& d : wanted.dns)
    if (!permit(dns_name(d))) return false;
  if (!permit(ip_name("127.0.0.0", 8))) return false;
  for (const auto& ip : wanted.ips) {
    if (ip.rfind("127.", 0) == 0) continue;  // inside 127.0.0.0/8 already
    if (!permit(ip_name(ip, ip.find(':') == std::string::npos ? 32 : 128))) return false;
  }
  return X509_add1_ext_i2d(cert, NID_name_constraints, nc.get(), 1, X509V3_ADD_DEFAULT) == 1;
}

// The CA's nameConstraints; nullptr when it has none (or they do not parse).
NameConstraintsPtr name_constraints_of(X509* ca) {
  return NameConstraintsPtr(
      static_cast<NAME_CONSTRAINTS*>(X509_get_ext_d2i(ca, NID_name_constraints, nullptr, nullptr)));
}

// True when `nc` permits the one name (a DNS name, or an IP address when `ip`): checked by
// OpenSSL on a scratch certificate whose only name it is.
bool permits(NAME_CONSTRAINTS* nc, const std::string& name, bool ip) {
  X509Ptr scratch(X509_new());
  if (!scratch) return false;
  Names one;
  (ip ? one.ips : one.dns).push_back(name);
  if (!add_subject_alt_names(scratch.get(), one)) return false;
  X509_check_purpose(scratch.get(), -1, 0);  // caches the SAN, which the check reads
  bool ok = NAME_CONSTRAINTS_check(scratch.get(), nc) == X509_V_OK;
  ERR_clear_error();
  return ok;
}

X509Ptr make_ca(EVP_PKEY* key, std::string_view hostname, const Names& wanted) {
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1 || !set_random_serial(cert.get())) return {};
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), kCaLifetime);
  X509_NAME* name = X509_get_subject_name(cert.get());
  std::string cn = "Estafeta local CA (" + std::string(hostname) + ")";
  if (cn.size() > 64) cn = "Estafeta local CA";  // RFC 5280 ub-common-name
  if (!add_name_entry(name, "O", "Estafeta") || !add_name_entry(name, "CN", cn)) return {};
  if (X509_set_issuer_name(cert.get(), name) != 1 || X509_set_pubkey(cert.get(), key) != 1)
    return {};
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  if (!add_ext(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
      !add_ext(cert.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") ||
      !add_ext(cert.get(), &ctx, NID_subject_key_identifier, "hash") ||
      !add_name_constraints(cert.get(), wanted))
    return {};
  if (X509_sign(cert.get(), key, EVP_sha256()) <= 0) return {};
  return cert;
}

X509Ptr make_server_certificate(EVP_PKEY* key, X509* ca, EVP_PKEY* ca_key,
                                std::string_view hostname, const Names& wanted) {
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1 || !set_random_serial(cert.get())) return {};
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), kServerLifetime);
  X509_NAME* name = X509_get_subject_name(cert.get());
  // The SAN carries the real names (RFC 6125 §6.4.4); the CN must still pass the CA's DNS
  // constraints, which OpenSSL applies to a CN that looks like a host name (an IP too).
  std::string cn(hostname.empty() || is_ip(hostname) ? "localhost" : hostname);
  if (cn.size() > 64) cn = "localhost";
  if (!add_name_entry(name, "CN", cn)) return {};
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(ca)) != 1 ||
      X509_set_pubkey(cert.get(), key) != 1)
    return {};
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, ca, cert.get(), nullptr, nullptr, 0);
  if (!add_ext(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE") ||
      !add_ext(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature") ||
      !add_ext(cert.get(), &ctx, NID_ext_key_usage, "serverAuth") ||
      !add_ext(cert.get(), &ctx, NID_subject_key_identifier, "hash") ||
      !add_ext(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always") ||
      !add_subject_alt_names(cert.get(), wanted))
    return {};
  if (X509_sign(cert.get(), ca_key, EVP_sha256()) <= 0) return {};
  return cert;
}

// True when the existing server certificate can be kept: signed by `ca`, matching its key,
// naming every wanted name, and valid for at least 30 more days.
bool server_certificate_usable(X509* cert, EVP_PKEY* key, EVP_PKEY* ca_key, const Names& wanted) {
  if (X509_verify(cert, ca_key) != 1 || X509_check_private_key(cert, key) != 1) {
    ERR_clear_error();
    return false;
  }
  bool names_all = true;
  for (const auto& d : wanted.dns)
    names_all = names_all && X509_check_host(cert, d.data(), d.size(), X509_CHECK_FLAG_NO_WILDCARDS,
                                             nullptr) == 1;
  for (const auto& ip : wanted.ips)
    names_all = names_all && X509_check_ip_asc(cert, ip.c_str(), 0) == 1;
  std::time_t horizon = std::time(nullptr) + kRenewBefore;
  bool fresh = X509_cmp_time(X509_get0_notAfter(cert), &horizon) > 0;
  ERR_clear_error();
  return names_all && fresh;
}

bool is_loopback_or_link_local(const sockaddr* sa) {
  if (sa->sa_family == AF_INET) {
    const auto* a =
        reinterpret_cast<const unsigned char*>(&reinterpret_cast<const sockaddr_in*>(sa)->sin_addr);
    return a[0] == 127 || (a[0] == 169 && a[1] == 254);
  }
  const auto& a6 = reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr;
  return IN6_IS_ADDR_LOOPBACK(&a6) || IN6_IS_ADDR_LINKLOCAL(&a6) || IN6_IS_ADDR_UNSPECIFIED(&a6);
}

// The machine's usable interface addresses (IPv4 only when `v4_only`).
void add_interface_addresses(std::vector<std::string>& out, bool v4_only) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) {
    log::warn("tls", "cannot list the interface addresses: {}", std::strerror(errno));
    return;
  }
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || !(i->ifa_flags & IFF_UP)) continue;
    int family = i->ifa_addr->sa_family;
    if (family != AF_INET && (family != AF_INET6 || v4_only)) continue;
    if (is_loopback_or_link_local(i->ifa_addr)) continue;
    char buf[INET6_ADDRSTRLEN] = {};
    const void* addr =
        family == AF_INET
            ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr)
            : static_cast<const void*>(
                  &reinterpret_cast<const sockaddr_in6*>(i->ifa_addr)->sin6_addr);
    if (::inet_ntop(family, addr, buf, sizeof buf)) add_unique(out, buf);
  }
  ::freeifaddrs(list);
}

}  // namespace

bool ensure_local_tls(const std::filesystem::path& tls_dir, std::string_view hostname,
                      const std::vector<std::string>& addresses, LocalTlsFiles& out,
                      std::string& error) {
  std::error_code ec;
  std::filesystem::create_directories(tls_dir, ec);
  if (ec) {
    error = "cannot create " + tls_dir.string() + ": " + ec.message();
    return false;
  }
  ::chmod(tls_dir.c_str(), 0700);
  out = LocalTlsFiles{};
  out.ca_certificate = tls_dir / "ca.pem";
  out.certificate = tls_dir / "server.pem";
  out.private_key = tls_dir / "server.key";
  const auto ca_key_path = tls_dir / "ca.key";
  const Names wanted = names_for(hostname, addresses);

  // The CA: reuse when both files load and belong together and its constraints (if any)
  // permit the hostname; otherwise make a new one (which forces a new server certificate).
  X509Ptr ca;
  KeyPtr ca_key;
  if (std::filesystem::exists(out.ca_certificate) || std::filesystem::exists(ca_key_path)) {
    ca = load_certificate(out.ca_certificate);
    ca_key = load_key(ca_key_path);
    if (!ca || !ca_key || X509_check_private_key(ca.get(), ca_key.get()) != 1) {
      error = "cannot use the local CA in " + tls_dir.string() +
              " (ca.pem/ca.key unreadable or not a pair: " + openssl_error() +
              "); remove both files to have a new CA made";
      return false;
    }
    if (X509_get_ext_by_NID(ca.get(), NID_name_constraints, -1) < 0) {
      out.unconstrained_ca = true;  // kept: clients trust it; the caller says so
    } else if (NameConstraintsPtr nc = name_constraints_of(ca.get()); !nc) {
      error = "cannot use the local CA in " + tls_dir.string() +
              " (unreadable nameConstraints); remove ca.pem and ca.key to have a new CA made";
      return false;
    } else {
      bool host_ok = true;
      for (const auto& d : wanted.dns) host_ok = host_ok && permits(nc.get(), d, false);
      if (!host_ok) {
        ca.reset();
        ca_key.reset();
        out.replaced_ca = true;
      }
    }
  }
  if (!ca) {
    ca_key = generate_key();
    if (!ca_key || !(ca = make_ca(ca_key.get(), hostname, wanted))) {
      error = "cannot generate the local CA: " + openssl_error();
      return false;
    }
    if (!write_file_atomic(ca_key_path, pem_of(ca_key.get()), 0600, error) ||
        !write_file_atomic(out.ca_certificate, pem_of(ca.get()), 0644, error))
      return false;
    out.created_ca = true;
  }

  // Names outside the CA's constraints stay out of the server certificate.
  Names certified = wanted;
  if (NameConstraintsPtr nc = name_constraints_of(ca.get())) {
    certified.ips.clear();
    for (const auto& ip : wanted.ips) {
      if (permits(nc.get(), ip, true))
        certified.ips.push_back(ip);
      else
        out.uncovered.push_back(ip);
    }
  }

  if (!out.created_ca) {
    X509Ptr cert = load_certificate(out.certificate);
    KeyPtr key = load_key(out.private_key);
    ERR_clear_error();
    if (cert && key && server_certificate_usable(cert.get(), key.get(), ca_key.get(), certified))
      return true;
  }

  KeyPtr key = generate_key();
  X509Ptr cert;
  if (!key ||
      !(cert = make_server_certificate(key.get(), ca.get(), ca_key.get(), hostname, certified))) {
    error = "cannot generate the server certificate: " + openssl_error();
    return false;
  }
  if (!write_file_atomic(out.private_key, pem_of(key.get()), 0600, error) ||
      !write_file_atomic(out.certificate, pem_of(cert.get()) + pem_of(ca.get()), 0644, error))
    return false;
  out.issued_certificate = true;
  return true;
}

std::vector<std::string> local_tls_addresses(const std::vector<std::string>& listener_addresses) {
  std::vector<std::string> out;
  bool all = false, v4 = false;
  for (const auto& a : listener_addresses) {
    if (a.empty() || a == "*" || a == "::") {
      all = true;
    } else if (a == "0.0.0.0") {
      v4 = true;
    } else {
      add_unique(out, canonical_ip(a));  // 127.0.0.2 too: clients connect by that address
    }
  }
  if (all || v4) add_interface_addresses(out, !all);
  return out;
}

}  // namespace estafeta::net
