// smime_sign: see smime_sign.hpp.
#include "smime/smime_sign.hpp"

#include "base/base64.hpp"
#include "mime/mime_compose.hpp"
#include "smime/smime_entity.hpp"
#include "smime/smime_ossl.hpp"

namespace estafeta::smime {

std::string_view micalg_name(Digest d) {
  switch (d) {
    case Digest::sha384:
      return "sha-384";
    case Digest::sha512:
      return "sha-512";
    case Digest::sha256:
      break;
  }
  return "sha-256";
}

namespace {

const EVP_MD* digest_md(Digest d) {
  switch (d) {
    case Digest::sha384:
      return EVP_sha384();
    case Digest::sha512:
      return EVP_sha512();
    case Digest::sha256:
      break;
  }
  return EVP_sha256();
}

// The DER of a CMS signed-data over `entity` (detached or not).
Result<std::string> sign_der(std::string_view entity, const Identity& signer, Digest digest,
                             bool detached) {
  auto key = ossl::read_key(signer.key_pem);
  if (!key) return key.error();
  auto cert = ossl::read_cert(signer.cert_pem);
  if (!cert) return cert.error();
  if (X509_check_private_key(cert->get(), key->get()) != 1)
    return ossl::error("the signing key does not belong to the certificate");
  ossl::CertStack chain(sk_X509_new_null());
  if (!signer.chain_pem.empty()) {
    auto certs = ossl::read_certs(signer.chain_pem);
    if (!certs) return certs.error();
    for (auto& x : *certs) sk_X509_push(chain.get(), x.release());
  }
  // CMS_BINARY: the entity is already canonical (CRLF); OpenSSL must not translate it.
  unsigned flags = CMS_BINARY | CMS_PARTIAL | (detached ? CMS_DETACHED : 0u);
  ossl::CmsPtr cms(CMS_sign(nullptr, nullptr, chain.get(), nullptr, flags));
  if (!cms) return ossl::error("cannot start the signature");
  CMS_SignerInfo* si = CMS_add1_signer(cms.get(), cert->get(), key->get(), digest_md(digest),
                                       CMS_BINARY | CMS_NOSMIMECAP);
  if (!si) return ossl::error("cannot add the signer");
  // RFC 8551 §2.5.2: what we can decrypt, most preferred first (OpenSSL's default list names
  // no AES-GCM, so a correspondent would never choose it for us).
  STACK_OF(X509_ALGOR)* caps = nullptr;
  bool caps_ok = true;
  for (int nid : {NID_aes_256_gcm, NID_aes_128_gcm, NID_aes_256_cbc, NID_aes_128_cbc})
    caps_ok = caps_ok && CMS_add_simple_smimecap(&caps, nid, -1) == 1;
  caps_ok = caps_ok && CMS_add_smimecap(si, caps) == 1;
  sk_X509_ALGOR_pop_free(caps, X509_ALGOR_free);
  if (!caps_ok) return ossl::error("cannot add the S/MIME capabilities");
  auto in = ossl::mem_in(entity);
  if (CMS_final(cms.get(), in.get(), nullptr, flags) != 1)
    return ossl::error("cannot sign the message");
  ossl::Bio out(BIO_new(BIO_s_mem()));
  if (i2d_CMS_bio(out.get(), cms.get()) != 1) return ossl::error("cannot encode the signature");
  return ossl::mem_contents(out.get());
}

}  // namespace

Result<std::string> sign(std::string_view message, const Identity& signer,
                         const SignOptions& options, const Limits& limits) {
  if (message.size() > limits.max_message_size)
    return PeerError{552, "5.3.4", "the message is too large to sign"};
  auto split = split_message(message, true);
  if (!split) return split.error();
  split->entity = protect_for_signing(split->entity);
  auto der = sign_der(split->entity, signer, options.digest, !options.opaque);
  if (!der) return der.error();
  if (options.opaque) return pkcs7_mime_message(split->outer, "signed-data", *der);

  // RFC 1847 §2.1, RFC 8551 §3.5.3.
  std::string boundary = mime::generate_boundary({split->entity});
  std::string out = split->outer;
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\";\r\n micalg=";
  out += micalg_name(options.digest);
  out += "; boundary=\"" + boundary + "\"\r\n\r\n";
  out += "This is a cryptographically signed message in MIME format.\r\n\r\n";
  out += "--" + boundary + "\r\n";
  out += split->entity;
  out += "\r\n--" + boundary + "\r\n";
  out += "Content-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n";
  out += "Content-Transfer-Encoding: base64\r\n";
  out += "Content-Disposition: attachment; filename=\"smime.p7s\"\r\n";
  out += "Content-Description: S/MIME Cryptographic Signature\r\n\r\n";
  out += base64::encode(*der, 76);
  out += "\r\n--" + boundary + "--\r\n";
  return out;
}

}  // namespace estafeta::smime
