// Tests of imap_search_eval: every key kind against real messages (encoded-word subjects,
// base64/QP/charset bodies), dates across zones, sets with '*' and '$', the lazy message
// accessor, case folding, and the SEARCH / ESEARCH answers.
#include "imap/proto/imap_search_eval.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "imap/proto/imap_search_parser.hpp"
#include "mime/mime_date.hpp"
#include "mime/mime_imap_section.hpp"
#include "mime/mime_parser.hpp"

namespace estafeta::imap {
namespace {

using Kind = SearchKey::Kind;

std::string read_corpus(std::string_view name) {
  std::ifstream in(
      std::filesystem::path(ESTAFETA_SOURCE_DIR) / "tests/corpus/mime" / std::string(name),
      std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Days since 1970-01-01 of a civil date (the form SearchKey::date takes).
std::int64_t day(int y, int m, int d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + static_cast<unsigned>(d) - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Msg {
  std::string bytes;
  mime::Message parsed;
  store::MessageInfo info;
  store::CachedFields cached;
  std::uint32_t seq = 1;
  bool recent = false;
  int parses = 0;

  explicit Msg(std::string b) : bytes(std::move(b)), parsed(mime::parse(bytes)) {
    info.uid = 10;
    info.size = bytes.size();
    info.modseq = 5;
    info.internal_date = 1795000000;  // 2026-11-18T11:06:40Z
    info.save_date = 1795000000;
    info.email_id = "Mabc";
    info.thread_id = "T0123456789abcdef";
    cached.header = std::string(parsed.header_bytes(parsed.root()));
    if (const mime::HeaderField* f = parsed.find_field(parsed.root(), "Date"))
      if (auto d = mime::parse_date(f->value)) {
        cached.sent_date = d->to_unix();
        cached.sent_tz = d->zone_minutes;
      }
  }

  SearchMessage sm() {
    SearchMessage m;
    m.seq = seq;
    m.info = &info;
    m.cached = &cached;
    m.recent = recent;
    m.parsed = [this]() {
      ++parses;
      return &parsed;
    };
    return m;
  }
};

SearchKey key(Kind k) {
  SearchKey s;
  s.kind = k;
  return s;
}
SearchKey text(Kind k, std::string t, std::string field = {}) {
  SearchKey s = key(k);
  s.text = std::move(t);
  s.field = std::move(field);
  return s;
}
SearchKey date(Kind k, std::int64_t d) {
  SearchKey s = key(k);
  s.date = d;
  return s;
}
SearchKey number(Kind k, std::uint64_t n) {
  SearchKey s = key(k);
  s.number = n;
  return s;
}
SearchKey set(Kind k, std::vector<SeqRange> ranges, bool saved = false) {
  SearchKey s = key(k);
  s.set.ranges = std::move(ranges);
  s.set.saved = saved;
  return s;
}
SearchKey op(Kind k, std::vector<SearchKey> children) {
  SearchKey s = key(k);
  s.children = std::move(children);
  return s;
}

SearchContext ctx() {
  SearchContext c;
  c.max_seq = 20;
  c.max_uid = 300;
  c.now = 1795000000 + 3600;
  return c;
}

bool matches(Msg& m, const SearchKey& k, const SearchContext& c = ctx()) {
  return search_matches(k, m.sm(), c);
}

const char kSimple[] =
    "From: Alice Example <alice@example.org>\r\n"
    "To: bob@example.net, \"Carol\" <carol@example.com>\r\n"
    "Cc: dave@example.org\r\n"
    "Subject: Quarterly Report\r\n"
    "Date: Tue, 01 Dec 2026 23:30:00 -0800\r\n"
    "X-Priority: 1\r\n"
    "X-Empty:\r\n"
    "\r\n"
    "Numbers are UP this quarter.\r\n";

TEST(ImapSearchEval, Fold) {
  EXPECT_EQ(search_fold("HeLLo"), "hello");
  // Lower case, then decomposed (NFKD) as i;unicode-casemap does: "Ä" is "a" + U+0308.
  EXPECT_EQ(search_fold("\xc3\x84\xc3\x96\xc3\x9c\xc3\x9f"), "a\xcc\x88o\xcc\x88u\xcc\x88\xc3\x9f");
  EXPECT_EQ(search_fold("\xd0\x9f\xd0\xa0\xd0\x98"), "\xd0\xbf\xd1\x80\xd0\xb8");  // ПРИ -> при
  EXPECT_EQ(search_fold("\xce\xa3\xce\x9f\xcf\x82"), "\xcf\x83\xce\xbf\xcf\x83");  // ΣΟς -> σοσ
  EXPECT_EQ(search_fold("\xc5\x81\xc3\xb3"
                        "d\xc5\xba"),
            "\xc5\x82o\xcc\x81"
            "dz\xcc\x81");                                    // Łódź: ł has no decomposition
  EXPECT_EQ(search_fold("\xef\xac\x81\xef\xbc\xa1"), "fia");  // ﬁ Ａ
  EXPECT_EQ(search_fold("bad\xff\xc3"), "bad\xff\xc3");       // ill-formed bytes kept
  // "c" finds "ç" (as in Dovecot), "cafe" finds "Café".
  EXPECT_NE(search_fold("Fran\xc3\xa7ois").find("c"), std::string::npos);
  EXPECT_NE(search_fold("Caf\xc3\xa9").find(search_fold("CAFE")), std::string::npos);
  EXPECT_NE(search_fold("Caf\xc3\xa9").find(search_fold("CAF\xc3\x89")), std::string::npos);
}

TEST(ImapSearchEval, FlagsAndKeywords) {
  Msg m(kSimple);
  m.info.flags.system = store::kSeen | store::kFlagged;
  m.info.flags.keywords = {"$Forwarded"};
  EXPECT_TRUE(matches(m, key(Kind::all)));
  EXPECT_TRUE(matches(m, key(Kind::seen)));
  EXPECT_TRUE(matches(m, key(Kind::flagged)));
  EXPECT_FALSE(matches(m, key(Kind::answered)));
  EXPECT_FALSE(matches(m, key(Kind::deleted)));
  EXPECT_FALSE(matches(m, key(Kind::draft)));
  EXPECT_TRUE(matches(m, key(Kind::unanswered)));
  EXPECT_TRUE(matches(m, key(Kind::undeleted)));
  EXPECT_TRUE(matches(m, key(Kind::undraft)));
  EXPECT_FALSE(matches(m, key(Kind::unflagged)));
  EXPECT_FALSE(matches(m, key(Kind::unseen)));
  EXPECT_TRUE(matches(m, text(Kind::keyword, "$forwarded")));
  EXPECT_FALSE(matches(m, text(Kind::unkeyword, "$FORWARDED")));
  EXPECT_TRUE(matches(m, text(Kind::unkeyword, "Junk")));
  EXPECT_FALSE(matches(m, key(Kind::recent)));
  EXPECT_TRUE(matches(m, key(Kind::old)));
  EXPECT_FALSE(matches(m, key(Kind::new_)));
  m.recent = true;
  EXPECT_TRUE(matches(m, key(Kind::recent)));
  EXPECT_FALSE(matches(m, key(Kind::new_)));  // seen
  m.info.flags.system = 0;
  EXPECT_TRUE(matches(m, key(Kind::new_)));
  EXPECT_FALSE(matches(m, key(Kind::old)));
  EXPECT_EQ(m.parses, 0);
}

TEST(ImapSearchEval, HeaderKeysFromTheCache) {
  Msg m(kSimple);
  EXPECT_TRUE(matches(m, text(Kind::from, "ALICE")));
  EXPECT_TRUE(matches(m, text(Kind::from, "alice example")));
  EXPECT_FALSE(matches(m, text(Kind::from, "bob")));
  EXPECT_TRUE(matches(m, text(Kind::to, "carol@EXAMPLE.com")));
  EXPECT_TRUE(matches(m, text(Kind::cc, "dave")));
  EXPECT_FALSE(matches(m, text(Kind::bcc, "")));  // no Bcc field at all
  EXPECT_TRUE(matches(m, text(Kind::subject, "quarterly rep")));
  EXPECT_FALSE(matches(m, text(Kind::subject, "numbers")));
  EXPECT_TRUE(matches(m, text(Kind::header, "1", "x-priority")));
  EXPECT_TRUE(matches(m, text(Kind::header, "", "X-Empty")));  // RFC 9051: "" = has the field
  EXPECT_FALSE(matches(m, text(Kind::header, "", "X-Missing")));
  EXPECT_FALSE(matches(m, text(Kind::header, "2", "X-Priority")));
  EXPECT_EQ(m.parses, 0);
  // Without a cached header the parsed message answers.
  m.cached.header.clear();
  EXPECT_TRUE(matches(m, text(Kind::subject, "REPORT")));
  EXPECT_EQ(m.parses, 1);
}

TEST(ImapSearchEval, EncodedWordSubjects) {
  Msg m(read_corpus("24-charsets.eml"));
  // =?windows-1251?b?z/Do4uXy?= is "Привет"; matched in upper case.
  EXPECT_TRUE(matches(m, text(Kind::subject, "\xd0\x9f\xd0\xa0\xd0\x98\xd0\x92\xd0\x95\xd0\xa2")));
  EXPECT_TRUE(matches(m, text(Kind::subject, "\xe4\xbd\xa0\xe5\xa5\xbd")));  // 你好 (gb2312)
  EXPECT_TRUE(matches(m, text(Kind::subject, "\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab")));  // こんに
  EXPECT_FALSE(matches(m, text(Kind::subject, "z/Do4uXy")));  // not the raw encoded text
  EXPECT_EQ(m.parses, 0);
  // The body is windows-1252 QP: "=80 euro" is "€ euro".
  EXPECT_TRUE(matches(m, text(Kind::body, "\xe2\x82\xac EURO")));
  EXPECT_FALSE(matches(m, text(Kind::body, "=80")));
  EXPECT_EQ(m.parses, 2);  // once per search_matches() call: the caller caches the parse
}

TEST(ImapSearchEval, BodyAndTextDecoded) {
  Msg m(read_corpus("02-multipart-alternative.eml"));
  EXPECT_TRUE(matches(m, text(Kind::body, "caf\xc3\x89 AU LAIT")));  // QP, soft break
  EXPECT_TRUE(matches(m, text(Kind::body, "soft break")));           // joined by soft break
  EXPECT_TRUE(matches(m, text(Kind::body, "<b>caf\xc3\xa9</b>")));   // base64 HTML part
  EXPECT_FALSE(matches(m, text(Kind::body, "PGI+Q2Fmw6k8L2I+Cg")));  // not the raw base64
  EXPECT_FALSE(matches(m, text(Kind::body, "preamble")));            // not a text part
  EXPECT_FALSE(matches(m, text(Kind::body, "b@example.org")));       // header, not body
  EXPECT_TRUE(matches(m, text(Kind::text, "b@example.org")));
  EXPECT_TRUE(matches(m, text(Kind::text, "SUBJECT: ALT")));
  EXPECT_TRUE(matches(m, text(Kind::text, "au lait")));
  EXPECT_FALSE(matches(m, text(Kind::text, "nowhere to be found")));
  EXPECT_TRUE(search_needs_message(text(Kind::body, "x")));
  EXPECT_TRUE(search_needs_message(op(Kind::not_, {text(Kind::text, "x")})));
  EXPECT_FALSE(search_needs_message(op(Kind::or_, {text(Kind::subject, "x"), key(Kind::seen)})));
}

TEST(ImapSearchEval, EmbeddedMessageAndUnreadable) {
  Msg m(read_corpus("04-message-rfc822.eml"));
  // The embedded message's text is body; its header is found by TEXT, not BODY (as Dovecot).
  const mime::Part* inner = nullptr;
  for (const mime::Part& p : m.parsed.parts)
    if (p.has(mime::kPartEmbedded)) inner = &p;
  ASSERT_NE(inner, nullptr);
  const mime::HeaderField* subj = m.parsed.find_field(*inner, "Subject");
  ASSERT_NE(subj, nullptr);
  EXPECT_FALSE(matches(m, text(Kind::body, std::string(subj->value))));
  EXPECT_TRUE(matches(m, text(Kind::text, std::string(subj->value))));
  EXPECT_TRUE(matches(m, text(Kind::body, "See attached")));
  // An unreadable message matches no body key (and NOT BODY).
  Msg gone(kSimple);
  SearchMessage sm = gone.sm();
  sm.parsed = [] { return static_cast<const mime::Message*>(nullptr); };
  EXPECT_FALSE(search_matches(text(Kind::body, "up"), sm, ctx()));
  EXPECT_TRUE(search_matches(op(Kind::not_, {text(Kind::body, "up")}), sm, ctx()));
  EXPECT_TRUE(search_matches(text(Kind::subject, "report"), sm, ctx()));
}

TEST(ImapSearchEval, DatesAcrossZones) {
  Msg m(kSimple);
  // Date: 2026-12-01 23:30 -0800 (2026-12-02 07:30 UTC): its own day is 1 Dec.
  EXPECT_TRUE(matches(m, date(Kind::sent_on, day(2026, 12, 1))));
  EXPECT_FALSE(matches(m, date(Kind::sent_on, day(2026, 12, 2))));
  EXPECT_TRUE(matches(m, date(Kind::sent_before, day(2026, 12, 2))));
  EXPECT_FALSE(matches(m, date(Kind::sent_before, day(2026, 12, 1))));
  EXPECT_TRUE(matches(m, date(Kind::sent_since, day(2026, 12, 1))));
  EXPECT_FALSE(matches(m, date(Kind::sent_since, day(2026, 12, 2))));
  // INTERNALDATE 2026-12-01 23:30 UTC: 1 Dec in UTC, 2 Dec for a server at +01:00.
  m.info.internal_date = 1796167800;
  SearchContext utc = ctx();
  SearchContext cet = ctx();
  cet.server_tz = 60;
  EXPECT_TRUE(matches(m, date(Kind::on, day(2026, 12, 1)), utc));
  EXPECT_FALSE(matches(m, date(Kind::on, day(2026, 12, 1)), cet));
  EXPECT_TRUE(matches(m, date(Kind::on, day(2026, 12, 2)), cet));
  EXPECT_TRUE(matches(m, date(Kind::before, day(2026, 12, 2)), utc));
  EXPECT_FALSE(matches(m, date(Kind::before, day(2026, 12, 2)), cet));
  EXPECT_TRUE(matches(m, date(Kind::since, day(2026, 12, 2)), cet));
  EXPECT_FALSE(matches(m, date(Kind::since, day(2026, 12, 2)), utc));
  // A negative zone moves the day back.
  SearchContext pst = ctx();
  pst.server_tz = -480;
  EXPECT_TRUE(matches(m, date(Kind::on, day(2026, 12, 1)), pst));
  // No usable Date: sent on 1970-01-01, as Dovecot has it.
  m.cached.sent_date = 0;
  EXPECT_FALSE(matches(m, date(Kind::sent_on, day(2026, 12, 1))));
  EXPECT_TRUE(matches(m, date(Kind::sent_before, day(2005, 1, 1))));
  EXPECT_TRUE(matches(m, date(Kind::sent_on, day(1970, 1, 1))));
  // SAVEDATE keys; without a save date the internal date counts (RFC 8514).
  m.info.save_date = 1796167800 - 86400;
  EXPECT_TRUE(matches(m, date(Kind::save_date_on, day(2026, 11, 30))));
  EXPECT_TRUE(matches(m, date(Kind::save_date_before, day(2026, 12, 1))));
  EXPECT_FALSE(matches(m, date(Kind::save_date_since, day(2026, 12, 1))));
  m.info.save_date = 0;
  EXPECT_TRUE(matches(m, date(Kind::save_date_on, day(2026, 12, 1))));
  EXPECT_TRUE(matches(m, key(Kind::save_date_supported)));
  EXPECT_EQ(m.parses, 0);
}

TEST(ImapSearchEval, OlderYoungerSizeModseqIds) {
  Msg m(kSimple);
  SearchContext c = ctx();  // now = internal date + 3600
  EXPECT_TRUE(matches(m, number(Kind::older, 3600), c));
  EXPECT_FALSE(matches(m, number(Kind::older, 3601), c));
  EXPECT_FALSE(matches(m, number(Kind::younger, 3600), c));
  EXPECT_TRUE(matches(m, number(Kind::younger, 3601), c));
  m.info.size = 1000;
  EXPECT_TRUE(matches(m, number(Kind::larger, 999)));
  EXPECT_FALSE(matches(m, number(Kind::larger, 1000)));
  EXPECT_TRUE(matches(m, number(Kind::smaller, 1001)));
  EXPECT_FALSE(matches(m, number(Kind::smaller, 1000)));
  EXPECT_TRUE(matches(m, number(Kind::modseq, 5)));
  EXPECT_FALSE(matches(m, number(Kind::modseq, 6)));
  EXPECT_TRUE(search_uses_modseq(op(Kind::and_, {key(Kind::seen), number(Kind::modseq, 1)})));
  EXPECT_FALSE(search_uses_modseq(key(Kind::seen)));
  EXPECT_TRUE(matches(m, text(Kind::email_id, "Mabc")));
  EXPECT_FALSE(matches(m, text(Kind::email_id, "mabc")));
  // RFC 8474 §6 THREADID: the exact id (case-sensitive); never when the store has none.
  EXPECT_TRUE(matches(m, text(Kind::thread_id, "T0123456789abcdef")));
  EXPECT_FALSE(matches(m, text(Kind::thread_id, "T0123456789ABCDEF")));
  EXPECT_FALSE(matches(m, text(Kind::thread_id, "T1")));
  m.info.thread_id.clear();
  EXPECT_FALSE(matches(m, text(Kind::thread_id, "")));
}

TEST(ImapSearchEval, SetsStarAndSaved) {
  Msg m(kSimple);
  m.seq = 20;
  m.info.uid = 300;
  EXPECT_TRUE(matches(m, set(Kind::sequence, {{0, 0}})));   // *
  EXPECT_TRUE(matches(m, set(Kind::sequence, {{25, 0}})));  // 25:* is 20:25
  EXPECT_TRUE(matches(m, set(Kind::sequence, {{1, 3}, {18, 20}})));
  EXPECT_FALSE(matches(m, set(Kind::sequence, {{1, 19}})));
  EXPECT_TRUE(matches(m, set(Kind::uid, {{400, 0}})));  // UID 400:* always has the last
  EXPECT_TRUE(matches(m, set(Kind::uid, {{300, 1}})));  // reversed range
  EXPECT_FALSE(matches(m, set(Kind::uid, {{1, 299}})));
  std::vector<store::Uid> saved = {5, 300};
  SearchContext c = ctx();
  EXPECT_FALSE(matches(m, set(Kind::uid, {}, true), c));  // no saved result: empty
  c.saved = &saved;
  EXPECT_TRUE(matches(m, set(Kind::uid, {}, true), c));
  EXPECT_TRUE(matches(m, set(Kind::sequence, {}, true), c));
  saved = {5};
  EXPECT_FALSE(matches(m, set(Kind::sequence, {}, true), c));
}

// SearchEvaluator resolves sets once: the same answers as search_matches() for every message
// of a mailbox, '*' and reversed and overlapping ranges included.
TEST(ImapSearchEval, EvaluatorAgreesOnSets) {
  std::vector<SearchKey> keys = {
      set(Kind::sequence, {{0, 0}}),
      set(Kind::sequence, {{25, 0}}),
      set(Kind::sequence, {{1, 3}, {18, 20}, {2, 5}}),
      set(Kind::uid, {{400, 0}}),
      set(Kind::uid, {{300, 1}}),
      set(Kind::uid, {{15, 15}, {0, 20}, {7, 9}}),
      op(Kind::or_, {set(Kind::uid, {{1, 4}}), op(Kind::not_, {set(Kind::sequence, {{2, 0}})})}),
      set(Kind::uid, {}, true),
  };
  std::vector<store::Uid> saved = {3, 15};
  SearchContext c = ctx();
  c.max_seq = 20;
  c.max_uid = 300;
  c.saved = &saved;
  Msg m(kSimple);
  for (const SearchKey& k : keys) {
    SearchEvaluator eval(k, c);
    for (std::uint32_t seq = 1; seq <= 20; ++seq) {
      m.seq = seq;
      m.info.uid = seq == 20 ? 300 : seq * 3;
      EXPECT_EQ(eval.matches(m.sm()), search_matches(k, m.sm(), c)) << seq;
    }
  }
}

TEST(ImapSearchEval, BooleanOperators) {
  Msg m(kSimple);
  m.info.flags.system = store::kSeen;
  EXPECT_TRUE(matches(m, op(Kind::and_, {key(Kind::seen), text(Kind::subject, "report")})));
  EXPECT_FALSE(matches(m, op(Kind::and_, {key(Kind::seen), key(Kind::deleted)})));
  EXPECT_TRUE(matches(m, op(Kind::and_, {})));
  EXPECT_TRUE(matches(m, op(Kind::or_, {key(Kind::deleted), key(Kind::seen)})));
  EXPECT_FALSE(matches(m, op(Kind::or_, {key(Kind::deleted), key(Kind::draft)})));
  EXPECT_TRUE(matches(m, op(Kind::not_, {key(Kind::deleted)})));
  EXPECT_FALSE(matches(m, op(Kind::not_, {op(Kind::or_, {key(Kind::seen), key(Kind::draft)})})));
  // Body needed only when reached.
  EXPECT_TRUE(matches(m, op(Kind::or_, {key(Kind::seen), text(Kind::body, "x")})));
  EXPECT_EQ(m.parses, 0);
  EXPECT_TRUE(matches(m, op(Kind::and_, {text(Kind::body, "quarter"), text(Kind::text, "up")})));
  EXPECT_EQ(m.parses, 1);  // asked once per message
}

// Every key kind on every corpus message, alone and under NOT: no crash (ASan/UBSan), NOT is
// the complement, and header keys never parse the message when the header is cached.
TEST(ImapSearchEval, CorpusEveryKey) {
  std::vector<SearchKey> keys;
  for (int k = static_cast<int>(Kind::all); k <= static_cast<int>(Kind::thread_id); ++k) {
    SearchKey s = key(static_cast<Kind>(k));
    s.text = "e";
    s.field = "Subject";
    s.date = day(2026, 1, 1);
    s.number = 100;
    s.set.ranges = {{1, 0}};
    if (s.kind == Kind::not_ || s.kind == Kind::and_) s.children = {text(Kind::body, "a")};
    if (s.kind == Kind::or_) s.children = {text(Kind::subject, "a"), text(Kind::text, "b")};
    keys.push_back(s);
  }
  int evaluated = 0;
  for (const auto& e : std::filesystem::directory_iterator(
           std::filesystem::path(ESTAFETA_SOURCE_DIR) / "tests/corpus/mime")) {
    if (e.path().extension() != ".eml") continue;
    SCOPED_TRACE(e.path().filename().string());
    Msg m(read_corpus(e.path().filename().string()));
    for (const SearchKey& k : keys) {
      m.parses = 0;
      bool yes = matches(m, k);
      EXPECT_NE(yes, matches(m, op(Kind::not_, {k})));
      if (!search_needs_message(k) && !m.cached.header.empty()) {
        EXPECT_EQ(m.parses, 0);
      }
      if (!search_reads_cache(k)) {  // the same answer without the cache
        Msg bare(m.bytes);
        bare.info = m.info;
        bare.cached = {};
        bare.parses = 0;
        EXPECT_EQ(matches(bare, k), yes) << static_cast<int>(k.kind);
        EXPECT_EQ(bare.parses, 0);
      }
      ++evaluated;
    }
  }
  EXPECT_GT(evaluated, 1500);
}

// ---- answers -----------------------------------------------------------------------------

TEST(ImapSearchEval, CompressSet) {
  EXPECT_EQ(compress_sequence_set({}), "");
  EXPECT_EQ(compress_sequence_set({7}), "7");
  EXPECT_EQ(compress_sequence_set({1, 2, 3, 5, 7, 8}), "1:3,5,7:8");
  EXPECT_EQ(compress_sequence_set({1, 2, 2, 3, 9}), "1:3,9");
  EXPECT_EQ(compress_sequence_set({4294967294u, 4294967295u}), "4294967294:4294967295");
}

TEST(ImapSearchEval, PlainSearchAnswer) {
  EXPECT_EQ(format_search({}), "* SEARCH\r\n");
  EXPECT_EQ(format_search({2, 3, 5}), "* SEARCH 2 3 5\r\n");
  EXPECT_EQ(format_search({2, 3, 5}, 917162500), "* SEARCH 2 3 5 (MODSEQ 917162500)\r\n");
  EXPECT_EQ(format_search({}, 917162500), "* SEARCH\r\n");
}

TEST(ImapSearchEval, EsearchAnswer) {
  SearchReturn none;
  EXPECT_EQ(format_esearch("A282", false, none, {2, 10, 11}),
            "* ESEARCH (TAG \"A282\") ALL 2,10:11\r\n");
  SearchReturn mm;
  mm.specified = mm.min = mm.max = true;
  EXPECT_EQ(format_esearch("A285", true, mm, {7, 40, 3800}),
            "* ESEARCH (TAG \"A285\") UID MIN 7 MAX 3800\r\n");
  SearchReturn all;
  all.specified = all.min = all.max = all.count = all.all = true;
  EXPECT_EQ(format_esearch("t", true, all, {1, 2, 3, 9}, 55),
            "* ESEARCH (TAG \"t\") UID MIN 1 MAX 9 ALL 1:3,9 COUNT 4 MODSEQ 55\r\n");
  // Nothing matched: MIN, MAX, ALL and MODSEQ go, COUNT stays (RFC 4731 §3.1).
  EXPECT_EQ(format_esearch("t", true, all, {}, 55), "* ESEARCH (TAG \"t\") UID COUNT 0\r\n");
  EXPECT_EQ(format_esearch("t", false, none, {}), "* ESEARCH (TAG \"t\")\r\n");
  SearchReturn empty;
  empty.specified = true;  // RETURN (): ALL
  EXPECT_EQ(format_esearch("t", false, empty, {4}), "* ESEARCH (TAG \"t\") ALL 4\r\n");
  SearchReturn save;
  save.specified = save.save = true;
  EXPECT_EQ(format_esearch("t", false, save, {4}), "");  // RFC 5182: SAVE alone
  save.count = true;
  EXPECT_EQ(format_esearch("t", false, save, {4}), "* ESEARCH (TAG \"t\") COUNT 1\r\n");
}

TEST(ImapSearchEval, SavedResult) {
  std::vector<store::Uid> uids = {3, 8, 12};
  SearchReturn r;
  r.specified = r.save = true;
  EXPECT_EQ(search_saved_result(r, uids), uids);
  r.min = true;
  EXPECT_EQ(search_saved_result(r, uids), (std::vector<store::Uid>{3}));
  r.max = true;
  EXPECT_EQ(search_saved_result(r, uids), (std::vector<store::Uid>{3, 12}));
  EXPECT_EQ(search_saved_result(r, {8}), (std::vector<store::Uid>{8}));
  r.count = true;  // with COUNT (or ALL) every match is saved
  EXPECT_EQ(search_saved_result(r, uids), uids);
  EXPECT_EQ(search_saved_result(r, {}), (std::vector<store::Uid>{}));
}

// ---- against Dovecot ---------------------------------------------------------------------

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (true) {
    std::size_t t = line.find('\t', pos);
    out.push_back(line.substr(pos, t - pos));
    if (t == std::string::npos) return out;
    pos = t + 1;
  }
}

// Where we answer differently from Dovecot 2.3 on purpose: key -> why.
const std::map<std::string, std::string> kDovecotKnown = {
    // 11-latin1-8bit-junk: raw 8-bit Subject bytes that are not UTF-8 are read as
    // Windows-1252 ("Café"), as the message library decodes them; Dovecot cannot match them.
    {"SUBJECT café", "8-bit header read as Windows-1252"},
    {"SUBJECT CAFÉ", "8-bit header read as Windows-1252"},
    // 39-not-mime: no MIME-Version, so Content-Transfer-Encoding is ignored (RFC 2045 §4);
    // Dovecot decodes the base64 anyway.
    {"BODY hello", "not MIME"},
    // 22-message-global is a message (RFC 6532 §3.7): its header is not body; Dovecot treats
    // it as opaque text. 28-duplicate-content-type: the first Content-Type counts (text/html);
    // Dovecot's search takes the multipart one.
    {"BODY subject", "message/global"},
    {"NOT BODY x", "message/global, duplicate Content-Type"},
    // 12-obsolete-syntax is dated 13 Feb 1969: before the epoch, which Dovecot's search
    // cannot represent (it dates it in the future).
    {"SENTBEFORE 1-Jan-2005", "date before 1970"},
    {"SENTSINCE 1-Jan-2026", "date before 1970"},
    {"SENTBEFORE 28-Nov-2026", "date before 1970"},
    {"SENTSINCE 29-Nov-2026", "date before 1970"},
};

// Every key of tests/corpus/imap_search/make_goldens.py over the whole MIME corpus, parsed by
// the command parser and evaluated here: the same UIDs as Dovecot finds.
TEST(ImapSearchDovecot, CorpusMatchesDovecot) {
  std::ifstream in(std::filesystem::path(ESTAFETA_SOURCE_DIR) /
                   "tests/corpus/imap_search/dovecot.txt");
  std::vector<std::unique_ptr<Msg>> msgs;
  std::string line, report;
  int searches = 0;
  while (std::getline(in, line)) {
    std::vector<std::string> f = split_tabs(line);
    if (f[0] == "message") {
      auto m = std::make_unique<Msg>(read_corpus(f[2]));
      m->info.uid = static_cast<store::Uid>(std::stoul(f[1]));
      m->seq = m->info.uid;
      m->info.internal_date = std::stoll(f[3]);
      m->info.internal_tz = std::stoi(f[4]);
      mime::SectionBytes all;
      all.pieces.push_back(m->bytes);
      m->info.size = all.crlf_size();
      msgs.push_back(std::move(m));
      continue;
    }
    ASSERT_EQ(f.size(), 3u) << line;
    if (kDovecotKnown.count(f[1])) continue;
    ++searches;
    // UTF-8 words as literals, as make_goldens.py sent them.
    std::string key = f[1];
    std::size_t sp = key.rfind(' ');
    std::string word = key.substr(sp + 1);
    if (std::any_of(word.begin(), word.end(), [](char c) { return c & 0x80; }))
      key = key.substr(0, sp + 1) + "{" + std::to_string(word.size()) + "+}\r\n" + word;
    std::string error;
    std::optional<Search> search = parse_search_arguments("CHARSET UTF-8 " + key, Limits{}, &error);
    ASSERT_TRUE(search) << f[1] << ": " << error;
    SearchContext c;
    c.max_seq = static_cast<std::uint32_t>(msgs.size());
    c.max_uid = static_cast<store::Uid>(msgs.size());
    c.now = 1800000000;
    std::string got;
    SearchEvaluator eval(search->key, c);
    for (auto& m : msgs) {
      bool yes = eval.matches(m->sm());
      EXPECT_EQ(yes, search_matches(search->key, m->sm(), c)) << f[1];
      if (!yes) continue;
      if (!got.empty()) got.push_back(' ');
      got += std::to_string(m->info.uid);
    }
    if (got != f[2]) report += f[1] + "\n  dovecot: " + f[2] + "\n  ours:    " + got + "\n";
  }
  EXPECT_GE(msgs.size(), 40u);
  EXPECT_GE(searches, 60);
  EXPECT_EQ(report, "");
}

}  // namespace
}  // namespace estafeta::imap

namespace estafeta::imap {
namespace {

// FROM matches the parsed address too: comments between its parts do not hide it (found by
// imaptest's search-addresses script).
TEST(ImapSearchAddresses, ParsedAddressMatches) {
  store::CachedFields cached;
  cached.header = "From: <user-from (comment)@ (comment) domain.org>\r\nSubject: s\r\n\r\n";
  store::MessageInfo info;
  info.uid = 1;
  SearchMessage m;
  m.seq = 1;
  m.info = &info;
  m.cached = &cached;
  SearchContext ctx;
  ctx.max_seq = 1;
  ctx.max_uid = 1;
  SearchKey k;
  k.kind = SearchKey::Kind::from;
  k.text = "user-from@domain.org";
  EXPECT_TRUE(search_matches(k, m, ctx));
  k.text = "USER-FROM@DOMAIN";
  EXPECT_TRUE(search_matches(k, m, ctx));
  k.text = "other@domain.org";
  EXPECT_FALSE(search_matches(k, m, ctx));
}

}  // namespace
}  // namespace estafeta::imap
