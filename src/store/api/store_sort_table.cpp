// store_sort_table: SortTable (see store.hpp): ranks, one sort of the rows' keys per field
// the first time that field is asked for, and the memo of whole-table answers.
#include <algorithm>
#include <numeric>
#include <string>

#include "store/api/store.hpp"

namespace estafeta::store {
namespace {

// The slot of a string field's ranks, or -1.
int slot_of(unsigned field) {
  switch (field) {
    case kSortSubject:
      return 0;
    case kSortFrom:
      return 1;
    case kSortTo:
      return 2;
    case kSortCc:
      return 3;
    case kSortDisplayFrom:
      return 4;
    case kSortDisplayTo:
      return 5;
    default:
      return -1;
  }
}

const std::string& key_of(const SortKeys& k, int slot) {
  switch (slot) {
    case 0:
      return k.subject;
    case 1:
      return k.from;
    case 2:
      return k.to;
    case 3:
      return k.cc;
    case 4:
      return k.display_from;
    default:
      return k.display_to;
  }
}

}  // namespace

SortTable::SortTable(std::vector<MessageSortKeys> rows) : rows_(std::move(rows)) {
  uids_.reserve(rows_.size());
  for (const auto& r : rows_) uids_.push_back(r.uid);
}

const std::vector<std::uint32_t>& SortTable::ranks(unsigned field) const {
  static const std::vector<std::uint32_t> kNone;
  const int slot = slot_of(field);
  if (slot < 0) return kNone;
  std::lock_guard lock(mu_);
  auto& out = ranks_[static_cast<std::size_t>(slot)];
  if (ranked_[static_cast<std::size_t>(slot)]) return out;
  std::vector<std::uint32_t> order(rows_.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return key_of(rows_[a].keys, slot) < key_of(rows_[b].keys, slot);
  });
  out.assign(rows_.size(), 0);
  std::uint32_t rank = 0;
  const std::string* previous = nullptr;
  for (std::uint32_t i : order) {
    const std::string& k = key_of(rows_[i].keys, slot);
    if (!previous || k != *previous) rank = k.empty() ? 0 : rank + 1;
    out[i] = rank;
    previous = &k;
  }
  ranked_[static_cast<std::size_t>(slot)] = true;
  return out;
}

bool SortTable::recall(std::string_view key, std::string& out) const {
  std::lock_guard lock(mu_);
  for (const auto& [k, v] : memos_)
    if (k == key) {
      out = v;
      return true;
    }
  return false;
}

void SortTable::remember(std::string key, std::string answer) const {
  std::lock_guard lock(mu_);
  for (auto& [k, v] : memos_)
    if (k == key) return;
  if (memos_.size() >= kMaxMemos) memos_.erase(memos_.begin());
  memos_.emplace_back(std::move(key), std::move(answer));
}

}  // namespace estafeta::store
