// queue_bounce: the notices the outbound queue sends a message's envelope sender (RFC 3464
// through mime::build_dsn): failures (bounces), delays and "relayed" successes, one notice
// per message and attempt covering every recipient of that attempt the sender is owed news
// of. From MAILER-DAEMON@<hostname>, sent with the null sender, so a notice is never
// answered by a notice: a message from the null sender gets none (RFC 3461 §6.2, RFC 5321
// §4.5.5). Pure: the caller reads the original message from the spool and injects the
// result. Input: our record plus the original message and reply texts (peer data, copied
// into the report, never interpreted beyond the header end). Memory: about the size of the
// returned original (RET=FULL up to kMaxReturned, else the header).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mime/mime_dsn.hpp"
#include "queue/proto/queue_record.hpp"

namespace estafeta::queue {

// RET=FULL returns messages up to this size whole; larger ones by their header only.
inline constexpr std::size_t kMaxReturned = std::size_t{10} * 1024 * 1024;
// How much of a message is read to find its header when only the header goes back.
inline constexpr std::size_t kMaxReturnedHeader = std::size_t{1024} * 1024;

// RET=FULL was given at MAIL (RFC 3461 §4.3; HDRS or absent: the header only).
bool wants_full_return(const SpoolEnvelope& envelope);

// The Message-ID of `message` (a CRLF message or its header), "" when it has none.
std::string original_message_id(std::string_view message);

// The whole notice for `envelope`'s sender about `recipients`, `original` being the message
// as queued (our Received field first) or at least its header. `now` is unix seconds.
std::string build_notice(const SpoolEnvelope& envelope, std::vector<mime::DsnRecipient> recipients,
                         std::string original, const std::string& hostname, std::int64_t now);

}  // namespace estafeta::queue
