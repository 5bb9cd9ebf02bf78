// mua_outbox: the mail client's local outbox, where a message waits when the submission
// server cannot be reached (refused, timed out, 4xx) until `mail flush` sends it. A
// Maildir-like folder (mode 0700): each entry is written to tmp/, fsync'd, renamed into
// new/, and new/ is fsync'd, so an entry is either whole or absent after a crash; an entry
// is removed only after the server accepted it (or refused it for good). The format of one
// entry is mua_outbox_record.hpp. Files are 0600. Memory: one entry at a time.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "mua/proto/mua_outbox_record.hpp"

namespace estafeta::mua {

class Outbox {
 public:
  explicit Outbox(std::filesystem::path dir) : dir_(std::move(dir)) {}
  const std::filesystem::path& dir() const { return dir_; }

  // Stores a new entry durably; returns its id (the file name).
  Result<std::string> add(const OutboxRecord& record);
  // Replaces an entry durably (fewer recipients, one more attempt).
  Result<bool> replace(const std::string& id, const OutboxRecord& record);
  // The waiting entries' ids, oldest first. A missing outbox is empty.
  Result<std::vector<std::string>> list() const;
  Result<OutboxRecord> read(const std::string& id) const;
  Result<bool> remove(const std::string& id);

 private:
  Result<bool> prepare();
  Result<bool> write_into_new(const std::string& id, const OutboxRecord& record);
  std::filesystem::path dir_;
};

}  // namespace estafeta::mua
