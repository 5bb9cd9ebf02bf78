// smtp_server: accept loops, admission control and the session registry (see the header).
// Each accepted socket is placed on the next io thread's context and runs there for its
// whole life. Refused connections (over smtp.max_connections[_per_ip]) get one 421 line
// written without waiting (a fresh socket's send buffer always takes it) and are closed;
// implicit-TLS listeners just close them, a plain-text 421 would be garbage to a TLS client.
#include "smtp/smtp_server.hpp"

#include <asio.hpp>
#include <exception>

#include "base/log.hpp"
#include "net/listener.hpp"
#include "smtp/smtp_connection.hpp"
#include "smtp/smtp_server_impl.hpp"

namespace estafeta::smtp {
namespace {

// The peer's address as the core and the limits see it: IPv4-mapped IPv6 addresses (from a
// dual-stack socket) are shown as IPv4.
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

const char* mode_name(ListenerMode mode) {
  switch (mode) {
    case ListenerMode::mx:
      return "mx";
    case ListenerMode::submission:
      return "submission";
    case ListenerMode::submissions:
      return "submissions";
  }
  return "?";
}

asio::awaitable<void> accept_loop(std::shared_ptr<Server::Impl> server,
                                  std::shared_ptr<asio::ip::tcp::acceptor> acceptor,
                                  ListenerMode mode) {
  const std::string where = net::describe_endpoint(acceptor->local_endpoint());
  asio::steady_timer backoff(acceptor->get_executor());
  for (;;) {
    asio::io_context& target = server->io.next();
    std::error_code ec;
    asio::ip::tcp::socket socket =
        co_await acceptor->async_accept(target, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) break;
      // EMFILE/ENFILE/ENOBUFS: out of resources; pause so we do not spin, then go on.
      log::warn("smtp", "accept on {} failed: {}", where, ec.message());
      backoff.expires_after(std::chrono::milliseconds(100));
      co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    asio::ip::tcp::endpoint peer = socket.remote_endpoint(ec);
    if (ec) continue;  // reset before we looked
    asio::ip::address address = canonical(peer.address());
    std::string ip = address.to_string();
    net::ConnectionLimiter::Ticket ticket;
    auto admission = server->limiter.try_admit(ip, ticket);
    if (admission != net::ConnectionLimiter::Admission::admitted) {
      bool per_ip = admission == net::ConnectionLimiter::Admission::too_many_from_address;
      log::warn("smtp", "refused {} on {}: {}", ip, where,
                per_ip ? "smtp.max_connections_per_ip reached" : "smtp.max_connections reached");
      std::string_view reply = per_ip ? "421 4.7.0 Too many connections from your address\r\n"
                                      : "421 4.7.0 Too many connections, try again later\r\n";
      refuse(socket, mode == ListenerMode::submissions ? std::string_view() : reply);
      continue;
    }
    std::uint64_t id;
    {
      std::lock_guard lock(server->mutex);
      id = server->next_id++;
    }
    auto connection = std::make_shared<Connection>(server, std::move(socket), mode, ip,
                                                   address.is_loopback(), std::move(ticket), id);
    bool stopping = server->add(connection);
    asio::co_spawn(
        connection->executor(),
        [connection, stopping]() -> asio::awaitable<void> {
          if (stopping) connection->request_shutdown();
          co_await connection->run();
        },
        [id](std::exception_ptr e) {
          if (!e) return;
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {
            log::error("smtp", "c{}: session ended by an internal error: {}", id, ex.what());
          }
        });
  }
  log::debug("smtp", "stopped accepting on {} ({})", where, mode_name(mode));
}

}  // namespace

bool Server::Impl::add(const std::shared_ptr<Connection>& c) {
  std::lock_guard lock(mutex);
  sessions.emplace(c.get(), c);
  return stopping;
}

void Server::Impl::remove(const Connection* c) {
  std::lock_guard lock(mutex);
  sessions.erase(c);
  if (sessions.empty()) idle.notify_all();
}

Server::Server(net::IoPool& io, asio::thread_pool& workers, asio::thread_pool& hashers,
               std::shared_ptr<asio::ssl::context> tls, ServerOptions options,
               auth::Directory& directory, delivery::LocalDelivery& delivery)
    : impl_(std::make_shared<Impl>(io, workers, hashers, std::move(tls), std::move(options),
                                   directory, delivery)) {}

Server::~Server() = default;

void Server::serve(asio::ip::tcp::acceptor acceptor, ListenerMode mode) {
  auto shared = std::make_shared<asio::ip::tcp::acceptor>(std::move(acceptor));
  {
    std::lock_guard lock(impl_->mutex);
    impl_->acceptors.push_back(shared);
  }
  asio::co_spawn(shared->get_executor(), accept_loop(impl_, shared, mode),
                 [](std::exception_ptr e) {
                   if (!e) return;
                   try {
                     std::rethrow_exception(e);
                   } catch (const std::exception& ex) {
                     log::error("smtp", "accept loop ended by an internal error: {}", ex.what());
                   }
                 });
}

void Server::reload_tls(std::shared_ptr<asio::ssl::context> tls) {
  std::lock_guard lock(impl_->mutex);
  impl_->tls = std::move(tls);
}

void Server::shutdown() {
  std::vector<std::weak_ptr<Connection>> sessions;
  std::list<std::shared_ptr<asio::ip::tcp::acceptor>> acceptors;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
    acceptors.swap(impl_->acceptors);
    for (auto& [ptr, weak] : impl_->sessions) sessions.push_back(weak);
  }
  for (auto& acceptor : acceptors) {
    // Close on the acceptor's own thread: the accept loop may be inside async_accept.
    asio::post(acceptor->get_executor(), [acceptor] {
      asio::error_code ignored;
      acceptor->close(ignored);
    });
  }
  for (auto& weak : sessions) {
    if (auto c = weak.lock()) {
      asio::post(c->executor(), [c] { c->request_shutdown(); });
    }
  }
}

std::size_t Server::active_sessions() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->sessions.size();
}

bool Server::wait_idle(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mutex);
  return impl_->idle.wait_for(lock, timeout, [&] { return impl_->sessions.empty(); });
}

}  // namespace estafeta::smtp
