// mime_sort_keys_test: RFC 5256 §2.1 base subjects (the RFC's rules one by one, the subjects
// of Dovecot's imaptest sort-subject corpus with the keys Dovecot sorts them by) and the
// i;unicode-casemap key order (RFC 5051).
#include "mime/mime_sort_keys.hpp"

#include <gtest/gtest.h>

namespace estafeta::mime {
namespace {

std::string base(std::string_view s, bool* reply = nullptr) {
  return base_subject(s, reply);
}

TEST(BaseSubject, PlainSubjectsStay) {
  bool reply = true;
  EXPECT_EQ(base("hello world", &reply), "hello world");
  EXPECT_FALSE(reply);
  EXPECT_EQ(base(""), "");
  EXPECT_EQ(base("Ad: Re: Ad: Re: Ad: x"), "Ad: Re: Ad: Re: Ad: x");  // "Ad:" is no leader
  EXPECT_EQ(base("Reply"), "Reply");                                  // no colon
  EXPECT_EQ(base("Fwdx: y"), "Fwdx: y");
}

TEST(BaseSubject, WhitespaceCollapses) {  // step 1
  EXPECT_EQ(base("  a \t\t b\r\n c  "), "a b c");
  EXPECT_EQ(base(" "), "");
  bool reply = true;
  EXPECT_EQ(base("   ", &reply), "");
  EXPECT_FALSE(reply);
}

TEST(BaseSubject, Trailers) {  // step 2
  bool reply = false;
  EXPECT_EQ(base("b (fWd)  (fwd)", &reply), "b");
  EXPECT_TRUE(reply);
  EXPECT_EQ(base("b(fwd)"), "b");
  EXPECT_EQ(base("(fwd)"), "");
  EXPECT_EQ(base("b (fwd) x"), "b (fwd) x");  // only at the end
  EXPECT_EQ(base("b (a)"), "b (a)");
}

TEST(BaseSubject, Leaders) {  // step 3
  bool reply = false;
  EXPECT_EQ(base("Re: hello", &reply), "hello");
  EXPECT_TRUE(reply);
  EXPECT_EQ(base("RE: hello"), "hello");
  EXPECT_EQ(base("re:hello"), "hello");
  EXPECT_EQ(base("Fw: hello"), "hello");
  EXPECT_EQ(base("FWD: hello"), "hello");
  EXPECT_EQ(base("Re : hello"), "hello");    // *WSP before ':'
  EXPECT_EQ(base("Re[2]: hello"), "hello");  // a blob inside the leader
  EXPECT_EQ(base("Re [2] : hello"), "hello");
  EXPECT_EQ(base("Re: Re: Fwd: hello"), "hello");
  EXPECT_EQ(base("[list] Re: hello"), "hello");  // blobs before a refwd
  EXPECT_EQ(base("[a][b] Re: hello"), "hello");
  EXPECT_EQ(base("[foo] Fwd: [bar] Re: fw: b (fWd)  (fwd)"), "b");
  EXPECT_EQ(base("Re:"), "");
}

TEST(BaseSubject, LeadingBlobs) {  // step 4
  bool reply = true;
  EXPECT_EQ(base("[list] hello", &reply), "hello");
  EXPECT_FALSE(reply);                // a blob alone is not a reply
  EXPECT_EQ(base("[xyz]"), "[xyz]");  // removing it would leave nothing
  EXPECT_EQ(base("[xyz]   "), "[xyz]");
  EXPECT_EQ(base("[a] [b]"), "[b]");
  EXPECT_EQ(base("[a] [b] c"), "c");
  EXPECT_EQ(base("[a[b] c"), "[a[b] c");  // '[' is no BLOBCHAR
  EXPECT_EQ(base("[a] Re: [b] c"), "c");
}

TEST(BaseSubject, FwdWrappers) {  // step 6
  bool reply = false;
  EXPECT_EQ(base("[Fwd: hello]", &reply), "hello");
  EXPECT_TRUE(reply);
  EXPECT_EQ(base("Re: [FWD: c]"), "c");
  EXPECT_EQ(base("re: [fwd: [fwd: re: [fwd: babylon]]]"), "babylon");
  EXPECT_EQ(base("[fwd: Re: x (fwd)]"), "x");  // back to step 2 after unwrapping
  EXPECT_EQ(base("[fwd: x] y"), "y");          // a blob: BLOBCHAR includes ":"
  EXPECT_EQ(base("[fwd:]"), "");
}

TEST(BaseSubject, ImaptestSortSubjectCorpus) {
  // Dovecot's imaptest tests/sort-subject.mbox: subject as decoded -> base subject.
  EXPECT_EQ(base("a"), "a");
  EXPECT_EQ(base("C"), "C");
  EXPECT_EQ(base("_"), "_");
  EXPECT_EQ(base("Re: b"), "b");
  EXPECT_EQ(base("RE: C"), "C");
  EXPECT_EQ(base("Re: c"), "c");
  EXPECT_EQ(base(" "), "");  // =?iso-8859-1?q?_?=
}

TEST(CasemapKey, TitlecaseOrder) {
  EXPECT_EQ(casemap_key("Hello"), "HELLO");
  EXPECT_EQ(casemap_key("hELLO"), casemap_key("Hello"));
  // "_" sorts after the letters' title case (RFC 5051), so after "C" and before nothing.
  EXPECT_LT(casemap_key("c"), casemap_key("_"));
  EXPECT_LT(casemap_key("[xyz]"), casemap_key("_"));
  EXPECT_LT(casemap_key("C"), casemap_key("[xyz]"));
  EXPECT_LT(casemap_key("b"), casemap_key("b (a)"));
  EXPECT_LT(casemap_key("b (a)"), casemap_key("babylon"));
  EXPECT_LT(casemap_key("a"), casemap_key("Ad: x"));
}

TEST(CasemapKey, UnicodeFolds) {
  EXPECT_EQ(casemap_key("Café"), casemap_key("CAFÉ"));
  EXPECT_EQ(casemap_key("café"), "CAFE\xcc\x81");  // NFKD: E + COMBINING ACUTE
  EXPECT_EQ(casemap_key("\xef\xac\x81"), "FI");    // U+FB01 LATIN SMALL LIGATURE FI
  EXPECT_EQ(casemap_key("Ａ"), "A");               // fullwidth
  EXPECT_LT(casemap_key("cafe"), casemap_key("café"));
  EXPECT_LT(casemap_key("café"), casemap_key("cafg"));
  EXPECT_EQ(casemap_key("\xff\xfe"), "\xff\xfe");  // not UTF-8: kept
}

}  // namespace
}  // namespace estafeta::mime
