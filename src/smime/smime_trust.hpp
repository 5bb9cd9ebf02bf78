// smime_trust: what a verifier trusts: the system's CA store, CA files, CRLs (RFC 5280 §6.3)
// and the time to check at; and the check of one certificate chain against it for e-mail
// protection (RFC 8550 §4: X.509 path validation, purpose S/MIME signing). The check does
// not stop at the first fault: it records every one (untrusted issuer, expired, not yet
// valid, revoked, bad purpose) so a client can name them all.
// Trust: the chain comes from a message (untrusted); the settings are the user's. Bounds:
// path depth Limits::max_chain; CA and CRL files are the user's (read whole).
#pragma once

#include <ctime>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "smime/smime_cert.hpp"

namespace estafeta::smime {

struct TrustSettings {
  bool system_store = true;            // OpenSSL's default paths (/etc/ssl/certs)
  std::vector<std::string> ca_files;   // PEM files of trusted CAs
  std::vector<std::string> ca_pems;    // trusted CA certificates given as PEM text
  std::vector<std::string> crl_files;  // PEM or DER CRLs; revocation is checked when any
  std::vector<std::string> crl_pems;   //   CRL (file or text) is given
  std::time_t at = 0;                  // check validity at this time; 0 = now
};

struct ChainCheck {
  bool trusted = false;             // the path reaches a trusted CA (other faults: the flags below)
  bool expired = false;             // the certificate (or one in its path) is past notAfter
  bool not_yet_valid = false;       // ... before notBefore
  bool revoked = false;             // a given CRL lists it (or one in its path)
  bool revocation_checked = false;  // a CRL of its issuer was given and consulted
  bool untrusted_issuer = false;    // no path to a trusted CA (unknown or self-signed)
  bool wrong_purpose = false;       // keyUsage/extendedKeyUsage exclude e-mail protection
  std::vector<std::string> errors;  // every fault, as OpenSSL words it, with its depth
  std::vector<std::string> path;    // subjects from the certificate up to the anchor
};

}  // namespace estafeta::smime
