// mua_outbox_record: the file format of one message waiting in the mail client's outbox
// (mua_outbox.hpp), sans-I/O. A small envelope of text lines, an empty line, then the
// message exactly as it is to be submitted:
//
//   estafeta-outbox 1
//   sender alice@example.org
//   recipient bob@example.org            (one line each; only those still to be sent)
//   sent-copy yes                        (append to the Sent mailbox once sent)
//   bcc Dan <dan@example.org>            (the Bcc header the Sent copy gets; optional)
//   attempts 2
//   last-error 451 4.3.0 try again later
//   <empty line>
//   message...
//
// Trust: written by us, read back from the user's disk; parsed with bounds anyway (envelope
// at most 1 MiB, 10000 recipients, no CR or LF inside a value), and a malformed file is an
// error naming what is wrong, never a crash.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace estafeta::mua {

struct OutboxRecord {
  std::string sender;
  std::vector<std::string> recipients;
  bool sent_copy = false;
  std::string bcc;  // Bcc header value for the Sent copy, "" = none
  unsigned attempts = 0;
  std::string last_error;
  std::string message;
};

inline constexpr std::size_t kMaxOutboxEnvelope = 1024 * 1024;
inline constexpr std::size_t kMaxOutboxRecipients = 10000;

// Values with CR or LF are flattened to spaces (last-error comes from a server).
std::string serialize(const OutboxRecord& record);
Result<OutboxRecord> parse_outbox_record(std::string_view data);

}  // namespace estafeta::mua
