// imap_session_sort: SORT and UID SORT (RFC 5256 §3, RFC 5957 SORT=DISPLAY, RFC 5267 ESORT)
// and THREAD / UID THREAD (RFC 5256 §3) in the session. The search criteria are evaluated as
// for SEARCH (Session::search_indexes); the keys of every message come from the store in one
// read (store::Account::sort_table, computed at delivery: no message file is opened; the
// backend may keep the table for the next SORT of an unchanged mailbox), and the
// ordering is imap_sort / imap_thread (SORT by one string key: a counting sort of the matches
// by the table's ranks, no row per match). Memory: one row per match, the mailbox's keys for
// the duration of the command.
#include <algorithm>

#include "imap/proto/imap_search_eval.hpp"
#include "imap/proto/imap_session.hpp"
#include "imap/proto/imap_session_selected.hpp"
#include "imap/proto/imap_sort.hpp"
#include "imap/proto/imap_thread.hpp"

namespace estafeta::imap {
namespace {

bool charset_ok(const std::string& cs) {
  auto ieq = [](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      char x = a[i], y = b[i];
      if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 32);
      if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 32);
      if (x != y) return false;
    }
    return true;
  };
  return ieq(cs, "UTF-8") || ieq(cs, "US-ASCII");
}

const store::SortKeys kNoKeys;

// The table of a mailbox whose keys were not needed (SORT by ARRIVAL or SIZE, no match).
std::shared_ptr<const store::SortTable> no_sort_keys() {
  static const auto empty = std::make_shared<const store::SortTable>();
  return empty;
}

// The row of `table` of each entry at `indexes` of `messages` (both ascending UID), kNoSortRow
// for a message the store no longer has; matched by the table's packed UIDs, no row read.
std::vector<std::uint32_t> rows_for(const store::SortTable& table,
                                    const std::vector<Session::SelectedMailbox::Entry>& messages,
                                    const std::vector<std::uint32_t>& indexes) {
  const std::vector<store::Uid>& uids = table.uids();
  std::vector<std::uint32_t> rows(indexes.size(), kNoSortRow);
  std::size_t j = 0;
  for (std::size_t i = 0; i < indexes.size(); ++i) {
    const store::Uid uid = messages[indexes[i]].uid;
    while (j < uids.size() && uids[j] < uid) ++j;
    if (j < uids.size() && uids[j] == uid) rows[i] = static_cast<std::uint32_t>(j);
  }
  return rows;
}

// The keys of the messages at table rows `rows` (as rows_for gives them): keys[i] of rows[i],
// kNoKeys outside the table; `sent` gets their sent dates (0 outside the table).
std::vector<const store::SortKeys*> keys_for(const store::SortTable& table,
                                             const std::vector<std::uint32_t>& rows,
                                             std::vector<std::int64_t>& sent) {
  const std::vector<store::MessageSortKeys>& all = table.rows();
  std::vector<const store::SortKeys*> out(rows.size(), &kNoKeys);
  sent.assign(rows.size(), 0);
  for (std::size_t i = 0; i < rows.size(); ++i)
    if (rows[i] < all.size()) {
      out[i] = &all[rows[i]].keys;
      sent[i] = all[rows[i]].sent_date;
    }
  return out;
}

}  // namespace

bool Session::sort_charset_ok(const Command& c, const std::string& charset) {
  if (charset_ok(charset)) return true;
  tagged_no(c.tag, "[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset.");
  return false;
}

void Session::cmd_sort(const Command& c, const Sort& so) {
  if (!sort_charset_ok(c, so.charset)) return;
  // RFC 5267 §4.3: a tag already naming an update context cannot start another.
  if (so.ret.update && update_tag_in_use(c.tag)) {
    tagged_bad(c.tag, "Tag reuse.");
    return;
  }
  SelectedMailbox& s = *selected_;
  if (search_uses_modseq(so.key)) enable_condstore_in_selected();
  std::vector<std::uint32_t> indexes;
  search_indexes(so.key, indexes);
  std::vector<std::uint32_t> sorted;  // the matches' indexes into s.messages in sort order
  if (auto ec = sorted_indexes(so.criteria, indexes, sorted)) {
    tagged_no(c.tag, store_error_text(ec));
    return;
  }
  std::vector<std::uint32_t> ordered(sorted.size());
  for (std::size_t i = 0; i < sorted.size(); ++i)
    ordered[i] = so.uid ? s.messages[sorted[i]].uid : sorted[i] + 1;
  if (so.ret.specified)
    send(format_esort(c.tag, so.uid, so.ret, ordered));
  else
    send(format_sort(ordered));
  if (so.ret.update) {  // CONTEXT=SORT (RFC 5267 §4.3)
    std::vector<store::Uid> result, order;
    for (std::uint32_t i : sorted) order.push_back(s.messages[i].uid);
    result = order;
    std::sort(result.begin(), result.end());
    add_sort_context(c.tag, so, std::move(result), std::move(order));
  }
  sync(so.uid);
  tagged_ok(c.tag, so.uid ? "UID SORT completed." : "Sort completed.");
}

void Session::cmd_thread(const Command& c, const Thread& th) {
  if (!sort_charset_ok(c, th.charset)) return;
  SelectedMailbox& s = *selected_;
  if (search_uses_modseq(th.key)) enable_condstore_in_selected();
  std::vector<std::uint32_t> indexes;
  search_indexes(th.key, indexes);
  std::shared_ptr<const store::SortTable> all = no_sort_keys();
  const bool refs = th.algorithm == Thread::Algorithm::references;
  if (!indexes.empty()) {
    if (auto ec = s.account->sort_table(s.info.id, all)) {
      tagged_no(c.tag, store_error_text(ec));
      return;
    }
  }
  std::vector<std::int64_t> sent;
  const std::vector<std::uint32_t> table_rows = rows_for(*all, s.messages, indexes);
  // Every message of the mailbox, numbered as the table's rows: the answer is a function of
  // the table alone, which keeps it for the next THREAD of the unchanged mailbox.
  bool whole = !table_rows.empty() && table_rows.size() == all->rows().size();
  for (std::size_t i = 0; whole && i < table_rows.size(); ++i)
    whole = table_rows[i] == i && indexes[i] == i;
  const std::string memo_key =
      std::string(refs ? "thread-references" : "thread-subject") + (th.uid ? " uid" : " seq");
  std::string memo;
  if (whole && all->recall(memo_key, memo)) {
    send(std::move(memo));
    sync(th.uid);
    tagged_ok(c.tag, th.uid ? "UID THREAD completed." : "Thread completed.");
    return;
  }
  const std::vector<const store::SortKeys*> keys = keys_for(*all, table_rows, sent);
  std::vector<ThreadRow> rows(indexes.size());
  for (std::size_t i = 0; i < indexes.size(); ++i) {
    const auto& e = s.messages[indexes[i]];
    ThreadRow& r = rows[i];
    r.seq = indexes[i] + 1;
    r.number = th.uid ? e.uid : r.seq;
    r.date = sent[i] != 0 ? sent[i] : e.internal_date;
    r.keys = keys[i];
  }
  std::string out = "* THREAD ";
  out += refs ? thread_references(rows) : thread_ordered_subject(rows);
  if (rows.empty()) out.pop_back();  // "* THREAD" alone
  out += "\r\n";
  if (whole) all->remember(memo_key, out);
  send(std::move(out));
  sync(th.uid);
  tagged_ok(c.tag, th.uid ? "UID THREAD completed." : "Thread completed.");
}

std::error_code Session::sorted_indexes(const std::vector<SortCriterion>& criteria,
                                        const std::vector<std::uint32_t>& indexes,
                                        std::vector<std::uint32_t>& ordered) {
  SelectedMailbox& s = *selected_;
  std::shared_ptr<const store::SortTable> all = no_sort_keys();
  if (sort_needs_store(criteria) && !indexes.empty())
    if (auto ec = s.account->sort_table(s.info.id, all)) return ec;
  const std::vector<std::uint32_t> table_rows = rows_for(*all, s.messages, indexes);
  if (sort_by_one_rank(criteria)) {
    // One string key (SORT (SUBJECT), (REVERSE FROM), ...): positions ordered by the table's
    // ranks, no row per message.
    ordered = sort_positions_ranked(criteria[0], *all, table_rows);
    for (std::uint32_t& n : ordered) n = indexes[n];
    return {};
  }
  std::vector<std::int64_t> sent;
  const std::vector<const store::SortKeys*> keys = keys_for(*all, table_rows, sent);
  std::vector<SortRow> rows(indexes.size());
  for (std::size_t i = 0; i < indexes.size(); ++i) {
    const auto& e = s.messages[indexes[i]];
    SortRow& r = rows[i];
    r.seq = indexes[i] + 1;
    r.number = indexes[i];
    r.arrival = e.internal_date;
    r.date = sent[i] != 0 ? sent[i] : e.internal_date;  // RFC 5256 §3 DATE
    r.size = e.size;
    r.keys = keys[i];
    r.table_row = table_rows[i];
  }
  sort_rows(criteria, rows, all.get());
  ordered.resize(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) ordered[i] = rows[i].number;
  return {};
}

}  // namespace estafeta::imap
