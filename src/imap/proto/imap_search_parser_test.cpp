// imap_search_parser_test: every SEARCH key of RFC 9051 §6.4.4 and RFC 3501 §6.4.4 and of the
// extensions in imap_command.hpp, RETURN options, CHARSET, nesting and count limits, dates.
#include "imap/proto/imap_search_parser.hpp"

#include <gtest/gtest.h>

#include "imap/proto/imap_parser.hpp"

namespace estafeta::imap {
namespace {

using K = SearchKey::Kind;

Search ok(std::string_view text, const Limits& l = {}) {
  std::string err;
  auto s = parse_search_arguments(text, l, &err);
  EXPECT_TRUE(s) << text << " -> " << err;
  return s.value_or(Search{});
}

SearchKey key(std::string_view text) {
  return ok(text).key;
}

std::string bad(std::string_view text, const Limits& l = {}) {
  std::string err;
  auto s = parse_search_arguments(text, l, &err);
  EXPECT_FALSE(s) << text;
  return err;
}

TEST(ImapSearchParser, FlagKeys) {
  struct {
    const char* text;
    K kind;
  } cases[] = {
      {"ALL", K::all},
      {"answered", K::answered},
      {"DELETED", K::deleted},
      {"DRAFT", K::draft},
      {"FLAGGED", K::flagged},
      {"SEEN", K::seen},
      {"UNANSWERED", K::unanswered},
      {"UNDELETED", K::undeleted},
      {"UNDRAFT", K::undraft},
      {"UNFLAGGED", K::unflagged},
      {"UNSEEN", K::unseen},
      {"RECENT", K::recent},
      {"NEW", K::new_},
      {"OLD", K::old},
      {"SAVEDATESUPPORTED", K::save_date_supported},
  };
  for (auto& c : cases) EXPECT_EQ(key(c.text).kind, c.kind) << c.text;
}

TEST(ImapSearchParser, StringKeys) {
  struct {
    const char* text;
    K kind;
  } cases[] = {{"BCC", K::bcc},         {"BODY", K::body}, {"CC", K::cc}, {"FROM", K::from},
               {"SUBJECT", K::subject}, {"TEXT", K::text}, {"TO", K::to}};
  for (auto& c : cases) {
    SearchKey k = key(std::string(c.text) + " \"a b\"");
    EXPECT_EQ(k.kind, c.kind);
    EXPECT_EQ(k.text, "a b");
  }
  EXPECT_EQ(key("FROM smith").text, "smith");
  EXPECT_EQ(key("SUBJECT {4}\r\nh\xc3\xa9l").text, "h\xc3\xa9l");
  SearchKey h = key("HEADER Message-ID \"<a@b>\"");
  EXPECT_EQ(h.kind, K::header);
  EXPECT_EQ(h.field, "Message-ID");
  EXPECT_EQ(h.text, "<a@b>");
  EXPECT_EQ(key("HEADER X-Foo \"\"").text, "");
  EXPECT_EQ(key("KEYWORD $Forwarded").text, "$Forwarded");
  EXPECT_EQ(key("UNKEYWORD Junk").kind, K::unkeyword);
  EXPECT_EQ(bad("FROM"), "Missing search string");
  EXPECT_EQ(bad("FROM (x)"), "Invalid search string");
  EXPECT_EQ(bad("HEADER \"\" x"), "Invalid header field name");
  EXPECT_EQ(bad("KEYWORD \\Seen"), "Invalid keyword");
}

TEST(ImapSearchParser, DateKeys) {
  struct {
    const char* name;
    K kind;
  } cases[] = {{"BEFORE", K::before},
               {"ON", K::on},
               {"SINCE", K::since},
               {"SENTBEFORE", K::sent_before},
               {"SENTON", K::sent_on},
               {"SENTSINCE", K::sent_since},
               {"SAVEDBEFORE", K::save_date_before},
               {"SAVEDON", K::save_date_on},
               {"SAVEDSINCE", K::save_date_since}};
  for (auto& c : cases) {
    SearchKey k = key(std::string(c.name) + " 1-Feb-1994");
    EXPECT_EQ(k.kind, c.kind);
    EXPECT_EQ(k.date, 8797);
  }
  EXPECT_EQ(key("SINCE \"01-feb-1994\"").date, 8797);
  EXPECT_EQ(bad("SINCE 1-Feb-94"), "Invalid date");
  EXPECT_EQ(bad("SINCE \"1-Feb-1994"), "Invalid date");
  EXPECT_EQ(bad("SINCE"), "Missing date");
  EXPECT_EQ(bad("ON 30-Feb-2024"), "Invalid date");
}

TEST(ImapSearchParser, NumberSetAndExtensionKeys) {
  EXPECT_EQ(key("LARGER 10000").number, 10000u);
  EXPECT_EQ(key("SMALLER 0").kind, K::smaller);
  EXPECT_EQ(key("LARGER 4294967296").number, 4294967296u);  // number64 in RFC 9051
  EXPECT_EQ(key("OLDER 3600").kind, K::older);
  EXPECT_EQ(key("YOUNGER 60").number, 60u);
  EXPECT_EQ(bad("YOUNGER 0"), "Invalid number");
  SearchKey u = key("UID 1:100,200");
  EXPECT_EQ(u.kind, K::uid);
  EXPECT_EQ(u.set.ranges.size(), 2u);
  SearchKey s = key("2:4,*");
  EXPECT_EQ(s.kind, K::sequence);
  EXPECT_EQ(s.set.ranges[1].first, 0u);
  EXPECT_TRUE(key("$").set.saved);
  EXPECT_TRUE(key("UID $").set.saved);
  EXPECT_EQ(key("MODSEQ 620162338").number, 620162338u);
  SearchKey m = key("MODSEQ \"/flags/\\\\draft\" all 620162338");
  EXPECT_EQ(m.kind, K::modseq);
  EXPECT_EQ(m.number, 620162338u);
  EXPECT_EQ(bad("MODSEQ \"/flags/x\" foo 1"), "Invalid MODSEQ entry type");
  EXPECT_EQ(key("EMAILID M6d99ac3275bb4e").text, "M6d99ac3275bb4e");
  EXPECT_EQ(key("THREADID T64b478a75b7ea9").kind, K::thread_id);
  EXPECT_EQ(bad("EMAILID a.b"), "Invalid object id");
  EXPECT_EQ(bad("UID x"), "Invalid sequence set");
  EXPECT_EQ(bad("1:0"), "Invalid sequence set");
  EXPECT_EQ(bad("LARGER -1"), "Invalid number");
}

TEST(ImapSearchParser, NotOrAndLists) {
  SearchKey k = key("NOT SEEN");
  EXPECT_EQ(k.kind, K::not_);
  ASSERT_EQ(k.children.size(), 1u);
  EXPECT_EQ(k.children[0].kind, K::seen);
  k = key("OR FROM a (TO b CC c)");
  EXPECT_EQ(k.kind, K::or_);
  ASSERT_EQ(k.children.size(), 2u);
  EXPECT_EQ(k.children[1].kind, K::and_);
  EXPECT_EQ(k.children[1].children.size(), 2u);
  k = key("DELETED FROM \"SMITH\" SINCE 1-Feb-1994");
  EXPECT_EQ(k.kind, K::and_);
  EXPECT_EQ(k.children.size(), 3u);
  k = key("(SEEN)");
  EXPECT_EQ(k.kind, K::and_);
  EXPECT_EQ(k.children.size(), 1u);
  EXPECT_EQ(bad("OR SEEN"), "Missing key after OR");
  EXPECT_EQ(bad("NOT"), "Missing key after NOT");
  EXPECT_EQ(bad("(SEEN"), "Missing ) in search keys");
  EXPECT_EQ(bad("()"), "Invalid search key");
  EXPECT_EQ(bad("SEEN  UNSEEN"), "Invalid search key");
  EXPECT_EQ(bad("SEEN)"), "Invalid search keys");
}

TEST(ImapSearchParser, ReturnAndCharset) {
  Search s = ok("RETURN (MIN MAX ALL COUNT SAVE) ALL");
  EXPECT_TRUE(s.ret.specified && s.ret.min && s.ret.max && s.ret.all && s.ret.count && s.ret.save);
  s = ok("RETURN () UNSEEN");
  EXPECT_TRUE(s.ret.specified);
  EXPECT_FALSE(s.ret.min || s.ret.all);
  s = ok("CHARSET utf-8 TEXT \"x\"");
  EXPECT_EQ(s.charset, "utf-8");
  s = ok("UNSEEN");
  EXPECT_FALSE(s.ret.specified);
  EXPECT_FALSE(s.charset);
  EXPECT_EQ(bad("RETURN (FOO) ALL"), "Unknown RETURN option");
  EXPECT_EQ(bad("RETURN (MIN)"), "Missing search keys");
  EXPECT_EQ(bad("CHARSET"), "Missing charset");
  EXPECT_EQ(bad("CHARSET UTF-8"), "Missing search keys");
}

TEST(ImapSearchParser, NestingIsBounded) {
  Limits l;
  l.max_search_depth = 5;
  EXPECT_TRUE(parse_search_arguments("NOT NOT NOT NOT SEEN", l, nullptr));
  EXPECT_EQ(bad("NOT NOT NOT NOT NOT SEEN", l), "Search keys nested too deeply");
  EXPECT_EQ(bad("((((((SEEN))))))", l), "Search keys nested too deeply");
  // The default depth stops a hostile nesting long before the stack would.
  std::string deep(100000, '(');
  EXPECT_EQ(bad(deep + "SEEN"), "Search keys nested too deeply");
  std::string nots;
  for (int i = 0; i < 20000; ++i) nots += "NOT ";
  EXPECT_EQ(bad(nots + "SEEN"), "Search keys nested too deeply");
}

TEST(ImapSearchParser, KeyCountIsBounded) {
  Limits l;
  l.max_search_keys = 4;
  EXPECT_TRUE(parse_search_arguments("SEEN SEEN (SEEN SEEN)", l, nullptr) == std::nullopt);
  EXPECT_TRUE(parse_search_arguments("SEEN SEEN SEEN SEEN", l, nullptr));
  EXPECT_EQ(bad("SEEN SEEN SEEN SEEN SEEN", l), "Too many search keys");
}

TEST(ImapSearchParser, ThroughTheCommandParser) {
  auto r = parse_command(
      "t1 SEARCH NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT "
      "NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT "
      "NOT SEEN");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error.response(), "t1 BAD Search keys nested too deeply\r\n");
  r = parse_command("t2 UID SEARCH RETURN (SAVE) 1:* FLAGGED");
  ASSERT_TRUE(r);
  EXPECT_TRUE(std::get<Search>(r.command->body).ret.save);
}

}  // namespace
}  // namespace estafeta::imap
