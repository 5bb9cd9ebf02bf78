// queue_srs_key: the SRS secret (queue_srs.hpp) on disk: <data_dir>/srs.key, 16 random octets,
// mode 0600, made once (written to a temporary file, fsynced and renamed, so a crash never
// leaves a short key) and read at every start. Losing or replacing it only makes SRS addresses
// handed out before unusable for bounces (they are refused as unknown users). Blocking file
// I/O: call at startup.
#pragma once

#include <filesystem>
#include <system_error>

#include "queue/proto/queue_srs.hpp"

namespace estafeta::queue {

// Reads `file` into `key`, or makes it when it does not exist. A file of the wrong size is an
// error (EINVAL), never silently replaced.
std::error_code load_srs_key(const std::filesystem::path& file, SrsKey& key);

}  // namespace estafeta::queue
