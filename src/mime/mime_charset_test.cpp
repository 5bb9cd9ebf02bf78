// mime_charset_test: every charset the issue lists decodes a known sample to the expected
// UTF-8 (samples produced by an independent codec implementation), aliases and case, U+FFFD
// for invalid input, graceful degradation for unknown labels, and UTF-8 repair.
#include "mime/mime_charset.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>

namespace estafeta::mime {
namespace {

struct Sample {
  const char* charset;
  const char* encoded;
  const char* utf8;
};

const Sample kSamples[] = {
    {"UTF-8",
     "Gr\xC3\xBC\xC3\x9F"
     "e \xE2\x82\xAC \xE6\x97\xA5\xE6\x9C\xAC",
     "Gr\xC3\xBC\xC3\x9F"
     "e \xE2\x82\xAC \xE6\x97\xA5\xE6\x9C\xAC"},
    {"US-ASCII", "plain text", "plain text"},
    {"ISO-8859-1", "caf\xE9 d\xE9j\xE0 vu", "caf\xC3\xA9 d\xC3\xA9j\xC3\xA0 vu"},
    {"ISO-8859-2",
     "\xA3\xF3"
     "d\xBC \xBF\xF3\xB3\xE6",
     "\xC5\x81\xC3\xB3"
     "d\xC5\xBA \xC5\xBC\xC3\xB3\xC5\x82\xC4\x87"},
    {"ISO-8859-3",
     "\xA1"
     "al G\xB1"
     "arg\xB1ur",
     "\xC4\xA6"
     "al G\xC4\xA7"
     "arg\xC4\xA7ur"},
    {"ISO-8859-4", "\xABirts \xD3\xBAni\xF1\xB9",
     "\xC4\xA2irts \xC4\xB6\xC4\x93ni\xC5\x86\xC5\xA1"},
    {"ISO-8859-5", "\xBF\xE0\xD8\xD2\xD5\xE2", "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82"},
    {"ISO-8859-6", "\xE5\xD1\xCD\xC8\xC7", "\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7"},
    {"ISO-8859-7", "\xCA\xE1\xEB\xE7\xEC\xDD\xF1\xE1",
     "\xCE\x9A\xCE\xB1\xCE\xBB\xCE\xB7\xCE\xBC\xCE\xAD\xCF\x81\xCE\xB1"},
    {"ISO-8859-8", "\xF9\xEC\xE5\xED", "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D"},
    {"ISO-8859-9", "G\xFCnayd\xFDn \xDDstanbul", "G\xC3\xBCnayd\xC4\xB1n \xC4\xB0stanbul"},
    {"ISO-8859-10", "\xDE\xF3r\xF0ur \xAF", "\xC3\x9E\xC3\xB3r\xC3\xB0ur \xC5\x8A"},
    {"ISO-8859-11", "\xCA\xC7\xD1\xCA\xB4\xD5",
     "\xE0\xB8\xAA\xE0\xB8\xA7\xE0\xB8\xB1\xE0\xB8\xAA\xE0\xB8\x94\xE0\xB8\xB5"},
    {"ISO-8859-13", "\xC0\xFEuolas \xEB\xEB", "\xC4\x84\xC5\xBEuolas \xC4\x97\xC4\x97"},
    {"ISO-8859-14", "\xD0\xFE \xA2", "\xC5\xB4\xC5\xB7 \xE1\xB8\x83"},
    {"ISO-8859-15", "5 \xA4 \xBDuvre", "5 \xE2\x82\xAC \xC5\x93uvre"},
    {"ISO-8859-16", "\xAAtiin\xFE\xE3 \xAA", "\xC8\x98tiin\xC8\x9B\xC4\x83 \xC8\x98"},
    {"windows-1250", "P\xF8\xEDli\x9A \x9Elu\x9Dou\xE8k\xFD",
     "P\xC5\x99\xC3\xADli\xC5\xA1 \xC5\xBElu\xC5\xA5ou\xC4\x8Dk\xC3\xBD"},
    {"windows-1251", "\xC7\xE4\xF0\xE0\xE2\xF1\xF2\xE2\xF3\xE9\xF2\xE5",
     "\xD0\x97\xD0\xB4\xD1\x80\xD0\xB0\xD0\xB2\xD1\x81\xD1\x82\xD0\xB2\xD1\x83\xD0\xB9\xD1\x82\xD0"
     "\xB5"},
    {"windows-1252", "\x93quotes\x94 \x96 \x80",
     "\xE2\x80\x9Cquotes\xE2\x80\x9D \xE2\x80\x93 \xE2\x82\xAC"},
    {"windows-1253", "\xC5\xEB\xEB\xE7\xED\xE9\xEA\xDC",
     "\xCE\x95\xCE\xBB\xCE\xBB\xCE\xB7\xCE\xBD\xCE\xB9\xCE\xBA\xCE\xAC"},
    {"windows-1254", "\xDEi\xFEli \xF0", "\xC5\x9Ei\xC5\x9Fli \xC4\x9F"},
    {"windows-1255", "\xF2\xE1\xF8\xE9\xFA", "\xD7\xA2\xD7\x91\xD7\xA8\xD7\x99\xD7\xAA"},
    {"windows-1256", "\xDA\xD1\xC8\xED", "\xD8\xB9\xD8\xB1\xD8\xA8\xD9\x8A"},
    {"windows-1257", "\xCBl\xEB \xFE", "\xC4\x96l\xC4\x97 \xC5\xBE"},
    {"windows-1258", "\xD0\xE0 \xF5\xFD", "\xC4\x90\xC3\xA0 \xC6\xA1\xC6\xB0"},
    {"KOI8-R", "\xF2\xD5\xD3\xD3\xCB\xC9\xCA",
     "\xD0\xA0\xD1\x83\xD1\x81\xD1\x81\xD0\xBA\xD0\xB8\xD0\xB9"},
    {"KOI8-U", "\xF5\xCB\xD2\xC1\xA7\xCE\xC1 \xAD",
     "\xD0\xA3\xD0\xBA\xD1\x80\xD0\xB0\xD1\x97\xD0\xBD\xD0\xB0 \xD2\x91"},
    {"GB2312", "\xD6\xD0\xCE\xC4\xD3\xCA\xBC\xFE",
     "\xE4\xB8\xAD\xE6\x96\x87\xE9\x82\xAE\xE4\xBB\xB6"},
    {"GBK", "\xD6\xD0\xCE\xC4\xE0]\xBC\xFE", "\xE4\xB8\xAD\xE6\x96\x87\xE9\x83\xB5\xE4\xBB\xB6"},
    {"GB18030",
     "\xD6\xD0\xCE\xC4\xA2\xE3\x95"
     "2\x82"
     "6",
     "\xE4\xB8\xAD\xE6\x96\x87\xE2\x82\xAC\xF0\xA0\x80\x80"},
    {"Big5",
     "\xC1"
     "c\xC5\xE9\xA4\xA4\xA4\xE5",
     "\xE7\xB9\x81\xE9\xAB\x94\xE4\xB8\xAD\xE6\x96\x87"},
    {"Shift_JIS", "\x93\xFA\x96{\x8C\xEA\x82\xCC\x83\x81\x81[\x83\x8B",
     "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x81\xAE\xE3\x83\xA1\xE3\x83\xBC\xE3\x83\xAB"},
    {"EUC-JP", "\xC6\xFC\xCB\xDC\xB8\xEC\xA4\xCE\xA5\xE1\xA1\xBC\xA5\xEB",
     "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x81\xAE\xE3\x83\xA1\xE3\x83\xBC\xE3\x83\xAB"},
    {"ISO-2022-JP", "\x1B$BF|K\\8l$N%a!<%k\x1B(B",
     "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x81\xAE\xE3\x83\xA1\xE3\x83\xBC\xE3\x83\xAB"},
    {"EUC-KR", "\xC7\xD1\xB1\xB9\xBE\xEE \xB8\xDE\xC0\xCF",
     "\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4 \xEB\xA9\x94\xEC\x9D\xBC"},
};

}  // namespace

TEST(MimeCharset, EveryListedCharsetDecodesItsSample) {
  for (const auto& s : kSamples) {
    std::string out;
    CharsetOutcome r = convert_to_utf8(s.charset, s.encoded, out);
    EXPECT_EQ(out, s.utf8) << s.charset;
    EXPECT_EQ(r, CharsetOutcome::exact) << s.charset;
    EXPECT_FALSE(charset_iconv_name(s.charset).empty()) << s.charset;
  }
}

TEST(MimeCharset, NamesAreCaseInsensitiveWithAliases) {
  EXPECT_EQ(charset_iconv_name("UTF-8"), "UTF-8");
  EXPECT_EQ(charset_iconv_name("utf8"), "UTF-8");
  EXPECT_EQ(charset_iconv_name(" \"Utf-8\" "), "UTF-8");
  EXPECT_EQ(charset_iconv_name("utf-8*en"), "UTF-8");  // RFC 2231 §5 language suffix
  EXPECT_EQ(charset_iconv_name("LATIN1"), "WINDOWS-1252");
  EXPECT_EQ(charset_iconv_name("iso_8859-1:1987"), "WINDOWS-1252");
  EXPECT_EQ(charset_iconv_name("cp1252"), "WINDOWS-1252");
  EXPECT_EQ(charset_iconv_name("Windows-1250"), "CP1250");
  EXPECT_EQ(charset_iconv_name("x-sjis"), "CP932");
  EXPECT_EQ(charset_iconv_name("ks_c_5601-1987"), "CP949");
  EXPECT_EQ(charset_iconv_name("gb2312"), "GB18030");
  EXPECT_EQ(charset_iconv_name("ISO8859-15"), "ISO-8859-15");
  EXPECT_EQ(charset_iconv_name("latin2"), "ISO-8859-2");
  EXPECT_EQ(charset_iconv_name("koi8-u"), "KOI8-U");
  EXPECT_EQ(charset_iconv_name("no-such-charset"), "");
  EXPECT_EQ(charset_iconv_name("unknown-8bit"), "");
  EXPECT_EQ(charset_iconv_name("UTF-8//IGNORE"), "");  // no iconv option injection
  EXPECT_EQ(charset_iconv_name(std::string(200, 'a')), "");
  EXPECT_TRUE(charset_is_utf8_compatible("us-ascii"));
  EXPECT_TRUE(charset_is_utf8_compatible("UTF8"));
  EXPECT_FALSE(charset_is_utf8_compatible("iso-8859-2"));
}

TEST(MimeCharset, AliasesDecodeLikeTheirCharset) {
  EXPECT_EQ(to_utf8("x-sjis", "\x93\xFA\x96\x7B"), "\xE6\x97\xA5\xE6\x9C\xAC");  // 日本
  EXPECT_EQ(to_utf8("ks_c_5601-1987", "\xC7\xD1"), "\xED\x95\x9C");              // 한
  EXPECT_EQ(to_utf8("GB2312", "\xD6\xD0"), "\xE4\xB8\xAD");                      // 中
  // Windows-1252 extras in "ISO-8859-1" text, as Outlook sends it.
  EXPECT_EQ(to_utf8("iso-8859-1", "\x93hi\x94 \x80"), "\xE2\x80\x9Chi\xE2\x80\x9D \xE2\x82\xAC");
  EXPECT_EQ(to_utf8("cp1252", "\x81"), "\xC2\x81");
}

TEST(MimeCharset, InvalidSequencesBecomeReplacementCharacters) {
  std::string out;
  EXPECT_EQ(convert_to_utf8("shift_jis", "a\x82z", out), CharsetOutcome::replaced);
  EXPECT_NE(out.find("\xEF\xBF\xBD"), std::string::npos);
  EXPECT_EQ(out.front(), 'a');
  EXPECT_EQ(out.back(), 'z');
  out.clear();
  // Truncated multi-byte sequence at the end.
  EXPECT_EQ(convert_to_utf8("euc-kr", "ok\xC7", out), CharsetOutcome::replaced);
  EXPECT_EQ(out, "ok\xEF\xBF\xBD");
  out.clear();
  EXPECT_EQ(convert_to_utf8("utf-8", "a\xC3(b", out), CharsetOutcome::replaced);
  EXPECT_EQ(out, "a\xEF\xBF\xBD(b");
}

TEST(MimeCharset, UnknownCharsetsDegrade) {
  std::string out;
  EXPECT_EQ(convert_to_utf8("x-klingon", "caf\xC3\xA9", out), CharsetOutcome::unknown_utf8);
  EXPECT_EQ(out, "caf\xC3\xA9");
  out.clear();
  EXPECT_EQ(convert_to_utf8("x-klingon", "caf\xE9", out), CharsetOutcome::unknown_latin1);
  EXPECT_EQ(out, "caf\xC3\xA9");
  out.clear();
  EXPECT_EQ(convert_to_utf8("", "plain", out), CharsetOutcome::unknown_utf8);
  EXPECT_EQ(out, "plain");
  // 8-bit text labelled US-ASCII: UTF-8 when valid, else Windows-1252.
  EXPECT_EQ(to_utf8("us-ascii", "caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(to_utf8("us-ascii", "caf\xE9"), "caf\xC3\xA9");
}

TEST(MimeCharset, Utf8Validation) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii that is long enough for the fast path"));
  EXPECT_TRUE(is_valid_utf8("\xF0\x9F\x98\x80 \xE2\x82\xAC \xC3\xA9"));
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong
  EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));      // overlong
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(is_valid_utf8("abc\xE2\x82"));       // truncated
  EXPECT_FALSE(is_valid_utf8("\x80"));
}

TEST(MimeCharset, Utf8RepairUsesMaximalSubparts) {
  std::string out;
  EXPECT_TRUE(append_utf8_sanitized("ok \xC3\xA9", out));
  EXPECT_EQ(out, "ok \xC3\xA9");
  out.clear();
  // Unicode §3.9 example: 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64 -> a FFFD FFFD FFFD b FFFD
  // c FFFD FFFD d.
  EXPECT_FALSE(
      append_utf8_sanitized("a\xF1\x80\x80\xE1\x80\xC2"
                            "b\x80"
                            "c\x80\xBF"
                            "d",
                            out));
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(out, "a" + r + r + r + "b" + r + "c" + r + r + "d");
}

TEST(MimeCharset, CacheWorksAcrossManyCharsetsAndThreads) {
  // More distinct charsets than cache slots, twice, in two threads at once.
  auto work = [] {
    for (int round = 0; round < 3; ++round)
      for (const auto& s : kSamples) EXPECT_EQ(to_utf8(s.charset, s.encoded), s.utf8);
  };
  std::thread t(work);
  work();
  t.join();
}

}  // namespace estafeta::mime
