// imap_server: the IMAP server (RFC 9051, RFC 3501). Accepts connections on the listeners it
// is given (143 with STARTTLS, 993 implicit TLS, RFC 8314) through the shared connection
// layer (net::Server: limits per address and in total, registry, drain, stress mode) and runs
// each client on a net::SessionDriver with the IMAP adapter (imap_connection), which feeds
// the sans-I/O core (imap::Session) on the worker pool, where it reads and writes the store.
// Logins go through auth::check_login (throttling shared with the other protocols); one
// account may hold at most max_connections_per_user sessions at once.
// Input: network peers (untrusted), bounded by imap::Settings. Thread-safety: every public
// member may be called from any thread.
#pragma once

#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/thread_pool.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "auth/directory.hpp"
#include "auth/proto/auth_login_throttle.hpp"
#include "imap/imap_config.hpp"
#include "net/io_pool.hpp"
#include "store/api/store.hpp"

namespace estafeta::imap {

struct ServerOptions {
  std::string hostname;
  Settings settings;                  // [imap]
  bool allow_plaintext_auth = false;  // auth.allow_plaintext
  bool trace = false;  // log every line sent (the core's output; literals are not logged)
  // Failed-login delays and refusals, shared with the other protocol servers; null: none.
  std::shared_ptr<auth::SharedLoginThrottle> login_throttle;
};

class Server {
 public:
  // `workers` runs the sessions' commands (store reads and writes); `hashers` runs logins
  // (password hashing). The directory, store and pools must outlive every session.
  Server(net::IoPool& io, asio::thread_pool& workers, asio::thread_pool& hashers,
         std::shared_ptr<asio::ssl::context> tls, ServerOptions options, auth::Directory& directory,
         store::Store& store);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Accepts on `acceptor` (already listening) until shutdown(); `implicit_tls`: port 993.
  void serve(asio::ip::tcp::acceptor acceptor, const std::string& name, bool implicit_tls);
  // Sessions that start from now on use `tls` (certificate renewal); open ones keep theirs.
  void reload_tls(std::shared_ptr<asio::ssl::context> tls);
  // Stops accepting and says BYE to every session between commands; returns at once.
  void shutdown();
  std::size_t active_sessions() const;
  // Blocks until no session is open or `timeout` passed; true when all have ended.
  bool wait_idle(std::chrono::milliseconds timeout) const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace estafeta::imap
