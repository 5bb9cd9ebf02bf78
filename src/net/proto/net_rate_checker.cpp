// net_rate_checker: see the header.
#include "net/proto/net_rate_checker.hpp"

namespace estafeta::net {

void RateChecker::start(Clock::time_point now) {
  active_ = true;
  start_ = now;
  bytes_ = 0;
}

bool RateChecker::too_slow(Clock::time_point now) const {
  if (!active_ || rate_ == 0) return false;
  return now >= deadline();
}

RateChecker::Clock::time_point RateChecker::deadline() const {
  if (!active_ || rate_ == 0) return Clock::time_point::max();
  // The transfer is on time until start + bytes/rate (and always during the grace).
  auto earned = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(static_cast<double>(bytes_) / static_cast<double>(rate_)));
  auto allowance = earned > grace_ ? earned : std::chrono::duration_cast<Clock::duration>(grace_);
  return start_ + allowance;
}

}  // namespace estafeta::net
