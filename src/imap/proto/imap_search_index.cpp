// imap_search_index: see the header.
#include "imap/proto/imap_search_index.hpp"

#include <algorithm>
#include <limits>

#include "imap/proto/imap_search_eval.hpp"
#include "mime/mime_search_fuzzy.hpp"

namespace estafeta::imap {

namespace {

using Kind = SearchKey::Kind;
using store::Uid;

// Messages that may match: those in `list` (ascending) and every UID above `above`.
struct Candidates {
  std::vector<Uid> list;
  Uid above = std::numeric_limits<Uid>::max();
};

Candidates intersect(const Candidates& a, const Candidates& b) {
  Candidates out;
  out.above = std::max(a.above, b.above);
  auto in = [](const Candidates& c, Uid u) {
    return u > c.above || std::binary_search(c.list.begin(), c.list.end(), u);
  };
  for (Uid u : a.list)
    if (u <= out.above && in(b, u)) out.list.push_back(u);
  for (Uid u : b.list)
    if (u <= out.above && u > a.above) out.list.push_back(u);
  std::sort(out.list.begin(), out.list.end());
  out.list.erase(std::unique(out.list.begin(), out.list.end()), out.list.end());
  return out;
}

Candidates unite(const Candidates& a, const Candidates& b) {
  Candidates out;
  out.above = std::min(a.above, b.above);
  std::set_union(a.list.begin(), a.list.end(), b.list.begin(), b.list.end(),
                 std::back_inserter(out.list));
  out.list.erase(std::unique(out.list.begin(), out.list.end()), out.list.end());
  while (!out.list.empty() && out.list.back() > out.above) out.list.pop_back();
  return out;
}

}  // namespace

std::optional<store::TextField> search_text_field(const SearchKey& k) {
  switch (k.kind) {
    case Kind::subject:
      return store::TextField::subject;
    case Kind::from:
      return store::TextField::from;
    case Kind::to:
      return store::TextField::to;
    case Kind::cc:
      return store::TextField::cc;
    case Kind::bcc:
      return store::TextField::bcc;
    case Kind::body:
      return store::TextField::body;
    case Kind::text:
      return store::TextField::text;
    default:
      return std::nullopt;
  }
}

void SearchIndexPlan::prepare(store::Account& account, store::MailboxId box, const SearchKey& key,
                              bool fuzzy) {
  if (auto field = search_text_field(key)) {
    Answer a;
    a.key = &key;
    const std::string folded = search_fold(key.text);
    // Under FUZZY with words to look for (else the key is matched exactly, as the evaluator
    // does): the fuzzy answer, kept even when it covers nothing for its variants.
    if (fuzzy && !mime::fuzzy_query_words(folded).empty()) {
      a.fuzzy = true;
      if (!account.fulltext_fuzzy(box, *field, folded, a.result)) answers_.push_back(std::move(a));
    } else if (!account.fulltext_search(box, *field, folded, a.result) &&
               a.result.covered_through > 0) {
      answers_.push_back(std::move(a));
    }
  }
  for (const SearchKey& c : key.children)
    prepare(account, box, c, fuzzy || key.kind == Kind::fuzzy);
}

const SearchIndexPlan::Answer* SearchIndexPlan::find(const SearchKey& k) const {
  for (const Answer& a : answers_)
    if (a.key == &k) return &a;
  return nullptr;
}

std::optional<bool> SearchIndexPlan::answer(const SearchKey& k, Uid uid) const {
  const Answer* a = find(k);
  if (!a || a->fuzzy || !a->result.covers(uid)) return std::nullopt;
  bool listed = std::binary_search(a->result.uids.begin(), a->result.uids.end(), uid);
  if (a->result.exact) return listed;
  if (!listed) return false;  // not even a candidate
  return std::nullopt;        // a candidate: the scan confirms it
}

std::optional<int> SearchIndexPlan::fuzzy_score(const SearchKey& k, Uid uid) const {
  const Answer* a = find(k);
  if (!a || !a->fuzzy || !a->result.covers(uid)) return std::nullopt;
  const auto& uids = a->result.uids;
  auto it = std::lower_bound(uids.begin(), uids.end(), uid);
  if (it == uids.end() || *it != uid) return 0;
  auto i = static_cast<std::size_t>(it - uids.begin());
  return i < a->result.scores.size() ? a->result.scores[i] : 100;
}

const std::vector<std::vector<std::string>>* SearchIndexPlan::fuzzy_variants(
    const SearchKey& k) const {
  const Answer* a = find(k);
  return a && a->fuzzy ? &a->result.variants : nullptr;
}

bool SearchIndexPlan::covers(Uid uid) const {
  for (const Answer& a : answers_)
    if (a.result.exact && !a.result.covers(uid)) return false;
  return true;
}

bool SearchIndexPlan::skips(const SearchKey& k) const {
  const Answer* a = find(k);
  return a && a->result.exact;
}

namespace {

std::optional<Candidates> narrow(
    const SearchIndexPlan& plan, const SearchKey& k,
    const std::vector<std::pair<const SearchKey*, const store::FulltextResult*>>& rs) {
  for (const auto& [key, r] : rs) {
    if (key != &k) continue;
    Candidates c;
    c.above = r->covered_through;
    std::set_union(r->uids.begin(), r->uids.end(), r->not_covered.begin(), r->not_covered.end(),
                   std::back_inserter(c.list));
    c.list.erase(std::unique(c.list.begin(), c.list.end()), c.list.end());
    return c;
  }
  if (k.kind == Kind::fuzzy && k.children.size() == 1) return narrow(plan, k.children[0], rs);
  if (k.kind == Kind::and_) {
    std::optional<Candidates> out;
    for (const SearchKey& child : k.children) {
      auto c = narrow(plan, child, rs);
      if (!c) continue;
      out = out ? intersect(*out, *c) : std::move(*c);
    }
    return out;
  }
  if (k.kind == Kind::or_ && k.children.size() == 2) {
    auto a = narrow(plan, k.children[0], rs);
    if (!a) return std::nullopt;
    auto b = narrow(plan, k.children[1], rs);
    if (!b) return std::nullopt;
    return unite(*a, *b);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::vector<std::size_t>> SearchIndexPlan::candidates(
    const SearchKey& key, std::size_t count, const std::function<Uid(std::size_t)>& uid_at) const {
  if (answers_.empty()) return std::nullopt;
  std::vector<std::pair<const SearchKey*, const store::FulltextResult*>> rs;
  for (const Answer& a : answers_) rs.emplace_back(a.key, &a.result);
  auto c = narrow(*this, key, rs);
  if (!c) return std::nullopt;
  // Binary searches over the mailbox: O(candidates · log messages), never O(messages).
  auto lower = [&](Uid u) {
    std::size_t lo = 0, hi = count;
    while (lo < hi) {
      std::size_t mid = lo + (hi - lo) / 2;
      if (uid_at(mid) < u)
        lo = mid + 1;
      else
        hi = mid;
    }
    return lo;
  };
  std::vector<std::size_t> out;
  for (Uid u : c->list) {
    if (u > c->above) break;
    std::size_t i = lower(u);
    if (i < count && uid_at(i) == u) out.push_back(i);
  }
  if (c->above < std::numeric_limits<Uid>::max())
    for (std::size_t i = lower(c->above + 1); i < count; ++i) out.push_back(i);
  return out;
}

}  // namespace estafeta::imap
