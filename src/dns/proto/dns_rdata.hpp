// dns_rdata: the record types the sending MTA asks for (RFC 1035 §3.3, §3.4; RFC 3596 AAAA;
// RFC 6698 §2.1 TLSA; RFC 7505 null MX), their wire-format rdata parsed into values, and the
// Answer a resolver hands to the sans-I/O consumers (route planner, DANE, MTA-STS).
// Rdata is as a resolver library returns it: one record's RDATA, names uncompressed (RFC 1035
// §4.1.4 pointers only make sense inside a whole message, so they are refused here).
// Trust: the octets come from the network through the resolver (possibly unvalidated); every
// parser checks each length against what is left, never reads past the input, and refuses
// names over 255 octets, labels over 63 and trailing octets. Memory: a parsed record is at
// most the size of its rdata (plus escapes, at most 4x for a name); an Answer holds at most
// kMaxRecords records (the resolver drops the rest).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace estafeta::dns {

// DNS RR type codes (IANA "Resource Record (RR) TYPEs").
// SRV (RFC 2782) is for the mail client's server discovery (RFC 6186, src/mua).
enum class RecordType : std::uint16_t { a = 1, mx = 15, txt = 16, aaaa = 28, srv = 33, tlsa = 52 };
std::string_view record_type_name(RecordType type);

// Records kept from one answer; a larger RRset is cut to this many (bounds every consumer).
inline constexpr std::size_t kMaxRecords = 64;
// RFC 1035 §2.3.4: a name is at most 255 octets on the wire, a label at most 63.
inline constexpr std::size_t kMaxNameOctets = 255;
inline constexpr std::size_t kMaxLabelOctets = 63;

// An IPv4 or IPv6 address, as bytes (IPv4 in the first 4).
struct IpAddress {
  enum class Family : std::uint8_t { v4, v6 };
  Family family = Family::v4;
  std::array<std::uint8_t, 16> bytes{};

  // Text form: dotted quad or RFC 5952 IPv6.
  std::string to_string() const;
  // Parses "192.0.2.1" or "2001:db8::1" (no brackets, no zone); nullopt otherwise.
  static std::optional<IpAddress> parse(std::string_view text);
  bool is_v6() const { return family == Family::v6; }
  // 0.0.0.0/8 or :: (never a destination: connecting there reaches this host).
  bool is_unspecified() const;
  bool operator==(const IpAddress&) const = default;
};

// What a lookup came to (RFC 2308 for NXDOMAIN/NODATA).
enum class AnswerStatus : std::uint8_t {
  data,       // records present (the RRset, possibly after CNAMEs)
  nodata,     // the name exists, no record of that type
  nxdomain,   // the name does not exist (RCODE 3)
  temporary,  // SERVFAIL, REFUSED, timeout, no usable server: try again later
  bogus,      // DNSSEC validation failed (RFC 4035 §5.5): treated as temporary, never used
};
std::string_view answer_status_name(AnswerStatus status);

// One lookup's answer as the resolver hands it over.
struct Answer {
  AnswerStatus status = AnswerStatus::temporary;
  std::vector<std::string> rdata;  // wire-format RDATA of each record, at most kMaxRecords
  std::string canonical_name;      // the name the records belong to after CNAMEs, no final dot
  bool secure = false;             // DNSSEC-validated (RFC 4033 "secure"), data or denial
  std::uint32_t ttl = 0;
  std::string error;  // why it failed (timeout, SERVFAIL, why bogus); empty when it did not
};

// MX RDATA (RFC 1035 §3.3.9). `exchange` is in presentation form, lower-cased, without the
// final dot; the root name (RFC 7505 null MX) is ".".
struct MxRecord {
  std::uint16_t preference = 0;
  std::string exchange;
  bool is_null_mx() const { return exchange == "."; }  // RFC 7505 §3 (any preference)
  bool operator==(const MxRecord&) const = default;
};

// TLSA RDATA (RFC 6698 §2.1): usage, selector, matching type, association data (binary).
struct TlsaRecord {
  std::uint8_t usage = 0;
  std::uint8_t selector = 0;
  std::uint8_t matching_type = 0;
  std::string data;
  bool operator==(const TlsaRecord&) const = default;
};

// Reads an uncompressed domain name at `pos`, advancing it; returns it in presentation form
// (labels joined by '.', lower-cased, octets other than letters, digits, '-' and '_' escaped
// as \DDD, a '.' inside a label as "\."; no final dot; the root name is "."). nullopt on a
// compression pointer, a label over 63 octets, a name over 255 octets or truncation.
std::optional<std::string> read_name(std::string_view wire, std::size_t& pos);

// Parsers of one record's RDATA; nullopt when it is malformed (truncated, trailing octets).
std::optional<MxRecord> parse_mx(std::string_view rdata);
std::optional<TlsaRecord> parse_tlsa(std::string_view rdata);
std::optional<IpAddress> parse_a(std::string_view rdata);     // exactly 4 octets
std::optional<IpAddress> parse_aaaa(std::string_view rdata);  // exactly 16 octets
// TXT (RFC 1035 §3.3.14): the <character-string>s of one record, in order. RFC 7208 §3.3 and
// RFC 8461 §3.1 join them with nothing between: txt_joined().
std::optional<std::vector<std::string>> parse_txt(std::string_view rdata);
std::optional<std::string> txt_joined(std::string_view rdata);

// A host name usable as an MX exchange or a route (RFC 5321 §2.3.5 / RFC 1123 §2.1 letters,
// digits, hyphens, plus '_' seen in the wild; labels 1..63, total <= 253, at least one
// label). Address literals and escaped octets are not host names.
bool is_host_name(std::string_view name);

// Lower-cases ASCII and removes one final dot ("MX.Example.COM." -> "mx.example.com").
std::string normalize_name(std::string_view name);

}  // namespace estafeta::dns
