// smime_ossl: see smime_ossl.hpp.
#include "smime/smime_ossl.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cstdio>

namespace estafeta::smime::ossl {

Bio mem_in(std::string_view data) {
  return Bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

std::string mem_contents(BIO* bio) {
  char* p = nullptr;
  long n = BIO_get_mem_data(bio, &p);
  return n > 0 ? std::string(p, static_cast<std::size_t>(n)) : std::string();
}

std::string errors() {
  std::string out;
  unsigned long e;
  int n = 0;
  while ((e = ERR_get_error()) != 0) {
    if (n++ >= 4) continue;  // the first few say it; the queue is emptied anyway
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    const char* reason = ERR_reason_error_string(e);
    out += reason ? reason : buf;
  }
  return out;
}

PeerError error(std::string what) {
  auto detail = errors();
  if (!detail.empty()) what += " (" + detail + ")";
  return PeerError{554, "5.7.5", std::move(what)};
}

namespace {

bool looks_pem(std::string_view s) {
  return s.find("-----BEGIN ") != std::string_view::npos;
}

}  // namespace

Result<std::vector<X509Ptr>> read_certs(std::string_view data, std::size_t max) {
  std::vector<X509Ptr> out;
  ERR_clear_error();
  if (!looks_pem(data)) {
    auto* p = reinterpret_cast<const unsigned char*>(data.data());
    X509Ptr c(d2i_X509(nullptr, &p, static_cast<long>(data.size())));
    if (!c) return error("not a certificate (neither PEM nor DER)");
    out.push_back(std::move(c));
    return out;
  }
  auto bio = mem_in(data);
  while (out.size() < max) {
    X509Ptr c(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!c) break;
    out.push_back(std::move(c));
  }
  // The loop ends with "no start line" at the end of the text; anything else is damage.
  unsigned long e = ERR_peek_last_error();
  if (e != 0 && ERR_GET_REASON(e) != PEM_R_NO_START_LINE) return error("damaged certificate");
  ERR_clear_error();
  if (out.empty()) return error("no certificate found");
  return out;
}

Result<X509Ptr> read_cert(std::string_view data) {
  auto certs = read_certs(data, 1);
  if (!certs) return certs.error();
  return std::move(certs->front());
}

namespace {

int pass_cb(char* buf, int size, int, void* u) {
  auto* pass = static_cast<std::string_view*>(u);
  if (!pass || pass->size() > static_cast<std::size_t>(size)) return -1;
  std::copy(pass->begin(), pass->end(), buf);
  return static_cast<int>(pass->size());
}

}  // namespace

Result<KeyPtr> read_key(std::string_view pem, std::string_view passphrase) {
  ERR_clear_error();
  auto bio = mem_in(pem);
  KeyPtr k(PEM_read_bio_PrivateKey(bio.get(), nullptr, pass_cb, &passphrase));
  if (!k) {
    if (!looks_pem(pem)) {
      auto* p = reinterpret_cast<const unsigned char*>(pem.data());
      k.reset(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(pem.size())));
      if (k) return k;
    }
    return error(passphrase.empty() ? "cannot read the private key"
                                    : "cannot read the private key (wrong passphrase?)");
  }
  return k;
}

Result<std::vector<CrlPtr>> read_crls(std::string_view data, std::size_t max) {
  std::vector<CrlPtr> out;
  ERR_clear_error();
  if (!looks_pem(data)) {
    auto* p = reinterpret_cast<const unsigned char*>(data.data());
    CrlPtr c(d2i_X509_CRL(nullptr, &p, static_cast<long>(data.size())));
    if (!c) return error("not a CRL (neither PEM nor DER)");
    out.push_back(std::move(c));
    return out;
  }
  auto bio = mem_in(data);
  while (out.size() < max) {
    CrlPtr c(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
    if (!c) break;
    out.push_back(std::move(c));
  }
  ERR_clear_error();
  if (out.empty()) return error("no CRL found");
  return out;
}

std::string cert_pem(X509* cert) {
  Bio b(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(b.get(), cert);
  return mem_contents(b.get());
}

std::string key_pem(EVP_PKEY* key, std::string_view passphrase) {
  Bio b(BIO_new(BIO_s_mem()));
  if (passphrase.empty()) {
    PEM_write_bio_PrivateKey(b.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  } else {
    // PKCS#8 with PBES2 (PBKDF2, AES-256-CBC).
    PEM_write_bio_PKCS8PrivateKey(b.get(), key, EVP_aes_256_cbc(),
                                  const_cast<char*>(passphrase.data()),
                                  static_cast<int>(passphrase.size()), nullptr, nullptr);
  }
  return mem_contents(b.get());
}

std::string name_line(X509_NAME* name) {
  if (!name) return {};
  Bio b(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(b.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  return mem_contents(b.get());
}

std::time_t asn1_time_t(const ASN1_TIME* t) {
  struct tm tm {};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return timegm(&tm);
}

std::string asn1_time_iso(const ASN1_TIME* t) {
  struct tm tm {};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return {};
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string fingerprint_sha256(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  X509_digest(cert, EVP_sha256(), md, &n);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

namespace {

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

void add_unique(std::vector<std::string>& v, std::string s) {
  s = lower(std::move(s));
  if (s.empty() || s.size() > 320) return;
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(std::move(s));
}

}  // namespace

std::vector<std::string> cert_emails(X509* cert) {
  std::vector<std::string> out;
  auto* sans =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (sans) {
    int n = sk_GENERAL_NAME_num(sans);
    for (int i = 0; i < n && i < 256; ++i) {
      GENERAL_NAME* g = sk_GENERAL_NAME_value(sans, i);
      if (g->type != GEN_EMAIL) continue;
      const ASN1_IA5STRING* s = g->d.rfc822Name;
      add_unique(out, std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                  static_cast<std::size_t>(ASN1_STRING_length(s))));
    }
    GENERAL_NAMES_free(sans);
  }
  X509_NAME* subj = X509_get_subject_name(cert);
  int idx = -1;
  int guard = 0;
  while ((idx = X509_NAME_get_index_by_NID(subj, NID_pkcs9_emailAddress, idx)) >= 0 &&
         guard++ < 64) {
    ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, idx));
    add_unique(out, std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                static_cast<std::size_t>(ASN1_STRING_length(s))));
  }
  return out;
}

CertInfo cert_info(X509* cert) {
  CertInfo c;
  c.subject = name_line(X509_get_subject_name(cert));
  c.issuer = name_line(X509_get_issuer_name(cert));
  if (const ASN1_INTEGER* sn = X509_get0_serialNumber(cert)) {
    BIGNUM* bn = ASN1_INTEGER_to_BN(sn, nullptr);
    if (bn) {
      char* hex = BN_bn2hex(bn);
      if (hex) c.serial = lower(hex);
      OPENSSL_free(hex);
      BN_free(bn);
    }
  }
  c.emails = cert_emails(cert);
  c.not_before = asn1_time_iso(X509_get0_notBefore(cert));
  c.not_after = asn1_time_iso(X509_get0_notAfter(cert));
  c.not_before_t = asn1_time_t(X509_get0_notBefore(cert));
  c.not_after_t = asn1_time_t(X509_get0_notAfter(cert));
  c.fingerprint = fingerprint_sha256(cert);
  c.is_ca = X509_check_ca(cert) != 0 && (X509_get_extension_flags(cert) & EXFLAG_CA) != 0;
  c.pem = cert_pem(cert);
  return c;
}

}  // namespace estafeta::smime::ossl
