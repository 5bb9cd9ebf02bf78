// dns_rdata: wire-format RDATA parsers (see dns_rdata.hpp for bounds and trust).
#include "dns/proto/dns_rdata.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace estafeta::dns {

std::string_view record_type_name(RecordType type) {
  switch (type) {
    case RecordType::a:
      return "A";
    case RecordType::mx:
      return "MX";
    case RecordType::txt:
      return "TXT";
    case RecordType::aaaa:
      return "AAAA";
    case RecordType::tlsa:
      return "TLSA";
    case RecordType::srv:
      return "SRV";
  }
  return "?";
}

std::string_view answer_status_name(AnswerStatus status) {
  switch (status) {
    case AnswerStatus::data:
      return "data";
    case AnswerStatus::nodata:
      return "nodata";
    case AnswerStatus::nxdomain:
      return "nxdomain";
    case AnswerStatus::temporary:
      return "temporary failure";
    case AnswerStatus::bogus:
      return "DNSSEC bogus";
  }
  return "?";
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  // inet_ntop is pure formatting (no I/O); it cannot fail with a correct family and buffer.
  if (family == Family::v4) {
    ::inet_ntop(AF_INET, bytes.data(), buf, sizeof buf);
  } else {
    ::inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  }
  return buf;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  std::string s(text);
  IpAddress a;
  if (::inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
    a.family = Family::v4;
    return a;
  }
  if (::inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
    a.family = Family::v6;
    return a;
  }
  return std::nullopt;
}

bool IpAddress::is_unspecified() const {
  if (family == Family::v4) return bytes[0] == 0;  // 0.0.0.0/8, RFC 1122 §3.2.1.3 "this host"
  for (auto b : bytes)
    if (b != 0) return false;
  return true;
}

namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool plain_octet(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

}  // namespace

std::optional<std::string> read_name(std::string_view wire, std::size_t& pos) {
  std::string out;
  std::size_t octets = 0;  // wire length so far, RFC 1035 §2.3.4
  for (;;) {
    if (pos >= wire.size()) return std::nullopt;
    auto len = static_cast<unsigned char>(wire[pos]);
    if (len & 0xC0) return std::nullopt;  // compression pointer or reserved label type
    ++pos;
    octets += 1 + len;
    if (octets > kMaxNameOctets) return std::nullopt;
    if (len == 0) break;
    if (len > kMaxLabelOctets || wire.size() - pos < len) return std::nullopt;
    if (!out.empty()) out += '.';
    for (std::size_t i = 0; i < len; ++i) {
      auto c = static_cast<unsigned char>(wire[pos + i]);
      if (plain_octet(c)) {
        out += lower(static_cast<char>(c));
      } else if (c == '.' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else {
        char esc[5];
        esc[0] = '\\';
        esc[1] = static_cast<char>('0' + c / 100);
        esc[2] = static_cast<char>('0' + (c / 10) % 10);
        esc[3] = static_cast<char>('0' + c % 10);
        esc[4] = 0;
        out += esc;
      }
    }
    pos += len;
  }
  if (out.empty()) out = ".";
  return out;
}

std::optional<MxRecord> parse_mx(std::string_view rdata) {
  if (rdata.size() < 3) return std::nullopt;
  MxRecord mx;
  mx.preference = static_cast<std::uint16_t>((static_cast<unsigned char>(rdata[0]) << 8) |
                                             static_cast<unsigned char>(rdata[1]));
  std::size_t pos = 2;
  auto name = read_name(rdata, pos);
  if (!name || pos != rdata.size()) return std::nullopt;
  mx.exchange = std::move(*name);
  return mx;
}

std::optional<TlsaRecord> parse_tlsa(std::string_view rdata) {
  // RFC 6698 §2.1: three one-octet fields, then the certificate association data (at least
  // one octet: §2.1.4 leaves its length to the matching type; an empty one matches nothing).
  if (rdata.size() < 4) return std::nullopt;
  TlsaRecord t;
  t.usage = static_cast<std::uint8_t>(rdata[0]);
  t.selector = static_cast<std::uint8_t>(rdata[1]);
  t.matching_type = static_cast<std::uint8_t>(rdata[2]);
  t.data.assign(rdata.substr(3));
  return t;
}

std::optional<IpAddress> parse_a(std::string_view rdata) {
  if (rdata.size() != 4) return std::nullopt;
  IpAddress a;
  a.family = IpAddress::Family::v4;
  std::memcpy(a.bytes.data(), rdata.data(), 4);
  return a;
}

std::optional<IpAddress> parse_aaaa(std::string_view rdata) {
  if (rdata.size() != 16) return std::nullopt;
  IpAddress a;
  a.family = IpAddress::Family::v6;
  std::memcpy(a.bytes.data(), rdata.data(), 16);
  return a;
}

std::optional<std::vector<std::string>> parse_txt(std::string_view rdata) {
  // RFC 1035 §3.3.14: one or more <character-string>s, each a length octet and that many.
  if (rdata.empty()) return std::nullopt;
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < rdata.size()) {
    auto len = static_cast<unsigned char>(rdata[pos++]);
    if (rdata.size() - pos < len) return std::nullopt;
    out.emplace_back(rdata.substr(pos, len));
    pos += len;
  }
  return out;
}

std::optional<std::string> txt_joined(std::string_view rdata) {
  auto parts = parse_txt(rdata);
  if (!parts) return std::nullopt;
  std::string out;
  for (auto& p : *parts) out += p;
  return out;
}

bool is_host_name(std::string_view name) {
  if (name.empty() || name.size() > 253 || name == ".") return false;
  std::size_t label = 0;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c == '.') {
      if (label == 0) return false;
      if (name[i - 1] == '-') return false;
      label = 0;
      continue;
    }
    if (!plain_octet(static_cast<unsigned char>(c))) return false;
    if (label == 0 && c == '-') return false;
    if (++label > kMaxLabelOctets) return false;
  }
  if (label == 0 || name.back() == '-') return false;
  // An all-numeric final label is an address, not a name (RFC 1123 §2.1, RFC 3696 §2).
  auto last = name.substr(name.rfind('.') == std::string_view::npos ? 0 : name.rfind('.') + 1);
  bool digits = true;
  for (char c : last) digits = digits && c >= '0' && c <= '9';
  return !digits;
}

std::string normalize_name(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (char c : name) out += lower(c);
  if (out.size() > 1 && out.back() == '.') out.pop_back();
  return out;
}

}  // namespace estafeta::dns
