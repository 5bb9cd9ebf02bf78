// imap_search_fuzzy_test: SEARCH=FUZZY (RFC 6203): the FUZZY key and the RELEVANCY return
// option parsed, the ESEARCH RELEVANCY data, the BAD for RELEVANCY without FUZZY, typo
// tolerance, and the same answers (numbers and scores) with the full-text index off,
// complete and partial.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "imap/proto/imap_search_eval.hpp"
#include "imap/proto/imap_search_parser.hpp"
#include "imap/proto/imap_session_test_harness.hpp"
#include "store/store_maildir.hpp"

namespace estafeta::imap {
namespace {

using testing::Driver;
using testing::tls_options;
using Kind = SearchKey::Kind;

TEST(SearchFuzzy, Parses) {
  std::string err;
  auto s = parse_search_arguments("RETURN (RELEVANCY ALL) FUZZY SUBJECT recieve FROM bob", Limits{},
                                  &err);
  ASSERT_TRUE(s) << err;
  EXPECT_TRUE(s->ret.relevancy);
  EXPECT_TRUE(s->ret.all);
  ASSERT_EQ(s->key.kind, Kind::and_);
  ASSERT_EQ(s->key.children[0].kind, Kind::fuzzy);  // FUZZY takes one key (RFC 6203 §3)
  ASSERT_EQ(s->key.children[0].children.size(), 1u);
  EXPECT_EQ(s->key.children[0].children[0].kind, Kind::subject);
  EXPECT_EQ(s->key.children[1].kind, Kind::from);
  EXPECT_TRUE(search_has_fuzzy(s->key));
  s = parse_search_arguments("FUZZY (ANSWERED OR BODY x TEXT y)", Limits{}, &err);
  ASSERT_TRUE(s) << err;
  EXPECT_EQ(s->key.kind, Kind::fuzzy);
  EXPECT_FALSE(parse_search_arguments("FUZZY", Limits{}, &err));
  EXPECT_FALSE(parse_search_arguments("RETURN (RELEVANCY ALL", Limits{}, &err));
}

TEST(SearchFuzzy, RelevancyInEsearch) {
  SearchReturn r;
  r.specified = true;
  r.all = true;
  r.relevancy = true;
  std::vector<std::uint8_t> scores{4, 99, 42};
  EXPECT_EQ(format_esearch("B1", false, r, {1, 5, 10}, std::nullopt, &scores),
            "* ESEARCH (TAG \"B1\") ALL 1,5,10 RELEVANCY (4 99 42)\r\n");
  r.all = false;  // RELEVANCY alone: only the scores
  EXPECT_EQ(format_esearch("B2", true, r, {7}, std::nullopt, &scores),
            "* ESEARCH (TAG \"B2\") UID RELEVANCY (4 99 42)\r\n");
  std::vector<std::uint8_t> none;
  EXPECT_EQ(format_esearch("B3", false, r, {}, std::nullopt, &none),
            "* ESEARCH (TAG \"B3\") RELEVANCY ()\r\n");
}

class SearchFuzzySession : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "estafeta-fuzzy-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::shared_ptr<store::Store> open(bool fulltext) {
    store::MaildirStoreOptions o{dir_, 4, false};
    o.fulltext = fulltext;
    return store::make_maildir_store(o);
  }
  void append(const std::shared_ptr<store::Store>& st, const std::vector<std::string>& msgs) {
    std::shared_ptr<store::Account> a;
    ASSERT_FALSE(st->account("alice@example.org", a));
    store::MailboxInfo inbox;
    ASSERT_FALSE(a->find("INBOX", inbox));
    for (const std::string& b : msgs) {
      store::NewMessage m;
      m.bytes = b;
      store::AppendResult r;
      ASSERT_FALSE(a->append(inbox.id, m, r));
    }
  }
  std::string searches(std::shared_ptr<store::Store> st) {
    Driver d(tls_options(), std::move(st));
    d.start();
    d.send("a LOGIN alice secret\r\n");
    d.send("b SELECT INBOX\r\n");
    std::string out;
    for (const char* k :
         {"FUZZY BODY recieve", "FUZZY TEXT recieve", "FUZZY SUBJECT metting", "FUZZY BODY budjet",
          "FUZZY BODY \"recieve the reciepts\"", "FUZZY FROM carrol", "FUZZY BODY qzxv",
          "FUZZY SUBJECT ab", "FUZZY SEEN", "FUZZY BODY \"on it\"", "FUZZY (BODY receive SEEN)",
          "NOT FUZZY BODY recieve", "OR FUZZY BODY recieve SUBJECT lunch"})
      out += std::string(k) + " -> " +
             d.send(std::string("t UID SEARCH RETURN (ALL RELEVANCY) ") + k + "\r\n");
    return out;
  }
  std::vector<std::string> corpus() {
    return {
        "From: Carol <carol@example.org>\r\nSubject: Team meeting\r\n\r\nWe receive the "
        "receipts on Monday.\r\n",
        "From: Dave <dave@example.org>\r\nSubject: Lunch\r\n\r\nThe budget is approved; we "
        "recieve nothing.\r\n",
        "From: Erin <erin@example.org>\r\nSubject: Receivers\r\n\r\nNew receivers for the "
        "radio.\r\n",
        "From: Frank <frank@example.org>\r\nSubject: Other\r\n\r\nNothing to see; on it.\r\n",
    };
  }
  std::filesystem::path dir_;
};

TEST_F(SearchFuzzySession, TyposFoundAndScored) {
  auto st = open(true);
  append(st, corpus());
  {
    std::shared_ptr<store::Account> a;
    ASSERT_FALSE(st->account("alice@example.org", a));
    store::FulltextStatus status;
    ASSERT_FALSE(a->fulltext_catch_up(false, status));
  }
  Driver d(tls_options(), st);
  d.start();
  d.send("a LOGIN alice secret\r\n");
  EXPECT_NE(d.send("x CAPABILITY\r\n").find(" SEARCH=FUZZY"), std::string::npos);
  d.send("b SELECT INBOX\r\n");
  // "recieve" is in message 2 as written, "receive" (one swap away) in 1 and, as the
  // vocabulary word "receive", inside 3's "receivers"; typos score lower than the exact one.
  EXPECT_EQ(d.send("c UID SEARCH RETURN (ALL RELEVANCY) FUZZY BODY recieve\r\n"),
            "* ESEARCH (TAG \"c\") UID ALL 1:3 RELEVANCY (50 100 50)\r\n"
            "c OK UID SEARCH completed.\r\n");
  EXPECT_EQ(d.send("d SEARCH BODY recieve\r\n"), "* SEARCH 2\r\nd OK Search completed.\r\n");
  EXPECT_EQ(d.send("e SEARCH RETURN (RELEVANCY) BODY recieve\r\n"),
            "e BAD Error in IMAP command SEARCH: RELEVANCY needs a FUZZY search key\r\n");
  EXPECT_EQ(d.send("f SEARCH FUZZY SUBJECT metting\r\n"),
            "* SEARCH 1\r\nf OK Search completed.\r\n");
}

// The index complete, then partial (the same mail again, not indexed: its words are in the
// vocabulary already): the same numbers and scores as if it were all indexed.
TEST_F(SearchFuzzySession, SameAnswersWithIndexCompleteAndPartial) {
  auto catch_up = [&](const std::shared_ptr<store::Store>& st) {
    std::shared_ptr<store::Account> a;
    ASSERT_FALSE(st->account("alice@example.org", a));
    store::FulltextStatus status;
    ASSERT_FALSE(a->fulltext_catch_up(false, status));
  };
  append(open(false), corpus());
  auto on = open(true);
  catch_up(on);
  const std::string first = searches(on);
  on.reset();
  EXPECT_NE(first.find("FUZZY BODY recieve -> * ESEARCH (TAG \"t\") UID ALL 1:3 RELEVANCY"),
            std::string::npos)
      << first;
  append(open(false), corpus());  // not indexed yet: scanned
  on = open(true);
  const std::string partial = searches(on);
  catch_up(on);
  const std::string complete = searches(on);
  EXPECT_EQ(partial, complete);
  // Without the index only a message's own words are variants: 3's "receivers" is not.
  const std::string off = searches(open(false));
  EXPECT_NE(off.find("FUZZY BODY recieve -> * ESEARCH (TAG \"t\") UID ALL 1:2,5:6 RELEVANCY"),
            std::string::npos)
      << off;
}

}  // namespace
}  // namespace estafeta::imap
