// imap_connection: the IMAP adapter of one client connection on net::SessionDriver. The
// driver owns the socket, the timeouts, TLS, drain and stress mode; this class cuts the
// driver's bytes into lines (net::LineReader) and literals, assembles commands
// (imap::CommandReader: "+" continuation for synchronizing literals, TOOBIG refusals),
// parses them and hands each to the sans-I/O core (imap::Session) on the worker pool (the
// hasher pool for LOGIN/AUTHENTICATE), where it reads and writes the store. The core's
// output becomes driver actions: text, a literal streamed from its store::Blob in 64 KiB
// pieces, the STARTTLS handshake, close. It subscribes to changes of the selected mailbox
// (store::Account::watch), which wake the session (IDLE reports a delivery at once), and
// while the session has NOTIFY set (RFC 5465) to every mailbox of the account: those changes
// are queued (at most kMaxQueuedChanges, then NOTIFICATIONOVERFLOW) and handed to the core
// between commands, as are pushes of the selected mailbox's changes.
// Runs on its driver's io thread, one call at a time: no locks. Input: the peer's bytes
// (untrusted); memory: the bytes of one read not yet consumed, one command as the reader
// bounds it, the core's pending output.
#pragma once

#include <asio/awaitable.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "imap/imap_server_impl.hpp"
#include "imap/proto/imap_command_reader.hpp"
#include "imap/proto/imap_session.hpp"
#include "net/net_session_driver.hpp"
#include "net/proto/net_line_reader.hpp"

namespace estafeta::imap {

class Connection : public net::SessionAdapter {
 public:
  Connection(std::shared_ptr<Server::Impl> server, const net::SessionContext& context);
  ~Connection() override;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void attach(net::Waker waker) override { waker_ = std::move(waker); }
  void start(const net::TlsState& tls) override;
  void receive(std::string_view bytes) override;
  void notify(net::Notice notice) override;
  asio::awaitable<std::optional<net::Action>> next() override;
  void tls_started(const net::TlsState& tls) override;
  net::ProtocolStatus status() const override;

 private:
  // Runs `call` on the core on a worker (hashers when it may check a password), then
  // follows the selected mailbox with the change feed. (A named function object, not a
  // lambda temporary: GCC 12 mishandles lambda temporaries passed to coroutines.)
  using CoreCall = std::function<void(Session&)>;
  asio::awaitable<void> on_core(const CoreCall& call, bool may_login);
  void follow_selection();
  void follow_notify();
  // Consumes buffered input up to one event for the core; false when more bytes are needed.
  asio::awaitable<bool> step_input();
  // Marks the mailbox to be read again when the store announced a change not yet noticed.
  void take_announced_changes();
  asio::awaitable<void> handle(const CommandReader::Step& step);
  // The core's output as driver actions, queued in actions_.
  void collect_output();
  void say_goodbye(std::string bye);
  bool between_commands() const;

  std::shared_ptr<Server::Impl> server_;
  net::SessionContext context_;
  net::Waker waker_;
  std::unique_ptr<Session> core_;
  net::LineReader lines_;
  CommandReader commands_;
  std::string input_;  // bytes received, not yet consumed
  std::deque<net::Action> actions_;
  bool woken_ = false;
  bool closing_ = false;
  bool draining_ = false;    // shutdown asked for: BYE once the command at hand is answered
  bool discarding_ = false;  // octets of a refused literal are being dropped
  std::string account_;      // counted in the server's per-account sessions
  std::chrono::milliseconds login_delay_{0};  // after a failed login, before the answer
  std::uint64_t watched_generation_ = 0;
  std::unique_ptr<store::Subscription> watch_;
  // The highest MODSEQ the watch announced since next() last looked (written by the store's
  // notifying thread).
  std::shared_ptr<std::atomic<std::uint64_t>> announced_ =
      std::make_shared<std::atomic<std::uint64_t>>(0);
  // NOTIFY (RFC 5465): the changes of the whole account not yet handed to the core (written
  // by the store's notifying threads), and whether the selected mailbox's changes are due to
  // be pushed.
  struct AccountFeed {
    std::mutex mu;
    // (owner, change): owner "" for the session's own account, else another user's whose
    // shared mailboxes the NOTIFY filter names.
    std::vector<std::pair<std::string, store::Change>> changes;
    bool overflow = false;
  };
  std::shared_ptr<AccountFeed> feed_ = std::make_shared<AccountFeed>();
  std::unique_ptr<store::Subscription> account_watch_;
  std::vector<std::unique_ptr<store::Subscription>> owner_watches_;
  std::uint64_t owners_generation_ = 0;  // the core's notify_generation() they were made for
  bool push_due_ = false;
};

}  // namespace estafeta::imap
