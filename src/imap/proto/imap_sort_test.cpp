// imap_sort_test: the SORT / THREAD grammar (imap_parser_sort), the order SORT gives (every
// criterion, REVERSE, ties by sequence number), the ESORT answer (RFC 5267), and the two
// threading algorithms (RFC 5256 §2.2, §2.3) on hand-built keys, including the cases of
// Dovecot's imaptest thread scripts with the answers Dovecot gives.
#include <gtest/gtest.h>

#include "imap/proto/imap_parser.hpp"
#include "imap/proto/imap_search_eval.hpp"
#include "imap/proto/imap_sort.hpp"
#include "imap/proto/imap_thread.hpp"

namespace estafeta::imap {
namespace {

ParseResult parse(std::string_view line) {
  return parse_command(line, Limits{});
}

template <class T>
const T* body(const ParseResult& r) {
  if (!r.command) return nullptr;
  return std::get_if<T>(&r.command->body);
}

TEST(SortGrammar, Criteria) {
  auto r = parse(
      "a SORT (REVERSE ARRIVAL cc Date FROM size SUBJECT to displayfrom "
      "REVERSE DISPLAYTO) UTF-8 ALL");
  const Sort* s = body<Sort>(r);
  ASSERT_TRUE(s) << r.error.text;
  using K = SortCriterion::Key;
  ASSERT_EQ(s->criteria.size(), 9u);
  EXPECT_EQ(s->criteria[0].key, K::arrival);
  EXPECT_TRUE(s->criteria[0].reverse);
  EXPECT_EQ(s->criteria[1].key, K::cc);
  EXPECT_FALSE(s->criteria[1].reverse);
  EXPECT_EQ(s->criteria[2].key, K::date);
  EXPECT_EQ(s->criteria[3].key, K::from);
  EXPECT_EQ(s->criteria[4].key, K::size);
  EXPECT_EQ(s->criteria[5].key, K::subject);
  EXPECT_EQ(s->criteria[6].key, K::to);
  EXPECT_EQ(s->criteria[7].key, K::display_from);
  EXPECT_EQ(s->criteria[8].key, K::display_to);
  EXPECT_TRUE(s->criteria[8].reverse);
  EXPECT_EQ(s->charset, "UTF-8");
  EXPECT_EQ(s->key.kind, SearchKey::Kind::all);
  EXPECT_FALSE(s->uid);
  EXPECT_FALSE(s->ret.specified);
  EXPECT_EQ(r.command->name, "SORT");
}

TEST(SortGrammar, UidReturnAndSearchKeys) {
  auto r = parse(
      "t UID SORT RETURN (MIN MAX COUNT ALL) (SUBJECT) \"us-ascii\" FROM bob "
      "OR SEEN (DELETED)");
  const Sort* s = body<Sort>(r);
  ASSERT_TRUE(s) << r.error.text;
  EXPECT_TRUE(s->uid);
  EXPECT_TRUE(s->ret.specified && s->ret.min && s->ret.max && s->ret.count && s->ret.all);
  EXPECT_EQ(s->charset, "us-ascii");
  ASSERT_EQ(s->key.kind, SearchKey::Kind::and_);
  ASSERT_EQ(s->key.children.size(), 2u);
  EXPECT_EQ(s->key.children[0].kind, SearchKey::Kind::from);
  EXPECT_EQ(s->key.children[1].kind, SearchKey::Kind::or_);
  EXPECT_EQ(r.command->name, "UID SORT");
  auto e = parse("t SORT RETURN () (DATE) UTF-8 1:*");
  ASSERT_TRUE(body<Sort>(e)) << e.error.text;
  EXPECT_TRUE(body<Sort>(e)->ret.specified);
}

TEST(SortGrammar, Errors) {
  for (const char* bad : {
           "a SORT",                            // nothing
           "a SORT ALL",                        // no criteria
           "a SORT () UTF-8 ALL",               // empty criteria
           "a SORT (ARRIVAL) ALL",              // charset missing: ALL taken as charset
           "a SORT (ARRIVAL) UTF-8",            // no search key
           "a SORT (BOGUS) UTF-8 ALL",          // unknown criterion
           "a SORT (REVERSE) UTF-8 ALL",        // REVERSE without a key
           "a SORT (REVERSE  DATE) UTF-8 ALL",  // two spaces
           "a SORT (ARRIVAL UTF-8 ALL",         // unclosed
           "a SORT (ARRIVAL) UTF-8 ALL extra",  // not a key
           "a SORT RETURN (BOGUS) (ARRIVAL) UTF-8 ALL",
           "a SORT (ARRIVALX) UTF-8 ALL",
       }) {
    auto r = parse(bad);
    EXPECT_FALSE(r.command) << bad;
  }
}

TEST(PartialGrammar, RangesForSearchAndSort) {
  // RFC 9394 §3: PARTIAL first:last or -first:-last; stored with |first| <= |last|.
  auto r = parse("a SEARCH RETURN (PARTIAL 4:2) ALL");
  const Search* s = body<Search>(r);
  ASSERT_TRUE(s) << r.error.text;
  EXPECT_TRUE(s->ret.partial);
  EXPECT_EQ(s->ret.partial_first, 2);
  EXPECT_EQ(s->ret.partial_last, 4);
  r = parse("a UID SEARCH RETURN (MIN PARTIAL -100:-1 COUNT) UNDELETED");
  s = body<Search>(r);
  ASSERT_TRUE(s) << r.error.text;
  EXPECT_EQ(s->ret.partial_first, -1);
  EXPECT_EQ(s->ret.partial_last, -100);
  EXPECT_TRUE(s->ret.min && s->ret.count);
  auto so = parse("a SORT RETURN (PARTIAL 1:100) (DATE) UTF-8 ALL");
  ASSERT_TRUE(body<Sort>(so)) << so.error.text;
  EXPECT_EQ(body<Sort>(so)->ret.partial_last, 100);
  for (const char* bad :
       {"a SEARCH RETURN (PARTIAL 1) ALL", "a SEARCH RETURN (PARTIAL 1:*) ALL",
        "a SEARCH RETURN (PARTIAL *:1) ALL", "a SEARCH RETURN (PARTIAL 0:4) ALL",
        "a SEARCH RETURN (PARTIAL -1:4) ALL", "a SEARCH RETURN (PARTIAL 1:-4) ALL",
        "a SEARCH RETURN (PARTIAL) ALL", "a SEARCH RETURN (PARTIAL 1:4294967295) ALL",
        "a SORT RETURN (PARTIAL 1) (ARRIVAL) UTF-8 ALL"}) {
    EXPECT_FALSE(parse(bad).command) << bad;
  }
}

TEST(ThreadGrammar, Algorithms) {
  auto r = parse("a THREAD REFERENCES UTF-8 ALL");
  const Thread* t = body<Thread>(r);
  ASSERT_TRUE(t) << r.error.text;
  EXPECT_EQ(t->algorithm, Thread::Algorithm::references);
  EXPECT_EQ(t->charset, "UTF-8");
  r = parse("a UID THREAD orderedsubject us-ascii SUBJECT x UNSEEN");
  t = body<Thread>(r);
  ASSERT_TRUE(t) << r.error.text;
  EXPECT_TRUE(t->uid);
  EXPECT_EQ(t->algorithm, Thread::Algorithm::ordered_subject);
  EXPECT_EQ(t->key.kind, SearchKey::Kind::and_);
  for (const char* bad : {"a THREAD", "a THREAD REFS UTF-8 ALL", "a THREAD REFERENCES UTF-8",
                          "a THREAD REFERENCES", "a THREAD (REFERENCES) UTF-8 ALL"}) {
    EXPECT_FALSE(parse(bad).command) << bad;
  }
}

// ---- ordering ----------------------------------------------------------------------------

struct Msg {
  std::int64_t arrival = 0, date = 0;
  std::uint64_t size = 0;
  store::SortKeys keys;
};

std::vector<std::uint32_t> order(const std::vector<Msg>& msgs, std::vector<SortCriterion> crit) {
  std::vector<SortRow> rows;
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    SortRow r;
    r.seq = static_cast<std::uint32_t>(i + 1);
    r.number = r.seq;
    r.arrival = msgs[i].arrival;
    r.date = msgs[i].date;
    r.size = msgs[i].size;
    r.keys = &msgs[i].keys;
    rows.push_back(r);
  }
  sort_rows(crit, rows);
  std::vector<std::uint32_t> out;
  for (const auto& r : rows) out.push_back(r.number);
  return out;
}

using K = SortCriterion::Key;
using V = std::vector<std::uint32_t>;

TEST(SortOrder, ArrivalWithTiesAndReverse) {
  // imaptest sort-arrival: arrivals 0, 2h, 1h, 2h, 2h; sizes 1, 1, 2, 2, 4.
  std::vector<Msg> m(5);
  std::int64_t at[] = {0, 7200, 3600, 7200, 7200};
  std::uint64_t sz[] = {1, 1, 2, 2, 4};
  for (int i = 0; i < 5; ++i) m[i].arrival = at[i], m[i].size = sz[i];
  EXPECT_EQ(order(m, {{K::arrival, false}}), (V{1, 3, 2, 4, 5}));
  // REVERSE reverses the key only; ties stay in sequence order.
  EXPECT_EQ(order(m, {{K::arrival, true}}), (V{2, 4, 5, 3, 1}));
  EXPECT_EQ(order(m, {{K::arrival, false}, {K::size, true}}), (V{1, 3, 5, 4, 2}));
  EXPECT_EQ(order(m, {{K::size, false}}), (V{1, 2, 3, 4, 5}));
  EXPECT_EQ(order(m, {{K::size, true}, {K::arrival, true}}), (V{5, 4, 3, 2, 1}));
}

TEST(SortOrder, StringKeysCompareAsBytes) {
  std::vector<Msg> m(4);
  m[0].keys.subject = "B";
  m[1].keys.subject = "";
  m[2].keys.subject = "_";
  m[3].keys.subject = "B";
  m[0].keys.from = "Z";
  m[1].keys.from = "A";
  m[2].keys.from = "A";
  m[3].keys.from = "B";
  m[0].keys.display_to = "X";
  m[3].keys.display_to = "A";
  m[2].keys.cc = "C";
  m[1].keys.to = "T";
  m[0].keys.display_from = "D";
  EXPECT_EQ(order(m, {{K::subject, false}}), (V{2, 1, 4, 3}));
  EXPECT_EQ(order(m, {{K::subject, true}}), (V{3, 1, 4, 2}));
  EXPECT_EQ(order(m, {{K::from, false}}), (V{2, 3, 4, 1}));
  EXPECT_EQ(order(m, {{K::from, false}, {K::subject, true}}), (V{3, 2, 4, 1}));
  EXPECT_EQ(order(m, {{K::display_to, false}}), (V{2, 3, 4, 1}));
  EXPECT_EQ(order(m, {{K::cc, true}}), (V{3, 1, 2, 4}));
  EXPECT_EQ(order(m, {{K::to, false}}), (V{1, 3, 4, 2}));
  EXPECT_EQ(order(m, {{K::display_from, true}}), (V{1, 2, 3, 4}));
}

// The store's SortTable ranks give the order the strings give: random keys from a small
// alphabet (many ties, empty keys), every string criterion alone and combined, REVERSE, and a
// row the table does not have (the empty key).
TEST(SortOrder, TableRanksOrderAsTheKeys) {
  std::vector<store::MessageSortKeys> table_rows(300);
  unsigned seed = 7;
  auto next = [&seed] { return seed = seed * 1103515245u + 12345u; };
  auto word = [&] {
    std::string w;
    for (unsigned n = next() >> 16 & 3; n > 0; --n) w.push_back("abAB_\xc3"[(next() >> 16) % 6]);
    return w;
  };
  for (std::size_t i = 0; i < table_rows.size(); ++i) {
    auto& k = table_rows[i].keys;
    table_rows[i].uid = static_cast<store::Uid>(i + 1);
    k.subject = word();
    k.from = word();
    k.to = word();
    k.cc = word();
    k.display_from = word();
    k.display_to = word();
  }
  const store::SortTable table(table_rows);
  const store::SortKeys none;
  std::vector<SortRow> rows(table_rows.size() + 1);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    rows[i].seq = rows[i].number = static_cast<std::uint32_t>(i + 1);
    rows[i].arrival = static_cast<std::int64_t>(next() >> 16 & 7);
    if (i < table_rows.size()) {
      rows[i].keys = &table.rows()[i].keys;
      rows[i].table_row = static_cast<std::uint32_t>(i);
    } else {
      rows[i].keys = &none;  // not in the table: kNoSortRow
    }
  }
  const std::vector<std::vector<SortCriterion>> cases = {
      {{K::subject, false}},
      {{K::subject, true}},
      {{K::from, false}, {K::subject, true}},
      {{K::to, true}, {K::arrival, false}},
      {{K::cc, false}, {K::display_from, true}, {K::display_to, false}},
      {{K::arrival, true}, {K::display_to, false}},
  };
  for (const auto& criteria : cases) {
    std::vector<SortRow> by_keys = rows, by_ranks = rows;
    sort_rows(criteria, by_keys);
    sort_rows(criteria, by_ranks, &table);
    std::vector<std::uint32_t> a, b;
    for (const auto& r : by_keys) a.push_back(r.number);
    for (const auto& r : by_ranks) b.push_back(r.number);
    EXPECT_EQ(a, b);
  }
  // sort_positions_ranked (SORT by one string key, a counting sort of the ranks) gives the
  // order sort_rows gives, over every row and over a subset, the row outside the table too.
  const std::vector<SortCriterion> single = {
      {K::subject, false}, {K::from, true}, {K::cc, false}, {K::display_to, true}};
  for (const SortCriterion& criterion : single) {
    EXPECT_TRUE(sort_by_one_rank({criterion}));
    for (std::size_t step : {std::size_t{1}, std::size_t{3}}) {
      std::vector<SortRow> subset;
      std::vector<std::uint32_t> table_of;
      for (std::size_t i = 0; i < rows.size(); i += step) {
        subset.push_back(rows[i]);
        table_of.push_back(rows[i].table_row);
      }
      std::vector<SortRow> by_keys = subset;
      sort_rows({criterion}, by_keys);
      std::vector<std::uint32_t> a, b;
      for (const auto& r : by_keys) a.push_back(r.number);
      for (std::uint32_t p : sort_positions_ranked(criterion, table, table_of))
        b.push_back(subset[p].number);
      EXPECT_EQ(a, b);
    }
  }
  EXPECT_FALSE(sort_by_one_rank({{K::date, false}}));
  EXPECT_FALSE(sort_by_one_rank({{K::subject, false}, {K::arrival, false}}));
  EXPECT_EQ(table.uids().size(), table_rows.size());
  EXPECT_EQ(table.uids().back(), table_rows.back().uid);
  EXPECT_EQ(table.ranks(store::kSortThreadIds).size(), 0u);
  std::string memo;
  EXPECT_FALSE(table.recall("x", memo));
  for (int i = 0; i < 6; ++i) table.remember("k" + std::to_string(i), std::to_string(i));
  EXPECT_FALSE(table.recall("k0", memo));  // the oldest went
  ASSERT_TRUE(table.recall("k5", memo));
  EXPECT_EQ(memo, "5");
}

TEST(SortOrder, DateUsesTheRowsDate) {
  std::vector<Msg> m(3);
  m[0].date = 30;
  m[1].date = 10;
  m[2].date = 10;
  EXPECT_EQ(order(m, {{K::date, false}}), (V{2, 3, 1}));
  EXPECT_EQ(order(m, {{K::date, true}}), (V{1, 2, 3}));
  EXPECT_EQ(order(m, {{K::date, false}, {K::arrival, false}}), (V{2, 3, 1}));
}

TEST(SortOrder, FieldsNeeded) {
  EXPECT_EQ(sort_key_fields({{K::arrival, false}, {K::size, true}}), 0u);
  EXPECT_FALSE(sort_needs_store({{K::arrival, false}, {K::size, true}}));
  EXPECT_TRUE(sort_needs_store({{K::date, false}}));
  EXPECT_EQ(sort_key_fields({{K::subject, false}, {K::display_to, true}}),
            unsigned{store::kSortSubject | store::kSortDisplayTo});
}

TEST(SortAnswer, PlainAndEsort) {
  EXPECT_EQ(format_sort({}), "* SORT\r\n");
  EXPECT_EQ(format_sort({3, 1, 2}), "* SORT 3 1 2\r\n");
  EXPECT_EQ(ordered_sequence_set({5, 3, 4, 2, 1}), "5,3:4,2,1");
  EXPECT_EQ(ordered_sequence_set({1, 2, 3, 4, 5}), "1:5");
  EXPECT_EQ(ordered_sequence_set({}), "");
  SearchReturn r;
  r.specified = true;
  EXPECT_EQ(format_esort("a", false, r, {5, 3, 4}), "* ESEARCH (TAG \"a\") ALL 5,3:4\r\n");
  r.min = r.max = r.count = true;
  EXPECT_EQ(format_esort("a", true, r, {5, 3, 4}),
            "* ESEARCH (TAG \"a\") UID MIN 5 MAX 4 COUNT 3\r\n");
  EXPECT_EQ(format_esort("a", false, r, {}), "* ESEARCH (TAG \"a\") COUNT 0\r\n");
}

TEST(PartialAnswer, Windows) {
  // imaptest sort-partial / search-partial over 5 results.
  SearchReturn r;
  r.specified = r.partial = true;
  auto win = [&](std::int32_t a, std::int32_t b) {
    r.partial_first = a;
    r.partial_last = b;
    return partial_window(r, 5);
  };
  using W = std::pair<std::size_t, std::size_t>;
  EXPECT_EQ(win(1, 1), (W{0, 1}));
  EXPECT_EQ(win(2, 4), (W{1, 4}));
  EXPECT_EQ(win(1, 6), (W{0, 5}));
  EXPECT_EQ(win(6, 6).first, win(6, 6).second);
  EXPECT_EQ(win(-1, -1), (W{4, 5}));
  EXPECT_EQ(win(-2, -3), (W{2, 4}));
  EXPECT_EQ(win(-1, -100), (W{0, 5}));
  EXPECT_EQ(win(-6, -9).first, win(-6, -9).second);
  r.partial_first = 2;
  r.partial_last = 4;
  EXPECT_EQ(format_esort("t", false, r, {5, 4, 3, 2, 1}),
            "* ESEARCH (TAG \"t\") PARTIAL (2:4 4,3,2)\r\n");
  EXPECT_EQ(format_esearch("t", false, r, {1, 2, 4, 5}),
            "* ESEARCH (TAG \"t\") PARTIAL (2:4 2,4:5)\r\n");
  r.partial_first = 6;
  r.partial_last = 6;
  EXPECT_EQ(format_esearch("t", true, r, {1, 2, 3, 4, 5}),
            "* ESEARCH (TAG \"t\") UID PARTIAL (6:6 NIL)\r\n");
  r.partial_first = -1;
  r.partial_last = -2;
  r.count = true;
  EXPECT_EQ(format_esearch("t", false, r, {1, 2, 3, 4, 5}),
            "* ESEARCH (TAG \"t\") COUNT 5 PARTIAL (-1:-2 4:5)\r\n");
}

// ---- threading ---------------------------------------------------------------------------

struct TMsg {
  std::string id, refs, subject;
  std::int64_t date = 0;
  bool reply = false;
};

std::string thread(const std::vector<TMsg>& msgs, bool refs) {
  std::vector<store::SortKeys> keys(msgs.size());
  std::vector<ThreadRow> rows;
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    keys[i].message_id = msgs[i].id;
    keys[i].references = msgs[i].refs;
    keys[i].subject = msgs[i].subject;
    keys[i].reply = msgs[i].reply;
  }
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    ThreadRow r;
    r.seq = static_cast<std::uint32_t>(i + 1);
    r.number = r.seq;
    r.date = msgs[i].date;
    r.keys = &keys[i];
    rows.push_back(r);
  }
  return refs ? thread_references(rows) : thread_ordered_subject(rows);
}

TEST(ThreadReferences, ImaptestThread) {
  // imaptest "thread": 1 <a> (17:06); 2 <b> refs <a> <c> (15:06); 3 <c> refs <b> (16:06).
  // 1B for 2 links a -> c, 1C makes c -> b. For 3, 1C unlinks c from a and would link
  // b -> c, but b is c's child (a loop): c stays a root. Roots c (16:06) and a (17:06).
  EXPECT_EQ(thread({{"a@b", "", "", 17}, {"b@b", "a@b c@b", "", 15}, {"c@b", "b@b", "", 16}}, true),
            "(3 2)(1)");
  // After expunging 1: 1 <b> refs a c, 2 <c> refs b: the same, without a (a dummy, pruned).
  EXPECT_EQ(thread({{"b@b", "a@b c@b", "", 15}, {"c@b", "b@b", "", 16}}, true), "(2 1)");
}

TEST(ThreadReferences, DuplicateIdsAndSubjects) {
  // thread2: the same id twice: the second message is treated as having none.
  EXPECT_EQ(thread({{"a@b", "", "", 1}, {"a@b", "", "", 1}}, true), "(1)(2)");
  // thread3: the same id, "foo" and "Re: foo": step 5 puts the reply under the original.
  EXPECT_EQ(thread({{"a@b", "", "FOO", 1}, {"a@b", "", "FOO", 2, true}}, true), "(1 2)");
  // thread4: 2 refs a missing <c>: the dummy c is pruned (one child promoted), then the
  // subjects gather 2 ("Re: foo") under 1 ("foo").
  EXPECT_EQ(thread({{"a@b", "", "FOO", 1}, {"b@b", "c@b", "FOO", 2, true}}, true), "(1 2)");
  // thread6: two messages without ids referencing a missing <a>: a dummy root with two
  // children stays.
  EXPECT_EQ(thread({{"", "a@b", "", 1}, {"", "a@b", "", 2}}, true), "((1)(2))");
}

TEST(ThreadReferences, DuplicateChildAndReordering) {
  // thread7: 1 <a>; 2 <b> refs a; 3 <c> refs b; 4 <b> again refs a (no id of its own, child
  // of a). Children of 1: 2 and 4 (same date: sequence order).
  EXPECT_EQ(
      thread(
          {{"a@b", "", "", 1}, {"b@b", "a@b", "", 1}, {"c@b", "b@b", "", 1}, {"b@b", "a@b", "", 1}},
          true),
      "(1 (2 3)(4))");
  // After expunging 2: 1 <a>; 2 <c> refs b (a dummy until 3 fills it); 3 <b> refs a.
  EXPECT_EQ(thread({{"a@b", "", "", 1}, {"c@b", "b@b", "", 1}, {"b@b", "a@b", "", 1}}, true),
            "(1 3 2)");
}

TEST(ThreadReferences, SiblingsByDateAndDummyRoots) {
  // thread5: 1 <1> (late); 2, 3 in reply to 1; 4, 5 in reply to 2.
  EXPECT_EQ(
      thread(
          {{"1@b", "", "", 9}, {"2@b", "1@b", "", 1}, {"3@b", "1@b", "", 1}, {"4@b", "2@b", "", 1}},
          true),
      "(1 (2 4)(3))");
  // Without 1 and 2: 1 (was 3) under a dummy <1> (promoted), 2 and 3 under a dummy <2> with
  // two children (kept at the root).
  EXPECT_EQ(thread({{"3@b", "1@b", "", 1}, {"4@b", "2@b", "", 1}, {"5@b", "2@b", "", 1}}, true),
            "(1)((2)(3))");
  // Later messages first: siblings and roots by date, not by arrival.
  EXPECT_EQ(
      thread({{"r@x", "", "", 5}, {"a@x", "r@x", "", 9}, {"b@x", "r@x", "", 7}, {"s@x", "", "", 1}},
             true),
      "(4)(1 (3)(2))");
}

TEST(ThreadReferences, LoopsAndSelfReferences) {
  // A message referencing itself stays a root; two messages referencing each other: the
  // second's link would close a loop, so it unlinks from its old parent only.
  EXPECT_EQ(thread({{"a@x", "a@x", "", 1}}, true), "(1)");
  // 1 <a> refs b; 2 <b> refs a. 1: dummy b -> a. 2 fills b; 1C: b's parent is a, but a is
  // b's child: no link. b (2) is the root with child a (1).
  EXPECT_EQ(thread({{"a@x", "b@x", "", 1}, {"b@x", "a@x", "", 2}}, true), "(2 1)");
  // A References chain with a loop in it (x y x): the second x -> y link is refused.
  EXPECT_EQ(thread({{"m@x", "x@x y@x x@x", "", 1}, {"x@x", "", "", 0}}, true), "(2 1)");
}

TEST(ThreadReferences, SubjectGathering) {
  // Two roots with the same base subject, neither a reply: a new dummy holds both.
  EXPECT_EQ(thread({{"a@x", "", "HELLO", 1}, {"b@x", "", "HELLO", 2}}, true), "((1)(2))");
  // Two replies: likewise.
  EXPECT_EQ(thread({{"a@x", "", "HELLO", 1, true}, {"b@x", "", "HELLO", 2, true}}, true),
            "((1)(2))");
  // Reply first, original later: the original is in the table, the reply goes under it.
  EXPECT_EQ(thread({{"a@x", "", "HELLO", 1, true}, {"b@x", "", "HELLO", 2}}, true), "(2 1)");
  // Empty subjects are never gathered.
  EXPECT_EQ(thread({{"a@x", "", "", 1}, {"b@x", "", "", 2}}, true), "(1)(2)");
  // A dummy root (two replies to a missing message) gathers a same-subject message.
  EXPECT_EQ(
      thread({{"a@x", "z@x", "HI", 2, true}, {"b@x", "z@x", "HI", 3, true}, {"c@x", "", "HI", 1}},
             true),
      "((3)(1)(2))");
}

TEST(ThreadReferences, DeepChainDoesNotRecurse) {
  std::vector<TMsg> m;
  const int n = 20000;
  for (int i = 0; i < n; ++i)
    m.push_back({"m" + std::to_string(i), i ? "m" + std::to_string(i - 1) : "", "", i});
  std::string out = thread(m, true);
  EXPECT_EQ(out.substr(0, 8), "(1 2 3 4");
  EXPECT_EQ(out.back(), ')');
  EXPECT_EQ(std::count(out.begin(), out.end(), '('), 1);
}

TEST(ThreadOrderedSubject, ImaptestOrderedSubject2) {
  // imaptest thread-orderedsubject2: subjects a b a b a b a b with dates 10 9 8 7 30 29 ...:
  // b's thread starts with its earliest (4), a's with 3; the others are its children.
  EXPECT_EQ(thread({{"", "", "A", 10},
                    {"", "", "B", 9},
                    {"", "", "A", 8},
                    {"", "", "B", 7},
                    {"", "", "A", 30},
                    {"", "", "B", 29},
                    {"", "", "A", 28},
                    {"", "", "B", 27}},
                   false),
            "(4 (2)(8)(6))(3 (1)(7)(5))");
  EXPECT_EQ(thread({{"", "", "X", 1}, {"", "", "X", 2}}, false), "(1 2)");
  EXPECT_EQ(thread({{"", "", "", 1}, {"", "", "", 1}, {"", "", "Y", 0}}, false), "(3)(1 2)");
  EXPECT_EQ(thread({}, false), "");
}

}  // namespace
}  // namespace estafeta::imap
