// smtp_outbound_dane: DANE decisions of the sending MTA (see the header).
#include "smtp/smtp_outbound_dane.hpp"

namespace estafeta::smtp {

bool dane_applies(bool mx_secure, bool address_secure) {
  return mx_secure && address_secure;
}

bool dane_usable(const dns::TlsaRecord& r) {
  if (r.usage != 2 && r.usage != 3) return false;        // RFC 7672 §3.1.3: no PKIX usages
  if (r.selector != 0 && r.selector != 1) return false;  // RFC 6698 §2.1.2
  switch (r.matching_type) {                             // RFC 6698 §2.1.3
    case 0:
      return !r.data.empty();
    case 1:
      return r.data.size() == 32;  // SHA2-256
    case 2:
      return r.data.size() == 64;  // SHA2-512
    default:
      return false;
  }
}

DanePolicy dane_policy(const std::string& host, const dns::TlsaAnswer& answer, std::uint16_t port) {
  DanePolicy p;
  const std::string name = dns::tlsa_name(host, port);
  switch (dns::dane_state(answer)) {
    case dns::DaneState::none:
      p.mode = DanePolicy::Mode::none;
      return p;
    case dns::DaneState::defer:
      p.mode = DanePolicy::Mode::defer;
      p.reason = "TLSA lookup for " + name + " failed (" +
                 (answer.error.empty() ? std::string("no secure answer") : answer.error) +
                 "): DANE requires deferring this host (RFC 7672 §2.1)";
      return p;
    case dns::DaneState::usable:
      break;
  }
  for (const auto& r : answer.records)
    if (dane_usable(r)) p.records.push_back({r.usage, r.selector, r.matching_type, r.data});
  if (p.records.empty()) {
    p.mode = DanePolicy::Mode::encrypt;
    p.reason = "no usable TLSA record at " + name + ": TLS required without authentication";
  } else {
    p.mode = DanePolicy::Mode::authenticate;
    p.reason = std::to_string(p.records.size()) + " usable TLSA record(s) at " + name;
  }
  return p;
}

}  // namespace estafeta::smtp
