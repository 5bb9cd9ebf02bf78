// smime_cert: certificates and one's own signing/decryption identity as the S/MIME library's
// callers hold them: PEM text, no OpenSSL types. CertInfo is what a client shows about a
// certificate; Identity is a private key with its certificate and chain; PKCS#12 files (the
// form CAs and other clients export) convert to and from an Identity (RFC 7292).
// Trust: PEM and PKCS#12 given here may come from anyone (a correspondent, a file the user
// downloaded); they are decoded by OpenSSL, bounded by their length and by Limits::max_chain.
#pragma once

#include <cstddef>
#include <ctime>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace estafeta::smime {

// Bounds on everything read from untrusted input (messages, certificates in them, PKCS#12).
struct Limits {
  std::size_t max_message_size = 64u << 20;  // bytes of a message given to inspect/sign/encrypt
  std::size_t max_signers = 16;              // SignerInfos in one signed-data
  std::size_t max_recipients = 1000;         // RecipientInfos read, and recipients written
  std::size_t max_chain = 16;                // certificates in one CMS object / chain depth
  std::size_t max_layers = 8;                // nested S/MIME layers unwrapped (sign in encrypt ...)
};

struct CertInfo {
  std::string subject;  // RFC 2253 one-line form, e.g. "CN=Alice,O=Example"
  std::string issuer;
  std::string serial;               // hex
  std::vector<std::string> emails;  // SAN rfc822Name, then subject emailAddress; lowercase
  std::string not_before;           // "2026-12-02T09:00:00Z"
  std::string not_after;
  std::time_t not_before_t = 0;
  std::time_t not_after_t = 0;
  std::string fingerprint;  // SHA-256 of the DER, lowercase hex
  bool is_ca = false;       // basicConstraints CA:TRUE
  std::string pem;          // the certificate itself

  // True when `address` (addr-spec) is one of `emails` (ASCII case-insensitive).
  bool covers(std::string_view address) const;
};

// One's own key and certificates, all PEM.
struct Identity {
  std::string key_pem;    // private key (PKCS#8, unencrypted: keep it in memory only)
  std::string cert_pem;   // the end-entity certificate
  std::string chain_pem;  // intermediate CA certificates (zero or more), signer's issuer first
};

// Facts about the first certificate in `pem` (PEM or DER). Error when there is none.
Result<CertInfo> read_certificate(std::string_view pem);
// Every certificate in `pem`, at most `max`.
Result<std::vector<CertInfo>> read_certificates(std::string_view pem, std::size_t max = 64);

// A private key (PEM) as PKCS#8 PEM encrypted with `passphrase` (PBES2, AES-256-CBC).
Result<std::string> encrypt_key_pem(std::string_view key_pem, std::string_view passphrase);

// Checks that key and certificate belong together and that the chain parses.
Status check_identity(const Identity& id);

// Called for a passphrase; `prompt` says what for ("Passphrase for alice.p12: "). Returns
// false when the user gave none (cancel).
using PassphraseCallback = std::function<bool(const std::string& prompt, std::string& out)>;

// RFC 7292 PKCS#12 (DER) to an Identity: the key, the certificate that matches it and the
// other certificates as chain. `passphrase` may be empty.
Result<Identity> identity_from_pkcs12(std::string_view der, std::string_view passphrase,
                                      const Limits& limits = {});
// An Identity as PKCS#12 protected by `passphrase`, with `friendly_name` (e.g. the address)
// as its label: PBES2 (PBKDF2, AES-256-CBC) with a SHA-256 MAC; with `legacy`,
// pbeWithSHAAnd3-KeyTripleDES-CBC with a SHA-1 MAC, the only form older importers read
// (gpgsm 2.2, older macOS and Windows).
Result<std::string> identity_to_pkcs12(const Identity& id, std::string_view passphrase,
                                       std::string_view friendly_name, bool legacy = false);

}  // namespace estafeta::smime
