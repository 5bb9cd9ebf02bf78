// base64_test: RFC 4648 §10 vectors, tolerant MIME decoding and strict SASL decoding.
#include "base/base64.hpp"

#include <gtest/gtest.h>

namespace estafeta::base64 {

TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(encode(""), "");
  EXPECT_EQ(encode("f"), "Zg==");
  EXPECT_EQ(encode("fo"), "Zm8=");
  EXPECT_EQ(encode("foo"), "Zm9v");
  EXPECT_EQ(encode("foobar"), "Zm9vYmFy");
  std::string out;
  EXPECT_TRUE(decode_strict("Zm9vYmE=", out));
  EXPECT_EQ(out, "fooba");
}

TEST(Base64, WrapsLines) {
  EXPECT_EQ(encode(std::string(60, 'a'), 76).find("\r\n"), 76u);
}

TEST(Base64, TolerantDecodeSkipsJunkAndMissingPadding) {
  std::string out;
  decode("Zm9v\r\nYmE", out);
  EXPECT_EQ(out, "fooba");
}

TEST(Base64, StrictRejectsJunk) {
  std::string out;
  EXPECT_FALSE(decode_strict("Zm9v YmE=", out));
  EXPECT_FALSE(decode_strict("Zm9", out));
}

}  // namespace estafeta::base64
