// imap_search_eval: see the header.
#include "imap/proto/imap_search_eval.hpp"

#include <algorithm>
#include <span>

#include "imap/proto/imap_response_strings.hpp"
#include "imap/proto/imap_search_index.hpp"
#include "imap/proto/imap_sequence.hpp"
#include "mime/mime_address.hpp"
#include "mime/mime_body.hpp"
#include "mime/mime_header.hpp"
#include "mime/mime_parser.hpp"
#include "mime/mime_search_fuzzy.hpp"
#include "mime/mime_search_text.hpp"

namespace estafeta::imap {

namespace {

using Kind = SearchKey::Kind;

// ---- matching helpers --------------------------------------------------------------------

// Day number (days since 1970-01-01) of `t` seen in the zone `tz_minutes` east of UTC.
std::int64_t day_of(std::int64_t t, std::int32_t tz_minutes) {
  std::int64_t local = t + static_cast<std::int64_t>(tz_minutes) * 60;
  return local >= 0 ? local / 86400 : (local - 86399) / 86400;
}

bool compare_day(Kind k, std::int64_t day, std::int64_t key) {
  switch (k) {
    case Kind::before:
    case Kind::sent_before:
    case Kind::save_date_before:
      return day < key;
    case Kind::on:
    case Kind::sent_on:
    case Kind::save_date_on:
      return day == key;
    default:  // since
      return day >= key;
  }
}

bool in_set(const SequenceSet& set, std::uint32_t n, std::uint32_t max, store::Uid uid,
            const SearchContext& ctx) {
  if (set.saved) {  // RFC 5182: "$" is the saved result, kept as UIDs
    if (!ctx.saved) return false;
    return std::binary_search(ctx.saved->begin(), ctx.saved->end(), uid);
  }
  return sequence_set_contains(set, n, max);  // '*' = max, "4:2" = "2:4"
}

std::string_view header_field_name(Kind k) {
  switch (k) {
    case Kind::bcc:
      return "Bcc";
    case Kind::cc:
      return "Cc";
    case Kind::from:
      return "From";
    case Kind::subject:
      return "Subject";
    case Kind::to:
      return "To";
    default:
      return {};
  }
}

// Matches one message; the header fields and folded texts are worked out once per message.
using SetMatchers = std::vector<std::pair<const SearchKey*, SequenceMatcher>>;

class Matcher {
 public:
  Matcher(const SearchMessage& m, const SearchContext& ctx, const SetMatchers* sets = nullptr)
      : m_(m), ctx_(ctx), sets_(sets) {}

  bool match(const SearchKey& k) {
    const store::MessageInfo& info = *m_.info;
    const std::uint8_t sys = info.flags.system;
    switch (k.kind) {
      case Kind::all:
      case Kind::save_date_supported:  // RFC 8514 §4.2: the mailbox supports SAVEDATE
        return true;
      case Kind::answered:
        return sys & store::kAnswered;
      case Kind::deleted:
        return sys & store::kDeleted;
      case Kind::draft:
        return sys & store::kDraft;
      case Kind::flagged:
        return sys & store::kFlagged;
      case Kind::seen:
        return sys & store::kSeen;
      case Kind::unanswered:
        return !(sys & store::kAnswered);
      case Kind::undeleted:
        return !(sys & store::kDeleted);
      case Kind::undraft:
        return !(sys & store::kDraft);
      case Kind::unflagged:
        return !(sys & store::kFlagged);
      case Kind::unseen:
        return !(sys & store::kSeen);
      case Kind::recent:
        return m_.recent;
      case Kind::new_:  // RFC 3501 §6.4.4: RECENT UNSEEN
        return m_.recent && !(sys & store::kSeen);
      case Kind::old:
        return !m_.recent;
      case Kind::keyword:
      case Kind::unkeyword: {
        bool has = std::any_of(info.flags.keywords.begin(), info.flags.keywords.end(),
                               [&](const std::string& w) { return mime::iequals(w, k.text); });
        return k.kind == Kind::keyword ? has : !has;
      }
      case Kind::subject:
        if (auto f = fuzzy_match(k)) return *f;
        if (auto a = indexed(k)) return *a;
        return header_contains(header_field_name(k.kind), k.text, false);
      case Kind::bcc:
      case Kind::cc:
      case Kind::from:
      case Kind::to:
        if (auto f = fuzzy_match(k)) return *f;
        if (auto a = indexed(k)) return *a;
        return header_contains(header_field_name(k.kind), k.text, false) ||
               address_contains(header_field_name(k.kind), k.text);
      case Kind::header:
        return header_contains(k.field, k.text, true);
      case Kind::body:
        if (auto f = fuzzy_match(k)) return *f;
        if (auto a = indexed(k)) return *a;
        return body_contains(search_fold(k.text));
      case Kind::text: {
        if (auto f = fuzzy_match(k)) return *f;
        if (auto a = indexed(k)) return *a;
        std::string needle = search_fold(k.text);
        return headers_contain(needle) || body_contains(needle);
      }
      case Kind::before:
      case Kind::on:
      case Kind::since:
        // RFC 9051 §6.4.4: the internal date's day, "disregarding time and timezone", taken
        // in the server's zone as Dovecot does.
        return compare_day(k.kind, day_of(info.internal_date, ctx_.server_tz), k.date);
      case Kind::sent_before:
      case Kind::sent_on:
      case Kind::sent_since: {
        // The Date: field's own day in its own zone. A message without a usable Date: is
        // dated 1970-01-01 (sent_date 0), as Dovecot dates it: before any SENTBEFORE day.
        const store::CachedFields& c = cached();
        return compare_day(k.kind, day_of(c.sent_date, c.sent_date ? c.sent_tz : 0), k.date);
      }
      case Kind::save_date_before:
      case Kind::save_date_on:
      case Kind::save_date_since: {
        std::int64_t t = info.save_date != 0 ? info.save_date : info.internal_date;
        return compare_day(k.kind, day_of(t, ctx_.server_tz), k.date);
      }
      case Kind::larger:
        return info.size > k.number;
      case Kind::smaller:
        return info.size < k.number;
      case Kind::uid:
        if (const SequenceMatcher* sm = prepared(k)) return sm->contains(info.uid);
        return in_set(k.set, info.uid, ctx_.max_uid, info.uid, ctx_);
      case Kind::sequence:
        if (const SequenceMatcher* sm = prepared(k)) return sm->contains(m_.seq);
        return in_set(k.set, m_.seq, ctx_.max_seq, info.uid, ctx_);
      case Kind::not_:
        return k.children.empty() || !match(k.children[0]);
      case Kind::or_:
        if (k.children.size() < 2) return !k.children.empty() && match(k.children[0]);
        return match(k.children[0]) || match(k.children[1]);
      case Kind::and_:
        for (const SearchKey& c : k.children)
          if (!match(c)) return false;
        return true;
      case Kind::modseq:
        return info.modseq >= k.number;  // RFC 7162 §3.1.5
      case Kind::older:                  // RFC 5032 §3
        return info.internal_date <= ctx_.now - static_cast<std::int64_t>(k.number);
      case Kind::younger:
        return info.internal_date > ctx_.now - static_cast<std::int64_t>(k.number);
      case Kind::email_id:
        return !info.email_id.empty() && info.email_id == k.text;
      case Kind::thread_id:  // RFC 8474 §6
        return !info.thread_id.empty() && info.thread_id == k.text;
      case Kind::fuzzy: {  // RFC 6203 §3, §5: string keys inside match fuzzily, others exactly
        if (k.children.empty()) return false;
        ++fuzzy_;
        bool r = match(k.children[0]);
        --fuzzy_;
        return r;
      }
    }
    return false;
  }

 private:
  // The SearchEvaluator's resolved form of a UID / sequence set key, if there is one.
  const SequenceMatcher* prepared(const SearchKey& k) const {
    if (!sets_ || k.set.saved) return nullptr;
    for (const auto& [key, matcher] : *sets_)
      if (key == &k) return &matcher;
    return nullptr;
  }

 public:
  // The relevancy of a match (search_matches): the mean of the FUZZY keys' scores, or 100.
  int relevancy() const {
    if (scores_.empty()) return 100;
    int sum = 0;
    for (int s : scores_) sum += s;
    return std::clamp(sum / static_cast<int>(scores_.size()), 1, 100);
  }

 private:
  // A string key under FUZZY (mime_search_fuzzy.hpp): the index's score for this message, or
  // the scan's over the same texts; nullopt when the key has no word long enough (then it is
  // matched exactly).
  std::optional<bool> fuzzy_match(const SearchKey& k) {
    if (fuzzy_ == 0) return std::nullopt;
    const std::vector<std::string> words = mime::fuzzy_query_words(search_fold(k.text));
    if (words.empty()) return std::nullopt;
    int score = -1;
    if (ctx_.index)
      if (auto s = ctx_.index->fuzzy_score(k, m_.info->uid)) score = *s;
    if (score < 0) {
      std::vector<std::string> units;
      switch (k.kind) {
        case Kind::body:
          if (message()) units.push_back(body_text());
          break;
        case Kind::text:
          units.push_back(all_headers());
          if (message()) units.push_back(body_text());
          break;
        default:
          for (const mime::HeaderField& f : fields()) {
            if (!mime::iequals(f.name, header_field_name(k.kind))) continue;
            units.push_back(mime::search_field_text(f));
            if (k.kind != Kind::subject) mime::search_address_texts(f, units);
          }
      }
      const std::vector<std::vector<std::string>>* variants =
          ctx_.index ? ctx_.index->fuzzy_variants(k) : nullptr;
      int sum = 0;
      for (std::size_t i = 0; i < words.size(); ++i) {
        static const std::vector<std::string> kNone;
        const std::vector<std::string>& v =
            variants && i < variants->size() ? (*variants)[i] : kNone;
        int s = mime::fuzzy_word_score(units, words[i], v);
        if (s == 0) {
          sum = 0;
          break;
        }
        sum += s;
      }
      score = sum / static_cast<int>(words.size());
    }
    if (score <= 0) return false;
    scores_.push_back(score);
    return true;
  }

  // TEXT's whole header text (every part's), folded once per message.
  const std::string& all_headers() {
    if (!headers_folded_) {
      headers_folded_.emplace();
      mime::append_search_fields(*headers_folded_, fields());
    }
    if (!part_headers_added_) {
      part_headers_added_ = true;
      if (const mime::Message* msg = message())
        for (std::size_t i = 1; i < msg->parts.size(); ++i)
          mime::append_search_fields(*headers_folded_, msg->fields_of(msg->parts[i]));
    }
    return *headers_folded_;
  }

  // BODY's text, folded once per message ("" when the message cannot be read).
  const std::string& body_text() {
    if (!body_folded_) {
      body_folded_.emplace();
      if (const mime::Message* msg = message()) *body_folded_ = mime::search_body_text(*msg);
    }
    return *body_folded_;
  }

  // The full-text index's answer for a string key, if it has one for this message.
  std::optional<bool> indexed(const SearchKey& k) const {
    if (!ctx_.index) return std::nullopt;
    return ctx_.index->answer(k, m_.info->uid);
  }

  // The top-level header fields: from the cached header, else from the parsed message.
  const std::vector<mime::HeaderField>& fields() {
    if (!fields_ready_) {
      fields_ready_ = true;
      const std::string& h = cached().header;
      if (!h.empty()) {
        fields_ = mime::parse_header_fields(h);
      } else if (const mime::Message* msg = message()) {
        auto f = msg->fields_of(msg->root());
        fields_.assign(f.begin(), f.end());
      }
    }
    return fields_;
  }

  // The cached fields; none when the session did not read them because the keys read the
  // message itself (TEXT, BODY: the top-level header then comes from the parsed message).
  const store::CachedFields& cached() const {
    static const store::CachedFields kNone;
    return m_.cached ? *m_.cached : kNone;
  }

  const mime::Message* message() {
    if (!message_tried_) {
      message_tried_ = true;
      if (m_.parsed) message_ = m_.parsed();
    }
    return message_;
  }

  bool header_contains(std::string_view name, std::string_view text, bool any_if_empty) {
    std::string needle = search_fold(text);
    for (const mime::HeaderField& f : fields()) {
      if (!mime::iequals(f.name, name)) continue;
      // RFC 9051 §6.4.4 HEADER: an empty string matches every message with the field.
      if (any_if_empty && needle.empty()) return true;
      if (mime::search_field_text(f).find(needle) != std::string::npos) return true;
    }
    return false;
  }

  // The addresses of the field as parsed, "name <local@domain>" (as Dovecot matches them):
  // "user@domain.org" finds <user (comment)@ (comment) domain.org>, whose raw text has
  // comments between the parts.
  bool address_contains(std::string_view name, std::string_view text) {
    std::string needle = search_fold(text);
    for (const mime::HeaderField& f : fields()) {
      if (!mime::iequals(f.name, name)) continue;
      std::vector<std::string> shown;
      mime::search_address_texts(f, shown);
      for (const std::string& a : shown)
        if (a.find(needle) != std::string::npos) return true;
    }
    return false;
  }

  // TEXT's header half: every header of the message, decoded — the top-level one and those
  // of the body parts and embedded messages (from the cache alone when the message cannot be
  // read).
  bool headers_contain(std::string_view needle) {
    if (!headers_folded_) {  // the top-level header first: no parse when it matches
      headers_folded_.emplace();
      mime::append_search_fields(*headers_folded_, fields());
      if (headers_folded_->find(needle) != std::string::npos) return true;
    }
    if (!part_headers_added_) {
      part_headers_added_ = true;
      if (const mime::Message* msg = message())
        for (std::size_t i = 1; i < msg->parts.size(); ++i)
          mime::append_search_fields(*headers_folded_, msg->fields_of(msg->parts[i]));
    }
    return headers_folded_->find(needle) != std::string::npos;
  }

  // BODY: the decoded text of the text parts (transfer encoding and charset removed),
  // embedded messages' text parts included, their headers not (as Dovecot searches), folded
  // once per message.
  bool body_contains(std::string_view needle) {
    if (!body_folded_) {
      body_folded_.emplace();
      const mime::Message* msg = message();
      if (!msg) return false;
      *body_folded_ = mime::search_body_text(*msg);
    }
    if (needle.empty()) return true;
    return body_folded_->find(needle) != std::string::npos;
  }

  const SearchMessage& m_;
  const SearchContext& ctx_;
  const SetMatchers* sets_;
  bool fields_ready_ = false;
  std::vector<mime::HeaderField> fields_;
  std::optional<std::string> headers_folded_;
  bool part_headers_added_ = false;
  std::optional<std::string> body_folded_;
  bool message_tried_ = false;
  const mime::Message* message_ = nullptr;
  int fuzzy_ = 0;            // FUZZY keys around the key being matched
  std::vector<int> scores_;  // of the FUZZY string keys that matched
};

void append_number(std::string& out, std::uint64_t n) {
  out.append(std::to_string(n));
}

}  // namespace

std::string search_fold(std::string_view s) {
  return mime::search_fold(s);
}

bool search_matches(const SearchKey& key, const SearchMessage& m, const SearchContext& ctx) {
  Matcher matcher(m, ctx);
  return matcher.match(key);
}

bool search_matches(const SearchKey& key, const SearchMessage& m, const SearchContext& ctx,
                    int* relevancy) {
  Matcher matcher(m, ctx);
  bool yes = matcher.match(key);
  if (yes && relevancy) *relevancy = matcher.relevancy();
  return yes;
}

namespace {

void prepare_sets(const SearchKey& k, const SearchContext& ctx, SetMatchers& out) {
  if ((k.kind == Kind::uid || k.kind == Kind::sequence) && !k.set.saved)
    out.emplace_back(&k, SequenceMatcher(k.set, k.kind == Kind::uid ? ctx.max_uid : ctx.max_seq));
  for (const SearchKey& c : k.children) prepare_sets(c, ctx, out);
}

}  // namespace

struct SearchEvaluator::Sets {
  SetMatchers matchers;
};

SearchEvaluator::SearchEvaluator(const SearchKey& key, const SearchContext& ctx)
    : key_(key), ctx_(ctx), sets_(std::make_unique<Sets>()) {
  prepare_sets(key, ctx, sets_->matchers);
}

SearchEvaluator::~SearchEvaluator() = default;

bool SearchEvaluator::matches(const SearchMessage& m, int* relevancy) const {
  Matcher matcher(m, ctx_, &sets_->matchers);
  bool yes = matcher.match(key_);
  if (yes && relevancy) *relevancy = matcher.relevancy();
  return yes;
}

bool search_has_fuzzy(const SearchKey& key) {
  if (key.kind == Kind::fuzzy) return true;
  for (const SearchKey& c : key.children)
    if (search_has_fuzzy(c)) return true;
  return false;
}

bool search_needs_message(const SearchKey& key) {
  if (key.kind == Kind::body || key.kind == Kind::text) return true;
  for (const SearchKey& c : key.children)
    if (search_needs_message(c)) return true;
  return false;
}

bool search_needs_message(const SearchKey& key, const std::function<bool(const SearchKey&)>& skip) {
  if (skip(key)) return false;
  if (key.kind == Kind::body || key.kind == Kind::text) return true;
  for (const SearchKey& c : key.children)
    if (search_needs_message(c, skip)) return true;
  return false;
}

bool search_reads_cache(const SearchKey& key) {
  switch (key.kind) {
    case Kind::bcc:
    case Kind::cc:
    case Kind::from:
    case Kind::subject:
    case Kind::to:
    case Kind::header:
    case Kind::body:
    case Kind::text:
    case Kind::sent_before:
    case Kind::sent_on:
    case Kind::sent_since:
      return true;
    default:
      return std::any_of(key.children.begin(), key.children.end(), search_reads_cache);
  }
}

bool search_uses_modseq(const SearchKey& key) {
  if (key.kind == Kind::modseq) return true;
  return std::any_of(key.children.begin(), key.children.end(), search_uses_modseq);
}

std::string compress_sequence_set(const std::vector<std::uint32_t>& v) {
  return compress_uids(v);  // imap_sequence: sorts, drops repeats, joins runs
}

std::string format_search(const std::vector<std::uint32_t>& numbers,
                          std::optional<store::ModSeq> modseq) {
  std::string out = "* SEARCH";
  for (std::uint32_t n : numbers) {
    out.push_back(' ');
    append_number(out, n);
  }
  // RFC 7162 §3.1.5: the highest MODSEQ of the matches, only when something matched.
  if (modseq && !numbers.empty()) {
    out.append(" (MODSEQ ");
    append_number(out, *modseq);
    out.push_back(')');
  }
  out.append("\r\n");
  return out;
}

std::string format_esearch(std::string_view tag, bool uid, const SearchReturn& ret,
                           const std::vector<std::uint32_t>& numbers,
                           std::optional<store::ModSeq> modseq,
                           const std::vector<std::uint8_t>* relevancy) {
  bool min = ret.min, max = ret.max, all = ret.all, count = ret.count;
  if (!min && !max && !all && !count && !ret.partial && !(ret.relevancy && relevancy)) {
    if (ret.update) {
      // RFC 5267 §4.3: UPDATE alone answers with the correlator only (as Dovecot), the
      // updates follow.
    } else if (ret.save) {
      return {};  // RFC 5182 §2.4: SAVE alone gives no ESEARCH response
    } else {
      all = true;  // RFC 4731 §3.1: RETURN () means ALL
    }
  }
  std::string out = "* ESEARCH (TAG ";
  append_quoted(out, tag);
  out.push_back(')');
  if (uid) out.append(" UID");
  if (!numbers.empty()) {
    if (min) {
      out.append(" MIN ");
      append_number(out, numbers.front());
    }
    if (max) {
      out.append(" MAX ");
      append_number(out, numbers.back());
    }
  }
  if (all && !numbers.empty()) {  // in Dovecot's order: MIN MAX ALL COUNT
    out.append(" ALL ");
    out.append(compress_sequence_set(numbers));
  }
  if (count) {
    out.append(" COUNT ");
    append_number(out, numbers.size());
  }
  if (relevancy) {  // RFC 6203 §4: "RELEVANCY" SP score-list, in the order of the numbers
    out.append(" RELEVANCY (");
    for (std::size_t i = 0; i < relevancy->size(); ++i) {
      if (i) out.push_back(' ');
      append_number(out, (*relevancy)[i]);
    }
    out.push_back(')');
  }
  if (ret.partial) {  // RFC 9394 §3.1
    auto [b, e] = partial_window(ret, numbers.size());
    append_partial(out, ret,
                   compress_sequence_set(std::vector<std::uint32_t>(
                       numbers.begin() + static_cast<std::ptrdiff_t>(b),
                       numbers.begin() + static_cast<std::ptrdiff_t>(e))));
  }
  // RFC 7162 §3.1.5 / §3.2: MODSEQ in ESEARCH, only when something matched.
  if (modseq && !numbers.empty()) {
    out.append(" MODSEQ ");
    append_number(out, *modseq);
  }
  out.append("\r\n");
  return out;
}

std::pair<std::size_t, std::size_t> partial_window(const SearchReturn& ret, std::size_t n) {
  if (!ret.partial) return {0, n};
  if (ret.partial_first > 0) {
    const auto first = static_cast<std::size_t>(ret.partial_first) - 1;
    const auto last = std::min(n, static_cast<std::size_t>(ret.partial_last));
    return first < last ? std::pair{first, last} : std::pair{n, n};
  }
  // -a:-b (a <= b): the a-th to the b-th from the end.
  const auto a = static_cast<std::size_t>(-static_cast<std::int64_t>(ret.partial_first));
  const auto b = static_cast<std::size_t>(-static_cast<std::int64_t>(ret.partial_last));
  if (a > n) return {n, n};
  return {b >= n ? 0 : n - b, n - a + 1};
}

void append_partial(std::string& out, const SearchReturn& ret, std::string_view set) {
  out.append(" PARTIAL (");
  out.append(std::to_string(ret.partial_first));
  out.push_back(':');
  out.append(std::to_string(ret.partial_last));
  out.push_back(' ');
  out.append(set.empty() ? std::string_view("NIL") : set);
  out.push_back(')');
}

std::vector<store::Uid> search_saved_result(const SearchReturn& ret,
                                            const std::vector<store::Uid>& uids) {
  // RFC 5182 §2.4: with MIN and/or MAX (and neither ALL nor COUNT), only those are saved.
  if (uids.empty() || ret.all || ret.count || (!ret.min && !ret.max)) return uids;
  std::vector<store::Uid> out;
  if (ret.min) out.push_back(uids.front());
  if (ret.max && (!ret.min || uids.back() != uids.front())) out.push_back(uids.back());
  return out;
}

}  // namespace estafeta::imap
