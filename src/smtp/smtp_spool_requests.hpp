// smtp_spool_requests: the blocking half of receiving a message into the spool, run on a
// worker thread: streaming MessageChunk content into a SpoolWriter, and committing the
// message (recipients resolved again, the envelope record with their resolution, DSN
// parameters and trace information written, the file fdatasynced) when the core asks for
// StoreMessage. Only after commit_message() returned an entry may the 250 be sent; the
// entry then goes to the local delivery runner.
// Input: envelope data the core has validated (still peer-chosen) and message content
// (bounded per call by kMessageChunk, per message by smtp.max_message_size). Never throws:
// a failing dependency becomes a temporary failure (451), never a lost message.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/directory.hpp"
#include "queue/queue_spool.hpp"
#include "smtp/proto/smtp_server_session.hpp"

namespace estafeta::smtp {

// What a session keeps of the message it is receiving: the open spool file, and whether
// writing it already failed (the message is then answered 451 at its end).
struct SpoolSlot {
  std::unique_ptr<queue::SpoolWriter> writer;
  bool failed = false;
};

// Runs `job` in the background (the worker pool): the spool's reserve top-up.
using Background = std::function<void(std::function<void()>)>;

// Appends content to the message being received, opening its spool file first if needed.
void spool_append(queue::Spool& spool, const Background& background, SpoolSlot& slot,
                  std::string_view bytes);

// Drops the message being received (refused, abandoned, or the session ended).
void spool_discard(SpoolSlot& slot);

// True when `address` is known to be in none of our domains under the account database as it
// is now (the RCPT verdict cache, smtp_recipient_cache.hpp): a relayed recipient then needs no
// second lookup at commit.
using KnownRemote = std::function<bool(std::string_view address)>;

// Resolves the recipients (a relayed one that `known_remote` vouches for is taken as it is),
// writes the tail and the envelope record, commits. nullopt: 451.
std::optional<queue::SpoolEntry> commit_message(auth::Directory& directory, queue::Spool& spool,
                                                const Background& background, SpoolSlot& slot,
                                                const StoreMessage& store, std::string_view peer_ip,
                                                std::string_view escaped_host,
                                                const KnownRemote& known_remote = nullptr);

}  // namespace estafeta::smtp
