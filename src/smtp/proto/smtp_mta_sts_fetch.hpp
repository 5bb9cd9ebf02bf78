// smtp_mta_sts_fetch: the decisions around an MTA-STS (RFC 8461) policy that are not parsing
// the policy itself, sans-I/O: the HTTPS response of the policy fetch (§3.3: status 200 only,
// no redirects, media type text/plain, body bounded by kMaxStsPolicy, Content-Length or
// chunked), whether a cached policy must be fetched again (§5.1: the TXT id changed, or the
// policy's max_age passed), the cache file's text (so a restart keeps policies) and what a
// policy says about one MX host (§4.2 enforce: only matching hosts with a PKIX-verified
// certificate; testing: deliver, report the failure; none: deliver).
// Trust: the response and cache files are untrusted input (bounded, checked; garbage is no
// policy). Memory: at most kMaxStsPolicy octets of body.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "smtp/proto/smtp_mta_sts.hpp"

namespace estafeta::smtp {

// The body of a policy fetch response (the whole HTTP/1.x response as read, at most
// kMaxStsPolicy plus 16 KiB of header), or nullopt with `error` set.
std::optional<std::string> sts_http_body(std::string_view response, std::string& error);

// The request for the policy of `domain` (§3.3: GET /.well-known/mta-sts.txt at
// mta-sts.<domain>, HTTP/1.1, Connection: close).
std::string sts_http_request(std::string_view domain);

struct StsCacheEntry {
  std::string domain;           // the policy domain, lower case
  std::string id;               // the TXT id the policy was fetched under
  std::int64_t fetched_at = 0;  // unix seconds
  std::string text;             // the policy as fetched (parsed again when read)
  StsPolicy policy;
};

// Whether the entry (if any) must be fetched again at `now` given the TXT record seen now
// (nullopt: no record). §5.1: a new id means a new policy; an expired policy is refetched
// when a record exists and dropped otherwise (returns true with no record: "no policy").
bool sts_needs_fetch(const std::optional<StsCacheEntry>& cached,
                     const std::optional<StsRecord>& record, std::int64_t now);
// Whether a cached entry is still valid (fetched_at + max_age > now).
bool sts_cache_valid(const StsCacheEntry& entry, std::int64_t now);

// The cache file of one domain: "estafeta-mta-sts 1\ndomain D\nid I\nfetched-at N\n\n" and
// the policy text. parse returns nullopt on anything else (and when the policy no longer
// parses).
std::string encode_sts_cache(const StsCacheEntry& entry);
std::optional<StsCacheEntry> parse_sts_cache(std::string_view text);

// What a policy says about delivering to `mx_host` over a connection whose certificate was
// (or was not) PKIX-verified against the MX name.
enum class StsVerdict : std::uint8_t {
  deliver,          // allowed (mode none, or the host matched and TLS verified)
  deliver_failure,  // testing mode: deliver but record the failure (TLS-RPT)
  refuse,           // enforce mode: do not deliver to this host (defer)
};
// Before connecting: whether the host may be tried at all (pattern check only).
StsVerdict sts_check_host(const StsPolicy& policy, std::string_view mx_host);
// After the TLS handshake.
StsVerdict sts_check_tls(const StsPolicy& policy, std::string_view mx_host, bool tls_verified);

}  // namespace estafeta::smtp
