// imap_sort: see imap_sort.hpp.
#include "imap/proto/imap_sort.hpp"

#include <algorithm>

#include "imap/proto/imap_response_strings.hpp"
#include "imap/proto/imap_search_eval.hpp"

namespace estafeta::imap {
namespace {

using Key = SortCriterion::Key;

template <class T>
int cmp(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

int cmp_str(const std::string& a, const std::string& b) {
  int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

int compare(Key k, const SortRow& a, const SortRow& b) {
  switch (k) {
    case Key::arrival:
      return cmp(a.arrival, b.arrival);
    case Key::date:
      return cmp(a.date, b.date);
    case Key::size:
      return cmp(a.size, b.size);
    case Key::subject:
      return cmp_str(a.keys->subject, b.keys->subject);
    case Key::from:
      return cmp_str(a.keys->from, b.keys->from);
    case Key::to:
      return cmp_str(a.keys->to, b.keys->to);
    case Key::cc:
      return cmp_str(a.keys->cc, b.keys->cc);
    case Key::display_from:
      return cmp_str(a.keys->display_from, b.keys->display_from);
    case Key::display_to:
      return cmp_str(a.keys->display_to, b.keys->display_to);
  }
  return 0;
}

void append_number(std::string& out, std::uint32_t n) {
  char buf[16];
  char* p = buf + sizeof buf;
  do {
    *--p = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n);
  out.append(p, static_cast<std::size_t>(buf + sizeof buf - p));
}

}  // namespace

unsigned sort_key_fields(const std::vector<SortCriterion>& criteria) {
  unsigned f = 0;
  for (const auto& c : criteria) {
    switch (c.key) {
      case Key::subject:
        f |= store::kSortSubject;
        break;
      case Key::from:
        f |= store::kSortFrom;
        break;
      case Key::to:
        f |= store::kSortTo;
        break;
      case Key::cc:
        f |= store::kSortCc;
        break;
      case Key::display_from:
        f |= store::kSortDisplayFrom;
        break;
      case Key::display_to:
        f |= store::kSortDisplayTo;
        break;
      default:
        break;
    }
  }
  return f;
}

bool sort_needs_store(const std::vector<SortCriterion>& criteria) {
  for (const auto& c : criteria)
    if (c.key != Key::arrival && c.key != Key::size) return true;
  return false;
}

namespace {

// The table's ranks of the field a string criterion sorts by; null for the others.
const std::vector<std::uint32_t>* ranks_for(Key k, const store::SortTable& table) {
  switch (k) {
    case Key::subject:
      return &table.ranks(store::kSortSubject);
    case Key::from:
      return &table.ranks(store::kSortFrom);
    case Key::to:
      return &table.ranks(store::kSortTo);
    case Key::cc:
      return &table.ranks(store::kSortCc);
    case Key::display_from:
      return &table.ranks(store::kSortDisplayFrom);
    case Key::display_to:
      return &table.ranks(store::kSortDisplayTo);
    default:
      return nullptr;
  }
}

// Positions 0..n-1 of `keys` ordered by (keys[i], i), keys descending when `reverse` (ties
// still by ascending position): a stable counting sort, linear in n plus the highest key
// (a rank, so at most the table's size).
std::vector<std::uint32_t> order_by_keys(const std::vector<std::uint32_t>& keys, bool reverse) {
  std::uint32_t hi = 0;
  for (std::uint32_t k : keys) hi = std::max(hi, k);
  std::vector<std::uint32_t> start(static_cast<std::size_t>(hi) + 2, 0);
  for (std::uint32_t k : keys) ++start[(reverse ? hi - k : k) + 1];
  for (std::size_t b = 1; b < start.size(); ++b) start[b] += start[b - 1];
  std::vector<std::uint32_t> out(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i)
    out[start[reverse ? hi - keys[i] : keys[i]]++] = static_cast<std::uint32_t>(i);
  return out;
}

// sort_rows with string keys replaced by their ranks in `table`: a row outside the table has
// the empty key, rank 0 (the empty key's rank, below every other).
void sort_rows_ranked(const std::vector<SortCriterion>& criteria, std::vector<SortRow>& rows,
                      const store::SortTable& table) {
  std::vector<const std::vector<std::uint32_t>*> ranks;
  for (const auto& c : criteria) ranks.push_back(ranks_for(c.key, table));
  auto rank = [](const std::vector<std::uint32_t>& r, const SortRow& row) -> std::uint32_t {
    return row.table_row < r.size() ? r[row.table_row] : 0;
  };
  // One string criterion (SORT (SUBJECT), SORT (REVERSE FROM), ...): its rank copied into
  // each row first, so the sort compares within the rows it moves.
  if (criteria.size() == 1 && ranks[0]) {
    const bool rev = criteria[0].reverse;
    // Rows in sequence order (as SORT builds them): order the positions by rank (counting
    // sort, stable), then move each row once.
    const bool by_seq = std::is_sorted(
        rows.begin(), rows.end(), [](const SortRow& a, const SortRow& b) { return a.seq < b.seq; });
    if (by_seq && rows.size() < 0xffffffffu) {
      std::vector<std::uint32_t> keys(rows.size());
      for (std::size_t i = 0; i < rows.size(); ++i) keys[i] = rank(*ranks[0], rows[i]);
      std::vector<SortRow> sorted;
      sorted.reserve(rows.size());
      for (std::uint32_t i : order_by_keys(keys, rev)) sorted.push_back(rows[i]);
      rows = std::move(sorted);
      return;
    }
    for (SortRow& row : rows) row.rank = rank(*ranks[0], row);
    std::sort(rows.begin(), rows.end(), [rev](const SortRow& a, const SortRow& b) {
      if (a.rank != b.rank) return rev ? a.rank > b.rank : a.rank < b.rank;
      return a.seq < b.seq;
    });
    return;
  }
  std::sort(rows.begin(), rows.end(), [&](const SortRow& a, const SortRow& b) {
    for (std::size_t i = 0; i < criteria.size(); ++i) {
      int r =
          ranks[i] ? cmp(rank(*ranks[i], a), rank(*ranks[i], b)) : compare(criteria[i].key, a, b);
      if (r != 0) return criteria[i].reverse ? r > 0 : r < 0;
    }
    return a.seq < b.seq;
  });
}

}  // namespace

bool sort_by_one_rank(const std::vector<SortCriterion>& criteria) {
  return criteria.size() == 1 && sort_key_fields(criteria) != 0;
}

std::vector<std::uint32_t> sort_positions_ranked(const SortCriterion& criterion,
                                                 const store::SortTable& table,
                                                 const std::vector<std::uint32_t>& table_rows) {
  const std::vector<std::uint32_t>* r = ranks_for(criterion.key, table);
  std::vector<std::uint32_t> keys(table_rows.size(), 0);
  if (r)
    for (std::size_t i = 0; i < table_rows.size(); ++i)
      if (table_rows[i] < r->size()) keys[i] = (*r)[table_rows[i]];
  return order_by_keys(keys, criterion.reverse);
}

void sort_rows(const std::vector<SortCriterion>& criteria, std::vector<SortRow>& rows,
               const store::SortTable* table) {
  // A single integer criterion (the common ARRIVAL / DATE / SIZE views) compares without the
  // criteria loop.
  if (criteria.size() == 1 && !sort_needs_store(criteria) && criteria[0].key == Key::arrival) {
    const bool rev = criteria[0].reverse;
    std::sort(rows.begin(), rows.end(), [rev](const SortRow& a, const SortRow& b) {
      if (a.arrival != b.arrival) return rev ? a.arrival > b.arrival : a.arrival < b.arrival;
      return a.seq < b.seq;
    });
    return;
  }
  if (criteria.size() == 1 && criteria[0].key == Key::date) {
    const bool rev = criteria[0].reverse;
    std::sort(rows.begin(), rows.end(), [rev](const SortRow& a, const SortRow& b) {
      if (a.date != b.date) return rev ? a.date > b.date : a.date < b.date;
      return a.seq < b.seq;
    });
    return;
  }
  if (table) {
    sort_rows_ranked(criteria, rows, *table);
    return;
  }
  std::sort(rows.begin(), rows.end(), [&criteria](const SortRow& a, const SortRow& b) {
    for (const auto& c : criteria) {
      int r = compare(c.key, a, b);
      if (r != 0) return c.reverse ? r > 0 : r < 0;
    }
    return a.seq < b.seq;
  });
}

std::string format_sort(const std::vector<std::uint32_t>& ordered) {
  // Written in place into room for the longest numbers (" 4294967295"), then cut to size.
  constexpr std::string_view kHead = "* SORT";
  std::string out(kHead.size() + ordered.size() * 11 + 2, '\0');
  char* p = out.data();
  p = std::copy(kHead.begin(), kHead.end(), p);
  for (std::uint32_t n : ordered) {
    *p++ = ' ';
    char buf[10];
    char* d = buf + sizeof buf;
    do {
      *--d = static_cast<char>('0' + n % 10);
      n /= 10;
    } while (n);
    p = std::copy(d, buf + sizeof buf, p);
  }
  *p++ = '\r';
  *p++ = '\n';
  out.resize(static_cast<std::size_t>(p - out.data()));
  return out;
}

std::string ordered_sequence_set(const std::vector<std::uint32_t>& v) {
  std::string out;
  for (std::size_t i = 0; i < v.size();) {
    std::size_t j = i;
    while (j + 1 < v.size() && v[j + 1] == v[j] + 1) ++j;
    if (!out.empty()) out.push_back(',');
    append_number(out, v[i]);
    if (j > i) {
      out.push_back(':');
      append_number(out, v[j]);
    }
    i = j + 1;
  }
  return out;
}

std::string format_esort(std::string_view tag, bool uid, const SearchReturn& ret,
                         const std::vector<std::uint32_t>& ordered) {
  bool min = ret.min, max = ret.max, all = ret.all, count = ret.count;
  if (!min && !max && !all && !count && !ret.partial) all = true;  // RETURN () means ALL
  std::string out = "* ESEARCH (TAG ";
  append_quoted(out, tag);
  out.push_back(')');
  if (uid) out.append(" UID");
  if (!ordered.empty()) {
    if (min) {
      out.append(" MIN ");
      append_number(out, ordered.front());
    }
    if (max) {
      out.append(" MAX ");
      append_number(out, ordered.back());
    }
    if (all) {
      out.append(" ALL ");
      out.append(ordered_sequence_set(ordered));
    }
  }
  if (count) {
    out.append(" COUNT ");
    append_number(out, static_cast<std::uint32_t>(ordered.size()));
  }
  if (ret.partial) {  // RFC 9394 §3.1: a window of the sorted result, in sort order
    auto [b, e] = partial_window(ret, ordered.size());
    append_partial(out, ret,
                   ordered_sequence_set(std::vector<std::uint32_t>(
                       ordered.begin() + static_cast<std::ptrdiff_t>(b),
                       ordered.begin() + static_cast<std::ptrdiff_t>(e))));
  }
  out.append("\r\n");
  return out;
}

}  // namespace estafeta::imap
