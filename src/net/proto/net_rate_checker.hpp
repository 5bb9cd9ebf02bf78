// net_rate_checker: the minimum-data-rate rule for DATA/BDAT (smtp.min_data_rate after
// smtp.data_rate_grace). A client that has sent B octets t seconds into the transfer is too
// slow when t > grace and B < rate * t. Pure arithmetic on time points handed in by the
// caller, so it is tested without clocks; deadline() tells a watchdog when to look next.
// Memory: constant.
#pragma once

#include <chrono>
#include <cstddef>

namespace estafeta::net {

class RateChecker {
 public:
  using Clock = std::chrono::steady_clock;

  RateChecker(std::size_t min_bytes_per_second, std::chrono::seconds grace)
      : rate_(min_bytes_per_second), grace_(grace) {}

  // Starts measuring (entering the data phase); forgets earlier transfers.
  void start(Clock::time_point now);
  // Stops measuring (back to commands); too_slow() is false until the next start().
  void stop() { active_ = false; }
  bool active() const { return active_; }
  void add(std::size_t bytes) { bytes_ += bytes; }
  // True when the transfer has fallen below the rate after the grace period.
  bool too_slow(Clock::time_point now) const;
  // The earliest time too_slow() can become true with no further data; max() if inactive
  // or the rate is 0 (check disabled).
  Clock::time_point deadline() const;

 private:
  std::size_t rate_;
  std::chrono::seconds grace_;
  bool active_ = false;
  Clock::time_point start_{};
  std::size_t bytes_ = 0;
};

}  // namespace estafeta::net
