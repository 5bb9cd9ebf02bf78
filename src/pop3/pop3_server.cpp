// pop3_server: the POP3 server on net::Server (see the header): it maps pop3::Settings onto
// the shared connection layer's limits and timeouts (before login: login_timeout; after:
// idle_timeout, RFC 1939 §3), gives each listener its refusal line and the factory of POP3
// adapters (pop3_connection), and keeps the maildrop locks. Refused connections get one
// "-ERR [SYS/TEMP]" line on port 110 (RFC 2449 §8.1.2: try again later); implicit-TLS
// listeners just close them (plain text would be garbage to a TLS client).
#include "pop3/pop3_server.hpp"

#include <cstdlib>
#include <string_view>

#include "base/log.hpp"
#include "net/net_protocol_server.hpp"
#include "pop3/pop3_connection.hpp"
#include "pop3/pop3_server_impl.hpp"

namespace estafeta::pop3 {
namespace {

// The idle timeout, which the config keeps at RFC 1939's 10 minutes or more. Test builds
// (those with the crash points of base/fault_injection.hpp, never Release) let the
// integration tests shorten it through ESTAFETA_TEST_POP3_IDLE_TIMEOUT (seconds).
std::chrono::seconds idle_timeout(const Settings& s) {
#ifdef ESTAFETA_FAULT_INJECTION
  if (const char* env = std::getenv("ESTAFETA_TEST_POP3_IDLE_TIMEOUT"); env && *env) {
    const long seconds = std::strtol(env, nullptr, 10);
    if (seconds > 0) {
      log::warn("pop3", "idle timeout {} s from ESTAFETA_TEST_POP3_IDLE_TIMEOUT (tests only)",
                seconds);
      return std::chrono::seconds(seconds);
    }
  }
#endif
  return s.idle_timeout;
}

net::ServerOptions net_options(const ServerOptions& options) {
  const Settings& s = options.settings;
  net::ServerOptions n;
  n.limits = net::server_limits(s);
  n.driver.tag = "pop3";
  n.driver.trace = options.trace;
  n.driver.timeouts.command = s.login_timeout;  // Phase::command: not logged in yet
  n.driver.timeouts.idle = idle_timeout(s);     // Phase::idle: logged in, between commands
  n.driver.timeouts.data = std::chrono::seconds(180);
  n.driver.timeouts.stress_command = std::chrono::seconds(10);
  // One write of a RETR piece to a slow phone; the session's own output is small.
  n.driver.timeouts.write = std::chrono::seconds(300);
  n.driver.timeouts.min_data_rate = 0;  // clients send no bulk data in POP3
  return n;
}

}  // namespace

// Held by a session in TRANSACTION; keeps the server state alive so that a session outliving
// the server's owner still unlocks safely.
class Server::Impl::Lock final : public MaildropLock {
 public:
  Lock(std::shared_ptr<Impl> server, std::string account)
      : server_(std::move(server)), account_(std::move(account)) {}
  ~Lock() override { server_->unlock(account_); }

 private:
  std::shared_ptr<Impl> server_;
  std::string account_;
};

Server::Impl::Impl(net::IoPool& io_pool, asio::thread_pool& worker_pool,
                   asio::thread_pool& hasher_pool, std::shared_ptr<asio::ssl::context> tls_context,
                   ServerOptions server_options, auth::Directory& dir, store::Store& mail_store)
    : workers(worker_pool),
      hashers(hasher_pool),
      options(std::move(server_options)),
      directory(dir),
      store(mail_store),
      net(io_pool, std::move(tls_context), net_options(options)) {}

std::unique_ptr<MaildropLock> Server::Impl::lock_maildrop(const std::string& account) {
  if (!locked_.enter(account, 1)) return nullptr;
  return std::make_unique<Lock>(shared_from_this(), account);
}

void Server::Impl::unlock(const std::string& account) {
  locked_.leave(account);
}

Server::Server(net::IoPool& io, asio::thread_pool& workers, asio::thread_pool& hashers,
               std::shared_ptr<asio::ssl::context> tls, ServerOptions options,
               auth::Directory& directory, store::Store& store)
    : impl_(std::make_shared<Impl>(io, workers, hashers, std::move(tls), std::move(options),
                                   directory, store)) {}

Server::~Server() = default;

void Server::serve(asio::ip::tcp::acceptor acceptor, const std::string& name, bool implicit_tls) {
  net::ListenerOptions listener = net::listener_options(
      name, implicit_tls, "-ERR [SYS/TEMP] Too many connections, try again later.\r\n",
      "-ERR [SYS/TEMP] Too many connections from your address, try again later.\r\n");
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

}  // namespace estafeta::pop3
