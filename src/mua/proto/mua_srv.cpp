// mua_srv: see mua_srv.hpp.
#include "mua/proto/mua_srv.hpp"

#include "dns/proto/dns_rdata.hpp"

namespace estafeta::mua {

std::optional<SrvRecord> parse_srv(std::string_view rdata) {
  if (rdata.size() < 7) return std::nullopt;
  auto u16 = [&](std::size_t at) {
    return static_cast<std::uint16_t>((static_cast<unsigned char>(rdata[at]) << 8) |
                                      static_cast<unsigned char>(rdata[at + 1]));
  };
  SrvRecord r;
  r.priority = u16(0);
  r.weight = u16(2);
  r.port = u16(4);
  std::size_t pos = 6;
  auto name = dns::read_name(rdata, pos);
  if (!name || pos != rdata.size()) return std::nullopt;
  r.target = *name;
  return r;
}

std::optional<SrvRecord> choose_srv(const std::vector<SrvRecord>& records) {
  const SrvRecord* best = nullptr;
  for (const auto& r : records) {
    if (!best || r.priority < best->priority ||
        (r.priority == best->priority && r.weight > best->weight))
      best = &r;
  }
  if (!best || best->target == "." || best->target.empty() || best->port == 0)
    return std::nullopt;  // RFC 6186 §3.4: "." = not available
  return *best;
}

const std::vector<SrvService>& srv_services() {
  static const std::vector<SrvService> services = {
      {"_submissions._tcp", "submission", true},
      {"_submission._tcp", "submission", false},
      {"_imaps._tcp", "imap", true},
      {"_imap._tcp", "imap", false},
      {"_pop3s._tcp", "pop3", true},
      {"_pop3._tcp", "pop3", false},
  };
  return services;
}

}  // namespace estafeta::mua
