// queue_retry_schedule: the outbound queue's decisions about one recipient, without I/O or
// clocks (the caller passes `now`): where it goes (its destination domain), what one reply
// makes of it (delivered, deferred until when, failed), and which notice its sender is owed
// under RFC 3461 NOTIFY. The retry schedule follows Postfix: the first retry after
// queue.retry_interval (minimal_backoff_time, 300 s), each later one twice as late up to
// queue.max_backoff (maximal_backoff_time, 4000 s); a recipient still deferred
// queue.max_lifetime after arrival (maximal_queue_lifetime, 5 days) fails with 4.4.7. A
// destination that failed as a whole is backed off by the same schedule (backoff_seconds of
// its consecutive failures). Input: reply texts from remote servers, already one printable
// line (queue_transport.hpp); nothing here allocates beyond the strings it returns.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "mime/mime_dsn.hpp"
#include "queue/proto/queue_record.hpp"
#include "queue/queue_transport.hpp"

namespace estafeta::queue {

struct RetryPolicy {
  std::chrono::seconds retry_interval{300};      // queue.retry_interval
  std::chrono::seconds max_backoff{4000};        // queue.max_backoff
  std::chrono::seconds max_lifetime{5 * 86400};  // queue.max_lifetime
  std::chrono::seconds delay_warning{4 * 3600};  // queue.delay_warning; 0 = no delay notices
};

// The delay after `failures` (>= 1) failed attempts in a row: retry_interval doubled
// failures - 1 times, at most max_backoff (and never below retry_interval).
std::int64_t backoff_seconds(std::uint32_t failures, const RetryPolicy& policy);

// The destination of a recipient address: its domain in ASCII lower case, an address
// literal kept in its brackets ("[192.0.2.1]", "[ipv6:2001:db8::1]"); "" when the address has
// no domain. The local part may be quoted and hold '@' (RFC 5321 §4.1.2): the last '@' counts.
std::string destination_domain(std::string_view address);

// RFC 3461 §4.1 NOTIFY: "" (absent: failures and delays are reported, as most MTAs do),
// "NEVER", or a comma list of SUCCESS, FAILURE, DELAY (any case).
enum class NotifyOn { success, failure, delay };
bool notify_wants(std::string_view notify, NotifyOn what);

// One reply as a line: "550 5.1.1 text" (a server's), "4.4.1 text" (the transport's own).
std::string reply_line(const RemoteReply& reply);

// What one attempt's reply made of a recipient.
struct RcptOutcome {
  enum class Kind { delivered, deferred, failed };
  Kind kind = Kind::deferred;
  bool notice = false;     // the sender is owed a notice (NOTIFY allows it)
  mime::DsnRecipient dsn;  // that notice's per-recipient part, when `notice`
};

// Applies `reply` to `r` (attempts, state, reason, next_attempt, remote_host and the flags)
// at `now` for a message that arrived at `received_at` (unix seconds):
// - delivered: state delivered; a "relayed" notice when NOTIFY has SUCCESS and the next hop
//   did not take the DSN request over (RFC 3461 §5.2.2).
// - bounced: failed with the reply; a "failed" notice unless NOTIFY excludes FAILURE.
// - deferred: deferred until now + backoff_seconds(attempts), but not past the expiry; once
//   expired, failed with 4.4.7 ("message expired"). A reply lost after the final dot is
//   retried once; lost a second time, the recipient fails with 4.4.2 (it may have been
//   delivered: never a third copy). A "delayed" notice once, at the first deferral past
//   delay_warning, when NOTIFY allows DELAY.
RcptOutcome apply_reply(SpoolRecipient& r, const RemoteReply& reply, std::int64_t now,
                        std::int64_t received_at, const RetryPolicy& policy);

}  // namespace estafeta::queue
