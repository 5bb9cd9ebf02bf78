// queue_control: the operator's actions on the outbound queue (estafeta queue hold, release,
// retry, delete), which work on the spool directory whether a server is running or not.
//
// Concurrency rule: a spool entry's record has one writer, the runner that owns the entry
// (queue_remote_runner.hpp), so these functions never write records. Hold and retry are
// requests left as small files in the control directory beside the spool
// (<data_dir>/spool-control: hold/<entry>, retry/<entry>, retry/all, each holding the queue
// id of the message it means, so a request never applies to a later message that reuses
// the slot). The runner looks for hold/<entry> right before each attempt, reads the directory
// at start and every few seconds (or when poked), applies retry requests (the message's
// deferred recipients become due now, their destinations' backoff is cleared) and removes
// them, and removes a message's files when it leaves the queue. Without a running server the
// files wait for the next start. Delete removes the spool file itself: a runner that owns it
// finds it gone at its next attempt or record update and forgets it (an attempt already
// under way may still complete; the record update that follows fails and is dropped).
// Trust: the operator's input names entries; the control files are ours. Blocking (file
// I/O). Memory: the control directory's listing.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "queue/queue_spool.hpp"

namespace estafeta::queue {

// <spool_dir>/../spool-control (beside the spool, which admits no other files).
std::filesystem::path control_dir(const std::filesystem::path& spool_dir);

// Operator actions. `which` is a spool entry name or a queue id; each returns "" on success,
// else one line saying what went wrong ("no message ..."). `spool` has read its key
// (Spool::read_key or open).
std::string hold_message(const Spool& spool, std::string_view which);
std::string release_message(const Spool& spool, std::string_view which);
// `which` empty: every message.
std::string retry_messages(const Spool& spool, std::string_view which);
std::string delete_message(Spool& spool, std::string_view which);

// True when `entry` is on hold (for queue list/show).
bool is_held(const std::filesystem::path& spool_dir, const SpoolEntry& entry);

// What the control directory asks for, as the runner reads it.
struct ControlRequests {
  std::map<std::string, std::string> held;   // entry name -> queue id
  std::map<std::string, std::string> retry;  // entry name -> queue id
  bool retry_all = false;
};
ControlRequests read_control(const std::filesystem::path& spool_dir);
// True when hold/<name> exists and names message `id`.
bool hold_requested(const std::filesystem::path& spool_dir, const std::string& name,
                    const std::string& id);
// Removes a retry request once applied ("all" for retry/all).
void consume_retry(const std::filesystem::path& spool_dir, const std::string& name);
// Removes every request about an entry that left the queue.
void forget_requests(const std::filesystem::path& spool_dir, const std::string& name);

}  // namespace estafeta::queue
