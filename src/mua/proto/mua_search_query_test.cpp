// mua_search_query_test: `mail search` queries to SEARCH keys, and each bad term's error.
#include "mua/proto/mua_search_query.hpp"

#include <gtest/gtest.h>

namespace estafeta::mua {
namespace {

std::string keys_of(std::string_view q) {
  SearchQuery out;
  std::string error;
  if (!parse_search_query(q, out, error)) return "ERROR " + error;
  std::string s;
  for (const auto& k : out.keys) {
    if (!s.empty()) s += ' ';
    s += k.is_string ? "\"" + k.text + "\"" : k.text;
  }
  return s;
}

TEST(MuaSearchQuery, Forms) {
  EXPECT_EQ(keys_of("hello world"), "TEXT \"hello\" TEXT \"world\"");
  EXPECT_EQ(keys_of("\"hello world\""), "TEXT \"hello world\"");
  EXPECT_EQ(keys_of("from:bob subject:\"lunch plans\" unseen"),
            "FROM \"bob\" SUBJECT \"lunch plans\" UNSEEN");
  EXPECT_EQ(keys_of("To:carol cc:dan body:x"), "TO \"carol\" CC \"dan\" BODY \"x\"");
  EXPECT_EQ(keys_of("since:2026-12-02 before:2027-01-01 on:2024-02-29"),
            "SINCE 2-Dec-2026 BEFORE 1-Jan-2027 ON 29-Feb-2024");
  EXPECT_EQ(keys_of("is:flagged seen answered larger:10k smaller:1M"),
            "FLAGGED SEEN ANSWERED LARGER 10240 SMALLER 1048576");
  EXPECT_EQ(keys_of("http://example.org"), "TEXT \"http://example.org\"");
  SearchQuery q;
  std::string e;
  ASSERT_TRUE(parse_search_query("subject:gr\xc3\xbc\xc3\x9f", q, e));
  EXPECT_TRUE(q.non_ascii);
}

TEST(MuaSearchQuery, Errors) {
  EXPECT_NE(keys_of("").find("ERROR the query is empty"), std::string::npos);
  EXPECT_NE(keys_of("since:yesterday").find("since:yesterday is not a date"), std::string::npos);
  EXPECT_NE(keys_of("before:2026-02-30").find("is not a date"), std::string::npos);
  EXPECT_NE(keys_of("from:").find("from: needs a value"), std::string::npos);
  EXPECT_NE(keys_of("is:purple").find("is:purple is not one of"), std::string::npos);
  EXPECT_NE(keys_of("larger:lots").find("is not a size"), std::string::npos);
  EXPECT_NE(keys_of("\"open").find("unterminated"), std::string::npos);
  EXPECT_NE(keys_of(std::string(5000, 'a')).find("longer than"), std::string::npos);
  std::string many;
  for (int i = 0; i < 70; ++i) many += "w ";
  EXPECT_NE(keys_of(many).find("more than 64 terms"), std::string::npos);
}

}  // namespace
}  // namespace estafeta::mua
