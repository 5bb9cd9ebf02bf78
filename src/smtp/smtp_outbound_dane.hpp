// smtp_outbound_dane: what DANE (RFC 7672) asks of one connection of the sending MTA, decided
// from the DNS alone, sans-I/O. Input: whether the MX RRset and the host's address records
// were DNSSEC-secure (RFC 7672 §2.2.1-2.2.2: TLSA is looked up only then), and the host's
// TLSA answer for _25._tcp.<host>. Output: none (opportunistic TLS as usual), authenticate
// (STARTTLS mandatory, the certificate must match one of the usable records), encrypt
// (records published but none usable: STARTTLS mandatory, no authentication, RFC 7672 §2.2
// and Postfix's "dane" level), or defer (the TLSA lookup was bogus or failed: this MX host
// must not be used now, RFC 7672 §2.1). Usable records (RFC 7672 §3.1): usages DANE-TA(2) and
// DANE-EE(3) only (PKIX-TA(0)/PKIX-EE(1) are unusable for SMTP, §3.1.3), selectors 0/1,
// matching types 0/1/2 with the digest length of their algorithm.
// Trust: the records come from the network via the validating resolver; nothing here trusts
// them beyond the checks above. Memory: a copy of the usable records (bounded by the answer).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dns/proto/dns_answer.hpp"
#include "net/stream.hpp"

namespace estafeta::smtp {

struct DanePolicy {
  enum class Mode : std::uint8_t { none, authenticate, encrypt, defer };
  Mode mode = Mode::none;
  std::vector<net::DaneRecord> records;  // the usable records (authenticate only)
  std::string reason;                    // for defer/encrypt and logs: what the DNS said
};

// Whether TLSA should be looked up at all for an attempt (RFC 7672 §2.2.1-2.2.2).
bool dane_applies(bool mx_secure, bool address_secure);

// A TLSA record SMTP can use (RFC 7672 §3.1).
bool dane_usable(const dns::TlsaRecord& r);

// The policy for `host` (TLSA at _port._tcp.host) from its TLSA answer (only meaningful when
// dane_applies()).
DanePolicy dane_policy(const std::string& host, const dns::TlsaAnswer& answer,
                       std::uint16_t port = 25);

}  // namespace estafeta::smtp
