// smtp_mta_sts_client: the MTA-STS (RFC 8461 §3.3) policy fetch over HTTPS, an Asio
// coroutine: connect to the given address of mta-sts.<domain> (the caller resolves it),
// TLS with SNI mta-sts.<domain> and the certificate verified (PKIX: the context's trust
// store, i.e. the system's plus a configured CA file, name = mta-sts.<domain>), one GET of
// /.well-known/mta-sts.txt, the response read until the server closes, then checked and
// parsed sans-I/O (smtp_mta_sts_fetch.hpp, smtp_mta_sts.hpp). The transport resolves the
// host's AAAA and A and calls this per address in turn (docs/SMTP.md). Trust: the response is
// untrusted: at most kMaxStsPolicy + 16 KiB is read, everything within one deadline. Memory: that
// buffer.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/address.hpp>
#include <asio/ssl/context.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "smtp/proto/smtp_mta_sts.hpp"

namespace estafeta::smtp {

struct StsFetchResult {
  std::optional<StsPolicy> policy;  // set on success
  std::string text;                 // the policy as fetched (for the cache)
  std::string error;                // why not, on failure
  // The server was reached with a verified certificate: its answer stands, and another
  // address of mta-sts.<domain> would not be tried (a connect or TLS failure leaves it false).
  bool reached = false;
};

// Fetches the policy of `domain` from `address`:`port` (443 outside tests) within `timeout`.
asio::awaitable<StsFetchResult> fetch_sts_policy(std::string domain, asio::ip::address address,
                                                 std::uint16_t port, asio::ssl::context& tls,
                                                 std::chrono::milliseconds timeout);

}  // namespace estafeta::smtp
