// smtp_server: the SMTP server. Accepts connections on the listeners it is given through
// the shared connection layer (net::Server: limits, registry, drain, stress mode) and runs
// each client on a net::SessionDriver with the SMTP adapter (smtp_connection) on the io
// threads, with blocking requests on the worker pool. shutdown() implements SIGTERM: stop
// accepting, 421 to idle sessions, let a DATA in progress finish and get its 250.
// Input: network peers (untrusted), bounded by smtp::Limits.
// Thread-safety: every public member may be called from any thread.
#pragma once

#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/thread_pool.hpp>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include "auth/directory.hpp"
#include "auth/proto/auth_login_throttle.hpp"
#include "net/io_pool.hpp"
#include "net/net_network_list.hpp"
#include "queue/queue_local_runner.hpp"
#include "queue/queue_spool.hpp"
#include "smtp/proto/smtp_limits.hpp"
#include "smtp/proto/smtp_server_session.hpp"

namespace estafeta::smtp {

struct ServerOptions {
  std::string hostname;                       // banner, EHLO, Received
  Limits limits;                              // [smtp]
  bool trace = false;                         // log C:/S: lines (core redacts secrets)
  bool allow_plain_auth_on_loopback = false;  // smtp.allow_plain_auth_on_loopback
  bool auth_on_mx = false;                    // smtp.auth_on_mx: offer AUTH on the MX listener
  // Recipients in other domains accepted from authenticated clients, for the outbound queue.
  bool relay_for_authenticated = false;
  // Clients that may relay through the MX listener without AUTH (smtp.relay_networks); only
  // with relay_for_authenticated.
  net::NetworkList relay_networks;
  // The account database file, watched (by stat) so that RCPT verdicts can be remembered while
  // it is unchanged (smtp_recipient_cache.hpp); empty: every RCPT is looked up.
  std::filesystem::path accounts_db;
  // True when an account's mailbox is full (its quota reached): RCPT TO answers 452 4.2.2.
  // Runs on a worker. Verdicts of "local" are remembered (the recipient cache), so an account
  // that filled up in the cache's lifetime is accepted and its copy deferred after DATA.
  std::function<bool(const std::string& account)> mailbox_full;
  // Failed-login delays and refusals, shared with the other protocol servers; null: none.
  std::shared_ptr<auth::SharedLoginThrottle> login_throttle;
};

class Server {
 public:
  // `workers` runs the I/O-bound requests (recipient and sender checks, deliveries: mostly
  // waiting on SQLite and fsync, so it may be wide); `hashers` runs logins (password hashing:
  // CPU and memory bound, so size it to the cores; it also caps what an AUTH flood costs).
  // They may be the same pool. `tls` may be null (no STARTTLS; submissions sessions close).
  // Received messages are committed to `spool` before their 250 and then handed to
  // `runner` for local delivery. The directory, spool, runner and pools must outlive every
  // session: stop them before destroying them.
  Server(net::IoPool& io, asio::thread_pool& workers, asio::thread_pool& hashers,
         std::shared_ptr<asio::ssl::context> tls, ServerOptions options, auth::Directory& directory,
         queue::Spool& spool, queue::LocalRunner& runner);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Accepts on `acceptor` (already listening) speaking `mode`, until shutdown().
  void serve(asio::ip::tcp::acceptor acceptor, ListenerMode mode);
  // Sessions that start from now on use `tls` (certificate renewal); open ones keep theirs.
  void reload_tls(std::shared_ptr<asio::ssl::context> tls);
  // Stops accepting and asks every session to finish; returns at once.
  void shutdown();
  // Sessions currently open.
  std::size_t active_sessions() const;
  // Blocks until no session is open or `timeout` passed; true when all have ended.
  bool wait_idle(std::chrono::milliseconds timeout) const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace estafeta::smtp
