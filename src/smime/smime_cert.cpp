// smime_cert: see smime_cert.hpp.
#include "smime/smime_cert.hpp"

#include <openssl/pkcs12.h>

#include "mime/mime_message.hpp"
#include "smime/smime_ossl.hpp"

namespace estafeta::smime {

bool CertInfo::covers(std::string_view address) const {
  for (const auto& e : emails)
    if (mime::iequals(e, address)) return true;
  return false;
}

Result<CertInfo> read_certificate(std::string_view pem) {
  auto c = ossl::read_cert(pem);
  if (!c) return c.error();
  return ossl::cert_info(c->get());
}

Result<std::vector<CertInfo>> read_certificates(std::string_view pem, std::size_t max) {
  auto certs = ossl::read_certs(pem, max);
  if (!certs) return certs.error();
  std::vector<CertInfo> out;
  for (auto& c : *certs) out.push_back(ossl::cert_info(c.get()));
  return out;
}

Result<std::string> encrypt_key_pem(std::string_view key_pem, std::string_view passphrase) {
  if (passphrase.empty()) return PeerError{501, "5.5.4", "an empty passphrase encrypts nothing"};
  auto key = ossl::read_key(key_pem);
  if (!key) return key.error();
  auto out = ossl::key_pem(key->get(), passphrase);
  if (out.empty()) return ossl::error("cannot encrypt the private key");
  return out;
}

Status check_identity(const Identity& id) {
  auto key = ossl::read_key(id.key_pem);
  if (!key) return key.error();
  auto cert = ossl::read_cert(id.cert_pem);
  if (!cert) return cert.error();
  if (X509_check_private_key(cert->get(), key->get()) != 1)
    return ossl::error("the private key does not belong to the certificate");
  if (!id.chain_pem.empty()) {
    auto chain = ossl::read_certs(id.chain_pem);
    if (!chain) return chain.error();
  }
  return Ok{};
}

Result<Identity> identity_from_pkcs12(std::string_view der, std::string_view passphrase,
                                      const Limits& limits) {
  ERR_clear_error();
  auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<PKCS12, decltype(&PKCS12_free)> p12(
      d2i_PKCS12(nullptr, &p, static_cast<long>(der.size())), PKCS12_free);
  if (!p12) return ossl::error("not a PKCS#12 file");
  std::string pass(passphrase);
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  STACK_OF(X509)* ca = nullptr;
  if (PKCS12_parse(p12.get(), pass.c_str(), &key, &cert, &ca) != 1)
    return ossl::error("cannot open the PKCS#12 file (wrong passphrase?)");
  ossl::KeyPtr k(key);
  ossl::X509Ptr c(cert);
  ossl::CertStack chain(ca);
  if (!k || !c) return ossl::error("the PKCS#12 file holds no private key with its certificate");
  if (chain && static_cast<std::size_t>(sk_X509_num(chain.get())) > limits.max_chain)
    return PeerError{554, "5.7.5", "the PKCS#12 file holds too many certificates"};
  Identity id;
  id.key_pem = ossl::key_pem(k.get());
  id.cert_pem = ossl::cert_pem(c.get());
  if (chain) {
    for (int i = 0; i < sk_X509_num(chain.get()); ++i) {
      X509* x = sk_X509_value(chain.get(), i);
      if (X509_cmp(x, c.get()) == 0) continue;
      id.chain_pem += ossl::cert_pem(x);
    }
  }
  return id;
}

Result<std::string> identity_to_pkcs12(const Identity& id, std::string_view passphrase,
                                       std::string_view friendly_name, bool legacy) {
  auto key = ossl::read_key(id.key_pem);
  if (!key) return key.error();
  auto cert = ossl::read_cert(id.cert_pem);
  if (!cert) return cert.error();
  ossl::CertStack chain(sk_X509_new_null());
  if (!id.chain_pem.empty()) {
    auto certs = ossl::read_certs(id.chain_pem);
    if (!certs) return certs.error();
    for (auto& x : *certs) sk_X509_push(chain.get(), x.release());
  }
  std::string pass(passphrase);
  std::string name(friendly_name);
  // OpenSSL 3 defaults: PBES2 with PBKDF2 and AES-256-CBC, SHA-256 MAC.
  int nid = legacy ? NID_pbe_WithSHA1And3_Key_TripleDES_CBC : 0;
  std::unique_ptr<PKCS12, decltype(&PKCS12_free)> p12(
      PKCS12_create(pass.c_str(), name.c_str(), key->get(), cert->get(), chain.get(), nid, nid, 0,
                    legacy ? -1 : 0, 0),
      PKCS12_free);
  if (p12 && legacy &&
      PKCS12_set_mac(p12.get(), pass.c_str(), -1, nullptr, 0, PKCS12_DEFAULT_ITER, EVP_sha1()) != 1)
    return ossl::error("cannot add the PKCS#12 MAC");
  if (!p12) return ossl::error("cannot make the PKCS#12 file");
  unsigned char* out = nullptr;
  int n = i2d_PKCS12(p12.get(), &out);
  if (n <= 0) return ossl::error("cannot encode the PKCS#12 file");
  std::string der(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
  OPENSSL_free(out);
  return der;
}

}  // namespace estafeta::smime
