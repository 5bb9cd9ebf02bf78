// store_quota: see store_quota.hpp.
#include "store/api/store_quota.hpp"

#include <ctime>

namespace estafeta::store {
namespace {

// a * b, saturated at the largest value (limits and usage never come near it).
std::uint64_t mul(std::uint64_t a, std::uint64_t b) {
  if (a != 0 && b > UINT64_MAX / a) return UINT64_MAX;
  return a * b;
}

std::uint64_t add(std::uint64_t a, std::uint64_t b) {
  return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}

// value >= percent% of limit.
bool at_or_above(std::uint64_t value, std::uint64_t limit, std::uint64_t percent) {
  if (limit == 0) return false;
  return mul(value, 100) >= mul(limit, percent);
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return std::string(s);
}

bool parse_number(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 19) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  out = v;
  return true;
}

std::string percent_of(std::uint64_t value, std::uint64_t limit) {
  if (limit == 0) return "0";
  return std::to_string(mul(value, 100) / limit);
}

}  // namespace

QuotaLimits effective_quota(const QuotaLimits& own, const QuotaLimits& defaults) {
  QuotaLimits q;
  q.storage_kib = own.storage_kib == kQuotaDefault ? defaults.storage_kib : own.storage_kib;
  q.messages = own.messages == kQuotaDefault ? defaults.messages : own.messages;
  q.mailboxes = own.mailboxes == kQuotaDefault ? defaults.mailboxes : own.mailboxes;
  return q;
}

bool quota_exceeded(const QuotaLimits& limits, const QuotaUsage& usage, std::uint64_t add_octets,
                    std::uint64_t add_messages, std::uint64_t add_mailboxes) {
  if (limits.storage_kib && add_octets &&
      add(usage.storage, add_octets) > mul(limits.storage_kib, 1024))
    return true;
  if (limits.messages && add_messages && add(usage.messages, add_messages) > limits.messages)
    return true;
  if (limits.mailboxes && add_mailboxes && add(usage.mailboxes, add_mailboxes) > limits.mailboxes)
    return true;
  return false;
}

std::uint8_t quota_high(const QuotaLimits& limits, const QuotaUsage& usage) {
  std::uint8_t bits = 0;
  if (at_or_above(usage.storage, mul(limits.storage_kib, 1024), kQuotaWarnPercent))
    bits |= kQuotaStorage;
  if (at_or_above(usage.messages, limits.messages, kQuotaWarnPercent)) bits |= kQuotaMessages;
  return bits;
}

std::uint8_t quota_warning_step(const QuotaLimits& limits, const QuotaUsage& before,
                                const QuotaUsage& after, std::uint8_t& warned) {
  const std::uint8_t high_before = quota_high(limits, before);
  const std::uint8_t high_after = quota_high(limits, after);
  // Below the threshold before this change: the next crossing warns again.
  warned &= high_before;
  const std::uint8_t warn = high_after & static_cast<std::uint8_t>(~warned);
  warned |= warn;
  return warn;
}

std::string quota_warning_message(std::string_view account, const QuotaLimits& limits,
                                  const QuotaUsage& usage, std::uint8_t which, std::int64_t now) {
  std::string_view domain = account;
  if (auto at = account.rfind('@'); at != std::string_view::npos) domain = account.substr(at + 1);
  const std::string postmaster = "postmaster@" + std::string(domain);
  char date[64] = "";
  std::time_t t = static_cast<std::time_t>(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  std::string m;
  m += "From: Postmaster <" + postmaster + ">\r\n";
  m += "To: <" + std::string(account) + ">\r\n";
  m += "Subject: Your mailbox is almost full\r\n";
  m += std::string("Date: ") + date + "\r\n";
  std::string local(account);
  for (char& c : local)
    if (c == '@') c = '=';
  m += "Message-ID: <quota-warning." + std::to_string(now) + "." + std::to_string(which) + "." +
       local + "@" + std::string(domain) + ">\r\n";
  m += "Auto-Submitted: auto-generated\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: text/plain; charset=us-ascii\r\n";
  m += "Content-Transfer-Encoding: 7bit\r\n";
  m += "\r\n";
  m += "Your mailbox " + std::string(account) + " is almost full.\r\n\r\n";
  if ((which & kQuotaStorage) && limits.storage_kib) {
    m += "Storage: " + std::to_string(storage_kib(usage.storage)) + " KiB used of " +
         std::to_string(limits.storage_kib) + " KiB (" +
         percent_of(usage.storage, mul(limits.storage_kib, 1024)) + " %).\r\n";
  }
  if ((which & kQuotaMessages) && limits.messages) {
    m += "Messages: " + std::to_string(usage.messages) + " of " + std::to_string(limits.messages) +
         " (" + percent_of(usage.messages, limits.messages) + " %).\r\n";
  }
  m += "\r\n";
  m += "When the limit is reached, new mail to you is held back by the server and\r\n";
  m += "retried for a while (senders may get a delay notice, and in the end their\r\n";
  m += "message may be returned), and your mail program cannot save or copy messages.\r\n\r\n";
  m += "To make room, delete messages you no longer need (large ones first, and the\r\n";
  m += "ones in Trash and Junk), then expunge them or empty the Trash. If you need\r\n";
  m += "more room, ask your postmaster <" + postmaster + ">.\r\n\r\n";
  m += "You will not get this warning again until your usage has fallen below " +
       std::to_string(kQuotaWarnPercent) + " %\r\nand risen above it again.\r\n";
  return m;
}

std::string format_quota_setting(const QuotaLimits& own) {
  std::string out;
  auto line = [&](const char* key, std::uint64_t v) {
    if (v != kQuotaDefault) out += std::string(key) + " = " + std::to_string(v) + "\n";
  };
  line("storage_kib", own.storage_kib);
  line("messages", own.messages);
  line("mailboxes", own.mailboxes);
  return out;
}

bool parse_quota_setting(std::string_view text, QuotaLimits& own) {
  QuotaLimits q{kQuotaDefault, kQuotaDefault, kQuotaDefault};
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.empty() || line[0] == '#') continue;
    std::size_t eq = line.find('=');
    if (eq == std::string::npos) return false;
    std::string key = trim(std::string_view(line).substr(0, eq));
    std::string value = trim(std::string_view(line).substr(eq + 1));
    std::uint64_t v = 0;
    if (!parse_number(value, v) || v == kQuotaDefault) return false;
    if (key == "storage_kib")
      q.storage_kib = v;
    else if (key == "messages")
      q.messages = v;
    else if (key == "mailboxes")
      q.mailboxes = v;
    else
      return false;
  }
  own = q;
  return true;
}

bool parse_quota_size(std::string_view text, std::uint64_t& kib) {
  if (text == "none" || text == "NONE") {
    kib = 0;
    return true;
  }
  std::uint64_t mult = 1;  // KiB
  if (!text.empty()) {
    char u = text.back();
    switch (u) {
      case 'k':
      case 'K':
        mult = 1;
        break;
      case 'm':
      case 'M':
        mult = 1024;
        break;
      case 'g':
      case 'G':
        mult = 1024ULL * 1024;
        break;
      case 't':
      case 'T':
        mult = 1024ULL * 1024 * 1024;
        break;
      default:
        mult = 0;
        break;
    }
    if (mult)
      text.remove_suffix(1);
    else
      mult = 1;
  }
  std::uint64_t v = 0;
  if (!parse_number(text, v)) return false;
  if (v > (UINT64_MAX / 1024 - 1) / mult) return false;  // KiB * 1024 must fit in octets
  kib = v * mult;
  return true;
}

std::string format_quota_size(std::uint64_t kib) {
  if (kib == 0) return "none";
  const char* units[] = {"K", "M", "G", "T"};
  int u = 0;
  while (u < 3 && kib % 1024 == 0) {
    kib /= 1024;
    ++u;
  }
  return std::to_string(kib) + units[u];
}

}  // namespace estafeta::store
