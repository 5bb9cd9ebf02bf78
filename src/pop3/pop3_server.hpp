// pop3_server: the POP3 server (RFC 1939, RFC 2449, RFC 2595, RFC 5034). Accepts connections
// on the listeners it is given (110 with STLS, 995 implicit TLS, RFC 8314) through the shared
// connection layer (net::Server: limits per address and in total, registry, drain, stress
// mode) and runs each client on a net::SessionDriver with the POP3 adapter (pop3_connection),
// which feeds the sans-I/O core (pop3::Session) on the worker pool, where it reads and writes
// the store. Logins go through auth::check_login (throttling and the failed-login log line
// shared with the other protocols). The server holds the maildrop locks (RFC 1939 §4): one
// POP3 session per account at a time, a second gets -ERR [IN-USE] (RFC 2449 §8.1.2).
// Input: network peers (untrusted), bounded by pop3::Settings and the core's line limits.
// Thread-safety: every public member may be called from any thread.
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
#include "net/io_pool.hpp"
#include "pop3/pop3_config.hpp"
#include "store/api/store.hpp"

namespace estafeta::pop3 {

struct ServerOptions {
  std::string hostname;
  Settings settings;   // [pop3]
  bool trace = false;  // log every line sent (message bodies are not logged)
  // auth.allow_plaintext: USER/PASS and AUTH before TLS (benchmarks, trusted loopback).
  bool allow_plaintext_auth = false;
  // Failed-login delays and refusals, shared with the other protocol servers; null: none.
  std::shared_ptr<auth::SharedLoginThrottle> login_throttle;
};

class Server {
 public:
  // `workers` runs the sessions' commands (store reads and writes, message streaming);
  // `hashers` runs logins (password hashing). The directory, store and pools must outlive
  // every session.
  Server(net::IoPool& io, asio::thread_pool& workers, asio::thread_pool& hashers,
         std::shared_ptr<asio::ssl::context> tls, ServerOptions options, auth::Directory& directory,
         store::Store& store);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Accepts on `acceptor` (already listening) until shutdown(); `implicit_tls`: port 995.
  void serve(asio::ip::tcp::acceptor acceptor, const std::string& name, bool implicit_tls);
  // Sessions that start from now on use `tls` (certificate renewal); open ones keep theirs.
  void reload_tls(std::shared_ptr<asio::ssl::context> tls);
  // Stops accepting and closes every session between commands (nothing deleted, RFC 1939 §6:
  // no UPDATE without QUIT); a message being sent is finished first. Returns at once.
  void shutdown();
  std::size_t active_sessions() const;
  // Blocks until no session is open or `timeout` passed; true when all have ended.
  bool wait_idle(std::chrono::milliseconds timeout) const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace estafeta::pop3
