// dns_resolver: the blocking resolver (see dns_resolver.hpp). A lookup is an asynchronous
// libunbound query waited for with poll() on ub_fd up to the deadline, then cancelled: a
// plain ub_resolve() could wait for minutes on an unresponsive server.
#include "dns/dns_resolver.hpp"

#include <poll.h>
#include <unbound.h>

#include <cerrno>

#include "dns/dns_unbound.hpp"

namespace estafeta::dns {

std::unique_ptr<Resolver> Resolver::create(const ResolverConfig& config, std::string& error) {
  ub_ctx* ctx = detail::make_context(config, error);
  if (!ctx) return nullptr;
  return std::unique_ptr<Resolver>(new Resolver(ctx, config.timeout));
}

Resolver::~Resolver() {
  detail::delete_context(ctx_);
}

namespace {

struct Waiter {
  bool done = false;
  Answer answer;
};

void on_result(void* arg, int err, ub_result* result) {
  auto* w = static_cast<Waiter*>(arg);
  w->answer = detail::to_answer(err, result);
  w->done = true;
}

}  // namespace

Answer Resolver::lookup(std::string_view name, RecordType type) {
  if (!detail::valid_query_name(name)) {
    Answer a;
    a.status = AnswerStatus::nxdomain;
    a.error = "invalid name";
    return a;
  }
  std::lock_guard lock(mutex_);
  Waiter w;
  int id = 0;
  std::string qname(name);
  int err =
      ub_resolve_async(ctx_, qname.c_str(), static_cast<int>(type), 1 /* IN */, &w, on_result, &id);
  if (err != 0) return detail::temporary(std::string("lookup not started: ") + ub_strerror(err));
  auto deadline = std::chrono::steady_clock::now() + timeout_;
  while (!w.done) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ub_cancel(ctx_, id);  // after this the callback is never called
      return detail::temporary("timeout after " + std::to_string(timeout_.count()) + " ms");
    }
    pollfd p{ub_fd(ctx_), POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno != EINTR) {
      ub_cancel(ctx_, id);
      return detail::temporary("poll failed");
    }
    if (n > 0) ub_process(ctx_);
  }
  return std::move(w.answer);
}

RoutePlan Resolver::plan_route(std::string_view domain, const RouteOptions& options,
                               const RouteTarget* route) {
  return dns::plan_route(domain, options, route,
                         [this](const Query& q) { return lookup(q.name, q.type); });
}

}  // namespace estafeta::dns
