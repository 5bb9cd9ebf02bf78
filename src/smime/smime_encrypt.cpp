// smime_encrypt: see smime_encrypt.hpp.
#include "smime/smime_encrypt.hpp"

#include <ctime>

#include "smime/smime_entity.hpp"
#include "smime/smime_ossl.hpp"

namespace estafeta::smime {

namespace {

// Every recipient's certificate, or an error naming each address without a usable one.
Result<ossl::CertStack> recipient_certs(const std::vector<Recipient>& recipients,
                                        const Limits& limits, bool allow_expired = false) {
  if (recipients.empty()) return PeerError{554, "5.7.5", "no recipients to encrypt to"};
  if (recipients.size() > limits.max_recipients)
    return PeerError{554, "5.7.5", "too many recipients to encrypt to"};
  ossl::CertStack certs(sk_X509_new_null());
  std::string missing, unusable;
  std::time_t now = std::time(nullptr);
  for (const auto& r : recipients) {
    if (r.cert_pem.empty()) {
      missing += (missing.empty() ? "" : ", ") + r.address;
      continue;
    }
    auto c = ossl::read_cert(r.cert_pem);
    if (!c) {
      unusable += (unusable.empty() ? "" : "; ") + r.address + ": " + c.error().text;
      continue;
    }
    if (!allow_expired && X509_cmp_time(X509_get0_notAfter(c->get()), &now) < 0) {
      unusable += (unusable.empty() ? "" : "; ") + r.address + ": certificate expired on " +
                  ossl::asn1_time_iso(X509_get0_notAfter(c->get()));
      continue;
    }
    sk_X509_push(certs.get(), c->release());
  }
  ERR_clear_error();
  if (!missing.empty() || !unusable.empty()) {
    std::string text;
    if (!missing.empty()) text = "no S/MIME certificate for " + missing;
    if (!unusable.empty())
      text += (text.empty() ? "" : "; ") + std::string("unusable certificate for ") + unusable;
    return PeerError{554, "5.7.5", text + ": nothing was encrypted"};
  }
  return certs;
}

}  // namespace

Cipher cipher_for(const std::vector<std::vector<std::string>>& capabilities) {
  for (const auto& caps : capabilities) {
    if (caps.empty()) continue;  // unknown: assume RFC 8551 (GCM is a MUST)
    bool gcm = false;
    for (const auto& c : caps) gcm = gcm || c == "aes-256-gcm" || c == "aes-128-gcm";
    if (!gcm) return Cipher::aes256_cbc;
  }
  return Cipher::aes256_gcm;
}

Result<std::string> encrypt(std::string_view message, const std::vector<Recipient>& recipients,
                            const EncryptOptions& options, const Limits& limits) {
  if (message.size() > limits.max_message_size)
    return PeerError{552, "5.3.4", "the message is too large to encrypt"};
  auto certs = recipient_certs(recipients, limits, options.allow_expired);
  if (!certs) return certs.error();
  // Enveloped content is binary inside CMS: no need to make it 7-bit (RFC 8551 §3.3).
  auto split = split_message(message, false);
  if (!split) return split.error();
  const EVP_CIPHER* cipher =
      options.cipher == Cipher::aes256_gcm ? EVP_aes_256_gcm() : EVP_aes_256_cbc();
  auto in = ossl::mem_in(split->entity);
  // OpenSSL 3 makes AuthEnvelopedData (RFC 5083) for an AEAD cipher, EnvelopedData otherwise.
  ossl::CmsPtr cms(CMS_encrypt(certs->get(), in.get(), cipher, CMS_BINARY));
  if (!cms) return ossl::error("cannot encrypt the message");
  ossl::Bio out(BIO_new(BIO_s_mem()));
  if (i2d_CMS_bio(out.get(), cms.get()) != 1) return ossl::error("cannot encode the message");
  return pkcs7_mime_message(
      split->outer, options.cipher == Cipher::aes256_gcm ? "authEnveloped-data" : "enveloped-data",
      ossl::mem_contents(out.get()));
}

Result<std::string> sign_and_encrypt(std::string_view message, const Identity& signer,
                                     const std::vector<Recipient>& recipients,
                                     const SignOptions& sign_options,
                                     const EncryptOptions& encrypt_options, const Limits& limits) {
  if (auto certs = recipient_certs(recipients, limits); !certs) return certs.error();
  auto signed_message = sign(message, signer, sign_options, limits);
  if (!signed_message) return signed_message.error();
  return encrypt(*signed_message, recipients, encrypt_options, limits);
}

}  // namespace estafeta::smime
