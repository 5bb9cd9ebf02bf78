// dns_async_resolver: DNS lookups from an Asio event loop without blocking it. libunbound
// resolves in its own background thread (ub_ctx_async) and signals completions on a pipe
// (ub_fd); we watch that descriptor with the loop (asio::posix::stream_descriptor) and call
// ub_process on readiness, which runs the completion callbacks. So no network thread ever
// waits on DNS, no pool of ours sits blocked in ub_resolve, and the only extra thread is
// libunbound's own. Each lookup has an Asio deadline timer; on expiry the query is cancelled
// (ub_cancel) and answered "temporary: timeout".
// Threading: every libunbound call and every piece of state lives on one strand; lookup()
// may be called from any thread; completions are delivered on the strand (hop to your own
// executor if needed; async_lookup does that for you).
// Trust and bounds: as dns_resolver.hpp; at most config.max_in_flight lookups pending (the
// rest are answered temporary at once), each at most config.timeout long.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/dispatch.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/strand.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "dns/dns_resolver.hpp"

struct ub_result;

namespace estafeta::dns {

class AsyncResolver : public std::enable_shared_from_this<AsyncResolver> {
 public:
  using Callback = std::function<void(Answer)>;
  using PlanCallback = std::function<void(RoutePlan)>;

  // nullptr with `error` set when the configuration is refused (see Resolver::create).
  static std::shared_ptr<AsyncResolver> create(asio::any_io_executor executor,
                                               const ResolverConfig& config, std::string& error);
  ~AsyncResolver();
  AsyncResolver(const AsyncResolver&) = delete;
  AsyncResolver& operator=(const AsyncResolver&) = delete;

  // Starts a lookup; `done` runs once, on the resolver's strand, with the Answer.
  void lookup(std::string name, RecordType type, Callback done);

  // The route for `domain` (dns_route_plan.hpp): the MX query, then all address queries at
  // once; `done` runs once on the strand with the finished plan.
  void plan_route(std::string domain, RouteOptions options, std::optional<RouteTarget> route,
                  PlanCallback done);

  // Cancels every pending lookup (answered temporary: "resolver shut down") and stops
  // watching; later lookups are answered the same way at once.
  void shutdown();

  // Completion-token form for coroutines: `Answer a = co_await r->async_lookup(name, type,
  // asio::use_awaitable);`. The handler runs on its associated executor.
  template <class CompletionToken>
  auto async_lookup(std::string name, RecordType type, CompletionToken&& token) {
    return asio::async_initiate<CompletionToken, void(Answer)>(
        [self = shared_from_this()](auto handler, std::string name, RecordType type) {
          auto shared = std::make_shared<decltype(handler)>(std::move(handler));
          self->lookup(std::move(name), type, [shared](Answer a) {
            auto ex = asio::get_associated_executor(*shared);
            asio::dispatch(
                ex, [shared, a = std::move(a)]() mutable { std::move (*shared)(std::move(a)); });
          });
        },
        token, std::move(name), type);
  }

  // The same for a whole route plan.
  template <class CompletionToken>
  auto async_plan_route(std::string domain, RouteOptions options, std::optional<RouteTarget> route,
                        CompletionToken&& token) {
    return asio::async_initiate<CompletionToken, void(RoutePlan)>(
        [self = shared_from_this()](auto handler, std::string domain, RouteOptions options,
                                    std::optional<RouteTarget> route) {
          auto shared = std::make_shared<decltype(handler)>(std::move(handler));
          self->plan_route(std::move(domain), std::move(options), std::move(route),
                           [shared](RoutePlan p) {
                             auto ex = asio::get_associated_executor(*shared);
                             asio::dispatch(ex, [shared, p = std::move(p)]() mutable {
                               std::move (*shared)(std::move(p));
                             });
                           });
        },
        token, std::move(domain), std::move(options), std::move(route));
  }

  std::size_t in_flight() const { return pending_.size(); }  // on the strand only (tests)

 private:
  struct Pending;
  AsyncResolver(asio::any_io_executor executor, ub_ctx* ctx, const ResolverConfig& config);
  void start(std::string name, RecordType type, Callback done);
  void watch();
  void complete(std::uint64_t serial, Answer answer);
  static void on_result(void* arg, int err, ::ub_result* result);

  asio::strand<asio::any_io_executor> strand_;
  ub_ctx* ctx_;
  asio::posix::stream_descriptor fd_;
  std::chrono::milliseconds timeout_;
  std::size_t max_in_flight_;
  bool watching_ = false;
  bool shut_down_ = false;
  std::uint64_t next_serial_ = 1;
  std::unordered_map<std::uint64_t, std::unique_ptr<Pending>> pending_;
};

}  // namespace estafeta::dns
