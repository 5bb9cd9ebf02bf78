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

ConnectionLimiter::Admission ConnectionLimiter::try_admit(std::string_view address,
                                                          Ticket& ticket) {
  std::string key(address);
  {
    std::lock_guard lock(mutex_);
    if (total_ >= max_total_) return Admission::too_many_total;
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
