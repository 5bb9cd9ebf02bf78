// smtp_outbound_reply: result mapping for the outbound transport (see the header).
#include "smtp/smtp_outbound_reply.hpp"

#include <algorithm>
#include <cctype>

namespace estafeta::smtp {

queue::RemoteReply to_remote_reply(const RecipientResult& result, bool final_reply_lost,
                                   std::string_view remote_host) {
  queue::RemoteReply r;
  switch (result.outcome) {
    case RecipientOutcome::delivered:
      r.kind = queue::RemoteReply::Kind::delivered;
      break;
    case RecipientOutcome::bounced:
      r.kind = queue::RemoteReply::Kind::bounced;
      break;
    case RecipientOutcome::deferred:
    case RecipientOutcome::pending:
      r.kind = queue::RemoteReply::Kind::deferred;
      break;
  }
  r.code = result.code;
  r.enhanced = result.enhanced;
  r.text = result.text;
  if (result.outcome == RecipientOutcome::pending && r.text.empty()) {
    r.code = 451;
    r.enhanced = "4.4.2";
    r.text = "the connection ended before a reply";
  }
  r.remote_host = std::string(remote_host);
  r.from_server = result.remote;
  r.final_reply_lost = final_reply_lost && r.kind == queue::RemoteReply::Kind::deferred;
  // RFC 3461 §5.2.2: the next hop took NOTIFY (it offered DSN), so it reports success itself
  // and no "relayed" notice is due from us.
  r.dsn_passed_on = r.kind == queue::RemoteReply::Kind::delivered && !result.dsn_not_passed;
  return r;
}

queue::RemoteReply local_reply(bool permanent, int code, std::string enhanced, std::string text,
                               std::string remote_host) {
  queue::RemoteReply r;
  r.kind = permanent ? queue::RemoteReply::Kind::bounced : queue::RemoteReply::Kind::deferred;
  r.code = code;
  r.enhanced = std::move(enhanced);
  r.text = std::move(text);
  r.remote_host = std::move(remote_host);
  r.from_server = false;
  return r;
}

queue::RemoteReply plan_failure_reply(const dns::RoutePlan& plan) {
  const bool permanent = plan.outcome == dns::RouteOutcome::permanent_failure;
  int code = plan.error.code;
  std::string enhanced = plan.error.enhanced;
  if (code == 0) code = permanent ? 550 : 451;
  if (enhanced.empty()) enhanced = permanent ? "5.4.4" : "4.4.3";
  std::string text = plan.error.text.empty() ? "no route to " + plan.domain : plan.error.text;
  return local_reply(permanent, code, std::move(enhanced), std::move(text));
}

std::string describe_attempt(const dns::RouteAttempt& attempt) {
  const std::string addr = attempt.address.to_string();
  std::string out = attempt.host == addr ? std::string() : attempt.host;
  out += "[" + addr + "]:" + std::to_string(attempt.port);
  return out;
}

queue::RemoteReply close_reply(const ClientClose& close, const dns::RouteAttempt& attempt) {
  const std::string where = describe_attempt(attempt);
  if (close.reply.code != 0) {
    queue::RemoteReply r;
    r.kind =
        close.permanent ? queue::RemoteReply::Kind::bounced : queue::RemoteReply::Kind::deferred;
    r.code = close.reply.code;
    r.enhanced = close.reply.enhanced.empty()
                     ? std::to_string(close.reply.klass() == 5 && close.permanent ? 5 : 4) + ".0.0"
                     : close.reply.enhanced;
    // A 5xx that does not end the destination for good (a greeting 554) still only defers.
    if (!close.permanent && r.enhanced[0] == '5') r.enhanced[0] = '4';
    r.text = where + " said: " + close.reply.text();
    r.remote_host = attempt.host;
    r.from_server = true;
    return r;
  }
  // A TLS step that failed (a certificate DANE or MTA-STS refused, a handshake error) is a
  // cryptographic failure (RFC 3463 X.7.5), retried: RFC 7672 §2.1 never falls back to
  // cleartext.
  const char* enhanced = close.permanent                           ? "5.0.0"
                         : close.reason == CloseReason::tls_failed ? "4.7.5"
                                                                   : "4.4.2";
  return local_reply(close.permanent, close.permanent ? 550 : 451, enhanced,
                     where + ": " + (close.text.empty() ? "connection ended" : close.text),
                     attempt.host);
}

bool blames_reverse_dns(int code, std::string_view text) {
  if (code / 100 != 5) return false;
  std::string t(text);
  for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view needle :
       {"ptr", "reverse dns", "rdns", "reverse lookup", "reverse hostname", "reverse-dns",
        "reverse dns", "reverse record", "reverse mapping"}) {
    auto pos = t.find(needle);
    while (pos != std::string::npos) {
      // Whole word for the short ones ("ptr" not inside "interrupted").
      const bool start_ok = pos == 0 || !std::isalnum(static_cast<unsigned char>(t[pos - 1]));
      const std::size_t end = pos + needle.size();
      const bool end_ok = end >= t.size() || !std::isalnum(static_cast<unsigned char>(t[end]));
      if (start_ok && end_ok) return true;
      pos = t.find(needle, pos + 1);
    }
  }
  return false;
}

std::vector<std::vector<queue::RemoteReply>> replies_for_all(const std::vector<std::size_t>& counts,
                                                             const queue::RemoteReply& reply) {
  std::vector<std::vector<queue::RemoteReply>> out;
  out.reserve(counts.size());
  for (std::size_t n : counts) out.emplace_back(n, reply);
  return out;
}

}  // namespace estafeta::smtp
