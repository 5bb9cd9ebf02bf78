// queue_transport: the boundary between the outbound queue (queue::RemoteRunner: which
// message goes where and when, retries, bounces) and what carries mail to another MTA (the
// SMTP client, smtp::OutboundTransport: routing by smarthost, static route or MX, connections,
// TLS, the SMTP dialogue). The queue hands the transport every message due for one
// destination domain at once, so that the transport can send them over one connection; the
// transport answers with one RemoteReply per recipient. Nothing here does I/O.
// Trust: replies carry text chosen by remote servers; the transport has made it one line of
// printable UTF-8 (smtp::sanitize_text) before it gets here. Memory: a message's content is
// streamed from the spool by OutboundMessage::read, except that small messages may come
// preloaded (OutboundMessage::preloaded, bounded by the queue: see queue_remote_runner).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

namespace estafeta::queue {

// One recipient's outcome of one delivery attempt.
struct RemoteReply {
  enum class Kind { delivered, deferred, bounced };
  Kind kind = Kind::deferred;
  int code = 0;              // the SMTP reply code (250, 451, 550...); 0 when none
  std::string enhanced;      // RFC 3463 "5.1.1"; the transport fills "4.4.1" and the like
                             // for failures of its own (no route, connection refused)
  std::string text;          // one line: the server's reply text, or what went wrong
  std::string remote_host;   // the host that answered ("mx1.example.org"), "" when none
  bool from_server = false;  // a remote server gave this reply (not a local failure)
  // The final dot (or BDAT LAST) went out and its reply never came: the message may have
  // been delivered; the queue retries it at most once more (RFC 5321 §6.1 duplicates).
  bool final_reply_lost = false;
  // Delivered to a next hop that advertised DSN, NOTIFY/ORCPT passed on: that hop reports
  // success itself; otherwise the queue sends the "relayed" notice NOTIFY=SUCCESS asks for
  // (RFC 3461 §5.2.2).
  bool dsn_passed_on = false;
};

// One message for one destination domain: its envelope and those of its recipients that are
// in that domain.
struct OutboundMessage {
  std::string spool_name;   // the spool entry (identity within the queue)
  std::string id;           // the queue id, for logs
  std::string mail_from;    // "" = null sender
  std::string ret, envid;   // RFC 3461 RET and ENVID as received, "" when absent
  bool smtputf8 = false;    // SMTPUTF8 given at MAIL
  bool eight_bit = false;   // BODY=8BITMIME given at MAIL
  bool requiretls = false;  // REQUIRETLS given at MAIL (RFC 8689)
  std::uint64_t size = 0;   // octets of the content read() gives
  // The content from `offset` on, at most `max` octets into `out` (empty at the end): our
  // Received field, then the message as received. Blocking (spool file reads).
  std::function<std::error_code(std::uint64_t offset, std::size_t max, std::string& out)> read;
  // The whole content (exactly `size` octets), read by the queue with the envelope when the
  // message is small, so that sending it needs no trip to a blocking pool; empty = use read().
  std::string preloaded;
  struct Recipient {
    std::string address;  // as given in RCPT TO
    std::string notify;   // RFC 3461 NOTIFY as received, "" when absent
    std::string orcpt;    // RFC 3461 ORCPT as received, "" when absent
  };
  std::vector<Recipient> recipients;
};

// Carries messages to other MTAs.
class Transport {
 public:
  using Done = std::function<void(std::vector<std::vector<RemoteReply>>)>;
  virtual ~Transport() = default;
  // Delivers `messages`, all of whose recipients are in `domain` (lower case; an address
  // literal's domain is "[192.0.2.1]"), reusing connections where it can. Calls `done` exactly
  // once, on any thread, with replies[i][j] for messages[i]->recipients[j]. A failure that
  // concerns the whole destination (no route, every server unreachable) gives every recipient
  // the same deferred (or, for a null MX, bounced) reply with from_server = false. Returns at
  // once: the work runs elsewhere.
  virtual void deliver(std::string domain,
                       std::vector<std::shared_ptr<const OutboundMessage>> messages, Done done) = 0;
};

}  // namespace estafeta::queue
