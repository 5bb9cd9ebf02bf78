// smime_ossl: the OpenSSL plumbing the S/MIME files share (internal, not for callers):
// owning pointers for OpenSSL objects, PEM/DER loading from memory, the error queue as text,
// certificate facts (subject, e-mail addresses, validity, fingerprint). Input PEM/DER may
// be untrusted (certificates from messages): OpenSSL's decoders bound it by its length;
// lists read from PEM stop at a caller-given count.
#pragma once

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "smime/smime_cert.hpp"

namespace estafeta::smime::ossl {

struct Free {
  void operator()(BIO* p) const { BIO_free_all(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_CRL* p) const { X509_CRL_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(CMS_ContentInfo* p) const { CMS_ContentInfo_free(p); }
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
  void operator()(STACK_OF(X509) * p) const { sk_X509_pop_free(p, X509_free); }
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
using Bio = std::unique_ptr<BIO, Free>;
using X509Ptr = std::unique_ptr<X509, Free>;
using CrlPtr = std::unique_ptr<X509_CRL, Free>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Free>;
using CmsPtr = std::unique_ptr<CMS_ContentInfo, Free>;
using StorePtr = std::unique_ptr<X509_STORE, Free>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Free>;
using CertStack = std::unique_ptr<STACK_OF(X509), Free>;

// A read-only memory BIO over `data` (which must outlive it).
Bio mem_in(std::string_view data);
// Everything written to a memory BIO so far.
std::string mem_contents(BIO* bio);
// Empties OpenSSL's error queue into one line ("" when empty), e.g. for error texts.
std::string errors();
// `what` plus the OpenSSL error queue, as a PeerError (code 554, 5.7.5: cryptographic failure).
PeerError error(std::string what);

// Certificates in PEM (any number of CERTIFICATE blocks) or one DER certificate, at most
// `max`. Fails on text that holds none or on a damaged block.
Result<std::vector<X509Ptr>> read_certs(std::string_view pem_or_der, std::size_t max = 64);
Result<X509Ptr> read_cert(std::string_view pem_or_der);
// A private key in PEM (PKCS#8, encrypted when `passphrase` is given, or traditional).
Result<KeyPtr> read_key(std::string_view pem, std::string_view passphrase = {});
// CRLs in PEM (or one DER), at most `max`.
Result<std::vector<CrlPtr>> read_crls(std::string_view pem_or_der, std::size_t max = 64);

std::string cert_pem(X509* cert);
std::string key_pem(EVP_PKEY* key, std::string_view passphrase = {});  // encrypted if given

// Facts about one certificate (smime_cert.hpp).
CertInfo cert_info(X509* cert);
// RFC 8551 §3.1: e-mail addresses of a certificate: subjectAltName rfc822Name entries, then
// emailAddress attributes of the subject; lowercased, de-duplicated.
std::vector<std::string> cert_emails(X509* cert);
std::string fingerprint_sha256(X509* cert);  // lowercase hex, no colons
std::string name_line(X509_NAME* name);      // RFC 2253 one-line form
std::string asn1_time_iso(const ASN1_TIME* t);
std::time_t asn1_time_t(const ASN1_TIME* t);

}  // namespace estafeta::smime::ossl
