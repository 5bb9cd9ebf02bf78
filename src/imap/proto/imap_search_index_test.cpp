// imap_search_index_test: SEARCH with the full-text index (imap_search_index.hpp) answers
// exactly what the scan answers: the same sessions' SEARCH commands over the same Maildir
// mailbox (the MIME corpus plus charset-encoded bodies, base64 attachments, non-ASCII and
// strings across line breaks), with the index off, complete, and partial.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "imap/proto/imap_search_index.hpp"
#include "imap/proto/imap_session_test_harness.hpp"
#include "store/store_maildir.hpp"

namespace estafeta::imap {
namespace {

using testing::Driver;
using testing::tls_options;

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> corpus() {
  std::vector<std::string> out;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(
           std::filesystem::path(ESTAFETA_SOURCE_DIR) / "tests/corpus/mime"))
    if (e.path().extension() == ".eml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) out.push_back(read_file(f));
  out.push_back(
      "From: =?UTF-8?Q?J=C3=B6rg?= <joerg@example.org>\r\nTo: bob@example.org\r\n"
      "Subject: =?ISO-8859-1?Q?R=E9sum=E9?=\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; "
      "charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nCaf=E9 "
      "cr=E8me, we recieve the =\r\nreceipts.\r\nSecond line\r\n");
  out.push_back(
      "From: carol@example.net\r\nSubject: Attachment\r\nMIME-Version: 1.0\r\nContent-Type: "
      "multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\nSee the "
      "table.\r\n--zz\r\nContent-Type: text/csv\r\nContent-Transfer-Encoding: base64\r\n\r\n"
      "UXVhcnRlcmx5IHJldmVudWUsMTIzNDUK\r\n--zz--\r\n");
  return out;
}

// The keys asked, each as a SEARCH and as part of an AND / OR / NOT.
const char* const kKeys[] = {
    "SUBJECT hello",
    "SUBJECT \"inner subject\"",
    "SUBJECT =?",
    "SUBJECT \"\"",
    "SUBJECT re",
    "SUBJECT r",
    "FROM alice",
    "FROM example.org",
    "FROM \"Alice Example\"",
    "FROM inner",
    "TO bob",
    "TO example.com",
    "CC example",
    "BCC example",
    "BODY euro",
    "BODY \"Hello World\"",
    "BODY html",
    "BODY inner",
    "BODY \"See attached\"",
    "BODY preamble",
    "BODY Bob",
    "BODY \"soft breakcontinued\"",
    "BODY equals",
    "BODY Content-Type",
    "BODY quarterly",
    "BODY \"revenue,123\"",
    "BODY \"the receipts\"",
    "BODY \"receipts.\r\nsecond\"",
    "BODY e",
    "BODY ee",
    "TEXT inner",
    "TEXT subject",
    "TEXT example.org",
    "TEXT euro",
    "TEXT \"Hi Bob\"",
    "TEXT Content-Type",
    "TEXT \"subject: hello\"",
    "TEXT \"\r\n\"",
    "TEXT zzzz-nothing",
    "TEXT to",
};

// Every key alone and combined, as the session answers it (UID SEARCH and SEARCH).
std::string run_searches(Driver& d) {
  std::string out;
  int n = 0;
  auto ask = [&](const std::string& k, bool esearch = false) {
    std::string tag = "s" + std::to_string(n++);
    out += k + " -> " + d.send(tag + " UID SEARCH " + k + "\r\n");
    if (esearch) out += d.send(tag + "b SEARCH RETURN (COUNT MIN MAX) " + k + "\r\n");
  };
  for (const char* k : kKeys) {
    std::string key = k;
    if (key.find('\r') != std::string::npos) {  // a literal for a string with a line break
      std::size_t q = key.find('"');
      std::string s = key.substr(q + 1, key.size() - q - 2);
      key = key.substr(0, q) + "{" + std::to_string(s.size()) + "+}\r\n" + s;
    }
    ask(key, true);
    ask("NOT " + key);
    ask("UNSEEN " + key);
    ask("OR " + key + " FROM alice");
  }
  ask("TEXT example SUBJECT re BODY the");
  ask("CHARSET UTF-8 SUBJECT {10+}\r\n\xd0\x9f\xd0\xa0\xd0\x98\xd0\x92\xd0\x95");
  ask("CHARSET UTF-8 TEXT {5+}\r\ncaf\xc3\xa9");
  ask("CHARSET UTF-8 BODY {7+}\r\ncr\xc3\xa8me");
  ask("CHARSET UTF-8 BODY {6+}\r\ncr\xc3\xa8m");
  return out;
}

class SearchIndex : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "estafeta-search-index-XXXXXX").string();
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
  void append(Driver& d, const std::vector<std::string>& messages, bool seen_odd) {
    auto a = d.account("alice@example.org");
    store::MailboxInfo inbox;
    ASSERT_FALSE(a->find("INBOX", inbox));
    for (std::size_t i = 0; i < messages.size(); ++i) {
      store::NewMessage m;
      m.bytes = messages[i];
      if (seen_odd && i % 2) m.flags.system = store::kSeen;
      store::AppendResult r;
      ASSERT_FALSE(a->append(inbox.id, m, r));
    }
  }
  std::string session_searches(std::shared_ptr<store::Store> st) {
    Driver d(tls_options(), std::move(st));
    d.start();
    d.send("a LOGIN alice secret\r\n");
    d.send("b SELECT INBOX\r\n");
    return run_searches(d);
  }
  std::filesystem::path dir_;
};

TEST_F(SearchIndex, SameAnswersWithIndexOffCompleteAndPartial) {
  std::vector<std::string> msgs = corpus();
  {
    Driver d(tls_options(), open(false));
    append(d, msgs, true);
  }
  const std::string scanned = session_searches(open(false));
  ASSERT_NE(scanned.find("SUBJECT hello -> * SEARCH 1\r\n"), std::string::npos) << scanned;

  {  // the whole mailbox indexed
    auto st = open(true);
    std::shared_ptr<store::Account> a;
    ASSERT_FALSE(st->account("alice@example.org", a));
    store::FulltextStatus status;
    ASSERT_FALSE(a->fulltext_catch_up(false, status));
    EXPECT_EQ(status.indexed, msgs.size());
    EXPECT_EQ(status.messages, msgs.size());
    EXPECT_GT(status.file_size, 0u);
    a.reset();
    EXPECT_EQ(session_searches(st), scanned);
  }
  {  // half of it: the same messages again, appended where the index does not see them
    Driver d(tls_options(), open(false));
    append(d, msgs, false);
  }
  const std::string scanned2 = session_searches(open(false));
  {
    auto st = open(true);
    std::shared_ptr<store::Account> a;
    ASSERT_FALSE(st->account("alice@example.org", a));
    store::FulltextStatus status;
    ASSERT_FALSE(a->fulltext_status(status));
    EXPECT_EQ(status.indexed, msgs.size());
    EXPECT_EQ(status.messages, 2 * msgs.size());
    a.reset();
    EXPECT_EQ(session_searches(st), scanned2);  // partial (the indexer may catch up meanwhile)
  }
  {  // a damaged index file: searched by scanning, then rebuilt
    std::ofstream(dir_ / "mail/example.org/alice/estafeta-fulltext.sqlite", std::ios::trunc)
        << "not a database, not at all, garbage garbage garbage garbage garbage garbage";
    auto st = open(true);
    EXPECT_EQ(session_searches(st), scanned2);
    std::shared_ptr<store::Account> a;
    ASSERT_FALSE(st->account("alice@example.org", a));
    store::FulltextStatus status;
    ASSERT_FALSE(a->fulltext_catch_up(false, status));
    EXPECT_EQ(status.indexed, 2 * msgs.size());
    a.reset();
    EXPECT_EQ(session_searches(st), scanned2);
  }
}

// The plan narrows an AND to the index's matches plus what it does not cover.
TEST_F(SearchIndex, CandidatesNarrowAnd) {
  auto st = open(true);
  Driver d(tls_options(), st);
  std::vector<std::string> msgs;
  for (int i = 0; i < 20; ++i)
    msgs.push_back("Subject: m" + std::to_string(i) + "\r\n\r\n" +
                   (i % 5 == 0 ? "needle here" : "hay") + "\r\n");
  append(d, msgs, false);
  auto a = d.account("alice@example.org");
  store::MailboxInfo inbox;
  ASSERT_FALSE(a->find("INBOX", inbox));
  store::FulltextStatus status;
  ASSERT_FALSE(a->fulltext_catch_up(false, status));
  store::AppendResult r;
  store::NewMessage late;
  late.bytes = "Subject: late\r\n\r\nneedle\r\n";
  {  // appended where the index does not see it
    auto off = open(false);
    std::shared_ptr<store::Account> b;
    ASSERT_FALSE(off->account("alice@example.org", b));
    ASSERT_FALSE(b->append(inbox.id, late, r));
  }
  SearchKey k;
  k.kind = SearchKey::Kind::and_;
  SearchKey body;
  body.kind = SearchKey::Kind::body;
  body.text = "needle";
  SearchKey seen;
  seen.kind = SearchKey::Kind::unseen;
  k.children = {seen, body};
  SearchIndexPlan plan;
  plan.prepare(*a, inbox.id, k);
  ASSERT_FALSE(plan.empty());
  std::vector<store::Uid> uids;
  for (store::Uid u = 1; u <= 21; ++u) uids.push_back(u);
  auto c = plan.candidates(k, uids.size(), [&](std::size_t i) { return uids[i]; });
  ASSERT_TRUE(c);
  EXPECT_EQ(*c, (std::vector<std::size_t>{0, 5, 10, 15, 20}));  // UIDs 1 6 11 16, 21 uncovered
  EXPECT_TRUE(plan.covers(6));
  EXPECT_FALSE(plan.covers(21));
  EXPECT_EQ(plan.answer(k.children[1], 6), std::optional<bool>(true));
  EXPECT_EQ(plan.answer(k.children[1], 7), std::optional<bool>(false));
  EXPECT_EQ(plan.answer(k.children[1], 21), std::nullopt);
  // OR with a key the index cannot narrow: every message.
  SearchKey o;
  o.kind = SearchKey::Kind::or_;
  o.children = {seen, body};
  EXPECT_FALSE(plan.candidates(o, uids.size(), [&](std::size_t i) { return uids[i]; }));
}

}  // namespace
}  // namespace estafeta::imap
