// smtp_outbound_transport: smtp::OutboundTransport, the queue::Transport that carries mail to
// other MTAs (queue_transport.hpp). For each deliver(domain, messages): pick the next hop (a
// static route, else the smarthost, else MX: dns::AsyncResolver's route plan with a fresh
// random seed), wait for a connection slot (limits per destination and in all; the excess
// waits in order), then try the plan's attempts in order (IPv6 and IPv4 alternate per host),
// sending every message over the same connection (smtp_outbound_connection.hpp) and going on
// to the next address with what is left when a connection fails (refused, timeout, greeting
// 4xx/5xx, 421, TLS required and unavailable). A destination that refuses IPv6 for a missing
// PTR record (at the greeting or MAIL) is tried over IPv4 only. STARTTLS is opportunistic
// (RFC 7435: any certificate) unless the destination is in tls_required_domains (required,
// certificate verified against the MX name); the smarthost always requires TLS and a verified
// certificate (system store plus smarthost_ca_file), AUTH when credentials are set; port 465
// is implicit TLS. Replies: queue::RemoteReply per recipient (smtp_outbound_reply.hpp).
// Connection cache (Postfix's smtp_connection_cache_*): a connection a delivery leaves idle is
// kept for connection_cache_time under its next hop and security setup (address, port, host,
// TLS policy and name, DANE records, credentials: cache_key()) and the next delivery with the
// same key, whatever its domain, reuses it after an RSET probe; a probe that fails (421, the
// peer closed it meanwhile) costs nothing but a fresh connection; expiry or eviction (more
// than max_connections idle) sends QUIT.
// Threading: everything runs on one strand over the executor given; deliver() may be called
// from any thread and `done` runs on that strand. Blocking spool reads run on `workers`.
// Trust: remote replies go through the client core; the configuration is trusted. Memory:
// per delivery its message list and replies, per connection smtp_outbound_connection's bounds;
// connections in use are bounded by max_connections, idle cached ones by max_connections too;
// deliveries waiting for a slot are not (the queue runner bounds what it hands over).
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ssl/context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/thread_pool.hpp>
#include <cstddef>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>

#include "dns/dns_async_resolver.hpp"
#include "queue/queue_transport.hpp"
#include "smtp/proto/smtp_mta_sts_fetch.hpp"
#include "smtp/smtp_outbound_config.hpp"
#include "smtp/smtp_outbound_connection.hpp"
#include "smtp/smtp_tls_report_writer.hpp"

namespace estafeta::smtp {

class OutboundTransport final : public queue::Transport,
                                public std::enable_shared_from_this<OutboundTransport> {
 public:
  // `executor`: where the connections run (an io thread's context, e.g. IoPool::context(i)
  // .get_executor()); `workers`: the blocking pool for spool reads (must outlive the
  // transport). nullptr with `error` set when the resolver or the TLS context cannot be made.
  static std::shared_ptr<OutboundTransport> create(asio::any_io_executor executor,
                                                   asio::thread_pool& workers,
                                                   OutboundOptions options, std::string& error);
  ~OutboundTransport() override;

  void deliver(std::string domain,
               std::vector<std::shared_ptr<const queue::OutboundMessage>> messages,
               Done done) override;

  // Stops: deliveries waiting for a slot or not started yet are answered deferred ("shutting
  // down"), the resolver is shut down; connections in progress finish their dialogue.
  void shutdown();

  // For tests and status: connections open now (read on the strand, or after the work).
  std::size_t active_connections() const { return active_total_; }
  // ... and idle ones kept in the connection cache.
  std::size_t idle_connections() const { return idle_.size(); }

 private:
  struct Job;
  struct Waiter {
    std::string key;
    std::shared_ptr<asio::steady_timer> timer;
    bool granted = false;
  };
  OutboundTransport(asio::any_io_executor executor, asio::thread_pool& workers,
                    OutboundOptions options, std::shared_ptr<asio::ssl::context> tls);

  asio::awaitable<void> run(std::shared_ptr<OutboundTransport> self, std::shared_ptr<Job> job);
  // Waits for a connection slot for `key`; false when shutting down.
  asio::awaitable<bool> acquire(const std::string& key);
  // The connection cache (on the strand): the most recently kept idle connection for
  // `key`, or null; keeping one (its expiry timer armed; the oldest ends when full).
  std::unique_ptr<IdleConnection> take_idle(const std::string& key);
  void keep_idle(std::string key, std::unique_ptr<IdleConnection> conn);
  void end_idle(std::unique_ptr<IdleConnection> conn);
  void release(const std::string& key);
  bool can_take(const std::string& key) const;
  void take(const std::string& key);
  static void finish(Job& job);
  // Hands a TLS-RPT event to the writer on the worker pool (nothing when not recording).
  void report_tls(TlsReportEvent event);
  // The MTA-STS policy in force for `domain` now (RFC 8461 §5): TXT record, cache (memory,
  // then file), fetch when needed; nullopt when none applies.
  asio::awaitable<std::optional<StsPolicy>> sts_policy(std::string domain);

  asio::strand<asio::any_io_executor> strand_;
  asio::thread_pool& workers_;
  OutboundOptions options_;
  std::shared_ptr<asio::ssl::context> tls_;
  std::shared_ptr<dns::AsyncResolver> resolver_;
  std::shared_ptr<TlsReportWriter> tls_report_;  // null: TLS-RPT data not recorded
  std::shared_ptr<asio::ssl::context> sts_tls_;  // for policy fetches (mta_sts_ca_file)
  std::unordered_map<std::string, StsCacheEntry> sts_cache_;  // on the strand
  std::mt19937_64 random_;
  std::size_t active_total_ = 0;
  std::unordered_map<std::string, std::size_t> active_per_key_;
  std::deque<std::shared_ptr<Waiter>> waiting_;
  struct Idle {
    std::uint64_t id = 0;
    std::string key;
    std::unique_ptr<IdleConnection> conn;
    std::unique_ptr<asio::steady_timer> timer;
  };
  std::deque<Idle> idle_;  // oldest first, at most max_connections
  std::uint64_t next_idle_ = 1;
  bool stopping_ = false;
  std::uint64_t next_job_ = 1;
};

}  // namespace estafeta::smtp
