// imap_sort: SORT (RFC 5256 §3, RFC 5957 DISPLAYFROM/DISPLAYTO) as a pure function over
// precomputed keys, and the answers "* SORT ..." and ESORT's "* ESEARCH ..." (RFC 5267 §3).
// The keys come from the store (store::SortKeys, byte-comparable i;unicode-casemap keys), so
// ordering is plain integer and memcmp comparisons: no allocation per comparison, no message
// read. Ties on every criterion are broken by sequence number (RFC 5256 §3); REVERSE reverses
// one criterion only, never the tie-break. DATE is the sent date, INTERNALDATE when the
// message has none (RFC 5256 §3); FROM/TO/CC the first address's mailbox; SUBJECT the base
// subject. Memory: the rows the caller gives; sorting is in place. Shared with CONTEXT=SORT
// updates (they re-run sort_rows over the new result).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imap/proto/imap_command.hpp"
#include "store/api/store.hpp"

namespace estafeta::imap {

// One message to order.
struct SortRow {
  std::uint32_t seq = 0;                  // 1-based sequence number: the final tie-break
  std::uint32_t number = 0;               // what the answer shows (the sequence number or the UID)
  std::int64_t arrival = 0;               // INTERNALDATE
  std::int64_t date = 0;                  // sent date, else INTERNALDATE
  std::uint64_t size = 0;                 // RFC822.SIZE
  const store::SortKeys* keys = nullptr;  // never null (an empty SortKeys when unknown)
  std::uint32_t table_row = 0xffffffffu;  // the row of `keys` in sort_rows' table, if any
  std::uint32_t rank = 0;                 // sort_rows' scratch: the single criterion's rank
};
inline constexpr std::uint32_t kNoSortRow = 0xffffffffu;

// The store::SortKeyField bits the criteria need (0: ARRIVAL/SIZE only, no store read;
// DATE needs only the sent date every sort_keys read carries).
unsigned sort_key_fields(const std::vector<SortCriterion>& criteria);
// True when the criteria need Account::sort_keys at all.
bool sort_needs_store(const std::vector<SortCriterion>& criteria);

// Orders `rows` by `criteria`, ties by `seq`. With `table` (the store's SortTable that the
// rows' keys come from, SortRow::table_row set), string keys compare by the table's ranks:
// the same order, integer comparisons.
void sort_rows(const std::vector<SortCriterion>& criteria, std::vector<SortRow>& rows,
               const store::SortTable* table = nullptr);

// True when `criteria` is one string key (SUBJECT, FROM, ... or its REVERSE): the case
// sort_positions_ranked answers.
bool sort_by_one_rank(const std::vector<SortCriterion>& criteria);
// SORT by that one string `criterion` of messages given in sequence order, the i-th being row
// table_rows[i] of `table` (kNoSortRow: not in it, the empty key): their positions (0-based)
// in sort order, the order sort_rows gives, from the table's ranks by a counting sort.
std::vector<std::uint32_t> sort_positions_ranked(const SortCriterion& criterion,
                                                 const store::SortTable& table,
                                                 const std::vector<std::uint32_t>& table_rows);

// "* SORT 3 1 2\r\n" ("* SORT\r\n" when nothing matched).
std::string format_sort(const std::vector<std::uint32_t>& ordered);

// ESORT (RFC 5267 §3.2): "* ESEARCH (TAG "t") [UID] [MIN n] [MAX n] [ALL set] [COUNT n]"
// where MIN and MAX are the first and last message in sort order and ALL lists every match in
// sort order (ascending runs written as ranges, "5,3:4,2,1", as Dovecot writes them); none
// asked means ALL; MIN/MAX/ALL left out when nothing matched.
std::string format_esort(std::string_view tag, bool uid, const SearchReturn& ret,
                         const std::vector<std::uint32_t>& ordered);

// The numbers in order as a sequence set whose ascending runs of consecutive numbers are
// ranges: {5,3,4,2,1} -> "5,3:4,2,1".
std::string ordered_sequence_set(const std::vector<std::uint32_t>& ordered);

}  // namespace estafeta::imap
