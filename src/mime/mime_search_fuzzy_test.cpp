// mime_search_fuzzy_test: the word rules of FUZZY search (mime_search_fuzzy.hpp).
#include "mime/mime_search_fuzzy.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace estafeta::mime {
namespace {

// 200,000 distinct words (a large message of random tokens) split in linear time: a
// quadratic duplicate check took minutes here, and held up the indexer and shutdown.
TEST(MimeSearchFuzzy, ManyDistinctWordsAreLinear) {
  std::string text;
  for (int i = 0; i < 200000; ++i) {
    std::string w;
    for (int n = i + 1; n > 0; n /= 26) w += static_cast<char>('a' + n % 26);
    text += w + " ";
  }
  text += "a b a";
  auto start = std::chrono::steady_clock::now();
  auto words = fuzzy_words(text);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(words.size(), 200001u);  // of "a b a" only the first "a" is new
  EXPECT_EQ(words.front(), "b");
  EXPECT_LT(took, std::chrono::seconds(10));
}

TEST(MimeSearchFuzzy, Words) {
  EXPECT_EQ(fuzzy_words("we recieve, the re-ceipts!"),
            (std::vector<std::string>{"we", "recieve", "the", "re", "ceipts"}));
  EXPECT_EQ(fuzzy_words("caf\xc3\xa9 caf\xc3\xa9"), std::vector<std::string>{"caf\xc3\xa9"});
  EXPECT_EQ(fuzzy_query_words("a to the budget"), (std::vector<std::string>{"the", "budget"}));
  EXPECT_TRUE(fuzzy_query_words("a b c").empty());
  EXPECT_EQ(utf8_length("caf\xc3\xa9"), 4u);
}

TEST(MimeSearchFuzzy, VocabularyWords) {
  EXPECT_TRUE(fuzzy_vocabulary_word("receive"));
  EXPECT_FALSE(fuzzy_vocabulary_word("the"));        // too short
  EXPECT_FALSE(fuzzy_vocabulary_word("abc123def"));  // ids are not typed from memory
  EXPECT_FALSE(fuzzy_vocabulary_word(std::string(25, 'a')));
  EXPECT_TRUE(fuzzy_vocabulary_word("caf\xc3\xa9"));
  EXPECT_FALSE(fuzzy_vocabulary_word("rec\xffive"));          // a bad byte
  EXPECT_FALSE(fuzzy_vocabulary_word("rec\xef\xbf\xbdive"));  // what the index stores for it
}

TEST(MimeSearchFuzzy, OneEdit) {
  EXPECT_TRUE(within_one_edit("receive", "receive"));
  EXPECT_TRUE(within_one_edit("recieve", "receive"));   // swap
  EXPECT_TRUE(within_one_edit("recive", "receive"));    // missing letter
  EXPECT_TRUE(within_one_edit("receeive", "receive"));  // extra letter
  EXPECT_TRUE(within_one_edit("recaive", "receive"));   // substitution
  EXPECT_TRUE(within_one_edit("caf\xc3\xa9", "cafe"));  // by characters
  EXPECT_FALSE(within_one_edit("recieev", "receive"));
  EXPECT_FALSE(within_one_edit("rec", "receive"));
  EXPECT_FALSE(within_one_edit("abcd", "badc"));
}

TEST(MimeSearchFuzzy, Deletions) {
  EXPECT_EQ(one_deletions("abb"), (std::vector<std::string>{"bb", "ab"}));
  EXPECT_EQ(one_deletions("\xc3\xa9t\xc3\xa9"),
            (std::vector<std::string>{"t\xc3\xa9", "\xc3\xa9\xc3\xa9", "\xc3\xa9t"}));
}

TEST(MimeSearchFuzzy, WordScore) {
  std::vector<std::string> units{"we receive the receipts\n"};
  EXPECT_EQ(fuzzy_word_score(units, "receive", {}), kFuzzyExact);
  EXPECT_EQ(fuzzy_word_score(units, "ceive", {}), kFuzzyExact);   // a substring, as SEARCH
  EXPECT_EQ(fuzzy_word_score(units, "recieve", {}), kFuzzyTypo);  // the text's own word
  EXPECT_EQ(fuzzy_word_score(units, "reciepts", {}), kFuzzyTypo);
  EXPECT_EQ(fuzzy_word_score(units, "recxxve", {}), 0);
  EXPECT_EQ(fuzzy_word_score(units, "eht", {}), 0);  // three letters: exact only
  // A variant the index found elsewhere, present inside a longer word here.
  const std::vector<std::string> variants{"ceipts"};
  EXPECT_EQ(fuzzy_word_score(units, "ceipt", variants), kFuzzyExact);
  EXPECT_EQ(fuzzy_word_score(units, "zeipts", variants), kFuzzyTypo);
}

}  // namespace
}  // namespace estafeta::mime
