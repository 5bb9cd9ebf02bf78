// io_pool_test: a pool runs what is posted to its contexts on its own threads, round-robin;
// a pool made with `nice` runs its threads that much lower than the thread that started it
// (capped at 19, the lowest priority), and a pool without it at the same priority.
#include "net/io_pool.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <asio/post.hpp>
#include <chrono>
#include <future>

namespace estafeta::net {
namespace {

// The nice value of the thread that runs a job posted to `ctx` (bounded wait).
int nice_inside(asio::io_context& ctx) {
  std::promise<int> seen;
  auto got = seen.get_future();
  asio::post(ctx, [&seen] { seen.set_value(::getpriority(PRIO_PROCESS, 0)); });
  EXPECT_EQ(got.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  return got.get();
}

TEST(IoPool, NiceLowersItsThreadsOnly) {
  const int here = ::getpriority(PRIO_PROCESS, 0);
  IoPool plain(1);
  IoPool low(2, 5);
  plain.start();
  low.start();
  EXPECT_EQ(nice_inside(plain.context(0)), here);
  EXPECT_EQ(nice_inside(low.context(0)), std::min(here + 5, 19));
  EXPECT_EQ(nice_inside(low.context(1)), std::min(here + 5, 19));
  EXPECT_EQ(::getpriority(PRIO_PROCESS, 0), here);  // the caller's own is untouched
  low.stop();
  plain.stop();
}

TEST(IoPool, NextGoesRoundRobin) {
  IoPool pool(3);
  asio::io_context* first = &pool.next();
  asio::io_context* second = &pool.next();
  asio::io_context* third = &pool.next();
  EXPECT_NE(first, second);
  EXPECT_NE(second, third);
  EXPECT_NE(first, third);
  EXPECT_EQ(&pool.next(), first);
}

}  // namespace
}  // namespace estafeta::net
