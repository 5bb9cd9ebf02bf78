// queue_srs: the Sender Rewriting Scheme (SRS, Shevek's "Sender Rewriting Scheme" paper and the
// libsrs2/postsrsd address forms), sans-I/O. A message forwarded by an alias to another domain
// leaves with an envelope sender in the forwarding domain, so that SPF at the final
// destination checks our address, not the original sender's; a bounce to that address comes
// back to us and is reversed to the original sender.
//
//   SRS0=HHHHH=TT=orig-domain=orig-local@our-domain    (a first forward)
//   SRS1=HHHHH=first-forwarder==HHHHH=TT=orig-domain=orig-local@our-domain   (a re-forward)
//
// TT is the day number (unix days) mod 1024 in two base32 characters; HHHHH is the first 25
// bits of a keyed MAC, base32. The MAC is SipHash-2-4 (the spool's keyed hash, queue_record.hpp)
// under a 16-octet secret, over the lower-cased fields: only the forwarder that made an
// address ever checks its hash, so no other party needs to compute it, and SipHash is a PRF
// built for exactly such short inputs (libsrs2's HMAC-SHA1 would need a SHA-1 here, which
// the sans-I/O cores cannot take from OpenSSL). Lower-cased input and base32 output make the
// check case-insensitive: relays that change the case of an address do not break it. SRS0
// addresses older than max_age_days are refused (a reused old address is a spam vector);
// SRS1 carries no timestamp (the SRS0 inside it is checked by the forwarder that made it).
// Trust: srs_reverse() parses RCPT TO local parts chosen by anyone: bounded (kMaxSrsLocal),
// never throws, fuzzed (fuzz/fuzz_queue_srs.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "queue/proto/queue_record.hpp"

namespace estafeta::queue {

using SrsKey = SpoolKey;  // 16 octets

inline constexpr std::size_t kMaxSrsLocal = 512;  // longer local parts are never ours
inline constexpr int kSrsHashLength = 5;          // base32 characters (25 bits)
inline constexpr std::int64_t kSrsMaxAgeDays = 21;

// True when `local` starts with SRS0 or SRS1 and a separator (= + -), in any case.
bool is_srs(std::string_view local);

// The envelope sender for a copy of a message from `sender` (local@domain) forwarded by
// `our_domain` at unix time `now`: SRS0 for a plain address, SRS1 for an SRS0/SRS1 one.
// nullopt when `sender` is not local@domain (the null sender included: it stays null) or the
// result would exceed kMaxSrsLocal.
std::optional<std::string> srs_forward(const SrsKey& key, std::string_view sender,
                                       std::string_view our_domain, std::int64_t now);

struct SrsReversal {
  enum class Status { ok, not_srs, malformed, bad_hash, expired };
  Status status = Status::not_srs;
  std::string address;  // ok: where a bounce to the SRS address goes
};

// Reverses the local part of an address at one of our domains: SRS0 gives the original
// sender, SRS1 the SRS0 address at the first forwarder.
SrsReversal srs_reverse(const SrsKey& key, std::string_view local, std::int64_t now,
                        std::int64_t max_age_days = kSrsMaxAgeDays);

}  // namespace estafeta::queue
