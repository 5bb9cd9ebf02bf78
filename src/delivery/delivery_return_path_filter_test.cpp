// delivery_return_path_filter_test: Return-Path fields (any case, folded, several) leave the
// header section; lookalikes and the body stay; every split of the input gives the same result.
#include "delivery/delivery_return_path_filter.hpp"

#include <gtest/gtest.h>

namespace estafeta::delivery {
namespace {

std::string run(std::string_view in, std::size_t step = 0) {
  ReturnPathFilter f;
  std::string out;
  if (step == 0) {
    f.feed(in, out);
  } else {
    for (std::size_t i = 0; i < in.size(); i += step) f.feed(in.substr(i, step), out);
  }
  f.finish(out);
  return out;
}

void check(std::string_view in, std::string_view want) {
  EXPECT_EQ(run(in), want);
  for (std::size_t step = 1; step <= 7; ++step) EXPECT_EQ(run(in, step), want) << "step " << step;
  for (std::size_t cut = 0; cut <= in.size(); ++cut) {
    ReturnPathFilter f;
    std::string out;
    f.feed(in.substr(0, cut), out);
    f.feed(in.substr(cut), out);
    f.finish(out);
    EXPECT_EQ(out, want) << "cut " << cut;
  }
}

TEST(ReturnPathFilter, RemovesTheFieldAndItsContinuations) {
  check("Return-Path: <a@b>\r\nSubject: x\r\n\r\nbody\r\n", "Subject: x\r\n\r\nbody\r\n");
  check("Subject: x\r\nreturn-path:\r\n <folded@b>\r\nTo: y\r\n\r\nb\r\n",
        "Subject: x\r\nTo: y\r\n\r\nb\r\n");
  check("RETURN-PATH : <a>\r\nReturn-Path: <b>\r\n\r\n", "\r\n");
}

TEST(ReturnPathFilter, KeepsLookalikesAndTheBody) {
  check("Return-Paths: x\r\nX-Return-Path: y\r\n\r\nReturn-Path: in body\r\n",
        "Return-Paths: x\r\nX-Return-Path: y\r\n\r\nReturn-Path: in body\r\n");
  check("Subject: no body", "Subject: no body");
  check("", "");
  check("\r\nReturn-Path: <a>\r\n", "\r\nReturn-Path: <a>\r\n");
}

TEST(ReturnPathFilter, CountsRemovals) {
  ReturnPathFilter f;
  std::string out;
  f.feed("Return-Path: <a>\r\nReturn-Path: <b>\r\nX: y\r\n\r\n", out);
  EXPECT_EQ(f.removed(), 2u);
}

}  // namespace
}  // namespace estafeta::delivery
