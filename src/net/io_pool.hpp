// io_pool: the network threads. One io_context per thread (each runs single-threaded, so a
// connection placed on one needs no strand and no locks), connections spread round-robin.
// Blocking work never runs here: see blocking.hpp for the hop to the worker pool. A pool can
// run at a lower CPU priority than the rest of the process (`nice`, added to each thread's
// nice value, which Linux keeps per thread): the sending MTA's pool does.
// Memory: one io_context and one thread per io thread.
#pragma once

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <atomic>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

namespace estafeta::net {

class IoPool {
 public:
  explicit IoPool(std::size_t threads, int nice = 0);  // 0 threads = number of cores
  ~IoPool();
  IoPool(const IoPool&) = delete;
  IoPool& operator=(const IoPool&) = delete;

  std::size_t size() const { return contexts_.size(); }
  asio::io_context& context(std::size_t i) { return *contexts_[i]; }
  // The context for the next connection (round-robin).
  asio::io_context& next();

  void start();  // starts the threads; each runs until stop()
  void stop();   // stops every context (pending handlers are dropped) and joins the threads
  void join();   // waits for the threads (after stop(), or once the work guards are released)
  void release_work();  // lets the contexts return once they run out of work

 private:
  using Guard = asio::executor_work_guard<asio::io_context::executor_type>;
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<Guard> guards_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> next_{0};
  int nice_ = 0;
};

}  // namespace estafeta::net
