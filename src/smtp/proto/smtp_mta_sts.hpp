// smtp_mta_sts: MTA-STS (RFC 8461) for the sending MTA, sans-I/O: the "_mta-sts" TXT record
// (§3.1: "v=STSv1; id=..."), the policy file fetched from
// https://mta-sts.<domain>/.well-known/mta-sts.txt (§3.2: version, mode, mx patterns,
// max_age), and whether an MX host matches the policy's patterns (§4.1: exact names, or
// "*.example.org" standing for exactly one leftmost label). The HTTPS fetch, the cache and
// the enforcement live in the outbound transport; this file only decides from text.
// Trust: the TXT record and the policy come from the network (the policy from the domain's
// web server): everything is checked and bounded; anything malformed is "no policy", never a
// guess. Memory: a policy keeps at most kMaxStsPatterns patterns of at most 253 octets; inputs
// over kMaxStsPolicy octets are refused before parsing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace estafeta::smtp {

inline constexpr std::size_t kMaxStsPolicy = 64 * 1024;   // octets of a policy file we read
inline constexpr std::size_t kMaxStsPatterns = 64;        // mx lines kept
inline constexpr std::uint32_t kMaxStsMaxAge = 31557600;  // RFC 8461 §3.2: one year

// The TXT record of _mta-sts.<domain> (RFC 8461 §3.1).
struct StsRecord {
  std::string id;  // 1-32 alphanumerics: changes when the policy changes
};

// One TXT record's text (its strings joined). nullopt when it is not an STSv1 record or is
// malformed (no or bad id); unknown fields are ignored (§3.1).
std::optional<StsRecord> parse_sts_record(std::string_view txt);

// The record to use from all the TXT records at _mta-sts.<domain>: those not starting with
// "v=STSv1" are ignored; none, or more than one, means no policy (§3.1).
std::optional<StsRecord> select_sts_record(const std::vector<std::string>& txts);

struct StsPolicy {
  enum class Mode : std::uint8_t { enforce, testing, none };
  Mode mode = Mode::none;
  std::uint32_t max_age = 0;    // seconds the policy may be cached (§3.2)
  std::vector<std::string> mx;  // patterns, lower case, no final dot
  bool operator==(const StsPolicy&) const = default;
};

std::string_view sts_mode_name(StsPolicy::Mode m);

// The policy file (§3.2): "key: value" lines ended by CRLF or LF; version must be "STSv1",
// mode and max_age present and valid, at least one mx unless mode is none; unknown keys are
// ignored. nullopt with `error` set otherwise (and for input over kMaxStsPolicy octets).
std::optional<StsPolicy> parse_sts_policy(std::string_view text, std::string& error);

// Whether `host` (an MX name; case and a final dot do not matter) matches `pattern` (§4.1).
bool sts_mx_matches(std::string_view pattern, std::string_view host);
// Whether `host` matches any of the policy's patterns.
bool sts_mx_allowed(const StsPolicy& policy, std::string_view host);

}  // namespace estafeta::smtp
