// net_stress: see the header.
#include "net/proto/net_stress.hpp"

namespace estafeta::net {

StressGauge::Change StressGauge::update(std::size_t total) {
  bool now = total * 100 > max_total_ * threshold_percent_;
  if (now == stressed_) return Change::none;
  stressed_ = now;
  return now ? Change::entered : Change::left;
}

std::optional<std::uint64_t> choose_eviction(std::span<const EvictionCandidate> candidates) {
  const EvictionCandidate* best = nullptr;
  for (const EvictionCandidate& c : candidates) {
    if (!c.evictable || c.evicting) continue;
    if (!best || c.idle_since < best->idle_since ||
        (c.idle_since == best->idle_since && c.id < best->id))
      best = &c;
  }
  if (!best) return std::nullopt;
  return best->id;
}

}  // namespace estafeta::net
