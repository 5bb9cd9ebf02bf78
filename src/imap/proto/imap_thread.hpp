// imap_thread: THREAD=ORDEREDSUBJECT and THREAD=REFERENCES (RFC 5256 §2.2, §2.3) as pure
// functions over precomputed keys (store::SortKeys: folded base subject, reply flag,
// Message-ID, the References / In-Reply-To parents), and the "* THREAD ..." answer.
//
// Notes (REFERENCES, step by step as RFC 5256 §2.3 says):
// - 1A: a message with a Message-ID another message of the set already has, or with none,
//   gets a unique id of its own. 1B: the References ids are linked parent -> child in order,
//   never changing an existing link and never making a loop. 1C: the message's own container
//   leaves its old parent and becomes a child of its last reference (unless that would make
//   a loop: it then stays a root).
// - 4: dummies (ids only referenced) are pruned: with no children deleted; otherwise their
//   children are promoted, except at the root with more than one child.
// - 5: roots with the same non-empty base subject are gathered (a dummy preferred in the
//   table, then a non-reply); 6: siblings ordered by sent date (INTERNALDATE when none), ties
//   by sequence number; a dummy counts as its first child.
// Trust: keys derived from untrusted headers. Memory: O(messages + referenced ids); every
// walk is iterative (a 100,000-message References chain recurses nowhere). Never throws.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/api/store.hpp"

namespace estafeta::imap {

// One message to thread, in ascending sequence order.
struct ThreadRow {
  std::uint32_t seq = 0;                  // 1-based sequence number (the tie-break)
  std::uint32_t number = 0;               // what the answer shows (sequence number or UID)
  std::int64_t date = 0;                  // sent date, else INTERNALDATE
  const store::SortKeys* keys = nullptr;  // subject, reply, message_id, references; never null
};

// The thread list as it follows "* THREAD " ("(1)(2 (3)(4))"; "" when `rows` is empty).
std::string thread_ordered_subject(const std::vector<ThreadRow>& rows);
std::string thread_references(const std::vector<ThreadRow>& rows);

}  // namespace estafeta::imap
