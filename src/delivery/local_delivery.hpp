// local_delivery: the MDA. Writes one message into the Maildirs of its local recipients
// (tmp -> new, unique names per the Maildir spec), writing the bytes once and hard-linking
// them into every further mailbox, and fsyncs each file and directory before returning, so a
// success here may be acknowledged with 250. Adds Return-Path and, when there is exactly one
// recipient, Delivered-To (as Dovecot does: a shared, hard-linked file cannot carry a
// per-recipient header). Blocking: run on a worker thread. Thread-safe: one instance may be
// shared by every worker. Messages are stored byte for byte as received, with the CRLF line
// ends the SMTP core keeps (Dovecot and most Maildir readers accept CRLF); only the two
// headers above are prepended, also CRLF-terminated. Input is already accepted mail, bounded
// by smtp.max_message_size; memory use is the message plus a few small strings.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "auth/directory.hpp"

namespace estafeta::delivery {

class GroupSync;

struct DeliveryOptions {
  bool fsync = true;     // config delivery.fsync
  std::string hostname;  // for unique file names; "" = gethostname() at construction
};

class LocalDelivery {
 public:
  explicit LocalDelivery(DeliveryOptions options);
  // `return_path` is the MAIL FROM address, unquoted ("" for the null sender); it is written
  // back in RFC 5321 path form (delivery_headers.hpp). `message` is the message
  // as received (Received header already prepended), CRLF line ends. Creates missing Maildir
  // and folder directories. Returns an error if any target could not be written; targets
  // written before the error stay written.
  std::error_code deliver(std::string_view return_path,
                          std::span<const auth::MailboxTarget> targets, std::string_view message);
  // Directory fsyncs made so far by this instance (group commit shares them).
  uint64_t directory_fsyncs() const;

 private:
  DeliveryOptions options_;
  std::string escaped_host_;         // options_.hostname escaped for file names
  std::shared_ptr<GroupSync> sync_;  // shared directory fsyncs (delivery_group_sync.hpp)
};

}  // namespace estafeta::delivery
