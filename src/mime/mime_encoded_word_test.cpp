// mime_encoded_word_test: RFC 2047 §8 examples, adjacent-word whitespace, the tolerance real
// mail needs (bad charsets, truncated words, '?' inside, words glued to text, split
// multi-byte characters, raw 8-bit headers) and encode -> decode round trips.
#include "mime/mime_encoded_word.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace estafeta::mime {

TEST(EncodedWord, Rfc2047Section8Examples) {
  EXPECT_EQ(decode_encoded_words("=?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>"),
            "Keith Moore <moore@cs.utk.edu>");
  EXPECT_EQ(decode_encoded_words("=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>"),
            "Keld J\xC3\xB8rn Simonsen <keld@dkuug.dk>");
  EXPECT_EQ(decode_encoded_words("=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>"),
            "Andr\xC3\xA9 Pirard <PIRARD@vm1.ulg.ac.be>");
  EXPECT_EQ(decode_encoded_words("=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\r\n"
                                 "    =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?="),
            "If you can read this you understand the example.");
  EXPECT_EQ(decode_encoded_words("(=?ISO-8859-1?Q?a?=)"), "(a)");
  EXPECT_EQ(decode_encoded_words("(=?ISO-8859-1?Q?a?= b)"), "(a b)");
  EXPECT_EQ(decode_encoded_words("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)"), "(ab)");
  EXPECT_EQ(decode_encoded_words("(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)"), "(ab)");
  EXPECT_EQ(decode_encoded_words("(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)"), "(ab)");
  EXPECT_EQ(decode_encoded_words("(=?ISO-8859-1?Q?a_b?=)"), "(a b)");
  EXPECT_EQ(decode_encoded_words("(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)"), "(a b)");
}

TEST(EncodedWord, WhitespaceRules) {
  // Whitespace between a word and plain text is kept; only word-to-word is dropped.
  EXPECT_EQ(decode_encoded_words("Re: =?utf-8?Q?caf=C3=A9?= ok"), "Re: caf\xC3\xA9 ok");
  EXPECT_EQ(decode_encoded_words("=?utf-8?Q?a?= x =?utf-8?Q?b?="), "a x b");
  EXPECT_EQ(decode_encoded_words("=?utf-8?Q?a?=\t=?utf-8?Q?b?="), "ab");
  EXPECT_EQ(decode_encoded_words("  lead and trail  "), "  lead and trail  ");
  EXPECT_EQ(decode_encoded_words("folded\r\n line"), "folded line");
}

TEST(EncodedWord, BAndQInAnyCase) {
  EXPECT_EQ(decode_encoded_words("=?utf-8?b?w6k=?="), "\xC3\xA9");
  EXPECT_EQ(decode_encoded_words("=?UTF-8?B?w6k?="), "\xC3\xA9");     // missing padding
  EXPECT_EQ(decode_encoded_words("=?utf-8?q?=c3=a9?="), "\xC3\xA9");  // lowercase hex
  EXPECT_EQ(decode_encoded_words("=?utf-8?Q?under_score=5Fhere?="), "under score_here");
  EXPECT_EQ(decode_encoded_words("=?utf-8?Q?"
                                 "?="),
            "");
}

TEST(EncodedWord, MalformedWordsStayAsWritten) {
  // Unknown encoding letter.
  EXPECT_EQ(decode_encoded_words("=?utf-8?X?abc?="), "=?utf-8?X?abc?=");
  // Truncated: no "?=".
  EXPECT_EQ(decode_encoded_words("Hi =?utf-8?Q?abc"), "Hi =?utf-8?Q?abc");
  EXPECT_EQ(decode_encoded_words("=?utf-8?Q"), "=?utf-8?Q");
  EXPECT_EQ(decode_encoded_words("=?"), "=?");
  EXPECT_EQ(decode_encoded_words("=?utf-8"), "=?utf-8");
  // Bad base64.
  EXPECT_EQ(decode_encoded_words("=?utf-8?B?w6k*?="), "=?utf-8?B?w6k*?=");
  // Empty charset.
  EXPECT_EQ(decode_encoded_words("=??Q?a?="), "=??Q?a?=");
  // An unterminated word followed by a good one: the good one still decodes.
  EXPECT_EQ(decode_encoded_words("=?utf-8?Q?broken =?utf-8?Q?ok?="), "=?utf-8?Q?broken ok");
}

TEST(EncodedWord, QuestionMarkInsideAndGluedWords) {
  // '?' inside Q text (a sender's error): everything up to the first "?=" is the text.
  EXPECT_EQ(decode_encoded_words("=?utf-8?Q?why?_not?="), "why? not");
  EXPECT_EQ(decode_encoded_words("=?utf-8?Q?=3F?="), "?");
  // Words glued to text, as some mailers write them.
  EXPECT_EQ(decode_encoded_words("abc=?utf-8?Q?=C3=A9?=def"),
            "abc\xC3\xA9"
            "def");
  // Words inside a quoted string (forbidden by §5, decoded by every client).
  EXPECT_EQ(decode_encoded_words("\"=?utf-8?Q?J=C3=B6rg?=\" <j@x>"), "\"J\xC3\xB6rg\" <j@x>");
}

TEST(EncodedWord, CharsetsAndFallbacks) {
  EXPECT_EQ(decode_encoded_words("=?iso-2022-jp?B?GyRCRnxLXDhsGyhC?="),
            "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E");  // 日本語
  EXPECT_EQ(decode_encoded_words("=?koi8-r?Q?=F0=D2=C9=D7=C5=D4?="),
            "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82");  // Привет
  // Unknown charset: UTF-8 if valid, else Windows-1252.
  EXPECT_EQ(decode_encoded_words("=?x-unknown?Q?=C3=A9?="), "\xC3\xA9");
  EXPECT_EQ(decode_encoded_words("=?x-unknown?Q?=E9?="), "\xC3\xA9");
  // RFC 2231 §5 language in the charset field.
  EXPECT_EQ(decode_encoded_words("=?US-ASCII*EN?Q?Keith_Moore?="), "Keith Moore");
  // Invalid bytes in the declared charset become U+FFFD; output is always valid UTF-8.
  EXPECT_EQ(decode_encoded_words("=?utf-8?Q?a=FFb?="),
            "a\xEF\xBF\xBD"
            "b");
}

TEST(EncodedWord, MultiByteCharacterSplitAcrossWords) {
  // "é" = C3 A9 split over two words of the same charset.
  EXPECT_EQ(decode_encoded_words("=?utf-8?Q?caf=C3?= =?UTF-8?Q?=A9?="), "caf\xC3\xA9");
  EXPECT_EQ(decode_encoded_words("=?utf-8?B?w6nD?= =?utf-8?B?qQ==?="), "\xC3\xA9\xC3\xA9");
  // Different charsets are converted separately.
  EXPECT_EQ(decode_encoded_words("=?iso-8859-1?Q?=E9?= =?utf-8?Q?=C3=A9?="), "\xC3\xA9\xC3\xA9");
}

TEST(EncodedWord, RawEightBitHeaders) {
  EXPECT_EQ(decode_encoded_words("caf\xC3\xA9"), "caf\xC3\xA9");  // SMTPUTF8 / raw UTF-8
  EXPECT_EQ(decode_encoded_words("caf\xE9"), "caf\xC3\xA9");      // raw Latin-1
}

TEST(EncodedWord, DecodeSingleWord) {
  std::string out;
  EXPECT_TRUE(decode_encoded_word("=?utf-8?Q?a_b?=", out));
  EXPECT_EQ(out, "a b");
  EXPECT_FALSE(decode_encoded_word("=?utf-8?Q?a_b?= x", out));
  EXPECT_FALSE(decode_encoded_word("plain", out));
  EXPECT_FALSE(decode_encoded_word("=?utf-8?Z?a?=", out));
  EXPECT_EQ(out, "a b");
}

TEST(EncodedWord, ManyUnterminatedStartsAreLinear) {
  std::string evil;
  for (int i = 0; i < 20000; ++i) evil += "=?a?Q?x ";
  evil += "?=";
  std::string out = decode_encoded_words(evil);  // must finish quickly
  EXPECT_FALSE(out.empty());
}

TEST(EncodedWord, EncodeLeavesPlainTextAlone) {
  EXPECT_EQ(encode_header_text("Hello world"), "Hello world");
  EXPECT_EQ(encode_header_text("Alice Smith", EncodeContext::phrase), "Alice Smith");
  EXPECT_EQ(encode_header_text("Smith, Alice", EncodeContext::phrase), "\"Smith, Alice\"");
  EXPECT_EQ(encode_header_text("say \"hi\"", EncodeContext::phrase), "\"say \\\"hi\\\"\"");
  EXPECT_TRUE(header_text_is_plain("a\tb c"));
  EXPECT_FALSE(header_text_is_plain("caf\xC3\xA9"));
}

TEST(EncodedWord, EncodeOnlyWhatNeedsIt) {
  EXPECT_EQ(encode_header_text("Re: caf\xC3\xA9 time"), "Re: =?UTF-8?Q?caf=C3=A9?= time");
  // Adjacent non-ASCII tokens share one word, the space inside it.
  EXPECT_EQ(encode_header_text("Caf\xC3\xA9 \xC3\xA0 Paris"), "=?UTF-8?Q?Caf=C3=A9_=C3=A0?= Paris");
  // Text that looks like an encoded word must be encoded, or it would be decoded.
  std::string tricky = "=?utf-8?Q?x?=";
  EXPECT_EQ(decode_encoded_words(encode_header_text(tricky)), tricky);
  // Mostly non-Latin text picks B, the shorter.
  std::string jp = "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E";
  EXPECT_EQ(encode_header_text(jp), "=?UTF-8?B?5pel5pys6Kqe?=");
}

TEST(EncodedWord, EncodedWordsAreShortAndKeepCharactersWhole) {
  std::string s;
  for (int i = 0; i < 60; ++i) s += "\xE2\x82\xAC x\xC3\xA9 ";  // € xé
  for (auto ctx : {EncodeContext::text, EncodeContext::phrase, EncodeContext::comment}) {
    std::string enc = encode_header_text(s, ctx);
    EXPECT_TRUE(header_text_is_plain(enc));
    std::size_t pos = 0;
    while ((pos = enc.find("=?", pos)) != std::string::npos) {
      std::size_t end = enc.find("?=", pos + 10);
      ASSERT_NE(end, std::string::npos);
      EXPECT_LE(end + 2 - pos, 75u);
      std::string one;
      EXPECT_TRUE(decode_encoded_word(enc.substr(pos, end + 2 - pos), one));
      EXPECT_EQ(one.find("\xEF\xBF\xBD"), std::string::npos);  // no split character
      pos = end + 2;
    }
    EXPECT_EQ(decode_encoded_words(enc), s);
  }
}

TEST(EncodedWord, RandomRoundTrips) {
  std::mt19937 rng(2047);
  const char* pool[] = {"a",
                        "Z",
                        " ",
                        "  ",
                        "\t",
                        "_",
                        "=",
                        "?",
                        "=?",
                        "?=",
                        "\"",
                        "(",
                        ",",
                        "\xC3\xA9",
                        "\xE2\x82\xAC",
                        "\xF0\x9F\x98\x80",
                        "x",
                        "."};
  for (int round = 0; round < 3000; ++round) {
    std::string s;
    std::size_t n = rng() % 40;
    for (std::size_t i = 0; i < n; ++i) s += pool[rng() % (sizeof pool / sizeof pool[0])];
    std::string enc = encode_header_text(s, EncodeContext::text);
    EXPECT_EQ(decode_encoded_words(enc), s) << "[" << s << "] -> [" << enc << "]";
  }
}

}  // namespace estafeta::mime
