// dns_answer: typed views of resolver answers (see dns_answer.hpp).
#include "dns/proto/dns_answer.hpp"

namespace estafeta::dns {

std::string tlsa_name(std::string_view host, std::uint16_t port) {
  return "_" + std::to_string(port) + "._tcp." + normalize_name(host);
}

namespace {

template <class Record, class Parse>
TypedAnswer<Record> convert(const Answer& a, Parse parse) {
  TypedAnswer<Record> out;
  out.status = a.status;
  out.secure = a.secure;
  out.canonical_name = a.canonical_name;
  out.error = a.error;
  if (a.status != AnswerStatus::data) return out;
  for (std::size_t i = 0; i < a.rdata.size() && i < kMaxRecords; ++i) {
    if (auto r = parse(a.rdata[i])) {
      out.records.push_back(std::move(*r));
    } else {
      ++out.malformed;
    }
  }
  return out;
}

}  // namespace

MxAnswer to_mx(const Answer& answer) {
  return convert<MxRecord>(answer, parse_mx);
}

AddressAnswer to_addresses(const Answer& answer, RecordType type) {
  return convert<IpAddress>(answer, type == RecordType::aaaa ? parse_aaaa : parse_a);
}

TlsaAnswer to_tlsa(const Answer& answer) {
  return convert<TlsaRecord>(answer, parse_tlsa);
}

TxtAnswer to_txt(const Answer& answer) {
  return convert<std::string>(answer, txt_joined);
}

DaneState dane_state(const TlsaAnswer& answer) {
  switch (answer.status) {
    case AnswerStatus::temporary:
    case AnswerStatus::bogus:
      return DaneState::defer;
    case AnswerStatus::nodata:
    case AnswerStatus::nxdomain:
      return DaneState::none;
    case AnswerStatus::data:
      break;
  }
  if (!answer.secure) return DaneState::none;
  // "usable" only says "secure data": RFC 7672 §2.2 / §3.1 say what records that the client
  // cannot use mean (TLS still required, without authentication); the SMTP client decides.
  return DaneState::usable;
}

}  // namespace estafeta::dns
