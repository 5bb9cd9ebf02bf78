// store_quota: the arithmetic of an account's quota (RFC 9208 resources STORAGE, MESSAGE and
// MAILBOX), shared by every backend so that they refuse, count and warn alike: the limits that
// apply (the account's own setting, else the store's default), whether a change would exceed
// them, the 90 % warning's crossing rule and its text, and the account's own setting as the
// small text file the embedded backend keeps beside the Maildir.
//
// Units: STORAGE limits are in KiB (1024 octets, RFC 9208 §5.1); usage is kept in octets (the
// sum of RFC822.SIZE) and shown in KiB rounded up. A limit of 0 means "no limit" (as
// Dovecot's quota rules); kQuotaDefault in an account's own setting means "the store's
// default applies".
// Trust: the settings text comes from the operator's files (parsed strictly, anything
// unknown refused); nothing here sees client input. Memory: constant. No I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace estafeta::store {

inline constexpr std::uint64_t kQuotaDefault = UINT64_MAX;
// The warning threshold: percent of a STORAGE or MESSAGE limit.
inline constexpr std::uint64_t kQuotaWarnPercent = 90;

struct QuotaLimits {
  std::uint64_t storage_kib = 0;  // KiB; 0 = no limit
  std::uint64_t messages = 0;     // 0 = no limit
  std::uint64_t mailboxes = 0;    // 0 = no limit
  bool operator==(const QuotaLimits&) const = default;
  bool any() const { return storage_kib || messages || mailboxes; }
};

struct QuotaUsage {
  std::uint64_t storage = 0;  // octets (sum of RFC822.SIZE of every message)
  std::uint64_t messages = 0;
  std::uint64_t mailboxes = 0;
};

// What Account::quota() reports.
struct QuotaState {
  QuotaLimits own = {kQuotaDefault, kQuotaDefault, kQuotaDefault};  // the account's setting
  QuotaLimits limits;                                               // what applies
  QuotaUsage usage;
};

// The resources the warning watches, as bits.
enum QuotaResource : std::uint8_t { kQuotaStorage = 1, kQuotaMessages = 2 };

// `own` with each kQuotaDefault replaced by the default's value.
QuotaLimits effective_quota(const QuotaLimits& own, const QuotaLimits& defaults);

// KiB as RFC 9208 shows STORAGE usage (rounded up: a non-empty account never shows 0).
inline std::uint64_t storage_kib(std::uint64_t octets) {
  return octets / 1024 + (octets % 1024 != 0);
}

// True when usage plus the additions would pass a limit (reaching it exactly is allowed).
bool quota_exceeded(const QuotaLimits& limits, const QuotaUsage& usage, std::uint64_t add_octets,
                    std::uint64_t add_messages, std::uint64_t add_mailboxes = 0);

// The resources (QuotaResource bits) whose usage is at or above kQuotaWarnPercent of a limit.
std::uint8_t quota_high(const QuotaLimits& limits, const QuotaUsage& usage);

// The warning rule, once per crossing: a resource that was below the threshold before a
// delivery or APPEND forgets that it was warned about; one at or above it after, and not yet
// warned about, is warned about now. `warned` (bits) is the remembered state, updated.
// Returns the bits to warn about now (0: no warning).
std::uint8_t quota_warning_step(const QuotaLimits& limits, const QuotaUsage& before,
                                const QuotaUsage& after, std::uint8_t& warned);

// The warning message (CRLF line ends) for account `account` ("local@domain"), from the
// postmaster of its domain, saying which resources (`which` bits) are nearly used up, the
// usage and the limits, and what to do. `now`: seconds since the epoch (its Date).
std::string quota_warning_message(std::string_view account, const QuotaLimits& limits,
                                  const QuotaUsage& usage, std::uint8_t which, std::int64_t now);

// The account's own setting as text ("storage_kib = 512000\nmessages = 0\n"; a resource left
// out takes the default) and back. parse returns false on anything it does not understand.
std::string format_quota_setting(const QuotaLimits& own);
bool parse_quota_setting(std::string_view text, QuotaLimits& own);

// "500M", "2G", "1024K", "300" (KiB), "1T" -> KiB; "none" or "0" -> 0. False when malformed
// or too large.
bool parse_quota_size(std::string_view text, std::uint64_t& kib);
// KiB as the CLI shows it ("500M", "2G", "1536K"; "none" for 0).
std::string format_quota_size(std::uint64_t kib);

}  // namespace estafeta::store
