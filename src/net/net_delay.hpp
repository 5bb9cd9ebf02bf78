// net_delay: waits a while on the calling coroutine's own executor (an asio::steady_timer),
// never on a sleeping thread. Used for the login throttle's delay after a wrong password,
// which the SMTP, IMAP and POP3 connections wait out before the core's answer leaves, so a
// guessing client is slowed down while the io thread keeps serving every other session.
// Trust: none of its own; the caller bounds the delay (the throttle's max_delay). Memory:
// one timer in one coroutine frame. Never throws: an aborted wait (the timer cancelled) just
// ends early.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <system_error>

namespace estafeta::net {

// Resumes the caller after `delay` (at once for zero or less), on the caller's executor.
inline asio::awaitable<void> delay_for(std::chrono::milliseconds delay) {
  if (delay.count() <= 0) co_return;
  asio::steady_timer timer(co_await asio::this_coro::executor, delay);
  std::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

}  // namespace estafeta::net
