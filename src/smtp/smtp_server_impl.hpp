// smtp_server_impl: what the SMTP server's sessions share (private to src/smtp/ server
// files): options, the worker pools and dependencies the SMTP requests run against, and the
// protocol-neutral net::Server (accept loops, limits, registry, drain, stress mode).
// Memory: constant besides net::Server's registry.
#pragma once

#include <asio/thread_pool.hpp>
#include <memory>

#include "net/net_server.hpp"
#include "queue/queue_local_runner.hpp"
#include "queue/queue_spool.hpp"
#include "smtp/smtp_recipient_cache.hpp"
#include "smtp/smtp_server.hpp"

namespace estafeta::smtp {

struct Server::Impl {
  Impl(net::IoPool& io_pool, asio::thread_pool& worker_pool, asio::thread_pool& hasher_pool,
       std::shared_ptr<asio::ssl::context> tls_context, ServerOptions server_options,
       auth::Directory& dir, queue::Spool& spool_dir, queue::LocalRunner& local_runner);

  asio::thread_pool& workers;
  asio::thread_pool& hashers;
  const ServerOptions options;
  auth::Directory& directory;
  queue::Spool& spool;             // where received messages are committed before the 250
  queue::LocalRunner& runner;      // local delivery from the spool, after the 250
  const std::string escaped_host;  // for the Maildir names chosen at commit
  RecipientCache recipients;       // RCPT verdicts while accounts.db is unchanged
  net::Server net;
};

}  // namespace estafeta::smtp
