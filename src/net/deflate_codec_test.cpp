// deflate_codec_test: what one side compresses the other inflates, across any split of the
// compressed bytes; each write ends with a sync flush (readable at once); a bomb is inflated
// in bounded steps; garbage and the end of the stream are errors.
#include "net/deflate_codec.hpp"

#include <gtest/gtest.h>

#include <string>

namespace estafeta::net {
namespace {

std::string inflate_all(Inflater& inf, std::string_view in, std::size_t step = 1 << 30) {
  std::string out;
  while (!in.empty()) {
    std::error_code ec;
    std::size_t used = inf.inflate(in.substr(0, std::min(step, in.size())), out, 1 << 20, ec);
    EXPECT_FALSE(ec) << ec.message();
    if (ec) break;
    in.remove_prefix(used);
  }
  return out;
}

TEST(Deflate, RoundTripsEachWriteAtOnce) {
  Deflater d;
  Inflater i;
  for (int n = 0; n < 50; ++n) {
    std::string line = "* " + std::to_string(n) + " FETCH (FLAGS (\\Seen))\r\n";
    std::string wire;
    d.deflate(line, wire);
    EXPECT_EQ(inflate_all(i, wire), line);  // sync flush: nothing held back
  }
}

TEST(Deflate, AnySplitOfTheCompressedBytes) {
  Deflater d;
  std::string text;
  for (int n = 0; n < 2000; ++n) text += "line " + std::to_string(n * 7919 % 1000) + "\r\n";
  std::string wire;
  d.deflate(text, wire);
  for (std::size_t step : {1u, 7u, 512u}) {
    Deflater d2;
    std::string w2;
    d2.deflate(text, w2);
    Inflater i;
    EXPECT_EQ(inflate_all(i, w2, step), text) << step;
  }
}

TEST(Deflate, BombIsInflatedInBoundedSteps) {
  Deflater d;
  std::string zeros(8 << 20, '\0');
  std::string wire;
  d.deflate(zeros, wire);
  EXPECT_LT(wire.size(), 64u * 1024);
  Inflater i;
  std::string out;
  std::error_code ec;
  std::size_t used = i.inflate(wire, out, 65536, ec);
  EXPECT_FALSE(ec);
  EXPECT_LE(out.size(), 65536u);
  EXPECT_LT(used, wire.size());  // the rest waits for the caller to make room
}

TEST(Deflate, GarbageIsAnError) {
  Inflater i;
  std::string out;
  std::error_code ec;
  i.inflate(std::string("\xff\xff\xff\xff garbage", 12), out, 4096, ec);
  EXPECT_TRUE(ec);
}

}  // namespace
}  // namespace estafeta::net
