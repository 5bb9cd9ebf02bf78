// dns_answer: typed views of a resolver Answer for the consumers that are not the route
// planner: TLSA for DANE (RFC 7672 §2.2: only a secure answer may be used; a bogus or failed
// one defers delivery), TXT for MTA-STS (RFC 8461 §3.1) and other policy records, MX lists
// for display. Malformed records are dropped and counted, never guessed at.
// Trust: the Answer's rdata comes from the network; parsing bounds are those of dns_rdata.
// Memory: at most kMaxRecords records, each no larger than its rdata.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dns/proto/dns_rdata.hpp"

namespace estafeta::dns {

// The TLSA owner name of an SMTP server (RFC 7672 §2.2.3, RFC 6698 §3): "_25._tcp.host".
std::string tlsa_name(std::string_view host, std::uint16_t port = 25);

template <class Record>
struct TypedAnswer {
  AnswerStatus status = AnswerStatus::temporary;
  bool secure = false;          // DNSSEC-validated (data or denial)
  std::string canonical_name;   // after CNAMEs
  std::vector<Record> records;  // the well-formed records, in answer order
  std::size_t malformed = 0;    // records dropped because their rdata did not parse
  std::string error;            // why the lookup failed, when it did
};

using MxAnswer = TypedAnswer<MxRecord>;
using AddressAnswer = TypedAnswer<IpAddress>;
using TlsaAnswer = TypedAnswer<TlsaRecord>;
using TxtAnswer = TypedAnswer<std::string>;  // each record's strings joined (RFC 7208 §3.3)

MxAnswer to_mx(const Answer& answer);
AddressAnswer to_addresses(const Answer& answer, RecordType type);  // A or AAAA
TlsaAnswer to_tlsa(const Answer& answer);
TxtAnswer to_txt(const Answer& answer);

// RFC 7672 §2.2: TLSA records are usable for DANE only when the answer is secure; a bogus
// or temporarily failed lookup must defer delivery; insecure or NODATA/NXDOMAIN means no
// DANE for that host.
enum class DaneState : std::uint8_t { usable, none, defer };
DaneState dane_state(const TlsaAnswer& answer);

}  // namespace estafeta::dns
