// connection_limiter: counting admission control for concurrent sessions (see the header).
#include "net/connection_limiter.hpp"

#include <cassert>
#include <utility>

namespace estafeta::net {

ConnectionLimiter::Ticket::Ticket(Ticket&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)), address_(std::move(other.address_)) {}

ConnectionLimiter::Ticket& ConnectionLimiter::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    if (owner_) owner_->release(address_);
    owner_ = std::exchange(other.owner_, nullptr);
    address_ = std::move(other.address_);
  }
  return *this;
}

ConnectionLimiter::Ticket::~Ticket() {
  if (owner_) owner_->release(address_);
}

std::string client_key(const asio::ip::address& address, unsigned ipv6_prefix) {
  if (address.is_v4()) return address.to_string();
  asio::ip::address_v6 v6 = address.to_v6();
  if (v6.is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_string();
  if (ipv6_prefix >= 128) return v6.to_string();
  asio::ip::address_v6::bytes_type bytes = v6.to_bytes();
  for (unsigned bit = ipv6_prefix; bit < 128; ++bit)
    bytes[bit / 8] = static_cast<unsigned char>(bytes[bit / 8] & ~(0x80u >> (bit % 8)));
  return asio::ip::address_v6(bytes).to_string() + "/" + std::to_string(ipv6_prefix);
}

ConnectionLimiter::Admission ConnectionLimiter::try_admit(std::string_view address,
                                                          Ticket& ticket) {
  return admit(address, ticket, false);
}

ConnectionLimiter::Admission ConnectionLimiter::admit_over_total(std::string_view address,
                                                                 Ticket& ticket) {
  return admit(address, ticket, true);
}

ConnectionLimiter::Admission ConnectionLimiter::admit(std::string_view address, Ticket& ticket,
                                                      bool over_total) {
  std::string key(address);
  {
    std::lock_guard lock(mutex_);
    if (!over_total && total_ >= max_total_) return Admission::too_many_total;
    auto it = per_address_.find(key);
    std::size_t current = it == per_address_.end() ? 0 : it->second;
    if (current >= max_per_address_) return Admission::too_many_from_address;
    ++total_;
    if (it == per_address_.end()) {
      per_address_.emplace(key, 1);
    } else {
      ++it->second;
    }
  }
  ticket = Ticket(this, std::move(key));
  return Admission::admitted;
}

void ConnectionLimiter::release(const std::string& address) {
  std::lock_guard lock(mutex_);
  auto it = per_address_.find(address);
  assert(it != per_address_.end() && total_ > 0);
  if (it == per_address_.end()) return;
  --total_;
  if (--it->second == 0) per_address_.erase(it);
}

std::size_t ConnectionLimiter::total() const {
  std::lock_guard lock(mutex_);
  return total_;
}

std::size_t ConnectionLimiter::from_address(std::string_view address) const {
  std::lock_guard lock(mutex_);
  auto it = per_address_.find(std::string(address));
  return it == per_address_.end() ? 0 : it->second;
}

}  // namespace estafeta::net
