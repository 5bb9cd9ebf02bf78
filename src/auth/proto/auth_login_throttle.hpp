// auth_login_throttle: slows down and then refuses password guessing, for every protocol that
// takes a login (SMTP AUTH, IMAP LOGIN/AUTHENTICATE, POP3 USER/PASS and AUTH). Failed logins
// are counted per client network (an IPv4 address; an IPv6 /64, the smallest block a site is
// usually given) and per account name. Each failure asks the caller to wait a little longer
// before answering (first_delay, doubled per failure, at most max_delay); max_failures
// failures within `window` refuse further logins from that network, or to that account, for
// `window` (answered with a temporary error, without checking the password). A successful
// login clears its account's count; the network's count runs on, so one valid account does
// not let its owner's address guess the others.
// LoginThrottle is sans-I/O and takes the time as an argument (tests use a fake clock);
// SharedLoginThrottle adds a mutex, the steady clock and the log lines, for the servers.
// Trust: addresses come from the socket; account names come from unauthenticated clients
// (keys are capped at kMaxThrottleKey octets and case-folded). Memory: at most max_entries
// networks and max_entries accounts, the least recently failed evicted first; entries whose
// window and refusal have passed are dropped as new failures arrive.
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace estafeta::auth {

struct ThrottleLimits {
  std::size_t max_failures = 10;               // per network or account within window; 0 = off
  std::chrono::seconds window{900};            // failures counted over this; refusal lasts this
  std::chrono::milliseconds first_delay{250};  // after the first failure, doubled each time
  std::chrono::milliseconds max_delay{4000};
  std::size_t max_entries = 65536;  // per table (networks, accounts)
};

inline constexpr std::size_t kMaxThrottleKey = 320;

struct ThrottleDecision {
  enum class Status { allowed, address_refused, account_refused };
  Status status = Status::allowed;
  std::chrono::seconds retry_after{0};  // when refused: until the refusal ends
  bool allowed() const { return status == Status::allowed; }
};

class LoginThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;

  explicit LoginThrottle(ThrottleLimits limits = {});

  // Before checking a password: may `account` log in from `address` now?
  ThrottleDecision check(std::string_view address, std::string_view account, TimePoint now);
  // After a wrong password: counts the failure for both keys and returns how long the caller
  // should wait before answering (never blocking a thread: a timer).
  std::chrono::milliseconds failed(std::string_view address, std::string_view account,
                                   TimePoint now);
  // After a successful login: forgets the account's failures.
  void succeeded(std::string_view account);

  // The network an address counts toward: "192.0.2.1", "2001:db8:1:2::/64"; an IPv4-mapped
  // IPv6 address counts as its IPv4 address; anything unparsable is used as given (capped).
  static std::string address_key(std::string_view address);
  // The account key: ASCII lower case, capped at kMaxThrottleKey octets.
  static std::string account_key(std::string_view account);

  std::size_t address_entries() const { return addresses_.size(); }
  std::size_t account_entries() const { return accounts_.size(); }
  const ThrottleLimits& limits() const { return limits_; }

 private:
  struct Entry {
    std::size_t failures = 0;
    TimePoint first{};          // start of the current counting window
    TimePoint refused_until{};  // refusal in force before this
    std::list<std::string>::iterator order;
  };
  struct Table {
    std::unordered_map<std::string, Entry> entries;
    std::list<std::string> order;  // least recently failed first
    std::size_t size() const { return entries.size(); }
  };

  Entry* find(Table& t, const std::string& key, TimePoint now);
  Entry& touch(Table& t, const std::string& key, TimePoint now);
  std::size_t count_failure(Table& t, const std::string& key, TimePoint now);
  bool expired(const Entry& e, TimePoint now) const;

  ThrottleLimits limits_;
  Table addresses_;
  Table accounts_;
};

// The log lines, one per event, in a fixed shape for fail2ban-style filters:
//   auth failed: user="alice@example.org" address=192.0.2.1 protocol=smtp
//   auth throttled: user="alice@example.org" address=192.0.2.1 protocol=smtp reason=address
// The user name is quoted with ", \ and every octet outside printable ASCII written as \xNN
// (so neither a quote nor a line break can forge a field or a line), capped at 256 octets.
std::string quote_log_value(std::string_view s);
std::string auth_failed_line(std::string_view user, std::string_view address,
                             std::string_view protocol);
std::string auth_throttled_line(std::string_view user, std::string_view address,
                                std::string_view protocol, const ThrottleDecision& decision);

// LoginThrottle for the servers: one instance shared by every listener and protocol, called
// from io or worker threads (a mutex; nothing inside blocks), logging each failure and
// refusal at info level under the component "auth".
class SharedLoginThrottle {
 public:
  explicit SharedLoginThrottle(ThrottleLimits limits = {}) : throttle_(limits) {}
  // check(); when refused, also logs the "auth throttled" line.
  ThrottleDecision check(std::string_view address, std::string_view account,
                         std::string_view protocol);
  // failed(); also logs the "auth failed" line. Returns the delay to apply before answering.
  std::chrono::milliseconds failed(std::string_view address, std::string_view account,
                                   std::string_view protocol);
  void succeeded(std::string_view account);

 private:
  std::mutex mutex_;
  LoginThrottle throttle_;
};

}  // namespace estafeta::auth
