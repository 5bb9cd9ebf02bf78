// smime_ca: a small certificate authority for tests and closed organisations (what
// `estafeta cert ca|issue` runs): a self-signed CA certificate (basicConstraints CA:TRUE
// critical, keyUsage keyCertSign+cRLSign, RFC 5280 §4.2.1) and S/MIME end-entity
// certificates (RFC 8550 §4.4: subjectAltName rfc822Name, extendedKeyUsage
// emailProtection, keyUsage digitalSignature+keyEncipherment), and CRLs (RFC 5280 §5) that
// revoke some of them. Keys are RSA (2048 bits by default, the widest interoperability) or
// EC P-256. Trust: everything here is the operator's own; nothing is read from the network.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "smime/smime_cert.hpp"

namespace estafeta::smime {

enum class KeyType { rsa2048, rsa3072, ec_p256 };

struct CaOptions {
  std::string name = "Estafeta Test CA";  // the CN
  std::string organization;               // O, "" = none
  int days = 3650;
  KeyType key = KeyType::rsa2048;
};

struct IssueOptions {
  std::string email;  // required: the rfc822Name (also the CN when `name` is empty)
  std::string name;   // CN, "" = the address
  int days = 365;
  KeyType key = KeyType::rsa2048;
  // Validity start relative to now, in seconds (negative = in the past; tests make expired
  // certificates with it). The certificate is valid from now+offset for `days` days.
  std::int64_t not_before_offset = -300;
};

// The CA: key_pem and cert_pem (chain empty).
Result<Identity> make_ca(const CaOptions& options);
// A certificate signed by `ca`; chain_pem is the CA certificate.
Result<Identity> issue_certificate(const Identity& ca, const IssueOptions& options);
// A CRL signed by `ca` listing the given certificates (PEM) as revoked, valid `days` days.
Result<std::string> make_crl(const Identity& ca, const std::vector<std::string>& revoked_pems,
                             int days = 30);

}  // namespace estafeta::smime
