// imap_server_impl: what the IMAP server's sessions share (private to src/imap/ server
// files): options, the worker pools, the directory and store the sessions run against, the
// count of sessions per account (imap.max_connections_per_user) and the protocol-neutral
// net::Server. Memory: one map entry per account with a session open.
#pragma once

#include <asio/thread_pool.hpp>
#include <memory>
#include <string>

#include "imap/imap_server.hpp"
#include "imap/proto/imap_recent.hpp"
#include "net/net_account_sessions.hpp"
#include "net/net_server.hpp"

namespace estafeta::imap {

struct Server::Impl {
  Impl(net::IoPool& io_pool, asio::thread_pool& worker_pool, asio::thread_pool& hasher_pool,
       std::shared_ptr<asio::ssl::context> tls_context, ServerOptions server_options,
       auth::Directory& dir, store::Store& mail_store);

  // Counts a session of `account`; false (nothing counted) when it already has the maximum.
  bool enter_account(const std::string& account);
  void leave_account(const std::string& account);

  asio::thread_pool& workers;
  asio::thread_pool& hashers;
  const ServerOptions options;
  auth::Directory& directory;
  store::Store& store;
  // Which session sees a message as \Recent (IMAP4rev1): one registry for all sessions.
  const std::shared_ptr<RecentClaims> recent = std::make_shared<RecentClaims>();
  net::Server net;

 private:
  net::AccountSessions per_account_;
};

}  // namespace estafeta::imap
