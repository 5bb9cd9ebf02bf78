// store_fulltext_test: the full-text index's text rules (store_fulltext_text.hpp: what is
// stored, which strings it answers, how they are quoted) and its maintenance in the Maildir
// backend (store_fulltext.hpp: background catch-up after deliveries, a damaged file rebuilt,
// an index of another UIDVALIDITY ignored).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "mime/mime_parser.hpp"
#include "store/store_fulltext_text.hpp"
#include "store/store_maildir.hpp"

namespace estafeta::store {
namespace {

TEST(FulltextText, SanitizeKeepsWellFormedUtf8) {
  EXPECT_EQ(fulltext_sanitize("caf\xc3\xa9 \xe2\x82\xac"), "caf\xc3\xa9 \xe2\x82\xac");
  // Stray, truncated and overlong bytes, NUL and the non-characters become U+FFFD, one each.
  EXPECT_EQ(fulltext_sanitize(std::string("a\xff"
                                          "b\xc3",
                                          4)),
            "a\xef\xbf\xbd"
            "b\xef\xbf\xbd");
  EXPECT_EQ(fulltext_sanitize(std::string("a\0b", 3)),
            "a\xef\xbf\xbd"
            "b");
  EXPECT_EQ(fulltext_sanitize("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(fulltext_sanitize("\xef\xbf\xbf"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(fulltext_sanitize("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(fulltext_sanitize("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80");
}

TEST(FulltextText, AnswerableStrings) {
  EXPECT_TRUE(fulltext_answerable("abc"));
  EXPECT_TRUE(fulltext_answerable("a\r\nb"));
  EXPECT_TRUE(fulltext_answerable("caf\xc3\xa9"));
  EXPECT_FALSE(fulltext_answerable(""));
  EXPECT_FALSE(fulltext_answerable("ab"));
  EXPECT_FALSE(fulltext_answerable("\xc3\xa9\xc3\xa9"));  // two characters
  EXPECT_TRUE(fulltext_answerable("\xc3\xa9\xc3\xa9\xc3\xa9"));
  EXPECT_FALSE(fulltext_answerable("ab\xff"));
  EXPECT_FALSE(fulltext_answerable("ab\xef\xbf\xbd"));
  EXPECT_FALSE(fulltext_answerable(std::string("ab\0c", 4)));
}

TEST(FulltextText, MatchExpressionQuotesThePhrase) {
  EXPECT_EQ(fulltext_match_expression(TextField::body, "say \"hi\""),
            "c_body : \"say \"\"hi\"\"\"");
  EXPECT_EQ(fulltext_match_expression(TextField::text, "x OR y"),
            "{c_headers c_body} : \"x OR y\"");
  EXPECT_EQ(fulltext_match_expression(TextField::from, "a*b"), "c_from : \"a*b\"");
}

TEST(FulltextText, DocumentColumns) {
  mime::Message m = mime::parse(
      "From: =?UTF-8?Q?J=C3=B6rg?= <joerg@example.org>\r\nSubject: One\r\nSubject: Two\r\n"
      "To: a@example.org, B <b@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; "
      "charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nCaf=E9\r\n");
  FulltextDocument d = fulltext_document(m);
  EXPECT_EQ(d[kColSubject], "one\xef\xbf\xbdtwo");
  EXPECT_EQ(d[kColFrom],
            "jo\xcc\x88rg <joerg@example.org>\xef\xbf\xbdjo\xcc\x88rg <joerg@example.org>");
  EXPECT_NE(d[kColTo].find("b <b@example.org>"), std::string::npos);
  EXPECT_EQ(d[kColBody], "cafe\xcc\x81\r\n\n");
  EXPECT_NE(d[kColHeaders].find("subject: two\n"), std::string::npos);
  EXPECT_TRUE(d[kColCc].empty());
}

class FulltextMaildir : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "estafeta-fts-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    store_ = make_maildir_store(MaildirStoreOptions{dir_, 4, false});
    ASSERT_FALSE(store_->account("alice@example.org", account_));
    ASSERT_FALSE(account_->find("INBOX", inbox_));
  }
  void TearDown() override {
    account_.reset();
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  // APPEND (deliver() would reach a crash point, whose setting the process reads once).
  Uid deliver(const std::string& bytes) {
    NewMessage m;
    m.bytes = bytes;
    AppendResult r;
    EXPECT_FALSE(account_->append(inbox_.id, m, r));
    return r.uid;
  }
  std::filesystem::path dir_;
  std::shared_ptr<Store> store_;
  std::shared_ptr<Account> account_;
  MailboxInfo inbox_;
};

// New mail only wakes the indexer; it catches up by itself, in the background.
TEST_F(FulltextMaildir, IndexesDeliveriesInTheBackground) {
  for (int i = 0; i < 30; ++i)
    deliver("Subject: note " + std::to_string(i) + "\r\n\r\nbackground body " + std::to_string(i) +
            "\r\n");
  FulltextStatus st;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_FALSE(account_->fulltext_status(st));
  } while (st.indexed < 30 && std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(st.indexed, 30u);
  EXPECT_EQ(st.messages, 30u);
  FulltextResult r;
  ASSERT_FALSE(account_->fulltext_search(inbox_.id, TextField::body, "body 17", r));
  EXPECT_TRUE(r.exact);
  EXPECT_EQ(r.covered_through, 30u);
  EXPECT_EQ(r.uids, std::vector<Uid>{18});
  EXPECT_TRUE(std::filesystem::exists(dir_ / "mail/example.org/alice/estafeta-fulltext.sqlite"));
}

TEST_F(FulltextMaildir, DamagedFileIsRebuilt) {
  deliver("Subject: hello\r\n\r\nworld\r\n");
  FulltextStatus st;
  ASSERT_FALSE(account_->fulltext_catch_up(false, st));
  account_.reset();
  store_.reset();
  const auto file = dir_ / "mail/example.org/alice/estafeta-fulltext.sqlite";
  std::filesystem::remove(file.string() + "-wal");
  {
    std::ofstream f(file, std::ios::binary | std::ios::trunc);
    f << std::string(8192, 'x');
  }
  store_ = make_maildir_store(MaildirStoreOptions{dir_, 4, false});
  ASSERT_FALSE(store_->account("alice@example.org", account_));
  FulltextResult r;
  ASSERT_FALSE(account_->fulltext_search(inbox_.id, TextField::body, "world", r));
  EXPECT_EQ(r.covered_through, 0u);  // scanned meanwhile, no error
  ASSERT_FALSE(account_->fulltext_catch_up(false, st));
  EXPECT_EQ(st.indexed, 1u);
  ASSERT_FALSE(account_->fulltext_search(inbox_.id, TextField::body, "world", r));
  EXPECT_EQ(r.uids, std::vector<Uid>{1});
}

TEST_F(FulltextMaildir, ShortStringsAreNotAnswered) {
  deliver("Subject: hello\r\n\r\nworld\r\n");
  FulltextStatus st;
  ASSERT_FALSE(account_->fulltext_catch_up(false, st));
  FulltextResult r;
  ASSERT_FALSE(account_->fulltext_search(inbox_.id, TextField::body, "wo", r));
  EXPECT_EQ(r.covered_through, 0u);
  ASSERT_FALSE(account_->fulltext_search(inbox_.id, TextField::body, "wor", r));
  EXPECT_EQ(r.covered_through, 1u);
  EXPECT_EQ(r.uids, std::vector<Uid>{1});
}

// FUZZY (RFC 6203): the vocabulary's words one edit away are searched for too, and scored
// lower than the word itself.
TEST_F(FulltextMaildir, FuzzyFindsVocabularyVariants) {
  deliver("Subject: a\r\n\r\nwe receive the receipts\r\n");
  deliver("Subject: b\r\n\r\nwe recieve nothing\r\n");
  deliver("Subject: c\r\n\r\nnew receivers\r\n");
  deliver("Subject: d\r\n\r\nunrelated\r\n");
  FulltextStatus st;
  ASSERT_FALSE(account_->fulltext_catch_up(false, st));
  FulltextResult r;
  ASSERT_FALSE(account_->fulltext_fuzzy(inbox_.id, TextField::body, "recieve", r));
  EXPECT_TRUE(r.exact);
  EXPECT_EQ(r.covered_through, 4u);
  EXPECT_EQ(r.uids, (std::vector<Uid>{1, 2, 3}));
  EXPECT_EQ(r.scores, (std::vector<std::uint8_t>{50, 100, 50}));
  ASSERT_EQ(r.variants.size(), 1u);
  EXPECT_EQ(r.variants[0], std::vector<std::string>{"receive"});
  // Two words: both must match; the score is their mean.
  ASSERT_FALSE(account_->fulltext_fuzzy(inbox_.id, TextField::body, "recieve reciepts", r));
  EXPECT_EQ(r.uids, std::vector<Uid>{1});
  EXPECT_EQ(r.scores, std::vector<std::uint8_t>{50});
  // Words of fewer than three characters are not searched for: nothing to answer.
  ASSERT_FALSE(account_->fulltext_fuzzy(inbox_.id, TextField::body, "we", r));
  EXPECT_EQ(r.covered_through, 0u);
}

// Closing an account while its indexer adds a large message's vocabulary (here 150,000 new
// words, each with its deletion variants) does not wait for the whole of it: the indexer
// looks for shutdown between words, and its transaction is rolled back.
TEST_F(FulltextMaildir, ClosingDoesNotWaitForALargeVocabulary) {
  std::string body;
  for (int i = 0; i < 150000; ++i) {
    std::string w;
    for (int n = i + 26 * 26 * 26 * 26 * 26; n > 0; n /= 26) w += static_cast<char>('a' + n % 26);
    body += w + (i % 10 == 9 ? "\r\n" : " ");
  }
  deliver("Subject: many words\r\n\r\n" + body + "\r\n");
  // The indexer starts after its settling delay (300 ms) and parses the message first.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto start = std::chrono::steady_clock::now();
  account_.reset();
  store_.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace estafeta::store
