// mua_srv: RFC 6186 server discovery for `mail setup`, sans-I/O: the SRV names to ask for an
// address's domain (_submissions._tcp (RFC 8314 §5.1), _submission._tcp, _imaps._tcp,
// _imap._tcp, _pop3s._tcp, _pop3._tcp), the SRV RDATA (RFC 2782: priority, weight, port,
// target; uncompressed target name) and the choice among the records of one name (lowest
// priority, then highest weight; a target of "." means the service is not offered, RFC 6186
// §3.4). Trust: RDATA from the network, parsed with dns::read_name's bounds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace estafeta::mua {

struct SrvRecord {
  std::uint16_t priority = 0;
  std::uint16_t weight = 0;
  std::uint16_t port = 0;
  std::string target;  // lower case, no final dot; "." = not offered
};

std::optional<SrvRecord> parse_srv(std::string_view rdata);

// The record to use, or nullopt (none, or the service explicitly not offered).
std::optional<SrvRecord> choose_srv(const std::vector<SrvRecord>& records);

// One SRV service of RFC 6186 / RFC 8314 with what it means for the account.
struct SrvService {
  const char* label;  // "_submissions._tcp"
  const char* kind;   // "submission", "imap", "pop3"
  bool implicit_tls;  // true: TLS from the first byte; false: STARTTLS
};
// In order of preference: implicit TLS before STARTTLS for each kind (RFC 8314 §5.1).
const std::vector<SrvService>& srv_services();

}  // namespace estafeta::mua
