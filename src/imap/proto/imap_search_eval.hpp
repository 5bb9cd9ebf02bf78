// imap_search_eval: SEARCH (RFC 9051 §6.4.4, RFC 3501 §6.4.4) evaluated for one message, and
// the answers: "* SEARCH ..." with "(MODSEQ n)" (RFC 7162 §3.1.5) and "* ESEARCH ..." (RFC 4731,
// RFC 5182 SAVE). No I/O: a key tree from the parser is matched against MessageInfo and
// CachedFields; the parsed message is asked for (lazily, at most once per message) only for
// BODY, TEXT and a HEADER / address key the cached header cannot answer.
//
// Notes:
// - Strings match as case-insensitive substrings, close to i;unicode-casemap (RFC 5051) as
//   Dovecot uses it: both sides UTF-8, lower-cased and NFKD-decomposed for Latin, Greek,
//   Cyrillic, ligatures and fullwidth forms (imap_search_eval_casemap.hpp), so "cafe" finds
//   "Café". Header keys search the RFC 2047-decoded value (mime::decoded_value) of every
//   top-level field of that name; HEADER with an empty string matches any message having the
//   field (RFC 9051 §6.4.4). BODY searches the text parts (embedded messages' ones too) with
//   transfer encoding and charset decoded (mime::text_body_utf8), not the headers of parts or
//   embedded messages; TEXT searches every header (top-level, parts, embedded messages) and
//   BODY's text. Checked against Dovecot's answers over the MIME corpus
//   (tests/corpus/imap_search).
// - Dates (a day, SearchKey::date): BEFORE/ON/SINCE compare INTERNALDATE's day in the
//   server's zone (SearchContext::server_tz); SENTBEFORE/SENTON/SENTSINCE compare the Date:
//   day in the message's own zone (CachedFields::sent_tz), as RFC 9051 §6.4.4 says
//   ("disregarding time and timezone"). A message without a usable Date: counts as sent on
//   1970-01-01, as Dovecot counts it. SAVEDATE* keys use the server's zone;
//   SAVEDATESUPPORTED matches every message (RFC 8514 §4.2).
// - '*' in a set is the largest sequence number / UID (SearchContext); "$" is the saved
//   result (RFC 5182), given as UIDs.
// Input is an untrusted key tree whose depth the parser bounds (imap_limits.hpp); evaluation
// recursion is that depth. Memory: decoded header values and text bodies of one message at a
// time. Never throws.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "imap/proto/imap_command.hpp"
#include "mime/mime_message.hpp"
#include "store/api/store.hpp"

namespace estafeta::imap {

class SearchIndexPlan;

// What is the same for every message of one SEARCH.
struct SearchContext {
  std::uint32_t max_seq = 0;  // messages in the mailbox: '*' in sequence sets
  store::Uid max_uid = 0;     // the largest UID in the mailbox: '*' in UID sets
  const std::vector<store::Uid>* saved = nullptr;  // "$" (RFC 5182), ascending UIDs; null =
                                                   // empty
  std::int64_t now = 0;        // seconds since the epoch, for OLDER/YOUNGER (RFC 5032)
  std::int32_t server_tz = 0;  // the server's zone, minutes east of UTC, for INTERNALDATE
                               // and SAVEDATE day comparisons
  // The full-text index's answers (imap_search_index.hpp): string keys it answers for a
  // message are not scanned. Null: every key is scanned.
  const SearchIndexPlan* index = nullptr;
};

// One message. `parsed` returns the parsed message (or nullptr when it cannot be read: keys
// that need it then do not match); it is called only when a key needs the bytes, and the
// caller caches the result (it may be called once per such key).
struct SearchMessage {
  std::uint32_t seq = 0;
  const store::MessageInfo* info = nullptr;  // required
  // Required unless every key that reads header fields is TEXT or BODY (they then take the
  // header from `parsed`, which they read anyway).
  const store::CachedFields* cached = nullptr;
  bool recent = false;  // in the session's \Recent set
  std::function<const mime::Message*()> parsed;
};

// True when `m` matches `key`.
bool search_matches(const SearchKey& key, const SearchMessage& m, const SearchContext& ctx);
// The same, and when it matches, its RFC 6203 relevancy (1..100) in `*relevancy`: the mean
// score of the FUZZY string keys that matched (mime/mime_search_fuzzy.hpp), 100 when none did.
bool search_matches(const SearchKey& key, const SearchMessage& m, const SearchContext& ctx,
                    int* relevancy);

// One SEARCH over many messages (a whole mailbox): the UID and sequence sets of the tree are
// resolved once against the context (imap_sequence.hpp SequenceMatcher), so that a key with
// thousands of ranges costs O(log ranges) per message instead of O(ranges). Same answers as
// search_matches(). `key` and `ctx` must outlive the evaluator. Memory: the merged ranges.
class SearchEvaluator {
 public:
  SearchEvaluator(const SearchKey& key, const SearchContext& ctx);
  ~SearchEvaluator();
  SearchEvaluator(const SearchEvaluator&) = delete;
  SearchEvaluator& operator=(const SearchEvaluator&) = delete;
  bool matches(const SearchMessage& m, int* relevancy = nullptr) const;

 private:
  struct Sets;
  const SearchKey& key_;
  const SearchContext& ctx_;
  std::unique_ptr<Sets> sets_;
};

// True when some key of the tree needs the message bytes (BODY, TEXT).
bool search_needs_message(const SearchKey& key);
// The same, leaving out the keys `skip` is true of (those the full-text index answers).
bool search_needs_message(const SearchKey& key, const std::function<bool(const SearchKey&)>& skip);
// True when some key of the tree reads CachedFields (header keys, SENT* dates, BODY, TEXT).
// When false, flags, sets, sizes, INTERNALDATE and MODSEQ answer alone: the caller may pass
// an empty CachedFields and skip the store's cache lookup.
bool search_reads_cache(const SearchKey& key);
// True when the tree has a FUZZY key (RFC 6203: RELEVANCY needs one).
bool search_has_fuzzy(const SearchKey& key);
// True when the tree has a MODSEQ key (the answer then carries the highest MODSEQ).
bool search_uses_modseq(const SearchKey& key);

// Lower-cases UTF-8 text for matching (ASCII and the common Unicode cases; other characters
// unchanged). Exposed for the tests and for the session's callers of the same rule.
std::string search_fold(std::string_view utf8);

// A set of ascending numbers compressed to sequence-set syntax: {1,2,3,5,7,8} -> "1:3,5,7:8".
std::string compress_sequence_set(const std::vector<std::uint32_t>& ascending);

// The plain answer "* SEARCH 2 3 5\r\n", with " (MODSEQ n)" when `modseq` is given and the
// list is not empty (RFC 7162 §3.1.5). `numbers` ascending.
std::string format_search(const std::vector<std::uint32_t>& numbers,
                          std::optional<store::ModSeq> modseq = std::nullopt);

// The ESEARCH answer (RFC 4731 §3.1), in Dovecot's order, with RELEVANCY (RFC 6203 §4: one
// score per number, in their order) after COUNT when `relevancy` is given:
// "* ESEARCH (TAG \"a1\") UID MIN 2 MAX 9 ALL 2,5,9 COUNT 3\r\n" with the return options
// asked (none = ALL); MIN, MAX and ALL are left out when nothing matched, COUNT stays;
// " MODSEQ n" last when `modseq` is given and something matched. Returns "" when only SAVE
// was asked (RFC 5182 §2.4: no ESEARCH response then).
std::string format_esearch(std::string_view tag, bool uid, const SearchReturn& ret,
                           const std::vector<std::uint32_t>& numbers,
                           std::optional<store::ModSeq> modseq = std::nullopt,
                           const std::vector<std::uint8_t>* relevancy = nullptr);

// PARTIAL (RFC 9394): the window [begin, end) of a result of `n` numbers that `ret` asks
// for (empty when it lies beyond the result).
std::pair<std::size_t, std::size_t> partial_window(const SearchReturn& ret, std::size_t n);
// " PARTIAL (<range> <set>)" with `set` ("NIL" when empty) as ESEARCH gives it.
void append_partial(std::string& out, const SearchReturn& ret, std::string_view set);

// What SAVE keeps (RFC 5182 §2.4): every match, or only MIN and/or MAX when those were asked
// with SAVE. `uids` ascending; returns ascending UIDs.
std::vector<store::Uid> search_saved_result(const SearchReturn& ret,
                                            const std::vector<store::Uid>& uids);

}  // namespace estafeta::imap
