// smime_encrypt: makes an encrypted message (RFC 8551 §3.3): application/pkcs7-mime with
// smime-type=authEnveloped-data (RFC 5083, AES-256-GCM per RFC 5084; the default) or
// enveloped-data (RFC 5652 §6, AES-256-CBC), one RecipientInfo per certificate
// (key transport with RSA, key agreement with EC keys, as OpenSSL chooses by key type).
// As with signing, Content-* fields and the body are enveloped; every other header field
// stays outside. Sign-then-encrypt (§3.6) is sign_and_encrypt(): the signed message is the
// enveloped entity, so the signature is checked after decryption.
// Default AES-256-GCM: RFC 8551 §2.7 makes AES-GCM a MUST for receivers and senders, and an
// authenticated cipher means a changed ciphertext fails to decrypt instead of decrypting to
// attacker-shaped plaintext (the CBC malleability EFAIL used). Choose CBC for old readers.
// Every recipient must have a certificate: the call fails, naming each address without one
// (or with an unusable/expired one), before anything is produced. The sender's own
// certificate belongs in `recipients` too, so the sender's copy stays readable.
// Trust: message and certificates are the user's. Memory: about 2.4 times the message.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "smime/smime_cert.hpp"
#include "smime/smime_sign.hpp"

namespace estafeta::smime {

enum class Cipher {
  aes256_gcm,  // authEnveloped-data (RFC 5083/5084)
  aes256_cbc,  // enveloped-data (RFC 3565)
};

struct Recipient {
  std::string address;   // addr-spec, for error texts
  std::string cert_pem;  // "" = none known: encrypt() fails naming `address`
};

struct EncryptOptions {
  Cipher cipher = Cipher::aes256_gcm;
  // The certificates' validity dates are not checked (encryption at rest: the key holder is
  // the mailbox's owner, whose key still opens mail encrypted to an expired certificate).
  bool allow_expired = false;
};

// RFC 8551 §2.7.1: the cipher every recipient can read, from the SMIMECapabilities each
// announced in signed mail (Signature::capabilities, Store::capabilities; an empty list =
// unknown). AES-256-GCM unless some recipient's known list names no AES-GCM, then
// AES-256-CBC (gpgsm 2.2, for one, announces only CBC ciphers and cannot read GCM).
Cipher cipher_for(const std::vector<std::vector<std::string>>& capabilities);

Result<std::string> encrypt(std::string_view message, const std::vector<Recipient>& recipients,
                            const EncryptOptions& options = {}, const Limits& limits = {});

// sign() then encrypt() (RFC 8551 §3.6); the recipients are checked before signing.
Result<std::string> sign_and_encrypt(std::string_view message, const Identity& signer,
                                     const std::vector<Recipient>& recipients,
                                     const SignOptions& sign_options = {},
                                     const EncryptOptions& encrypt_options = {},
                                     const Limits& limits = {});

}  // namespace estafeta::smime
