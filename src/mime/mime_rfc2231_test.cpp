// mime_rfc2231_test: RFC 2231 §3-4 examples, continuations (numbered, encoded, mixed, out of
// order, missing pieces), tolerant splitting of parameter lists, and format -> parse trips.
#include "mime/mime_rfc2231.hpp"

#include <gtest/gtest.h>

#include <string>

namespace estafeta::mime {
namespace {

std::string value_of(std::string_view list, std::string_view name) {
  auto params = parse_parameters(list);
  const Parameter* p = find_parameter(params, name);
  return p ? p->value : "<absent>";
}

}  // namespace

TEST(Rfc2231, SplitsPlainParameters) {
  auto raw = split_parameters("; charset=\"us-ascii\" (comment); format=flowed;delsp=yes");
  ASSERT_EQ(raw.size(), 3u);
  EXPECT_EQ(raw[0].name, "charset");
  EXPECT_EQ(raw[0].value, "us-ascii");
  EXPECT_TRUE(raw[0].quoted);
  EXPECT_EQ(raw[1].value, "flowed");
  EXPECT_FALSE(raw[1].quoted);
  EXPECT_EQ(raw[2].name, "delsp");
}

TEST(Rfc2231, QuotedPairsAndSemicolonsInQuotes) {
  EXPECT_EQ(value_of("; name=\"a\\\"b;c\\\\d\"", "name"), "a\"b;c\\d");
  EXPECT_EQ(value_of("; filename=\"unterminated", "filename"), "unterminated");
}

TEST(Rfc2231, ToleratesGarbage) {
  auto params = parse_parameters(";;; junk; =nothing; a=1; \"weird\"; b = \"2\" ; c=three four");
  ASSERT_NE(find_parameter(params, "a"), nullptr);
  EXPECT_EQ(find_parameter(params, "a")->value, "1");
  EXPECT_EQ(find_parameter(params, "B")->value, "2");
  EXPECT_EQ(find_parameter(params, "c")->value, "three four");
  EXPECT_EQ(find_parameter(params, "junk"), nullptr);
}

TEST(Rfc2231, Rfc2231Section3Continuations) {
  EXPECT_EQ(
      value_of("; URL*0=\"ftp://\"; URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"",
               "url"),
      "ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar");
}

TEST(Rfc2231, Rfc2231Section4CharsetAndLanguage) {
  auto params = parse_parameters("; title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A");
  ASSERT_EQ(params.size(), 1u);
  EXPECT_EQ(params[0].value, "This is ***fun***");
  EXPECT_EQ(params[0].charset, "us-ascii");
  EXPECT_EQ(params[0].language, "en-us");
}

TEST(Rfc2231, Rfc2231Section41MixedContinuations) {
  EXPECT_EQ(value_of("; title*0*=us-ascii'en'This%20is%20even%20more%20"
                     "; title*1*=%2A%2A%2Afun%2A%2A%2A%20; title*2=\"isn't it!\"",
                     "title"),
            "This is even more ***fun*** isn't it!");
}

TEST(Rfc2231, Utf8AndOtherCharsets) {
  EXPECT_EQ(value_of("; filename*=UTF-8''%E2%82%AC%20rates.pdf", "filename"),
            "\xE2\x82\xAC rates.pdf");
  EXPECT_EQ(value_of("; filename*=iso-8859-1''caf%E9.txt", "filename"), "caf\xC3\xA9.txt");
  EXPECT_EQ(value_of("; filename*=''plain%41", "filename"), "plainA");
  // Lowercase hex and a bad escape.
  EXPECT_EQ(value_of("; filename*=utf-8''%c3%a9%zz", "filename"), "\xC3\xA9%zz");
}

TEST(Rfc2231, EncodedContinuationsSplitInsideACharacter) {
  EXPECT_EQ(value_of("; filename*0*=utf-8''%E2%82; filename*1*=%AC.txt", "filename"),
            "\xE2\x82\xAC.txt");
}

TEST(Rfc2231, OutOfOrderPieces) {
  EXPECT_EQ(value_of("; name*2=\"c\"; name*0=\"a\"; name*1=\"b\"", "name"), "abc");
}

TEST(Rfc2231, MissingPieceEndsTheValue) {
  EXPECT_EQ(value_of("; name*0=\"a\"; name*1=\"b\"; name*3=\"d\"", "name"), "ab");
  // No section 0: start from the lowest present.
  EXPECT_EQ(value_of("; name*1=\"b\"; name*2=\"c\"", "name"), "bc");
}

TEST(Rfc2231, ExtendedBeatsPlainAndDuplicatesKeepFirst) {
  auto params = parse_parameters("; filename=\"fallback.txt\"; filename*=utf-8''real.txt");
  ASSERT_EQ(params.size(), 1u);
  EXPECT_EQ(params[0].value, "real.txt");
  EXPECT_EQ(value_of("; a=1; A=2", "a"), "1");
  EXPECT_EQ(value_of("; name*0=\"x\"; name*0=\"y\"", "name"), "x");
}

TEST(Rfc2231, OldClientsEncodedWordsAndRawBytes) {
  EXPECT_EQ(value_of("; name=\"=?UTF-8?B?4oKsLnR4dA==?=\"", "name"), "\xE2\x82\xAC.txt");
  EXPECT_EQ(value_of("; name=\"caf\xC3\xA9.txt\"", "name"), "caf\xC3\xA9.txt");
  EXPECT_EQ(value_of("; name=\"caf\xE9.txt\"", "name"), "caf\xC3\xA9.txt");
}

TEST(Rfc2231, KeepsOrderOfFirstAppearance) {
  auto params = parse_parameters("; b=1; a*0=x; c=3; a*1=y");
  ASSERT_EQ(params.size(), 3u);
  EXPECT_EQ(params[0].name, "b");
  EXPECT_EQ(params[1].name, "a");
  EXPECT_EQ(params[1].value, "xy");
  EXPECT_EQ(params[2].name, "c");
}

TEST(Rfc2231, BoundsAreEnforced) {
  std::string list;
  for (int i = 0; i < 500; ++i) list += "; p" + std::to_string(i) + "=v";
  EXPECT_EQ(parse_parameters(list).size(), kMaxParameters);
  std::string cont;
  for (int i = 0; i < 300; ++i) cont += "; n*" + std::to_string(i) + "=x";
  EXPECT_EQ(value_of(cont, "n").size(), kMaxContinuations);
  // A huge section number is not a continuation index.
  EXPECT_EQ(value_of("; n*99999999999999999999=x", "n*99999999999999999999"), "x");
}

TEST(Rfc2231, FormatsPlainValues) {
  EXPECT_EQ(format_parameter("charset", "utf-8"), "; charset=utf-8");
  EXPECT_EQ(format_parameter("filename", "my file.txt"), "; filename=\"my file.txt\"");
  EXPECT_EQ(format_parameter("filename", "a\"b"), "; filename=\"a\\\"b\"");
  EXPECT_EQ(format_parameter("filename", ""), "; filename=\"\"");
}

TEST(Rfc2231, FormatsNonAsciiAndRoundTrips) {
  EXPECT_EQ(format_parameter("filename", "\xE2\x82\xAC.txt"), "; filename*=utf-8''%E2%82%AC.txt");
  std::string long_name;
  for (int i = 0; i < 30; ++i) long_name += "\xC3\xA9t\xC3\xA9 ";
  long_name += ".pdf";
  std::string f = format_parameter("filename", long_name);
  EXPECT_NE(f.find("filename*0*=utf-8''"), std::string::npos);
  EXPECT_NE(f.find(";\r\n filename*1*="), std::string::npos);
  // Every piece is short and never splits a %XX escape or a character.
  std::size_t start = 0;
  while (start < f.size()) {
    std::size_t end = f.find("\r\n", start);
    if (end == std::string::npos) end = f.size();
    EXPECT_LE(end - start, 80u);
    start = end + 2;
  }
  auto params = parse_parameters(f);
  ASSERT_EQ(params.size(), 1u);
  EXPECT_EQ(params[0].value, long_name);
  EXPECT_EQ(params[0].charset, "utf-8");
}

TEST(Rfc2231, VeryLongValuesStayWithinTheContinuationLimit) {
  std::string v;
  for (int i = 0; i < 500; ++i) v += "\xEF\xBF\xBD";
  for (std::size_t piece : {0u, 12u, 60u}) {
    std::string f = format_parameter("filename", v, piece);
    auto params = parse_parameters(f);
    ASSERT_EQ(params.size(), 1u);
    EXPECT_EQ(params[0].value, v) << piece;
  }
}

TEST(Rfc2231, ValuesLookingLikeEncodedWordsStayLiteral) {
  std::string f = format_parameter("filename", "=?utf-8?Q?a?=.txt");
  EXPECT_EQ(f.find("filename=\""), std::string::npos);
  EXPECT_EQ(parse_parameters(f)[0].value, "=?utf-8?Q?a?=.txt");
}

}  // namespace estafeta::mime
