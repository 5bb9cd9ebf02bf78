// base64_test: RFC 4648 §10 vectors, tolerant MIME decoding, strict SASL decoding, and
// agreement of the vector, scalar and byte-at-a-time layers on random and hostile input.
#include "base/base64.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

namespace estafeta::base64 {

std::size_t decode_to_scalar_for_test(std::string_view in, char* out);

namespace {

// The simplest possible tolerant decoder, the reference for the fast one.
std::string reference_decode(std::string_view in) {
  static const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t acc = 0;
  int have = 0;
  auto flush = [&] {
    if (have >= 2) out += static_cast<char>(acc >> (6 * have - 8));
    if (have >= 3) out += static_cast<char>(acc >> (6 * have - 16));
    acc = 0;
    have = 0;
  };
  for (char c : in) {
    auto pos = alphabet.find(c);
    if (c == '=') {
      flush();
    } else if (pos != std::string::npos && c != '\0') {
      acc = (acc << 6) | static_cast<uint32_t>(pos);
      if (++have == 4) {
        out += static_cast<char>(acc >> 16);
        out += static_cast<char>(acc >> 8);
        out += static_cast<char>(acc);
        acc = 0;
        have = 0;
      }
    }
  }
  flush();
  return out;
}

std::string scalar_decode(std::string_view in) {
  std::string out(decoded_size_max(in.size()), '\0');
  out.resize(decode_to_scalar_for_test(in, out.data()));
  return out;
}

std::string random_bytes(std::mt19937& rng, std::size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xFF);
  return s;
}

}  // namespace

TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(encode(""), "");
  EXPECT_EQ(encode("f"), "Zg==");
  EXPECT_EQ(encode("fo"), "Zm8=");
  EXPECT_EQ(encode("foo"), "Zm9v");
  EXPECT_EQ(encode("foob"), "Zm9vYg==");
  EXPECT_EQ(encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(encode("foobar"), "Zm9vYmFy");
  for (const char* s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    std::string out;
    EXPECT_TRUE(decode_strict(encode(s), out));
    EXPECT_EQ(out, s);
    out.clear();
    decode(encode(s), out);
    EXPECT_EQ(out, s);
  }
}

TEST(Base64, WrapsLines) {
  EXPECT_EQ(encode(std::string(60, 'a'), 76).find("\r\n"), 76u);
  std::string e = encode(std::string(57, 'a'), 76);
  EXPECT_EQ(e.size(), 76u);  // exactly one line: no trailing CRLF
  e = encode(std::string(58, 'a'), 76);
  EXPECT_EQ(e.size(), 76u + 2 + 4);
  EXPECT_EQ(e.substr(76, 2), "\r\n");
  for (std::size_t n = 0; n < 400; ++n) {
    std::string in(n, 'x');
    for (std::size_t len : {0u, 4u, 8u, 76u}) {
      std::string enc = encode(in, len);
      EXPECT_EQ(enc.size(), encoded_size(n, len)) << n << " " << len;
      if (len != 0) {
        std::size_t start = 0;
        while (start < enc.size()) {
          std::size_t end = enc.find("\r\n", start);
          if (end == std::string::npos) end = enc.size();
          EXPECT_LE(end - start, len);
          EXPECT_GT(end - start, 0u);
          start = end + 2;
        }
      }
      std::string back;
      decode(enc, back);
      EXPECT_EQ(back, in);
    }
  }
}

TEST(Base64, EncodeAppendKeepsPrefix) {
  std::string out = "x:";
  EXPECT_EQ(encode_append("foo", out), 4u);
  EXPECT_EQ(out, "x:Zm9v");
}

TEST(Base64, TolerantDecodeSkipsJunkAndMissingPadding) {
  std::string out;
  decode("Zm9v\r\nYmE", out);
  EXPECT_EQ(out, "fooba");
  out.clear();
  decode(" Z m 9 v\tY*m#F@y ", out);
  EXPECT_EQ(out, "foobar");
  out.clear();
  decode("Zm9vYmE====", out);  // extra padding
  EXPECT_EQ(out, "fooba");
  out.clear();
  decode("Zg==Zm8=", out);  // concatenated padded chunks
  EXPECT_EQ(out, "ffo");
  out.clear();
  decode("Z", out);  // a lone character carries no whole byte
  EXPECT_EQ(out, "");
  out.clear();
  decode("\xff\x80Zm9v\x00", out);
  EXPECT_EQ(out, "foo");
}

TEST(Base64, AllLayersAgreeOnRandomAndHostileInput) {
  std::mt19937 rng(12345);
  const std::string noise = "\r\n \t=*-.\x80\xff";
  for (int round = 0; round < 3000; ++round) {
    std::size_t n = rng() % 600;
    std::string enc = encode(random_bytes(rng, n), round % 3 == 0 ? 76 : 0);
    // Sprinkle noise at random places in some rounds.
    int sprinkles = round % 4 == 0 ? 0 : static_cast<int>(rng() % 8);
    for (int k = 0; k < sprinkles && !enc.empty(); ++k)
      enc.insert(rng() % enc.size(), 1, noise[rng() % noise.size()]);
    std::string fast;
    decode(enc, fast);
    std::string ref = reference_decode(enc);
    ASSERT_EQ(fast, ref) << "round " << round;
    ASSERT_EQ(scalar_decode(enc), ref) << "round " << round;
  }
}

TEST(Base64, EveryByteValueInEveryVectorPosition) {
  // Each of the 256 byte values at each of 64 positions of a clean run, so both the AVX2
  // validity check and the scalar tables see every character in every lane.
  std::string base = encode(std::string(48, 'Q'));  // 64 clean characters
  for (int c = 0; c < 256; ++c) {
    for (std::size_t pos = 0; pos < base.size(); ++pos) {
      std::string in = base + base;
      in[pos] = static_cast<char>(c);
      std::string fast;
      decode(in, fast);
      ASSERT_EQ(fast, reference_decode(in)) << c << " at " << pos;
    }
  }
}

TEST(Base64, LargeLineBrokenRoundTrip) {
  std::mt19937 rng(7);
  std::string data = random_bytes(rng, 1 << 20);
  std::string enc = encode(data, 76);
  std::string out;
  EXPECT_EQ(decode(enc, out), data.size());
  EXPECT_EQ(out, data);
  // LF-only line ends, as some mailers store them.
  std::string lf;
  for (char c : enc)
    if (c != '\r') lf += c;
  out.clear();
  decode(lf, out);
  EXPECT_EQ(out, data);
}

TEST(Base64, StrictRejectsJunk) {
  std::string out;
  EXPECT_FALSE(decode_strict("Zm9v YmE=", out));
  EXPECT_FALSE(decode_strict("Zm9", out));
  EXPECT_FALSE(decode_strict("Zm9vY===", out));
  EXPECT_FALSE(decode_strict("Zm=v", out));
  EXPECT_TRUE(decode_strict("", out));
  EXPECT_EQ(out, "");
  EXPECT_TRUE(decode_strict("AGFsaWNlAHNlY3JldA==", out));
  EXPECT_EQ(out, std::string("\0alice\0secret", 13));
}

}  // namespace estafeta::base64
