// tls_local_ca: creates and reuses the local CA and the server certificate (see the header).
// OpenSSL 3 EVP/X509 APIs only; every OpenSSL object is owned by a unique_ptr. Files are
// written to a temporary name, fsynced and renamed, so a crash never leaves half a key.
// Keys are P-256 ECDSA: accepted by every current client and cheap to handshake with.
#include "net/tls_local_ca.hpp"

#include <fcntl.h>
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

#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
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
};
using X509Ptr = std::unique_ptr<X509, Free>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Free>;
using BioPtr = std::unique_ptr<BIO, Free>;

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

// Subject alternative names built as GENERAL_NAMEs (never through the config-string
// syntax, so a hostname cannot smuggle extra names in).
bool add_subject_alt_names(X509* cert, std::string_view hostname) {
  std::unique_ptr<GENERAL_NAMES, Free> names(sk_GENERAL_NAME_new_null());
  if (!names) return false;
  auto add_dns = [&](std::string_view dns) {
    GENERAL_NAME* gn = GENERAL_NAME_new();
    ASN1_IA5STRING* s = ASN1_IA5STRING_new();
    if (!gn || !s || ASN1_STRING_set(s, dns.data(), static_cast<int>(dns.size())) != 1) {
      GENERAL_NAME_free(gn);
      ASN1_IA5STRING_free(s);
      return false;
    }
    GENERAL_NAME_set0_value(gn, GEN_DNS, s);
    sk_GENERAL_NAME_push(names.get(), gn);
    return true;
  };
  auto add_ip = [&](const char* ip) {
    ASN1_OCTET_STRING* os = a2i_IPADDRESS(ip);
    GENERAL_NAME* gn = GENERAL_NAME_new();
    if (!os || !gn) {
      ASN1_OCTET_STRING_free(os);
      GENERAL_NAME_free(gn);
      return false;
    }
    GENERAL_NAME_set0_value(gn, GEN_IPADD, os);
    sk_GENERAL_NAME_push(names.get(), gn);
    return true;
  };
  std::string host(hostname);
  bool ok = true;
  if (!host.empty() && host != "localhost") {
    if (ASN1_OCTET_STRING* literal = a2i_IPADDRESS(host.c_str())) {
      ASN1_OCTET_STRING_free(literal);
      ok = add_ip(host.c_str());
    } else {
      ok = add_dns(host);
    }
  }
  ok = ok && add_dns("localhost") && add_ip("127.0.0.1") && add_ip("::1");
  return ok &&
         X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) == 1;
}

X509Ptr make_ca(EVP_PKEY* key, std::string_view hostname) {
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
      !add_ext(cert.get(), &ctx, NID_subject_key_identifier, "hash"))
    return {};
  if (X509_sign(cert.get(), key, EVP_sha256()) <= 0) return {};
  return cert;
}

X509Ptr make_server_certificate(EVP_PKEY* key, X509* ca, EVP_PKEY* ca_key,
                                std::string_view hostname) {
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1 || !set_random_serial(cert.get())) return {};
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), kServerLifetime);
  X509_NAME* name = X509_get_subject_name(cert.get());
  std::string cn(hostname.empty() ? "localhost" : hostname);
  if (cn.size() > 64) cn = "localhost";  // the SAN carries the real name (RFC 6125 §6.4.4)
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
      !add_subject_alt_names(cert.get(), hostname))
    return {};
  if (X509_sign(cert.get(), ca_key, EVP_sha256()) <= 0) return {};
  return cert;
}

// True when the existing server certificate can be kept: signed by `ca`, matching its key,
// naming `hostname`, and valid for at least 30 more days.
bool server_certificate_usable(X509* cert, EVP_PKEY* key, EVP_PKEY* ca_key,
                               std::string_view hostname) {
  if (X509_verify(cert, ca_key) != 1 || X509_check_private_key(cert, key) != 1) {
    ERR_clear_error();
    return false;
  }
  std::string host(hostname.empty() ? "localhost" : hostname);
  bool names_host = X509_check_host(cert, host.data(), host.size(), 0, nullptr) == 1 ||
                    X509_check_ip_asc(cert, host.c_str(), 0) == 1;
  std::time_t horizon = std::time(nullptr) + kRenewBefore;
  bool fresh = X509_cmp_time(X509_get0_notAfter(cert), &horizon) > 0;
  ERR_clear_error();
  return names_host && fresh;
}

}  // namespace

bool ensure_local_tls(const std::filesystem::path& tls_dir, std::string_view hostname,
                      LocalTlsFiles& out, std::string& error) {
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

  // The CA: reuse when both files load and belong together; otherwise make a new one
  // (which also forces a new server certificate below).
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
  } else {
    ca_key = generate_key();
    if (!ca_key || !(ca = make_ca(ca_key.get(), hostname))) {
      error = "cannot generate the local CA: " + openssl_error();
      return false;
    }
    if (!write_file_atomic(ca_key_path, pem_of(ca_key.get()), 0600, error) ||
        !write_file_atomic(out.ca_certificate, pem_of(ca.get()), 0644, error))
      return false;
    out.created_ca = true;
  }

  if (!out.created_ca) {
    X509Ptr cert = load_certificate(out.certificate);
    KeyPtr key = load_key(out.private_key);
    ERR_clear_error();
    if (cert && key && server_certificate_usable(cert.get(), key.get(), ca_key.get(), hostname))
      return true;
  }

  KeyPtr key = generate_key();
  X509Ptr cert;
  if (!key || !(cert = make_server_certificate(key.get(), ca.get(), ca_key.get(), hostname))) {
    error = "cannot generate the server certificate: " + openssl_error();
    return false;
  }
  if (!write_file_atomic(out.private_key, pem_of(key.get()), 0600, error) ||
      !write_file_atomic(out.certificate, pem_of(cert.get()) + pem_of(ca.get()), 0644, error))
    return false;
  out.issued_certificate = true;
  return true;
}

}  // namespace estafeta::net
