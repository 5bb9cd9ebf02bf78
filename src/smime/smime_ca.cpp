// smime_ca: see smime_ca.hpp.
#include "smime/smime_ca.hpp"

#include <openssl/rand.h>

#include <ctime>

#include "smime/smime_ossl.hpp"

namespace estafeta::smime {

namespace {

Result<ossl::KeyPtr> new_key(KeyType type) {
  ERR_clear_error();
  EVP_PKEY* k = nullptr;
  switch (type) {
    case KeyType::rsa2048:
      k = EVP_RSA_gen(2048);
      break;
    case KeyType::rsa3072:
      k = EVP_RSA_gen(3072);
      break;
    case KeyType::ec_p256:
      k = EVP_EC_gen("P-256");
      break;
  }
  if (!k) return ossl::error("cannot generate a key");
  return ossl::KeyPtr(k);
}

bool set_serial(X509* x) {
  unsigned char buf[16];
  if (RAND_bytes(buf, sizeof buf) != 1) return false;
  buf[0] &= 0x7f;  // positive (RFC 5280 §4.1.2.2), at most 20 octets
  buf[0] |= 0x01;  // and never a leading zero octet
  BIGNUM* bn = BN_bin2bn(buf, sizeof buf, nullptr);
  if (!bn) return false;
  bool ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != nullptr;
  BN_free(bn);
  return ok;
}

bool add_ext(X509* x, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, x, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) return false;
  bool ok = X509_add_ext(x, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

bool add_name(X509_NAME* name, const char* field, const std::string& value) {
  return value.empty() ||
         X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                    reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1,
                                    0) == 1;
}

// An address usable in a subjectAltName: ASCII, one '@', no spaces, commas or controls.
bool plain_address(const std::string& a) {
  auto at = a.find('@');
  if (at == std::string::npos || at == 0 || at + 1 >= a.size() ||
      a.find('@', at + 1) != std::string::npos)
    return false;
  for (unsigned char c : a)
    if (c <= 0x20 || c >= 0x7f || c == ',' || c == '<' || c == '>' || c == '"') return false;
  return a.size() <= 254;
}

Result<ossl::X509Ptr> new_cert(EVP_PKEY* key, std::int64_t offset, int days) {
  ossl::X509Ptr x(X509_new());
  if (!x || X509_set_version(x.get(), 2) != 1 || !set_serial(x.get()))
    return ossl::error("cannot make a certificate");
  std::time_t now = std::time(nullptr);
  if (!X509_time_adj_ex(X509_getm_notBefore(x.get()), 0, static_cast<long>(offset), &now) ||
      !X509_time_adj_ex(X509_getm_notAfter(x.get()), days, static_cast<long>(offset), &now))
    return ossl::error("cannot set the validity");
  X509_set_pubkey(x.get(), key);
  return x;
}

}  // namespace

Result<Identity> make_ca(const CaOptions& options) {
  if (options.name.empty()) return PeerError{501, "5.5.4", "the CA needs a name"};
  if (options.days <= 0) return PeerError{501, "5.5.4", "--days must be positive"};
  auto key = new_key(options.key);
  if (!key) return key.error();
  auto x = new_cert(key->get(), -300, options.days);
  if (!x) return x.error();
  X509_NAME* name = X509_get_subject_name(x->get());
  if (!add_name(name, "CN", options.name) || !add_name(name, "O", options.organization))
    return ossl::error("bad CA name");
  X509_set_issuer_name(x->get(), name);
  // RFC 5280 §4.2.1.9, §4.2.1.3, §4.2.1.2, §4.2.1.1.
  if (!add_ext(x->get(), x->get(), NID_basic_constraints, "critical,CA:TRUE") ||
      !add_ext(x->get(), x->get(), NID_key_usage, "critical,keyCertSign,cRLSign") ||
      !add_ext(x->get(), x->get(), NID_subject_key_identifier, "hash") ||
      !add_ext(x->get(), x->get(), NID_authority_key_identifier, "keyid:always"))
    return ossl::error("cannot add the CA extensions");
  if (X509_sign(x->get(), key->get(), EVP_sha256()) <= 0)
    return ossl::error("cannot sign the CA certificate");
  Identity id;
  id.key_pem = ossl::key_pem(key->get());
  id.cert_pem = ossl::cert_pem(x->get());
  return id;
}

Result<Identity> issue_certificate(const Identity& ca, const IssueOptions& options) {
  if (!plain_address(options.email))
    return PeerError{501, "5.1.3", "not a plain e-mail address: " + options.email};
  if (options.days <= 0) return PeerError{501, "5.5.4", "--days must be positive"};
  auto ca_key = ossl::read_key(ca.key_pem);
  if (!ca_key) return ca_key.error();
  auto ca_cert = ossl::read_cert(ca.cert_pem);
  if (!ca_cert) return ca_cert.error();
  if (X509_check_private_key(ca_cert->get(), ca_key->get()) != 1)
    return ossl::error("the CA key does not belong to the CA certificate");
  auto key = new_key(options.key);
  if (!key) return key.error();
  auto x = new_cert(key->get(), options.not_before_offset, options.days);
  if (!x) return x.error();
  X509_NAME* name = X509_get_subject_name(x->get());
  if (!add_name(name, "CN", options.name.empty() ? options.email : options.name))
    return ossl::error("bad name");
  X509_set_issuer_name(x->get(), X509_get_subject_name(ca_cert->get()));
  // RFC 8550 §4.4.2 (keyUsage), §4.4.4 (extendedKeyUsage), §3 (rfc822Name in SAN).
  std::string usage = options.key == KeyType::ec_p256 ? "critical,digitalSignature,keyAgreement"
                                                      : "critical,digitalSignature,keyEncipherment";
  if (!add_ext(x->get(), ca_cert->get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !add_ext(x->get(), ca_cert->get(), NID_key_usage, usage) ||
      !add_ext(x->get(), ca_cert->get(), NID_ext_key_usage, "emailProtection") ||
      !add_ext(x->get(), ca_cert->get(), NID_subject_alt_name, "email:" + options.email) ||
      !add_ext(x->get(), ca_cert->get(), NID_subject_key_identifier, "hash") ||
      !add_ext(x->get(), ca_cert->get(), NID_authority_key_identifier, "keyid:always"))
    return ossl::error("cannot add the certificate's extensions");
  if (X509_sign(x->get(), ca_key->get(), EVP_sha256()) <= 0)
    return ossl::error("cannot sign the certificate");
  Identity id;
  id.key_pem = ossl::key_pem(key->get());
  id.cert_pem = ossl::cert_pem(x->get());
  id.chain_pem = ca.cert_pem;
  return id;
}

Result<std::string> make_crl(const Identity& ca, const std::vector<std::string>& revoked_pems,
                             int days) {
  auto ca_key = ossl::read_key(ca.key_pem);
  if (!ca_key) return ca_key.error();
  auto ca_cert = ossl::read_cert(ca.cert_pem);
  if (!ca_cert) return ca_cert.error();
  std::unique_ptr<X509_CRL, ossl::Free> crl(X509_CRL_new());
  std::time_t now = std::time(nullptr);
  std::unique_ptr<ASN1_TIME, decltype(&ASN1_TIME_free)> last(ASN1_TIME_adj(nullptr, now, 0, -300),
                                                             ASN1_TIME_free);
  std::unique_ptr<ASN1_TIME, decltype(&ASN1_TIME_free)> next(ASN1_TIME_adj(nullptr, now, days, 0),
                                                             ASN1_TIME_free);
  if (!crl || X509_CRL_set_version(crl.get(), 1) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca_cert->get())) != 1 ||
      X509_CRL_set1_lastUpdate(crl.get(), last.get()) != 1 ||
      X509_CRL_set1_nextUpdate(crl.get(), next.get()) != 1)
    return ossl::error("cannot make the CRL");
  for (const auto& pem : revoked_pems) {
    auto c = ossl::read_cert(pem);
    if (!c) return c.error();
    X509_REVOKED* r = X509_REVOKED_new();
    X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(c->get()));
    X509_REVOKED_set_revocationDate(r, last.get());
    X509_CRL_add0_revoked(crl.get(), r);
  }
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca_cert->get(), nullptr, nullptr, crl.get(), 0);
  if (X509_EXTENSION* ext =
          X509V3_EXT_conf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always")) {
    X509_CRL_add_ext(crl.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_CRL_sort(crl.get());
  if (X509_CRL_sign(crl.get(), ca_key->get(), EVP_sha256()) <= 0)
    return ossl::error("cannot sign the CRL");
  ossl::Bio out(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_CRL(out.get(), crl.get());
  return ossl::mem_contents(out.get());
}

}  // namespace estafeta::smime
