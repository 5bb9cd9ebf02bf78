// smtp_server_impl: the state the SMTP server's accept loops and connections share (private
// to src/smtp/ server files): options, dependencies, connection limits and the registry of
// open sessions that shutdown() walks. The registry holds weak references; each connection
// removes itself when it ends. Memory: one registry entry per open session.
#pragma once

#include <asio/ip/tcp.hpp>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "net/connection_limiter.hpp"
#include "smtp/smtp_server.hpp"

namespace estafeta::smtp {

class Connection;

struct Server::Impl {
  Impl(net::IoPool& io_pool, asio::thread_pool& worker_pool, asio::thread_pool& hasher_pool,
       std::shared_ptr<asio::ssl::context> tls_context, ServerOptions server_options,
       auth::Directory& dir, delivery::LocalDelivery& local)
      : io(io_pool),
        workers(worker_pool),
        hashers(hasher_pool),
        tls(std::move(tls_context)),
        options(std::move(server_options)),
        directory(dir),
        delivery(local),
        limiter(options.limits.max_connections, options.limits.max_connections_per_ip) {}

  net::IoPool& io;
  asio::thread_pool& workers;
  asio::thread_pool& hashers;
  // The TLS context new sessions use; replaced by Server::reload_tls (guarded by mutex).
  std::shared_ptr<asio::ssl::context> tls;
  const ServerOptions options;
  auth::Directory& directory;
  delivery::LocalDelivery& delivery;
  net::ConnectionLimiter limiter;

  // Registry of open sessions and acceptors (guarded by mutex).
  mutable std::mutex mutex;
  mutable std::condition_variable idle;
  bool stopping = false;
  std::uint64_t next_id = 1;
  std::unordered_map<const Connection*, std::weak_ptr<Connection>> sessions;
  std::list<std::shared_ptr<asio::ip::tcp::acceptor>> acceptors;

  std::shared_ptr<asio::ssl::context> tls_context() const {
    std::lock_guard lock(mutex);
    return tls;
  }
  // Adds a new session; returns true when shutdown has begun (the session should end soon).
  bool add(const std::shared_ptr<Connection>& c);
  void remove(const Connection* c);
};

}  // namespace estafeta::smtp
