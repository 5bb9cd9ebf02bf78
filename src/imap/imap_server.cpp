// imap_server: the IMAP server on net::Server (see the header): it maps imap::Settings onto
// the shared connection layer's limits and timeouts (before login: login_timeout; after:
// autologout, which also bounds one IDLE), and gives each listener its refusal line and the
// factory of IMAP adapters (imap_connection). Refused connections get one "* BYE" line on
// port 143; implicit-TLS listeners just close them (plain text would be garbage to a TLS
// client).
#include "imap/imap_server.hpp"

#include "imap/imap_connection.hpp"
#include "imap/imap_server_impl.hpp"
#include "net/net_protocol_server.hpp"

namespace estafeta::imap {
namespace {

net::ServerOptions net_options(const ServerOptions& options) {
  const Settings& s = options.settings;
  net::ServerOptions n;
  n.limits = net::server_limits(s);
  n.driver.tag = "imap";
  n.driver.trace = options.trace;
  n.driver.timeouts.command = s.login_timeout;         // Phase::command: not logged in yet
  n.driver.timeouts.idle = s.autologout;               // Phase::idle: logged in, between commands
  n.driver.timeouts.data = std::chrono::seconds(180);  // each read of a literal
  n.driver.timeouts.stress_command = std::chrono::seconds(10);
  n.driver.timeouts.write = std::chrono::seconds(300);
  // A phone uploading a big APPEND on a poor link may be slow; the per-read data timeout
  // still ends a client that stops sending.
  n.driver.timeouts.min_data_rate = 0;
  return n;
}

}  // namespace

Server::Impl::Impl(net::IoPool& io_pool, asio::thread_pool& worker_pool,
                   asio::thread_pool& hasher_pool, std::shared_ptr<asio::ssl::context> tls_context,
                   ServerOptions server_options, auth::Directory& dir, store::Store& mail_store)
    : workers(worker_pool),
      hashers(hasher_pool),
      options(std::move(server_options)),
      directory(dir),
      store(mail_store),
      net(io_pool, std::move(tls_context), net_options(options)) {}

bool Server::Impl::enter_account(const std::string& account) {
  return per_account_.enter(account, options.settings.max_connections_per_user);
}

void Server::Impl::leave_account(const std::string& account) {
  per_account_.leave(account);
}

Server::Server(net::IoPool& io, asio::thread_pool& workers, asio::thread_pool& hashers,
               std::shared_ptr<asio::ssl::context> tls, ServerOptions options,
               auth::Directory& directory, store::Store& store)
    : impl_(std::make_shared<Impl>(io, workers, hashers, std::move(tls), std::move(options),
                                   directory, store)) {}

Server::~Server() = default;

void Server::serve(asio::ip::tcp::acceptor acceptor, const std::string& name, bool implicit_tls) {
  net::ListenerOptions listener = net::listener_options(
      name, implicit_tls, "* BYE [UNAVAILABLE] Too many connections, try again later\r\n",
      "* BYE [UNAVAILABLE] Too many connections from your address\r\n");
  // The factory holds the server weakly: the server owns the listeners, not the other way.
  std::weak_ptr<Impl> weak = impl_;
  listener.make_adapter =
      [weak](const net::SessionContext& context) -> std::unique_ptr<net::SessionAdapter> {
    return std::make_unique<Connection>(weak.lock(), context);
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

}  // namespace estafeta::imap
