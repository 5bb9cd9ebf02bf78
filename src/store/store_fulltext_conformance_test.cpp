// store_fulltext_conformance_test: Account::fulltext_search in the conformance suite
// (store_conformance.hpp; instantiated for every backend in store_conformance_test.cpp):
// for every message it covers, a search answers exactly what scanning the message's search
// texts (mime/mime_search_text.hpp) answers; after fulltext_catch_up it covers every
// message; strings it cannot answer exactly cover nothing.
#include <algorithm>
#include <map>

#include "mime/mime_parser.hpp"
#include "mime/mime_search_text.hpp"
#include "store/store_conformance.hpp"

namespace estafeta::store {
namespace {

const char* const kMessages[] = {
    "From: =?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <joerg@example.org>\r\nTo: bob@example.org\r\n"
    "Subject: =?ISO-8859-1?Q?R=E9sum=E9?= of the meeting\r\n\r\nThe budget was approved.\r\n",
    "From: carol@example.net\r\nTo: Dave <dave@example.com>, erin@example.com\r\n"
    "Cc: frank@example.org\r\nSubject: Lunch\r\nMIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: "
    "quoted-printable\r\n\r\nCaf=E9 at noon? Bring the =\r\nreceipts.\r\n",
    "From: grace@example.org\r\nSubject: Report\r\nMIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
    "See the attachment.\r\n--b\r\nContent-Type: text/csv; name=data.csv\r\n"
    "Content-Disposition: attachment; filename=data.csv\r\nContent-Transfer-Encoding: base64"
    "\r\n\r\nUXVhcnRlcmx5IHJldmVudWUsMTIzNDUK\r\n--b\r\nContent-Type: application/pdf\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\nSGlkZGVuIHBkZiB0ZXh0Cg==\r\n--b--\r\n",
    "From: heidi@example.org\r\nSubject: first\r\nSubject: second\r\n\r\nline one\r\nline "
    "two\r\n\xff\xfe broken bytes \xc3\r\n",
    "From: ivan@example.org\r\nSubject: \xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82\r\n"
    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\n0JfQtNGA0LDQstGB0YLQstGD0LnRgtC1INC80LjRgA==\r\n",
};

const char* const kNeedles[] = {
    "budget",
    "Budget approved",
    "résumé",
    "resume",
    "RÉSUMÉ",
    "jörg",
    "joerg@",
    "müller",
    "café",
    "the receipts",
    "bring the receipts",
    "quarterly",
    "revenue,123",
    "hidden pdf",
    "see the",
    "dave <dave",
    "example",
    "erin@example.com",
    "frank",
    "lunch",
    "first",
    "second",
    "first\xef\xbf\xbdsecond",
    "line one\r\nline",
    "one\r\nline two",
    "broken",
    "\xd0\xbf\xd1\x80\xd0\xb8",
    "\xd0\x97\xd0\xb4\xd1\x80\xd0\xb0\xd0\xb2",
    "subject: lunch",
    "content-type",
    "data.csv",
    "ab",
    "x",
    "nothing like this",
    "\"quoted\"",
};

// The scan's answer, from the same texts the IMAP evaluator matches in.
bool scan(const std::string& bytes, TextField field, const std::string& folded) {
  mime::Message m = mime::parse(bytes);
  auto top = m.fields_of(m.root());
  auto in_fields = [&](std::string_view name, bool addresses) {
    for (const mime::HeaderField& f : top) {
      if (!mime::iequals(f.name, name)) continue;
      std::vector<std::string> units{mime::search_field_text(f)};
      if (addresses) mime::search_address_texts(f, units);
      for (const auto& u : units)
        if (u.find(folded) != std::string::npos) return true;
    }
    return false;
  };
  switch (field) {
    case TextField::subject:
      return in_fields("Subject", false);
    case TextField::from:
      return in_fields("From", true);
    case TextField::to:
      return in_fields("To", true);
    case TextField::cc:
      return in_fields("Cc", true);
    case TextField::bcc:
      return in_fields("Bcc", true);
    case TextField::body:
      return mime::search_body_text(m).find(folded) != std::string::npos;
    case TextField::text:
      return mime::search_headers_text(top, &m).find(folded) != std::string::npos ||
             mime::search_body_text(m).find(folded) != std::string::npos;
  }
  return false;
}

constexpr TextField kFields[] = {TextField::subject, TextField::from, TextField::to,  TextField::cc,
                                 TextField::bcc,     TextField::body, TextField::text};

}  // namespace

TEST_P(StoreConformance, FulltextSearchAnswersAsTheScan) {
  std::shared_ptr<Account> a;
  ASSERT_FALSE(store_->account("alice@example.org", a));
  MailboxInfo inbox;
  ASSERT_FALSE(a->find("INBOX", inbox));
  std::map<Uid, std::string> bytes;
  auto add = [&](const std::string& b) {
    NewMessage m;
    m.bytes = b;
    AppendResult r;
    ASSERT_FALSE(a->append(inbox.id, m, r));
    bytes[r.uid] = b;
  };
  for (const char* m : kMessages) add(m);
  FulltextStatus st;
  ASSERT_FALSE(a->fulltext_catch_up(false, st));
  EXPECT_EQ(st.indexed, st.messages);
  add("Subject: late budget\r\n\r\nafter the catch-up\r\n");  // maybe not covered yet
  std::vector<Uid> gone;
  ASSERT_FALSE(a->expunge(inbox.id, {2}, gone));
  bytes.erase(2);

  auto check_all = [&](bool expect_full) {
    for (const char* needle : kNeedles) {
      const std::string folded = mime::search_fold(needle);
      for (TextField field : kFields) {
        FulltextResult r;
        ASSERT_FALSE(a->fulltext_search(inbox.id, field, folded, r)) << needle;
        const bool long_enough = std::string_view(needle).size() >= 3 &&
                                 folded.find("\xef\xbf\xbd") == std::string::npos;
        if (!long_enough) {
          EXPECT_EQ(r.covered_through, 0u) << needle;
          continue;
        }
        if (expect_full) {
          EXPECT_TRUE(r.exact);
          EXPECT_GE(r.covered_through, bytes.rbegin()->first) << needle;
        }
        for (const auto& [uid, b] : bytes) {
          if (!r.covers(uid)) continue;
          bool found = std::binary_search(r.uids.begin(), r.uids.end(), uid);
          if (r.exact) {
            EXPECT_EQ(found, scan(b, field, folded))
                << "needle '" << needle << "' field " << static_cast<int>(field) << " uid " << uid;
          } else if (scan(b, field, folded)) {
            EXPECT_TRUE(found) << needle;
          }
        }
      }
    }
  };
  check_all(false);
  ASSERT_FALSE(a->fulltext_catch_up(false, st));
  EXPECT_EQ(st.indexed, st.messages);
  EXPECT_EQ(st.messages, bytes.size());
  check_all(true);
  // Rebuilt from nothing: the same answers.
  ASSERT_FALSE(a->fulltext_catch_up(true, st));
  check_all(true);
}

// A mailbox deleted and made again under the same name: the old messages' text is gone.
TEST_P(StoreConformance, FulltextForgetsDeletedMailboxes) {
  std::shared_ptr<Account> a;
  ASSERT_FALSE(store_->account("alice@example.org", a));
  MailboxInfo box;
  ASSERT_FALSE(a->create("Projects", SpecialUse::none, box));
  NewMessage m;
  m.bytes = "Subject: zebra crossing\r\n\r\nold text\r\n";
  AppendResult r;
  ASSERT_FALSE(a->append(box.id, m, r));
  FulltextStatus st;
  ASSERT_FALSE(a->fulltext_catch_up(false, st));
  ASSERT_FALSE(a->remove("Projects"));
  ASSERT_FALSE(a->create("Projects", SpecialUse::none, box));
  m.bytes = "Subject: giraffe\r\n\r\nnew text\r\n";
  ASSERT_FALSE(a->append(box.id, m, r));
  ASSERT_FALSE(a->fulltext_catch_up(false, st));
  FulltextResult res;
  ASSERT_FALSE(a->fulltext_search(box.id, TextField::text, "zebra", res));
  EXPECT_TRUE(res.uids.empty());
  ASSERT_FALSE(a->fulltext_search(box.id, TextField::text, "giraffe", res));
  EXPECT_EQ(res.uids, std::vector<Uid>{r.uid});
  EXPECT_TRUE(res.covers(r.uid));
}

}  // namespace estafeta::store
