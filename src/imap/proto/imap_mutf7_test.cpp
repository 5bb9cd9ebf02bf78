// imap_mutf7_test: modified UTF-7 (RFC 3501 §5.1.3) both ways, its strictness, and the UTF-8
// check.
#include "imap/proto/imap_mutf7.hpp"

#include <gtest/gtest.h>

namespace estafeta::imap {
namespace {

TEST(ImapMutf7, EncodesTheRfcExamples) {
  // RFC 3501 §5.1.3: "~peter/mail/台北/日本語"
  EXPECT_EQ(
      mutf7_encode("~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"),
      "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
  EXPECT_EQ(mutf7_encode("A&B"), "A&-B");
  EXPECT_EQ(mutf7_encode("INBOX"), "INBOX");
  EXPECT_EQ(mutf7_encode("Entw\xc3\xbcrfe"), "Entw&APw-rfe");
  EXPECT_EQ(mutf7_encode(""), "");
  // Outside the BMP: a surrogate pair.
  EXPECT_EQ(mutf7_encode("\xf0\x9f\x98\x80"), "&2D3eAA-");
}

TEST(ImapMutf7, DecodesAndRoundTrips) {
  EXPECT_EQ(mutf7_decode("~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
            "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
  EXPECT_EQ(mutf7_decode("A&-B"), "A&B");
  EXPECT_EQ(mutf7_decode("&2D3eAA-"), "\xf0\x9f\x98\x80");
  for (const char* s : {"Entw\xc3\xbcrfe", "\xd0\x9e\xd1\x82\xd0\xbf\xd1\x80", "a&b&&c",
                        "x\xe2\x82\xac y \xe2\x82\xac\xe2\x82\xac"}) {
    EXPECT_EQ(mutf7_decode(mutf7_encode(s)), s) << s;
  }
}

TEST(ImapMutf7, RefusesInvalidInput) {
  for (const char* bad : {
           "&",                   // unterminated
           "&U,BTFw",             // unterminated
           "&AGE-",               // printable ASCII "a" encoded
           "&U,BTFw-&ZeVnLIqe-",  // two adjacent runs: should be one
           "&2D0-",               // lone high surrogate
           "&3gA-",               // lone low surrogate
           "&U,BTF-",             // non-zero padding bits
           "&U/BTFw-",            // "/" is not in the modified alphabet
           "&APw=-",              // padding
           "\xc3\xbc",            // 8-bit octets
           "a\tb",                // control character
       }) {
    EXPECT_FALSE(mutf7_decode(bad)) << bad;
  }
  EXPECT_FALSE(mutf7_decode("&APwA-"));  // leftover 6+ bits
}

TEST(ImapMutf7, ChecksUtf8) {
  EXPECT_TRUE(is_valid_utf8("plain"));
  EXPECT_TRUE(is_valid_utf8("\xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbd"));
  for (const char* bad : {"\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                          "\xff", "\x80", "a\xe2\x82"}) {
    EXPECT_FALSE(is_valid_utf8(bad)) << bad;
  }
}

}  // namespace
}  // namespace estafeta::imap
