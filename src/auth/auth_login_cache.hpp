// auth_login_cache: the passwords that passed a check recently, so that a client that logs in
// again and again (a phone polling POP3 or IMAP every few minutes, fetchmail, a benchmark)
// does not pay a password hash (~20 ms of CPU and 16 MiB for yescrypt) each time. An entry is
// a keyed SHA-256 of the stored hash and the password (the key is random per process), never
// the password; it matches only the same password against the same stored hash, so a changed
// password or a deleted account misses at once. Wrong passwords are never remembered, so the
// login throttle sees every failure. Entries expire after `ttl`; at most `max_entries` are
// kept (when full, the expired go, then the oldest half). Thread-safe (one mutex).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace estafeta::auth {

class LoginCache {
 public:
  using Clock = std::chrono::steady_clock;

  // ttl 0: remembers nothing.
  explicit LoginCache(std::chrono::seconds ttl, std::size_t max_entries = 10000);

  // True when this password passed against this stored hash less than `ttl` ago.
  bool contains(std::string_view stored_hash, std::string_view password, Clock::time_point now);
  // Remembers a password that passed.
  void remember(std::string_view stored_hash, std::string_view password, Clock::time_point now);
  std::size_t size();

 private:
  std::string key_of(std::string_view stored_hash, std::string_view password) const;
  void prune(Clock::time_point now);

  const std::chrono::seconds ttl_;
  const std::size_t max_entries_;
  std::array<unsigned char, 32> secret_{};
  std::mutex mu_;
  std::unordered_map<std::string, Clock::time_point> entries_;  // key -> when it passed
};

}  // namespace estafeta::auth
