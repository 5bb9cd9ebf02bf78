// pop3_server_impl: what the POP3 server's sessions share (private to src/pop3/ server
// files): options, the worker pools, the directory and store the sessions run against, the
// maildrop locks (RFC 1939 §4: the accounts a POP3 session holds) and the protocol-neutral
// net::Server. Memory: one map entry per account with a POP3 session in TRANSACTION.
#pragma once

#include <asio/thread_pool.hpp>
#include <memory>
#include <string>

#include "net/net_account_sessions.hpp"
#include "net/net_server.hpp"
#include "pop3/pop3_server.hpp"
#include "pop3/proto/pop3_session.hpp"

namespace estafeta::pop3 {

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  Impl(net::IoPool& io_pool, asio::thread_pool& worker_pool, asio::thread_pool& hasher_pool,
       std::shared_ptr<asio::ssl::context> tls_context, ServerOptions server_options,
       auth::Directory& dir, store::Store& mail_store);

  // The maildrop lock of `account`; nullptr when another session holds it. Released when the
  // returned object is destroyed (it keeps this Impl alive until then).
  std::unique_ptr<MaildropLock> lock_maildrop(const std::string& account);

  asio::thread_pool& workers;
  asio::thread_pool& hashers;
  const ServerOptions options;
  auth::Directory& directory;
  store::Store& store;
  net::Server net;

 private:
  class Lock;
  void unlock(const std::string& account);

  net::AccountSessions locked_;  // a maildrop lock is a limit of one session per account
};

}  // namespace estafeta::pop3
