// smtp_server: the SMTP server on net::Server (see the header): it maps smtp::Limits onto
// the shared connection layer's limits and timeouts, and gives each listener its refusal
// replies and the factory of SMTP adapters (smtp_connection). Refused connections (over
// smtp.max_connections[_per_ip]) get one 421 line; implicit-TLS listeners just close them,
// a plain-text 421 would be garbage to a TLS client.
#include "smtp/smtp_server.hpp"

#include "delivery/delivery_maildir.hpp"
#include "net/net_protocol_server.hpp"
#include "smtp/smtp_connection.hpp"
#include "smtp/smtp_server_impl.hpp"

namespace estafeta::smtp {
namespace {

net::ServerOptions net_options(const ServerOptions& options) {
  const Limits& l = options.limits;
  net::ServerOptions n;
  n.limits = net::server_limits(l);
  n.driver.tag = "smtp";
  n.driver.trace = options.trace;
  n.driver.timeouts.command = l.command_timeout;
  n.driver.timeouts.data = l.data_timeout;
  n.driver.timeouts.stress_command = l.stress_command_timeout;
  n.driver.timeouts.write = l.command_timeout;  // a reply or handshake is a command's worth
  n.driver.timeouts.min_data_rate = l.min_data_rate;
  n.driver.timeouts.data_rate_grace = l.data_rate_grace;
  return n;
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

}  // namespace

Server::Impl::Impl(net::IoPool& io_pool, asio::thread_pool& worker_pool,
                   asio::thread_pool& hasher_pool, std::shared_ptr<asio::ssl::context> tls_context,
                   ServerOptions server_options, auth::Directory& dir, queue::Spool& spool_dir,
                   queue::LocalRunner& local_runner)
    : workers(worker_pool),
      hashers(hasher_pool),
      options(std::move(server_options)),
      directory(dir),
      spool(spool_dir),
      runner(local_runner),
      escaped_host(delivery::maildir_escape_host(options.hostname)),
      net(io_pool, std::move(tls_context), net_options(options)) {}

Server::Server(net::IoPool& io, asio::thread_pool& workers, asio::thread_pool& hashers,
               std::shared_ptr<asio::ssl::context> tls, ServerOptions options,
               auth::Directory& directory, queue::Spool& spool, queue::LocalRunner& runner)
    : impl_(std::make_shared<Impl>(io, workers, hashers, std::move(tls), std::move(options),
                                   directory, spool, runner)) {}

Server::~Server() = default;

void Server::serve(asio::ip::tcp::acceptor acceptor, ListenerMode mode) {
  net::ListenerOptions listener =
      net::listener_options(mode_name(mode), mode == ListenerMode::submissions,
                            "421 4.7.0 Too many connections, try again later\r\n",
                            "421 4.7.0 Too many connections from your address\r\n");
  // The factory holds the server weakly: the server owns the listeners, not the other way.
  std::weak_ptr<Impl> weak = impl_;
  listener.make_adapter =
      [weak, mode](const net::SessionContext& context) -> std::unique_ptr<net::SessionAdapter> {
    return std::make_unique<Connection>(weak.lock(), mode, context);
  };
  impl_->net.serve(std::move(acceptor), std::move(listener));
}

void Server::reload_tls(std::shared_ptr<asio::ssl::context> tls) {
  impl_->net.reload_tls(std::move(tls));
}

void Server::shutdown() {
  impl_->net.shutdown();
}

std::size_t Server::active_sessions() const {
  return impl_->net.active_sessions();
}

bool Server::wait_idle(std::chrono::milliseconds timeout) const {
  return impl_->net.wait_idle(timeout);
}

}  // namespace estafeta::smtp
