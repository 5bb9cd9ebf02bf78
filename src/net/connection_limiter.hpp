// connection_limiter: bounds concurrent sessions in total and per client address
// (smtp.max_connections, smtp.max_connections_per_ip), shared by every listener. A session
// holds a Ticket for its lifetime; dropping it frees the slot. Thread-safe (one mutex).
// Input: peer addresses (untrusted but well-formed, from accept()). Memory: one map entry
// per distinct address currently connected, so at most max_connections entries.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace estafeta::net {

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

  // Takes a slot for `address` if both limits allow; `ticket` holds it on success.
  Admission try_admit(std::string_view address, Ticket& ticket);

  std::size_t total() const;
  std::size_t from_address(std::string_view address) const;

 private:
  void release(const std::string& address);

  const std::size_t max_total_;
  const std::size_t max_per_address_;
  mutable std::mutex mutex_;
  std::size_t total_ = 0;
  std::unordered_map<std::string, std::size_t> per_address_;
};

}  // namespace estafeta::net
