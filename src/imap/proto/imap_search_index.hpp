// imap_search_index: a SEARCH planned with the store's full-text index
// (store::Account::fulltext_search). Each SUBJECT/FROM/TO/CC/BCC/BODY/TEXT key of the tree
// is asked of the index once; the evaluator (imap_search_eval) then takes the index's answer
// for the messages it covers and scans the others, so the results are those of the scan
// whether the index is current, partial or absent. The plan also narrows the messages to
// evaluate: an AND with an indexed key only needs that key's matches plus the messages the
// index does not cover, so a SEARCH TEXT on 100,000 messages evaluates its few hits, never
// the whole mailbox, and reads no message file the index answered for.
// Input: a parsed key tree (depth bounded by the parser). Memory: the index's matching UIDs
// per indexed key. Calls the store (blocking): runs where the session's store calls run.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "imap/proto/imap_command.hpp"
#include "store/api/store.hpp"

namespace estafeta::imap {

class SearchIndexPlan {
 public:
  // Asks `account`'s index for every key of `key` it may answer in mailbox `box`. A key the
  // index cannot answer (short string, no index, an error) is simply scanned.
  // String keys under FUZZY (RFC 6203) are asked with Account::fulltext_fuzzy.
  void prepare(store::Account& account, store::MailboxId box, const SearchKey& key,
               bool fuzzy = false);

  // The index's answer for key `k` on message `uid`, or nullopt: scan it.
  std::optional<bool> answer(const SearchKey& k, store::Uid uid) const;

  // For a string key under FUZZY: the index's score for `uid` (0: no match), or nullopt when
  // the index does not cover it; and the vocabulary variants of its words, for the scan.
  std::optional<int> fuzzy_score(const SearchKey& k, store::Uid uid) const;
  const std::vector<std::vector<std::string>>* fuzzy_variants(const SearchKey& k) const;

  // True when every key the index answers exactly covers `uid` (the message then needs only
  // what the other keys need: see skips()).
  bool covers(store::Uid uid) const;
  // True for a key the index answers exactly for the messages covers() is true of.
  bool skips(const SearchKey& k) const;
  bool empty() const { return answers_.empty(); }

  // The messages that can match `key`, as indexes i < count into the mailbox's messages
  // (whose UIDs, ascending, uid_at(i) gives), ascending; nullopt when the plan cannot narrow
  // them (every message may match).
  std::optional<std::vector<std::size_t>> candidates(
      const SearchKey& key, std::size_t count,
      const std::function<store::Uid(std::size_t)>& uid_at) const;

 private:
  struct Answer {
    const SearchKey* key = nullptr;
    store::FulltextResult result;
    bool fuzzy = false;
  };
  const Answer* find(const SearchKey& k) const;
  std::vector<Answer> answers_;
};

// The text field an indexed key searches, or nullopt for other keys.
std::optional<store::TextField> search_text_field(const SearchKey& k);

}  // namespace estafeta::imap
