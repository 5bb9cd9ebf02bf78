// dns_async_resolver: libunbound driven from an Asio strand (see dns_async_resolver.hpp).
#include "dns/dns_async_resolver.hpp"

#include <unbound.h>
#include <unistd.h>

#include <asio/bind_executor.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include "dns/dns_unbound.hpp"

namespace estafeta::dns {

struct AsyncResolver::Pending {
  Pending(AsyncResolver* o, std::uint64_t s, Callback d, const asio::any_io_executor& ex)
      : owner(o), serial(s), done(std::move(d)), timer(ex) {}
  AsyncResolver* owner;
  std::uint64_t serial;
  int id = 0;  // libunbound's async id, for ub_cancel
  Callback done;
  asio::steady_timer timer;
};

std::shared_ptr<AsyncResolver> AsyncResolver::create(asio::any_io_executor executor,
                                                     const ResolverConfig& config,
                                                     std::string& error) {
  ub_ctx* ctx = detail::make_context(config, error);
  if (!ctx) return nullptr;
  return std::shared_ptr<AsyncResolver>(new AsyncResolver(std::move(executor), ctx, config));
}

AsyncResolver::AsyncResolver(asio::any_io_executor executor, ub_ctx* ctx,
                             const ResolverConfig& config)
    : strand_(asio::make_strand(executor)),
      ctx_(ctx),
      fd_(strand_),
      timeout_(config.timeout),
      max_in_flight_(config.max_in_flight) {
  // Our own descriptor for the completion pipe: Asio closes what it owns, libunbound its own.
  int fd = ::dup(ub_fd(ctx_));
  if (fd >= 0) fd_.assign(fd);
}

AsyncResolver::~AsyncResolver() {
  // Every pending lookup holds a timer whose handler holds us: none is left here.
  asio::error_code ignored;
  fd_.close(ignored);
  detail::delete_context(ctx_);
}

void AsyncResolver::lookup(std::string name, RecordType type, Callback done) {
  asio::dispatch(strand_, [self = shared_from_this(), name = std::move(name), type,
                           done = std::move(done)]() mutable {
    self->start(std::move(name), type, std::move(done));
  });
}

void AsyncResolver::start(std::string name, RecordType type, Callback done) {
  auto refuse = [&](Answer a) {
    asio::post(strand_,
               [done = std::move(done), a = std::move(a)]() mutable { done(std::move(a)); });
  };
  if (shut_down_ || !fd_.is_open()) return refuse(detail::temporary("resolver shut down"));
  if (!detail::valid_query_name(name)) {
    Answer a;
    a.status = AnswerStatus::nxdomain;
    a.error = "invalid name";
    return refuse(std::move(a));
  }
  if (pending_.size() >= max_in_flight_) {
    return refuse(detail::temporary("too many DNS lookups in flight"));
  }
  std::uint64_t serial = next_serial_++;
  auto p = std::make_unique<Pending>(this, serial, std::move(done), strand_);
  int err = ub_resolve_async(ctx_, name.c_str(), static_cast<int>(type), 1 /* IN */, p.get(),
                             &AsyncResolver::on_result, &p->id);
  if (err != 0) {
    done = std::move(p->done);
    return refuse(detail::temporary(std::string("lookup not started: ") + ub_strerror(err)));
  }
  p->timer.expires_after(timeout_);
  p->timer.async_wait(
      asio::bind_executor(strand_, [self = shared_from_this(), serial](asio::error_code ec) {
        if (ec) return;
        auto it = self->pending_.find(serial);
        if (it == self->pending_.end()) return;
        ub_cancel(self->ctx_, it->second->id);  // no callback comes after this
        self->complete(serial, detail::temporary("timeout after " +
                                                 std::to_string(self->timeout_.count()) + " ms"));
      }));
  pending_.emplace(serial, std::move(p));
  watch();
}

void AsyncResolver::watch() {
  if (watching_ || pending_.empty() || shut_down_) return;
  watching_ = true;
  fd_.async_wait(asio::posix::stream_descriptor::wait_read,
                 asio::bind_executor(strand_, [self = shared_from_this()](asio::error_code ec) {
                   self->watching_ = false;
                   if (!ec && !self->shut_down_) ub_process(self->ctx_);  // runs on_result
                   self->watch();
                 }));
}

void AsyncResolver::on_result(void* arg, int err, ub_result* result) {
  auto* p = static_cast<Pending*>(arg);
  p->owner->complete(p->serial, detail::to_answer(err, result));
}

void AsyncResolver::complete(std::uint64_t serial, Answer answer) {
  auto it = pending_.find(serial);
  if (it == pending_.end()) return;
  auto p = std::move(it->second);
  pending_.erase(it);
  p->timer.cancel();
  // Posted, not called: the callback may start lookups, which must not run inside ub_process.
  asio::post(strand_, [done = std::move(p->done), answer = std::move(answer)]() mutable {
    done(std::move(answer));
  });
  if (pending_.empty() && watching_) fd_.cancel();  // lets an idle io_context return
}

void AsyncResolver::shutdown() {
  asio::dispatch(strand_, [self = shared_from_this()] {
    self->shut_down_ = true;
    std::vector<std::uint64_t> serials;
    for (auto& [serial, p] : self->pending_) {
      ub_cancel(self->ctx_, p->id);
      serials.push_back(serial);
    }
    for (auto s : serials) self->complete(s, detail::temporary("resolver shut down"));
    asio::error_code ignored;
    self->fd_.cancel(ignored);
  });
}

namespace {

// One route plan in progress: the planner, its callback, and the pump that sends the
// planner's queries and feeds their answers back. Lives on the resolver's strand.
struct PlanRun : std::enable_shared_from_this<PlanRun> {
  PlanRun(std::shared_ptr<AsyncResolver> r, std::string_view domain, RouteOptions options,
          const RouteTarget* route, AsyncResolver::PlanCallback d)
      : resolver(std::move(r)), planner(domain, std::move(options), route), done(std::move(d)) {}

  void pump() {
    if (planner.done()) {
      if (done) {
        auto cb = std::move(done);
        done = nullptr;
        cb(planner.take_plan());
      }
      return;
    }
    for (auto& q : planner.take_queries()) {
      resolver->lookup(q.name, q.type, [run = shared_from_this(), q](Answer a) {
        run->planner.answer(q, a);
        run->pump();
      });
    }
  }

  std::shared_ptr<AsyncResolver> resolver;
  RoutePlanner planner;
  AsyncResolver::PlanCallback done;
};

}  // namespace

void AsyncResolver::plan_route(std::string domain, RouteOptions options,
                               std::optional<RouteTarget> route, PlanCallback done) {
  asio::dispatch(
      strand_, [self = shared_from_this(), domain = std::move(domain), options = std::move(options),
                route = std::move(route), done = std::move(done)]() mutable {
        auto run = std::make_shared<PlanRun>(self, domain, std::move(options),
                                             route ? &*route : nullptr, std::move(done));
        run->pump();
      });
}

}  // namespace estafeta::dns
