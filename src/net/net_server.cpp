// net_server: accept loops, admission, the session registry, drain and stress mode (see the
// header). Notes:
//  - Refused connections get one line written without waiting (a fresh socket's send buffer
//    always takes it) and are closed.
//  - Eviction: a newcomer past max_connections is admitted over the total (never over the
//    per-client limit) when an idle evictable session was told to close; it takes that
//    session's slot once it is gone, so the total exceeds the limit only by the sessions
//    being evicted, each of which closes at once.
//  - The registry holds weak references; a session leaves it when its coroutine ends.
#include "net/net_server.hpp"

#include <asio.hpp>
#include <condition_variable>
#include <exception>
#include <list>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "base/log.hpp"
#include "net/connection_limiter.hpp"
#include "net/listener.hpp"
#include "net/proto/net_stress.hpp"

namespace estafeta::net {

struct Server::State {
  State(IoPool& io_pool, std::shared_ptr<asio::ssl::context> tls_context, ServerOptions opts)
      : io(io_pool),
        tls(std::move(tls_context)),
        options(std::move(opts)),
        limiter(options.limits.max_connections, options.limits.max_connections_per_ip),
        gauge(options.limits.max_connections, options.limits.stress_threshold_percent),
        stressed(std::make_shared<std::atomic<bool>>(false)) {}

  struct Entry {
    std::weak_ptr<SessionDriver> driver;
    std::shared_ptr<SessionRecord> record;
  };

  IoPool& io;
  std::shared_ptr<asio::ssl::context> tls;  // guarded by mutex
  const ServerOptions options;
  ConnectionLimiter limiter;

  mutable std::mutex mutex;
  mutable std::condition_variable idle;
  bool stopping = false;
  std::uint64_t next_id = 1;
  StressGauge gauge;
  std::shared_ptr<std::atomic<bool>> stressed;
  std::unordered_map<std::uint64_t, Entry> sessions;
  std::list<std::shared_ptr<asio::ip::tcp::acceptor>> acceptors;

  const std::string& tag() const { return options.driver.tag; }

  std::shared_ptr<asio::ssl::context> tls_context() const {
    std::lock_guard lock(mutex);
    return tls;
  }

  // Looks at the count after a change; logs and tells the sessions when stress begins or
  // ends. Call with mutex held.
  void update_stress() {
    std::size_t total = limiter.total();
    StressGauge::Change change = gauge.update(total);
    if (change == StressGauge::Change::none) return;
    stressed->store(gauge.stressed(), std::memory_order_relaxed);
    if (change == StressGauge::Change::entered) {
      log::warn(tag(),
                "stress mode: {} of {} sessions in use (above {}%): idle unauthenticated "
                "sessions get {} s and may be closed to make room",
                total, options.limits.max_connections, options.limits.stress_threshold_percent,
                options.driver.timeouts.stress_command.count());
    } else {
      log::info(tag(), "stress mode over: {} of {} sessions in use", total,
                options.limits.max_connections);
    }
    // Idle sessions look at their deadline again (it is shorter, or longer again).
    for (auto& [id, entry] : sessions)
      if (auto d = entry.driver.lock()) d->recheck();
  }

  // Tells the longest-idle evictable session to close; false when there is none.
  bool evict_one() {
    std::lock_guard lock(mutex);
    auto now = std::chrono::steady_clock::now();
    auto min_idle = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        options.limits.evict_min_idle);
    std::vector<EvictionCandidate> candidates;
    candidates.reserve(sessions.size());
    for (auto& [id, entry] : sessions) {
      const SessionRecord& r = *entry.record;
      std::chrono::steady_clock::time_point since(
          std::chrono::steady_clock::duration(r.idle_since.load(std::memory_order_relaxed)));
      bool old_enough = now - since >= min_idle;
      candidates.push_back({id, r.evictable.load(std::memory_order_relaxed) && old_enough,
                            r.evicting.load(std::memory_order_relaxed), since});
    }
    std::optional<std::uint64_t> victim = choose_eviction(candidates);
    if (!victim) return false;
    Entry& entry = sessions[*victim];
    std::shared_ptr<SessionDriver> driver = entry.driver.lock();
    if (!driver) return false;
    entry.record->evicting.store(true, std::memory_order_relaxed);
    driver->evict();
    return true;
  }

  // Adds a new session; returns true when shutdown has begun (the session should end soon).
  bool add(std::uint64_t id, const std::shared_ptr<SessionDriver>& driver,
           std::shared_ptr<SessionRecord> record) {
    std::lock_guard lock(mutex);
    sessions.emplace(id, Entry{driver, std::move(record)});
    update_stress();
    return stopping;
  }

  void remove(std::uint64_t id) {
    std::lock_guard lock(mutex);
    sessions.erase(id);
    update_stress();
    if (sessions.empty()) idle.notify_all();
  }
};

namespace {

// The peer's address as the protocol and the limits see it: IPv4-mapped IPv6 addresses
// (from a dual-stack socket) are shown as IPv4.
asio::ip::address canonical(const asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  return a;
}

void refuse(asio::ip::tcp::socket& socket, std::string_view reply) {
  asio::error_code ignored;
  socket.non_blocking(true, ignored);
  if (!reply.empty()) socket.write_some(asio::buffer(reply), ignored);
  socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

// Admission of one client; false when it was refused (and told so).
bool admit(Server::State& server, const ListenerOptions& listener, const std::string& where,
           asio::ip::tcp::socket& socket, const std::string& ip, const std::string& key,
           ConnectionLimiter::Ticket& ticket) {
  using Admission = ConnectionLimiter::Admission;
  Admission admission = server.limiter.try_admit(key, ticket);
  if (admission == Admission::too_many_total && server.evict_one()) {
    admission = server.limiter.admit_over_total(key, ticket);
  }
  if (admission == Admission::admitted) return true;
  bool per_ip = admission == Admission::too_many_from_address;
  log::warn(server.tag(), "refused {} on {}: {}.{} reached", ip, where, server.tag(),
            per_ip ? "max_connections_per_ip" : "max_connections");
  refuse(socket, per_ip ? listener.refuse_per_address : listener.refuse_total);
  return false;
}

asio::awaitable<void> accept_loop(std::shared_ptr<Server::State> server,
                                  std::shared_ptr<asio::ip::tcp::acceptor> acceptor,
                                  std::shared_ptr<const ListenerOptions> listener) {
  const std::string where = describe_endpoint(acceptor->local_endpoint());
  const std::string& tag = server->tag();
  asio::steady_timer backoff(acceptor->get_executor());
  for (;;) {
    asio::io_context& target = server->io.next();
    std::error_code ec;
    asio::ip::tcp::socket socket =
        co_await acceptor->async_accept(target, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) break;
      // EMFILE/ENFILE/ENOBUFS: out of resources; pause so we do not spin, then go on.
      log::warn(tag, "accept on {} failed: {}", where, ec.message());
      backoff.expires_after(std::chrono::milliseconds(100));
      co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    asio::ip::tcp::endpoint peer = socket.remote_endpoint(ec);
    if (ec) continue;  // reset before we looked
    asio::ip::address address = canonical(peer.address());
    std::string ip = address.to_string();
    ConnectionLimiter::Ticket ticket;
    if (!admit(*server, *listener, where, socket, ip,
               client_key(address, server->options.limits.ipv6_prefix), ticket))
      continue;

    SessionContext context;
    {
      std::lock_guard lock(server->mutex);
      context.id = server->next_id++;
    }
    std::shared_ptr<asio::ssl::context> tls = server->tls_context();
    context.peer_ip = ip;
    context.peer_is_loopback = address.is_loopback();
    context.tls_available = tls != nullptr;
    context.implicit_tls = listener->implicit_tls;
    std::unique_ptr<SessionAdapter> adapter = listener->make_adapter(context);
    auto record = std::make_shared<SessionRecord>();
    std::uint64_t id = context.id;
    auto driver = std::make_shared<SessionDriver>(
        std::move(socket), std::move(adapter), server->options.driver, std::move(tls),
        std::move(context), std::move(ticket), server->stressed, record);
    bool stopping = server->add(id, driver, record);
    asio::co_spawn(
        driver->executor(),
        [driver, stopping]() -> asio::awaitable<void> {
          if (stopping) driver->shutdown();
          co_await driver->run();
        },
        [server, id](std::exception_ptr e) {
          server->remove(id);
          if (!e) return;
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {
            log::error(server->tag(), "c{}: session ended by an internal error: {}", id, ex.what());
          }
        });
  }
  log::debug(tag, "stopped accepting on {} ({})", where, listener->name);
}

}  // namespace

Server::Server(IoPool& io, std::shared_ptr<asio::ssl::context> tls, ServerOptions options)
    : state_(std::make_shared<State>(io, std::move(tls), std::move(options))) {}

Server::~Server() = default;

void Server::serve(asio::ip::tcp::acceptor acceptor, ListenerOptions listener) {
  auto shared = std::make_shared<asio::ip::tcp::acceptor>(std::move(acceptor));
  {
    std::lock_guard lock(state_->mutex);
    state_->acceptors.push_back(shared);
  }
  auto options = std::make_shared<const ListenerOptions>(std::move(listener));
  std::string tag = state_->tag();
  asio::co_spawn(shared->get_executor(), accept_loop(state_, shared, options),
                 [tag](std::exception_ptr e) {
                   if (!e) return;
                   try {
                     std::rethrow_exception(e);
                   } catch (const std::exception& ex) {
                     log::error(tag, "accept loop ended by an internal error: {}", ex.what());
                   }
                 });
}

void Server::reload_tls(std::shared_ptr<asio::ssl::context> tls) {
  std::lock_guard lock(state_->mutex);
  state_->tls = std::move(tls);
}

void Server::shutdown() {
  std::vector<std::weak_ptr<SessionDriver>> sessions;
  std::list<std::shared_ptr<asio::ip::tcp::acceptor>> acceptors;
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
    acceptors.swap(state_->acceptors);
    for (auto& [id, entry] : state_->sessions) sessions.push_back(entry.driver);
  }
  for (auto& acceptor : acceptors) {
    // Close on the acceptor's own thread: the accept loop may be inside async_accept.
    asio::post(acceptor->get_executor(), [acceptor] {
      asio::error_code ignored;
      acceptor->close(ignored);
    });
  }
  for (auto& weak : sessions)
    if (auto d = weak.lock()) d->shutdown();
}

std::size_t Server::active_sessions() const {
  std::lock_guard lock(state_->mutex);
  return state_->sessions.size();
}

bool Server::wait_idle(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(state_->mutex);
  return state_->idle.wait_for(lock, timeout, [&] { return state_->sessions.empty(); });
}

bool Server::stressed() const {
  return state_->stressed->load(std::memory_order_relaxed);
}

}  // namespace estafeta::net
