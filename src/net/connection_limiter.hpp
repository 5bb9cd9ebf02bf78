// connection_limiter: bounds concurrent sessions in total and per client
// (smtp.max_connections, smtp.max_connections_per_ip), shared by every listener of a server.
// A client is an IPv4 address, or an IPv6 prefix (smtp.ipv6_prefix, /64 by default: one
// host gets a whole /64, RFC 6177, so counting single IPv6 addresses would bound nothing).
// A session holds a Ticket for its lifetime; dropping it frees the slot. Thread-safe (one
// mutex). Input: peer addresses (untrusted but well-formed, from accept()). Memory: one map
// entry per distinct client currently connected, so at most max_connections entries.
#pragma once

#include <asio/ip/address.hpp>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace estafeta::net {

// The key a client's connections are counted under: an IPv4 address (or IPv4-mapped IPv6
// address) as itself ("192.0.2.1"), an IPv6 address as its first `ipv6_prefix` bits
// ("2001:db8:1:2::/64"; 128 keeps single addresses).
std::string client_key(const asio::ip::address& address, unsigned ipv6_prefix);

class ConnectionLimiter {
 public:
  enum class Admission { admitted, too_many_total, too_many_from_address };

  // Holds one slot; movable, releases on destruction.
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& other) noexcept;
    Ticket& operator=(Ticket&& other) noexcept;
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket();
    bool valid() const { return owner_ != nullptr; }

   private:
    friend class ConnectionLimiter;
    Ticket(ConnectionLimiter* owner, std::string address)
        : owner_(owner), address_(std::move(address)) {}
    ConnectionLimiter* owner_ = nullptr;
    std::string address_;
  };

  ConnectionLimiter(std::size_t max_total, std::size_t max_per_address)
      : max_total_(max_total), max_per_address_(max_per_address) {}

  // Takes a slot for `address` (a client_key) if both limits allow; `ticket` holds it on
  // success.
  Admission try_admit(std::string_view address, Ticket& ticket);
  // As try_admit, but past the total limit: for a newcomer admitted because an idle session
  // was just told to close (stress mode), whose slot it takes once that one is gone. The
  // per-address limit still applies.
  Admission admit_over_total(std::string_view address, Ticket& ticket);

  std::size_t total() const;
  std::size_t from_address(std::string_view address) const;

 private:
  void release(const std::string& address);
  Admission admit(std::string_view address, Ticket& ticket, bool over_total);

  const std::size_t max_total_;
  const std::size_t max_per_address_;
  mutable std::mutex mutex_;
  std::size_t total_ = 0;
  std::unordered_map<std::string, std::size_t> per_address_;
};

}  // namespace estafeta::net
