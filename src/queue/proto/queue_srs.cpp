// queue_srs: see the header. Field splitting follows libsrs2: in SRS0 the first three '='
// after the prefix end the hash, timestamp and domain (the original local part may itself
// contain '='); in SRS1 the first two end the hash and the first forwarder's domain, and the
// rest (starting with the original SRS0 separator) is kept as it is.
#include "queue/proto/queue_srs.hpp"

#include <array>

namespace estafeta::queue {
namespace {

constexpr std::string_view kBase32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

int base32_value(char c) {
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

bool is_separator(char c) {
  return c == '=' || c == '+' || c == '-';
}

std::string mac(const SrsKey& key, std::string_view tag,
                std::initializer_list<std::string_view> parts) {
  std::string input(tag);
  for (std::string_view p : parts) {
    input += '\0';
    input += lowered(p);
  }
  std::uint64_t h = siphash24(key, input);
  std::string out;
  for (int i = 0; i < kSrsHashLength; ++i) out += kBase32[(h >> (59 - 5 * i)) & 31];
  return out;
}

bool same_hash(std::string_view given, const std::string& expected) {
  if (given.size() != expected.size()) return false;
  unsigned diff = 0;
  for (std::size_t i = 0; i < given.size(); ++i)
    diff |= static_cast<unsigned>(lower(given[i]) ^ lower(expected[i]));
  return diff == 0;
}

std::string timestamp(std::int64_t now) {
  std::int64_t day = now / 86400;
  int t = static_cast<int>(((day % 1024) + 1024) % 1024);
  return {kBase32[(t >> 5) & 31], kBase32[t & 31]};
}

bool prefixed(std::string_view local, char digit) {
  return local.size() >= 5 && lower(local[0]) == 's' && lower(local[1]) == 'r' &&
         lower(local[2]) == 's' && local[3] == digit && is_separator(local[4]);
}

// Splits off the text before the next '=' in `rest` (which must exist and leave a non-empty
// field).
std::optional<std::string_view> take_field(std::string_view& rest) {
  std::size_t eq = rest.find('=');
  if (eq == std::string_view::npos || eq == 0) return std::nullopt;
  std::string_view f = rest.substr(0, eq);
  rest.remove_prefix(eq + 1);
  return f;
}

}  // namespace

bool is_srs(std::string_view local) {
  return prefixed(local, '0') || prefixed(local, '1');
}

std::optional<std::string> srs_forward(const SrsKey& key, std::string_view sender,
                                       std::string_view our_domain, std::int64_t now) {
  std::size_t at = sender.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == sender.size() || our_domain.empty())
    return std::nullopt;
  std::string_view local = sender.substr(0, at), domain = sender.substr(at + 1);
  if (domain.find('=') != std::string_view::npos) return std::nullopt;
  std::string out;
  if (prefixed(local, '0') && local.size() > 5) {
    // Re-forwarding a first forward: the first forwarder and its SRS0 text (from the separator).
    std::string_view user = local.substr(4);
    out = "SRS1=" + mac(key, "srs1", {domain, user}) + "=" + std::string(domain) + "=" +
          std::string(user);
  } else if (prefixed(local, '1')) {
    // Already SRS1: keep the first forwarder and the SRS0 text, re-sign under our key.
    std::string_view rest = local.substr(5);
    auto old_hash = take_field(rest);
    auto first = old_hash ? take_field(rest) : std::nullopt;
    if (!first || rest.size() < 2 || !is_separator(rest[0])) {
      out = "SRS0=" + mac(key, "srs0", {timestamp(now), domain, local}) + "=" + timestamp(now) +
            "=" + std::string(domain) + "=" + std::string(local);
    } else {
      out = "SRS1=" + mac(key, "srs1", {*first, rest}) + "=" + std::string(*first) + "=" +
            std::string(rest);
    }
  } else {
    const std::string tt = timestamp(now);
    out = "SRS0=" + mac(key, "srs0", {tt, domain, local}) + "=" + tt + "=" + std::string(domain) +
          "=" + std::string(local);
  }
  if (out.size() > kMaxSrsLocal) return std::nullopt;
  return out + "@" + std::string(our_domain);
}

SrsReversal srs_reverse(const SrsKey& key, std::string_view local, std::int64_t now,
                        std::int64_t max_age_days) {
  using S = SrsReversal::Status;
  SrsReversal r;
  if (!is_srs(local)) return r;
  r.status = S::malformed;
  if (local.size() > kMaxSrsLocal) return r;
  const bool first = local[3] == '0';
  std::string_view rest = local.substr(5);
  auto hash = take_field(rest);
  if (!hash) return r;
  if (first) {
    auto tt = take_field(rest);
    auto domain = tt ? take_field(rest) : std::nullopt;
    if (!domain || rest.empty() || tt->size() != 2) return r;
    int hi = base32_value((*tt)[0]), lo = base32_value((*tt)[1]);
    if (hi < 0 || lo < 0) return r;
    if (!same_hash(*hash, mac(key, "srs0", {*tt, *domain, rest}))) {
      r.status = S::bad_hash;
      return r;
    }
    const std::int64_t today = (now / 86400) % 1024;
    const std::int64_t age = ((today - (hi * 32 + lo)) % 1024 + 1024) % 1024;
    if (age > max_age_days) {
      r.status = S::expired;
      return r;
    }
    r.status = S::ok;
    r.address = std::string(rest) + "@" + std::string(*domain);
    return r;
  }
  auto host = take_field(rest);
  if (!host || rest.size() < 2 || !is_separator(rest[0])) return r;
  if (!same_hash(*hash, mac(key, "srs1", {*host, rest}))) {
    r.status = S::bad_hash;
    return r;
  }
  r.status = S::ok;
  r.address = "SRS0" + std::string(rest) + "@" + std::string(*host);
  return r;
}

}  // namespace estafeta::queue
