// imap_sort_session_test: SORT, UID SORT, ESORT and THREAD through a whole session and the
// in-memory store (the keys computed at delivery), and the thread corpus of
// tests/data/threads/ (hand-worked RFC 5256 answers, reasoning in each file).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "imap/proto/imap_session_test_harness.hpp"

namespace estafeta::imap {
namespace {

using testing::Driver;

void login_select(Driver& d) {
  d.start();
  d.send("l LOGIN alice secret\r\n");
  d.send("s SELECT INBOX\r\n");
}

void add(Driver& d, std::string header, std::int64_t internal_date, std::string body = "x") {
  auto a = d.account("alice@example.org");
  std::string msg;
  for (char c : header) {
    if (c == '\n') msg += '\r';
    msg += c;
  }
  msg += "\r\n" + body + "\r\n";
  store::NewMessage m;
  m.bytes = msg;
  m.internal_date = internal_date;
  store::AppendResult r;
  ASSERT_FALSE(a->deliver("INBOX", m, "", false, r));
}

TEST(ImapSort, Capabilities) {
  Driver d;
  std::string caps = d.start();
  EXPECT_NE(caps.find(" SORT SORT=DISPLAY THREAD=ORDEREDSUBJECT THREAD=REFERENCES "),
            std::string::npos)
      << caps;
  EXPECT_NE(caps.find(" ESORT PARTIAL "), std::string::npos) << caps;
}

TEST(ImapSort, EveryCriterion) {
  Driver d;
  // 1: From zed, To amy, Cc (none), Subject "Re: beta", sent 3, arrived 10, smallest.
  add(d,
      "From: Zed <zed@x.org>\nTo: amy@x.org\nSubject: Re: beta\n"
      "Date: Tue, 01 Dec 2026 10:00:03 +0000\n",
      1796000010, "1");
  // 2: From =?UTF-8?Q?=C3=81lvaro?= (display name), To "Bob" <cat@x.org>, no Date, largest.
  add(d,
      "From: =?UTF-8?Q?=C3=81lvaro?= <alv@x.org>\nTo: Bob <cat@x.org>\nCc: dan@x.org\n"
      "Subject: alpha\n",
      1796000020, std::string(500, '2'));
  // 3: From bob, Subject "[list] Beta", sent 1, arrived 5.
  add(d,
      "From: bob@x.org\nTo: zoe@x.org\nCc: Al <al@x.org>\nSubject: [list] Beta\n"
      "Date: Tue, 01 Dec 2026 10:00:01 +0000\n",
      1796000005, std::string(300, '3'));
  login_select(d);
  EXPECT_EQ(d.send("a SORT (ARRIVAL) UTF-8 ALL\r\n"), "* SORT 3 1 2\r\na OK Sort completed.\r\n");
  EXPECT_EQ(d.send("b SORT (REVERSE ARRIVAL) UTF-8 ALL\r\n"),
            "* SORT 2 1 3\r\nb OK Sort completed.\r\n");
  // DATE: 2 (no Date: its INTERNALDATE, 2026-11-30) < 3 (sent 12-01 10:00:01) < 1 (10:00:03).
  EXPECT_EQ(d.send("c SORT (DATE) UTF-8 ALL\r\n"), "* SORT 2 3 1\r\nc OK Sort completed.\r\n");
  EXPECT_EQ(d.send("d SORT (SIZE) US-ASCII ALL\r\n"), "* SORT 1 3 2\r\nd OK Sort completed.\r\n");
  // SUBJECT: alpha < beta = beta (ties by sequence number).
  EXPECT_EQ(d.send("e SORT (SUBJECT) UTF-8 ALL\r\n"), "* SORT 2 1 3\r\ne OK Sort completed.\r\n");
  EXPECT_EQ(d.send("f SORT (REVERSE SUBJECT) UTF-8 ALL\r\n"),
            "* SORT 1 3 2\r\nf OK Sort completed.\r\n");
  // FROM by local part: alv < bob < zed.
  EXPECT_EQ(d.send("g SORT (FROM) UTF-8 ALL\r\n"), "* SORT 2 3 1\r\ng OK Sort completed.\r\n");
  // TO: amy < cat < zoe; CC: "" (1) < al < dan.
  EXPECT_EQ(d.send("h SORT (TO) UTF-8 ALL\r\n"), "* SORT 1 2 3\r\nh OK Sort completed.\r\n");
  EXPECT_EQ(d.send("i SORT (CC) UTF-8 ALL\r\n"), "* SORT 1 3 2\r\ni OK Sort completed.\r\n");
  // DISPLAYFROM: "Álvaro" (A + U+0301) < bob@x.org < Zed; DISPLAYTO: amy@x.org < Bob < zoe.
  EXPECT_EQ(d.send("j SORT (DISPLAYFROM) UTF-8 ALL\r\n"),
            "* SORT 2 3 1\r\nj OK Sort completed.\r\n");
  EXPECT_EQ(d.send("k SORT (DISPLAYTO) UTF-8 ALL\r\n"), "* SORT 1 2 3\r\nk OK Sort completed.\r\n");
  // Several criteria, UID SORT, search criteria.
  EXPECT_EQ(d.send("l SORT (SUBJECT REVERSE SIZE) UTF-8 ALL\r\n"),
            "* SORT 2 3 1\r\nl OK Sort completed.\r\n");
  EXPECT_EQ(d.send("m UID SORT (ARRIVAL) UTF-8 NOT FROM zed\r\n"),
            "* SORT 3 2\r\nm OK UID SORT completed.\r\n");
  EXPECT_EQ(d.send("n SORT (DATE) UTF-8 SUBJECT nothing\r\n"),
            "* SORT\r\nn OK Sort completed.\r\n");
  EXPECT_EQ(d.send("o SORT (REVERSE DATE) UTF-8 2:3\r\n"),
            "* SORT 3 2\r\no OK Sort completed.\r\n");
  // One string key over some of the messages: zed (1) > bob (3), leaving out alv (2).
  EXPECT_EQ(d.send("p SORT (REVERSE FROM) UTF-8 1,3\r\n"),
            "* SORT 1 3\r\np OK Sort completed.\r\n");
  EXPECT_EQ(d.send("q UID SORT (SUBJECT) UTF-8 NOT FROM alv\r\n"),
            "* SORT 1 3\r\nq OK UID SORT completed.\r\n");
}

TEST(ImapSort, ErrorsAndState) {
  Driver d;
  d.start();
  d.send("l LOGIN alice secret\r\n");
  EXPECT_EQ(d.send("a SORT (DATE) UTF-8 ALL\r\n"), "a BAD No mailbox selected.\r\n");
  EXPECT_EQ(d.send("b THREAD REFERENCES UTF-8 ALL\r\n"), "b BAD No mailbox selected.\r\n");
  d.send("s SELECT INBOX\r\n");
  EXPECT_EQ(d.send("c SORT (DATE) KOI8-R ALL\r\n"),
            "c NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset.\r\n");
  EXPECT_EQ(d.send("d THREAD REFERENCES ISO-8859-1 ALL\r\n"),
            "d NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset.\r\n");
  std::string r = d.send("e SORT (NAME) UTF-8 ALL\r\n");
  EXPECT_EQ(r.rfind("e BAD ", 0), 0u) << r;
  r = d.send("f THREAD NEWEST UTF-8 ALL\r\n");
  EXPECT_EQ(r.rfind("f BAD ", 0), 0u) << r;
  EXPECT_EQ(d.send("g SORT (DATE) UTF-8 ALL\r\n"), "* SORT\r\ng OK Sort completed.\r\n");
  EXPECT_EQ(d.send("h THREAD ORDEREDSUBJECT UTF-8 ALL\r\n"),
            "* THREAD\r\nh OK Thread completed.\r\n");
}

TEST(ImapSort, Esort) {
  Driver d;
  for (int i = 0; i < 5; ++i) add(d, "Subject: s\n", 1796000000 + (5 - i) * 10);
  login_select(d);
  EXPECT_EQ(d.send("a SORT RETURN (MIN) (ARRIVAL) US-ASCII 1:5\r\n"),
            "* ESEARCH (TAG \"a\") MIN 5\r\na OK Sort completed.\r\n");
  EXPECT_EQ(d.send("b SORT RETURN (MAX COUNT) (ARRIVAL) US-ASCII 1:5\r\n"),
            "* ESEARCH (TAG \"b\") MAX 1 COUNT 5\r\nb OK Sort completed.\r\n");
  EXPECT_EQ(d.send("c SORT RETURN (ALL) (REVERSE ARRIVAL) US-ASCII 1:5\r\n"),
            "* ESEARCH (TAG \"c\") ALL 1:5\r\nc OK Sort completed.\r\n");
  EXPECT_EQ(d.send("d UID SORT RETURN () (ARRIVAL) US-ASCII 2,4\r\n"),
            "* ESEARCH (TAG \"d\") UID ALL 4,2\r\nd OK UID SORT completed.\r\n");
  // PARTIAL (RFC 9394) on SORT and SEARCH.
  EXPECT_EQ(d.send("e SORT RETURN (PARTIAL 2:4) (REVERSE ARRIVAL) US-ASCII ALL\r\n"),
            "* ESEARCH (TAG \"e\") PARTIAL (2:4 2:4)\r\ne OK Sort completed.\r\n");
  EXPECT_EQ(d.send("f SORT RETURN (PARTIAL 1:6) (ARRIVAL) US-ASCII ALL\r\n"),
            "* ESEARCH (TAG \"f\") PARTIAL (1:6 5,4,3,2,1)\r\nf OK Sort completed.\r\n");
  EXPECT_EQ(d.send("g SEARCH RETURN (PARTIAL -1:-2) ALL\r\n"),
            "* ESEARCH (TAG \"g\") PARTIAL (-1:-2 4:5)\r\ng OK Search completed.\r\n");
  EXPECT_EQ(d.send("h UID SEARCH RETURN (COUNT PARTIAL 5:10) 1:2,4:5\r\n"),
            "* ESEARCH (TAG \"h\") UID COUNT 4 PARTIAL (5:10 NIL)\r\nh OK UID SEARCH "
            "completed.\r\n");
  std::string bad = d.send("i SEARCH RETURN (PARTIAL 1:*) ALL\r\n");
  EXPECT_EQ(bad.rfind("i BAD ", 0), 0u) << bad;
}

TEST(ImapSort, ThreadAndUidThread) {
  Driver d;
  add(d, "Message-ID: <a@x>\nSubject: hi\n", 1796000000);
  add(d, "Message-ID: <b@x>\nIn-Reply-To: <a@x>\nSubject: Re: hi\n", 1796000100);
  add(d, "Message-ID: <c@x>\nSubject: other\n", 1796000050);
  login_select(d);
  EXPECT_EQ(d.send("a THREAD REFERENCES UTF-8 ALL\r\n"),
            "* THREAD (1 2)(3)\r\na OK Thread completed.\r\n");
  EXPECT_EQ(d.send("b THREAD ORDEREDSUBJECT UTF-8 ALL\r\n"),
            "* THREAD (1 2)(3)\r\nb OK Thread completed.\r\n");
  d.send("c STORE 1 +FLAGS (\\Deleted)\r\n");
  d.send("d EXPUNGE\r\n");
  EXPECT_EQ(d.send("e UID THREAD REFERENCES UTF-8 ALL\r\n"),
            "* THREAD (3)(2)\r\ne OK UID THREAD completed.\r\n");
  EXPECT_EQ(d.send("f THREAD REFERENCES UTF-8 SUBJECT other\r\n"),
            "* THREAD (2)\r\nf OK Thread completed.\r\n");
}

// ---- the thread corpus --------------------------------------------------------------------

struct CorpusCase {
  std::string references, ordered_subject;
  std::vector<std::string> messages;
};

CorpusCase read_case(const std::filesystem::path& p) {
  std::ifstream in(p);
  CorpusCase c;
  std::string line;
  bool in_messages = false;
  while (std::getline(in, line)) {
    if (line == "--") {
      in_messages = true;
      c.messages.emplace_back();
      continue;
    }
    if (!in_messages) {
      if (line.rfind("references: ", 0) == 0) c.references = line.substr(12);
      if (line.rfind("orderedsubject: ", 0) == 0) c.ordered_subject = line.substr(16);
      continue;
    }
    c.messages.back() += line + "\r\n";
  }
  return c;
}

TEST(ThreadCorpus, MatchesHandWorkedAnswers) {
  const auto dir = std::filesystem::path(ESTAFETA_SOURCE_DIR) / "tests/data/threads";
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".txt") continue;
    ++files;
    CorpusCase c = read_case(entry.path());
    ASSERT_FALSE(c.messages.empty()) << entry.path();
    ASSERT_FALSE(c.references.empty() || c.ordered_subject.empty()) << entry.path();
    Driver d;
    auto a = d.account("alice@example.org");
    for (std::size_t i = 0; i < c.messages.size(); ++i) {
      store::NewMessage m;
      m.bytes = c.messages[i];
      m.internal_date = 1796083200 + static_cast<std::int64_t>(i) * 60;
      store::AppendResult r;
      ASSERT_FALSE(a->deliver("INBOX", m, "", false, r));
    }
    login_select(d);
    EXPECT_EQ(d.send("a THREAD REFERENCES UTF-8 ALL\r\n"),
              "* THREAD " + c.references + "\r\na OK Thread completed.\r\n")
        << entry.path();
    EXPECT_EQ(d.send("b THREAD ORDEREDSUBJECT UTF-8 ALL\r\n"),
              "* THREAD " + c.ordered_subject + "\r\nb OK Thread completed.\r\n")
        << entry.path();
  }
  EXPECT_GE(files, 5);
}

}  // namespace
}  // namespace estafeta::imap
