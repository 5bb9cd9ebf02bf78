// queue_retry_schedule: see the header. Times are unix seconds; the DSN's dates are made
// from them.
#include "queue/queue_retry_schedule.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace estafeta::queue {
namespace {

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::chrono::system_clock::time_point time_of(std::int64_t unix_seconds) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(unix_seconds));
}

// The status for the DSN: the reply's enhanced code, else one made of the reply class.
std::string status_of(const RemoteReply& reply, char cls) {
  if (reply.enhanced.size() >= 5 && reply.enhanced[0] == cls) return reply.enhanced;
  return fmt::format("{}.0.0", cls);
}

}  // namespace

std::int64_t backoff_seconds(std::uint32_t failures, const RetryPolicy& policy) {
  const std::int64_t first = std::max<std::int64_t>(1, policy.retry_interval.count());
  const std::int64_t cap = std::max<std::int64_t>(first, policy.max_backoff.count());
  std::int64_t d = first;
  for (std::uint32_t i = 1; i < failures && d < cap; ++i) d *= 2;
  return std::min(d, cap);
}

std::string destination_domain(std::string_view address) {
  std::size_t at = address.rfind('@');
  if (at == std::string_view::npos || at + 1 == address.size()) return {};
  std::string d(address.substr(at + 1));
  for (char& c : d) c = lower(c);
  while (!d.empty() && d.back() == '.' && d.front() != '[') d.pop_back();  // "example.org."
  return d;
}

bool notify_wants(std::string_view notify, NotifyOn what) {
  notify = trim(notify);
  if (notify.empty()) return what != NotifyOn::success;  // RFC 3461 §4.1: the MTA's default
  std::string_view want = what == NotifyOn::success   ? "SUCCESS"
                          : what == NotifyOn::failure ? "FAILURE"
                                                      : "DELAY";
  while (!notify.empty()) {
    std::size_t comma = notify.find(',');
    if (iequal(trim(notify.substr(0, comma)), want)) return true;
    if (comma == std::string_view::npos) break;
    notify.remove_prefix(comma + 1);
  }
  return false;  // NEVER, or a list without it
}

std::string reply_line(const RemoteReply& reply) {
  std::string out;
  if (reply.code > 0) out = std::to_string(reply.code);
  for (std::string_view part : {std::string_view(reply.enhanced), std::string_view(reply.text)}) {
    if (part.empty()) continue;
    if (!out.empty()) out += ' ';
    out += part;
  }
  return out.empty() ? std::string("no reply") : out;
}

RcptOutcome apply_reply(SpoolRecipient& r, const RemoteReply& reply, std::int64_t now,
                        std::int64_t received_at, const RetryPolicy& policy) {
  RcptOutcome out;
  ++r.attempts;
  r.remote_host = reply.remote_host;
  r.remote_reply = reply.from_server;
  r.reason = reply_line(reply);
  out.dsn.final_recipient = r.address;
  out.dsn.original_recipient = r.orcpt;
  out.dsn.remote_mta = reply.remote_host;
  // RFC 3464 §2.3.6 Diagnostic-Code: the server's reply ("smtp; 550 5.1.1 ..."), or the
  // transport's own failure, which is no SMTP reply ("X-Estafeta; 4.4.1 connection refused").
  out.dsn.diagnostic_code = reply_line(reply);
  if (!reply.from_server) out.dsn.diagnostic_type = "X-Estafeta";
  out.dsn.last_attempt = time_of(now);
  const std::int64_t arrived = received_at > 0 ? received_at : now;
  const std::int64_t expires = arrived + policy.max_lifetime.count();
  auto fail = [&](std::string status) {
    out.kind = RcptOutcome::Kind::failed;
    r.state = RcptState::failed;
    r.next_attempt = 0;
    out.dsn.action = mime::DsnAction::failed;
    out.dsn.status = std::move(status);
    out.notice = notify_wants(r.notify, NotifyOn::failure);
  };
  switch (reply.kind) {
    case RemoteReply::Kind::delivered:
      out.kind = RcptOutcome::Kind::delivered;
      r.state = RcptState::delivered;
      r.next_attempt = 0;
      out.dsn.action = mime::DsnAction::relayed;
      out.dsn.status = status_of(reply, '2');
      out.notice = !reply.dsn_passed_on && notify_wants(r.notify, NotifyOn::success);
      return out;
    case RemoteReply::Kind::bounced:
      fail(status_of(reply, '5'));
      return out;
    case RemoteReply::Kind::deferred:
      break;
  }
  if (reply.final_reply_lost) {
    if (r.reply_lost) {
      // RFC 5321 §6.1: the message may have arrived twice already; a third copy is worse
      // than a report that says so.
      r.reason =
          "4.4.2 the reply to the end of the message was lost twice; it may have been "
          "delivered: " +
          r.reason;
      fail("4.4.2");
      return out;
    }
    r.reply_lost = true;
  }
  if (now >= expires) {
    r.reason = "4.4.7 message expired, last reply: " + r.reason;  // RFC 3463 §3.5
    fail("4.4.7");
    return out;
  }
  out.kind = RcptOutcome::Kind::deferred;
  r.state = RcptState::deferred;
  r.next_attempt = std::min(now + backoff_seconds(r.attempts, policy), expires);
  const auto warn = policy.delay_warning.count();
  if (warn > 0 && !r.delay_notified && now - arrived >= warn &&
      notify_wants(r.notify, NotifyOn::delay)) {
    r.delay_notified = true;
    out.notice = true;
    out.dsn.action = mime::DsnAction::delayed;
    out.dsn.status = status_of(reply, '4');
    out.dsn.will_retry_until = time_of(expires);
  }
  return out;
}

}  // namespace estafeta::queue
