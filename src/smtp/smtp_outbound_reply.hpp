// smtp_outbound_reply: the pure decisions of the sending MTA's driver (smtp::OutboundTransport)
// that need no socket: a client core result (RecipientResult) as the queue's RemoteReply,
// the reply every recipient gets when a whole destination fails (no route, every server
// unreachable), the text of a failed connection ("connect to mx.example.org[192.0.2.1]:25:
// Connection refused"), and whether a refusal over IPv6 is the "no PTR record" kind that is
// worth retrying over IPv4 (../shared/CLIENTS.md: Gmail and others refuse IPv6 senders
// without reverse DNS).
// Trust: texts come from remote servers, already sanitized by the reply reader; here they
// are only copied and searched. Memory: the replies built.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "dns/proto/dns_route_plan.hpp"
#include "queue/queue_transport.hpp"
#include "smtp/proto/smtp_client_session.hpp"

namespace estafeta::smtp {

// One recipient's result as the queue's reply. Pending (never decided) counts as deferred;
// `final_reply_lost` is set for a deferred recipient when the end of data went out and its
// reply never came.
queue::RemoteReply to_remote_reply(const RecipientResult& result, bool final_reply_lost,
                                   std::string_view remote_host);

// A reply of ours (from_server false): deferred unless `permanent`.
queue::RemoteReply local_reply(bool permanent, int code, std::string enhanced, std::string text,
                               std::string remote_host = {});

// The reply for every recipient when the route plan failed (temporary: deferred 4.4.3 and the
// like; permanent: bounced, e.g. null MX 556 5.1.10).
queue::RemoteReply plan_failure_reply(const dns::RoutePlan& plan);

// "mx.example.org[192.0.2.1]:25", "[2001:db8::1]:25" for an address literal route.
std::string describe_attempt(const dns::RouteAttempt& attempt);

// A ClientClose (greeting refused, 421, TLS unavailable...) as the reply for the messages not
// handed over on that connection: the server's reply when there was one.
queue::RemoteReply close_reply(const ClientClose& close, const dns::RouteAttempt& attempt);

// True for a 5xx whose text blames missing reverse DNS ("PTR", "reverse DNS", "rDNS",
// "reverse lookup", "reverse hostname"): over IPv6 the transport then goes on over IPv4.
bool blames_reverse_dns(int code, std::string_view text);

// `rows` replies per message: replies[i] has `counts[i]` copies of `reply`.
std::vector<std::vector<queue::RemoteReply>> replies_for_all(const std::vector<std::size_t>& counts,
                                                             const queue::RemoteReply& reply);

}  // namespace estafeta::smtp
