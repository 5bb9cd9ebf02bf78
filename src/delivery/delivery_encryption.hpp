// delivery_encryption: encryption at rest (issue 11, "MTA-side encryption"): mail for a local
// user who has published an S/MIME certificate (`estafeta user cert ADDRESS FILE`, one PEM
// file per account in <data_dir>/smime-certs/) is stored encrypted to that certificate, so a
// stolen disk or backup shows who wrote to whom and when, never what. The header fields stay
// outside, readable by the store (IMAP ENVELOPE, SORT, SEARCH on headers); Content-* fields
// and the body become one application/pkcs7-mime authEnveloped-data entity (AES-256-GCM,
// smime_encrypt.hpp) that only the user's private key opens — the user's mail client decrypts
// (`estafeta mail read` does). A message that arrives already encrypted is stored as it is.
// Trust: the message is accepted mail (untrusted content, bounded by smtp.max_message_size);
// the certificate files are the operator's. Memory: about 3.4 times the message while it is
// encrypted, on a worker thread. Thread-safe (no mutable state).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace estafeta::delivery {

class AtRestEncryption {
 public:
  // `dir` is <data_dir>/smime-certs; `cbc`: enveloped-data with AES-256-CBC instead of
  // authEnveloped-data with AES-256-GCM, for mail clients that cannot read the latter
  // (delivery.encrypt_cipher).
  explicit AtRestEncryption(std::filesystem::path dir, bool cbc = false);

  // Where `address`'s certificate is kept: <dir>/<lower-case address>.pem; empty for an
  // address that cannot name a file (a '/', a leading '.', control characters, too long).
  static std::filesystem::path certificate_path(const std::filesystem::path& dir,
                                                std::string_view address);

  // The certificate `address` published (PEM), "" when none.
  std::string certificate(std::string_view address) const;

  // `message` (our header fields first, CRLF) enveloped for `cert_pem`; a message whose
  // top-level content is already S/MIME-encrypted comes back unchanged. The certificate's
  // dates are not checked: its owner's key opens the mail whatever they say. The error names
  // `address` and the reason (a certificate that does not load, a message over 64 MiB).
  Result<std::string> seal(std::string_view message, std::string_view address,
                           const std::string& cert_pem) const;

  // True when `message`'s top-level Content-Type is application/pkcs7-mime (or
  // x-pkcs7-mime) with smime-type enveloped-data or authEnveloped-data.
  static bool already_encrypted(std::string_view message);

  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  bool cbc_ = false;
};

}  // namespace estafeta::delivery
