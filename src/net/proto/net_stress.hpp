// net_stress: the rules of stress mode (as Postfix's), shared by every protocol's server.
// When more than threshold_percent of max_connections are in use the server is "stressed":
// sessions that are unauthenticated and idle before any transaction get a short command
// timeout, and when the limit is reached a newcomer makes room by closing the longest-idle
// such session instead of being refused. This file holds the pure part: the gauge that says
// when stress begins and ends (so each is logged once), and the choice of the session to
// close. Sans-I/O. Input: counts and the server's own session records (trusted).
// Memory: constant; choose_eviction() reads the candidates it is given.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace estafeta::net {

class StressGauge {
 public:
  enum class Change { none, entered, left };

  // threshold_percent 1-100: stressed while total * 100 > max_total * threshold_percent.
  StressGauge(std::size_t max_total, unsigned threshold_percent)
      : max_total_(max_total), threshold_percent_(threshold_percent) {}

  // The number of open sessions is now `total`: did stress begin or end?
  Change update(std::size_t total);
  bool stressed() const { return stressed_; }

 private:
  std::size_t max_total_;
  unsigned threshold_percent_;
  bool stressed_ = false;
};

struct EvictionCandidate {
  std::uint64_t id = 0;
  bool evictable = false;  // ProtocolStatus::evictable, as last reported
  bool evicting = false;   // already told to go: not chosen twice
  std::chrono::steady_clock::time_point idle_since{};  // start of its current wait for input
};

// The evictable session idle the longest (the oldest idle_since; ties: the lowest id), or
// nullopt when none qualifies.
std::optional<std::uint64_t> choose_eviction(std::span<const EvictionCandidate> candidates);

}  // namespace estafeta::net
