// blocking: run one blocking call (SQLite, password hashing, fsync) on the worker pool and
// resume the calling coroutine on its own executor with the result: exactly one hop there
// and one back, no strand or extra coroutine frame. The callable must not throw (cores and
// the directory/delivery APIs report errors by value); the result must be movable.
// Trust: none of its own; it only moves a call between threads. Memory: one posted closure
// per call, holding the callable and then its result.
#pragma once

#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/dispatch.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>
#include <type_traits>
#include <utility>

namespace estafeta::net {

template <class F>
asio::awaitable<std::invoke_result_t<F&>> run_blocking(asio::thread_pool& pool, F f) {
  using R = std::invoke_result_t<F&>;
  static_assert(!std::is_void_v<R>, "run_blocking needs a value to hand back");
  auto initiate = [&pool](auto handler, F fn) {
    auto work = asio::make_work_guard(asio::get_associated_executor(handler));
    asio::post(pool,
               [h = std::move(handler), fn = std::move(fn), work = std::move(work)]() mutable {
                 R result = fn();
                 auto ex = work.get_executor();
                 asio::dispatch(ex, [h = std::move(h), result = std::move(result)]() mutable {
                   std::move(h)(std::move(result));
                 });
               });
  };
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(R)>(
      initiate, asio::use_awaitable, std::move(f));
}

}  // namespace estafeta::net
