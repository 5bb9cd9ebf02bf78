// io_pool: see the header.
#include "net/io_pool.hpp"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <exception>

#include "base/log.hpp"

namespace estafeta::net {

IoPool::IoPool(std::size_t threads, int nice) : nice_(nice) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  for (std::size_t i = 0; i < threads; ++i) {
    contexts_.push_back(std::make_unique<asio::io_context>(1));
    guards_.emplace_back(contexts_.back()->get_executor());
  }
}

IoPool::~IoPool() {
  stop();
}

asio::io_context& IoPool::next() {
  return *contexts_[next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size()];
}

void IoPool::start() {
  for (auto& ctx : contexts_) {
    threads_.emplace_back([c = ctx.get(), nice = nice_] {
      if (nice != 0) {
        errno = 0;
        const int now = ::getpriority(PRIO_PROCESS, 0);  // this thread's (Linux)
        if (errno != 0 || ::setpriority(PRIO_PROCESS, 0, now + nice) != 0)
          log::warn("net", "cannot lower an io thread's priority: {}", std::strerror(errno));
      }
      for (;;) {
        try {
          c->run();
          return;
        } catch (const std::exception& e) {
          // Sessions catch their own errors; anything here is a bug in a handler.
          log::error("net", "io thread: unhandled exception: {}", e.what());
        }
      }
    });
  }
}

void IoPool::release_work() {
  guards_.clear();
}

void IoPool::stop() {
  guards_.clear();
  for (auto& ctx : contexts_) ctx->stop();
  join();
}

void IoPool::join() {
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

}  // namespace estafeta::net
