// auth_login_throttle: the two tables of failure counts and the log lines (see the header).
#include "auth/proto/auth_login_throttle.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

#include "base/log.hpp"

namespace estafeta::auth {
namespace {

std::chrono::seconds ceil_seconds(LoginThrottle::Clock::duration d) {
  return std::chrono::ceil<std::chrono::seconds>(d);
}

}  // namespace

LoginThrottle::LoginThrottle(ThrottleLimits limits) : limits_(limits) {
  if (limits_.max_entries == 0) limits_.max_entries = 1;
}

std::string LoginThrottle::address_key(std::string_view address) {
  std::string text(address.substr(0, 64));
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) return text;
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) != 1) return text;
  const std::uint8_t* b = v6.s6_addr;
  static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(b, b + 12, kMapped)) return fmt::format("{}.{}.{}.{}", b[12], b[13], b[14], b[15]);
  // The /64 prefix, in the RFC 5952 shape for the common case (trailing "::").
  return fmt::format("{:x}:{:x}:{:x}:{:x}::/64", b[0] << 8 | b[1], b[2] << 8 | b[3],
                     b[4] << 8 | b[5], b[6] << 8 | b[7]);
}

std::string LoginThrottle::account_key(std::string_view account) {
  std::string key(account.substr(0, kMaxThrottleKey));
  for (char& c : key)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return key;
}

bool LoginThrottle::expired(const Entry& e, TimePoint now) const {
  return now >= e.refused_until && now - e.first >= limits_.window;
}

LoginThrottle::Entry* LoginThrottle::find(Table& t, const std::string& key, TimePoint now) {
  auto it = t.entries.find(key);
  if (it == t.entries.end()) return nullptr;
  if (expired(it->second, now)) {
    t.order.erase(it->second.order);
    t.entries.erase(it);
    return nullptr;
  }
  return &it->second;
}

LoginThrottle::Entry& LoginThrottle::touch(Table& t, const std::string& key, TimePoint now) {
  // Drop a few stale entries from the old end, so a table left alone shrinks as failures
  // arrive; then, if still full, evict the least recently failed.
  for (int i = 0; i < 4 && !t.order.empty(); ++i) {
    auto it = t.entries.find(t.order.front());
    if (it == t.entries.end() || it->first == key || !expired(it->second, now)) break;
    t.entries.erase(it);
    t.order.pop_front();
  }
  Entry* e = find(t, key, now);
  if (e) {
    t.order.splice(t.order.end(), t.order, e->order);
    return *e;
  }
  while (t.entries.size() >= limits_.max_entries && !t.order.empty()) {
    t.entries.erase(t.order.front());
    t.order.pop_front();
  }
  t.order.push_back(key);
  Entry& fresh = t.entries[key];
  fresh.first = now;
  fresh.order = std::prev(t.order.end());
  return fresh;
}

std::size_t LoginThrottle::count_failure(Table& t, const std::string& key, TimePoint now) {
  Entry& e = touch(t, key, now);
  if (now - e.first >= limits_.window) {  // a new counting window
    e.failures = 0;
    e.first = now;
  }
  std::size_t n = ++e.failures;
  if (n >= limits_.max_failures) {
    // Refused for a window; counting starts afresh once the refusal is over.
    e.refused_until = now + limits_.window;
    e.failures = 0;
    e.first = e.refused_until;
  }
  return n;
}

ThrottleDecision LoginThrottle::check(std::string_view address, std::string_view account,
                                      TimePoint now) {
  ThrottleDecision d;
  if (limits_.max_failures == 0) return d;
  if (Entry* e = find(addresses_, address_key(address), now); e && now < e->refused_until) {
    d.status = ThrottleDecision::Status::address_refused;
    d.retry_after = ceil_seconds(e->refused_until - now);
    return d;
  }
  if (!account.empty()) {
    if (Entry* e = find(accounts_, account_key(account), now); e && now < e->refused_until) {
      d.status = ThrottleDecision::Status::account_refused;
      d.retry_after = ceil_seconds(e->refused_until - now);
    }
  }
  return d;
}

std::chrono::milliseconds LoginThrottle::failed(std::string_view address, std::string_view account,
                                                TimePoint now) {
  if (limits_.max_failures == 0) return std::chrono::milliseconds(0);
  std::size_t n = count_failure(addresses_, address_key(address), now);
  if (!account.empty()) n = std::max(n, count_failure(accounts_, account_key(account), now));
  std::chrono::milliseconds delay = limits_.first_delay;
  for (std::size_t i = 1; i < n && delay < limits_.max_delay; ++i) delay *= 2;
  return std::min(delay, limits_.max_delay);
}

void LoginThrottle::succeeded(std::string_view account) {
  auto it = accounts_.entries.find(account_key(account));
  if (it == accounts_.entries.end()) return;
  accounts_.order.erase(it->second.order);
  accounts_.entries.erase(it);
}

std::string quote_log_value(std::string_view s) {
  constexpr std::size_t kMax = 256;
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size() && i < kMax; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > kMax) out += "...";
  out += '"';
  return out;
}

std::string auth_failed_line(std::string_view user, std::string_view address,
                             std::string_view protocol) {
  return fmt::format("auth failed: user={} address={} protocol={}", quote_log_value(user), address,
                     protocol);
}

std::string auth_throttled_line(std::string_view user, std::string_view address,
                                std::string_view protocol, const ThrottleDecision& decision) {
  return fmt::format(
      "auth throttled: user={} address={} protocol={} reason={} retry_after={}s",
      quote_log_value(user), address, protocol,
      decision.status == ThrottleDecision::Status::account_refused ? "account" : "address",
      decision.retry_after.count());
}

ThrottleDecision SharedLoginThrottle::check(std::string_view address, std::string_view account,
                                            std::string_view protocol) {
  ThrottleDecision d;
  {
    std::lock_guard lock(mutex_);
    d = throttle_.check(address, account, LoginThrottle::Clock::now());
  }
  if (!d.allowed()) log::info("auth", "{}", auth_throttled_line(account, address, protocol, d));
  return d;
}

std::chrono::milliseconds SharedLoginThrottle::failed(std::string_view address,
                                                      std::string_view account,
                                                      std::string_view protocol) {
  std::chrono::milliseconds delay;
  {
    std::lock_guard lock(mutex_);
    delay = throttle_.failed(address, account, LoginThrottle::Clock::now());
  }
  log::info("auth", "{}", auth_failed_line(account, address, protocol));
  return delay;
}

void SharedLoginThrottle::succeeded(std::string_view account) {
  std::lock_guard lock(mutex_);
  throttle_.succeeded(account);
}

}  // namespace estafeta::auth
