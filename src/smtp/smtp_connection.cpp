// smtp_connection: the SMTP adapter (see the header). Notes:
//  - Order of effects: a reply that depends on a request (250 after StoreMessage) is yielded
//    only after the worker returned, so it is never sent before the fsync.
//  - Timeouts, the minimum data rate and shutdown come from the driver as notices; the core
//    words the goodbye (421 4.4.2, 421 4.3.2 once a DATA in progress is done). Eviction under
//    stress happens only while the session is idle before MAIL and unauthenticated, so it is
//    answered here (421 4.7.0) without the core.
#include "smtp/smtp_connection.hpp"

#include <asio.hpp>

#include "base/log.hpp"
#include "net/blocking.hpp"
#include "net/net_delay.hpp"
#include "smtp/proto/smtp_reply.hpp"
#include "smtp/smtp_server_requests.hpp"
#include "smtp/smtp_spool_requests.hpp"

namespace estafeta::smtp {

Connection::Connection(std::shared_ptr<Server::Impl> server, ListenerMode mode,
                       const net::SessionContext& context)
    : server_(std::move(server)), mode_(mode), context_(context) {}

Connection::~Connection() {
  // A committed message is delivered whatever became of the session; one being received is
  // dropped.
  deliver_committed();
  discard_message();
}

void Connection::start(const net::TlsState& tls) {
  SessionInfo info;
  info.server_hostname = server_->options.hostname;
  info.peer_ip = context_.peer_ip;
  info.peer_is_loopback = context_.peer_is_loopback;
  info.mode = mode_;
  info.starttls_available = context_.tls_available;
  info.allow_plain_auth_on_loopback = server_->options.allow_plain_auth_on_loopback;
  info.offer_auth = mode_ != ListenerMode::mx || server_->options.auth_on_mx;
  info.relay_for_authenticated = server_->options.relay_for_authenticated;
  info.relay_client =
      mode_ == ListenerMode::mx && server_->options.relay_networks.contains(context_.peer_ip);
  info.tls_active = tls.active;
  info.tls_version = tls.version;
  info.tls_cipher = tls.cipher;
  core_.emplace(std::move(info), server_->options.limits);
  core_->start();
}

void Connection::receive(std::string_view bytes) {
  core_->receive(bytes);
}

void Connection::notify(net::Notice notice) {
  switch (notice) {
    case net::Notice::timeout:
      core_->timeout();
      break;
    case net::Notice::too_slow:
      core_->too_slow();
      break;
    case net::Notice::shutdown:
      core_->shutdown();
      break;
    case net::Notice::evicted:
      own_.push_back(
          net::Send{format_reply(421, "4.7.0",
                                 fmt::format("{} Too many connections, closing idle session",
                                             server_->options.hostname))});
      own_.push_back(net::CloseSession{});
      break;
    case net::Notice::woken:
      break;  // SMTP has nothing to say unasked
  }
}

void Connection::tls_started(const net::TlsState& tls) {
  core_->tls_started(TlsInfo{tls.version, tls.cipher});
}

net::ProtocolStatus Connection::status() const {
  net::ProtocolStatus s;
  if (!core_) return s;
  s.phase = core_->phase() == Phase::data ? net::Phase::data : net::Phase::command;
  s.in_transaction = core_->in_transaction();
  s.data_started = core_->data_started();
  s.evictable = !core_->in_transaction() && !core_->authenticated() && !core_->closed();
  return s;
}

asio::awaitable<std::optional<net::Action>> Connection::next() {
  if (handover_ == Handover::flush_yielded) deliver_committed();  // the 250 is written
  if (handover_ == Handover::reply_yielded) {
    handover_ = Handover::flush_yielded;
    co_return net::Flush{};
  }
  if (!own_.empty()) {
    net::Action action = std::move(own_.front());
    own_.pop_front();
    co_return action;
  }
  for (;;) {
    std::optional<Event> ev = core_->next_event();
    if (!ev) co_return std::nullopt;
    if (auto* reply = std::get_if<SendReply>(&*ev)) {
      // The first reply after a commit is its 250: write it, then start the delivery.
      if (handover_ == Handover::committed) handover_ = Handover::reply_yielded;
      co_return net::Send{std::move(reply->bytes)};
    } else if (auto* line = std::get_if<TraceLine>(&*ev)) {
      if (server_->options.trace)
        log::write(log::Level::info, "smtp", fmt::format("c{} C: {}", context_.id, line->line));
    } else if (std::holds_alternative<StartTls>(*ev)) {
      co_return net::UpgradeTls{};
    } else if (auto* rcpt = std::get_if<CheckRecipient>(&*ev)) {
      co_await check_recipient_request(*rcpt);
    } else if (auto* sender = std::get_if<CheckSender>(&*ev)) {
      co_await check_sender_request(*sender);
    } else if (auto* login = std::get_if<Authenticate>(&*ev)) {
      co_await authenticate_request(*login);
    } else if (auto* chunk = std::get_if<MessageChunk>(&*ev)) {
      co_await message_chunk(*chunk);
    } else if (std::holds_alternative<DiscardMessage>(*ev)) {
      discard_message();
    } else if (auto* store = std::get_if<StoreMessage>(&*ev)) {
      co_await store_message_request(*store);
    } else if (std::holds_alternative<Close>(*ev)) {
      co_return net::CloseSession{};
    }
  }
}

asio::awaitable<void> Connection::check_recipient_request(const CheckRecipient& request) {
  Server::Impl& s = *server_;
  auto now = RecipientCache::Clock::now();
  auto stamp = RecipientCache::stamp_of(s.options.accounts_db);
  if (auto known = s.recipients.find(request.address, stamp, now)) {
    core_->recipient_checked(*known);  // accounts unchanged since: no hop, no lookup
    co_return;
  }
  RecipientVerdict verdict = co_await net::run_blocking(s.workers, [&] {
    return check_recipient(s.directory, request.address, s.options.mailbox_full);
  });
  s.recipients.remember(request.address, verdict, stamp, now);
  core_->recipient_checked(verdict);
}

asio::awaitable<void> Connection::check_sender_request(const CheckSender& request) {
  Server::Impl& s = *server_;
  auto now = RecipientCache::Clock::now();
  auto stamp = RecipientCache::stamp_of(s.options.accounts_db);
  if (s.recipients.sender_allowed(request.user, request.address, stamp, now)) {
    core_->sender_checked(true);  // accounts unchanged since: no hop, no lookup
    co_return;
  }
  bool allowed = co_await net::run_blocking(
      s.workers, [&] { return check_sender(s.directory, request.user, request.address); });
  s.recipients.remember_sender(request.user, request.address, allowed, stamp, now);
  core_->sender_checked(allowed);
}

asio::awaitable<void> Connection::authenticate_request(const Authenticate& request) {
  Server::Impl& s = *server_;
  AuthAnswer answer = co_await net::run_blocking(s.hashers, [&] {
    return authenticate(s.directory, s.options.login_throttle.get(), context_.peer_ip,
                        request.login, request.password);
  });
  // The login throttle's delay after a wrong password: a timer on this session's strand,
  // never a sleeping thread; bounded by the throttle's max_delay.
  if (answer.delay.count() > 0) co_await net::delay_for(answer.delay);
  core_->auth_result(std::move(answer.result));
}

Background Connection::background() const {
  asio::thread_pool* pool = &server_->workers;
  return [pool](std::function<void()> job) { asio::post(*pool, std::move(job)); };
}

// Message data as it arrives (DATA/BDAT): streamed into the spool file on a worker, so a
// session holds at most one chunk of it.
asio::awaitable<void> Connection::message_chunk(const MessageChunk& chunk) {
  Server::Impl& s = *server_;
  Background bg = background();
  co_await net::run_blocking(s.workers, [&] {
    spool_append(s.spool, bg, spool_, chunk.bytes);
    return true;  // run_blocking hands a value back; the outcome is in spool_
  });
}

// The message was refused or abandoned: its spool slot is freed (on a worker: that writes).
void Connection::discard_message() {
  if (!spool_.writer) {
    spool_.failed = false;
    return;
  }
  asio::post(server_->workers, [w = std::move(spool_.writer)]() mutable { w.reset(); });
  spool_.failed = false;
}

// The message is complete: commit it to the spool (the 250 the core then queues means it is
// durable there); local delivery starts once that 250 is written.
asio::awaitable<void> Connection::store_message_request(const StoreMessage& request) {
  Server::Impl& s = *server_;
  Background bg = background();
  std::optional<queue::SpoolEntry> entry = co_await net::run_blocking(s.workers, [&] {
    // The stamp (two stat calls) only when a relayed recipient asks: local mail needs none.
    std::optional<RecipientCache::Stamp> stamp;
    const auto now = RecipientCache::Clock::now();
    KnownRemote known_remote = [&](std::string_view address) {
      if (!stamp) stamp = RecipientCache::stamp_of(s.options.accounts_db);
      auto verdict = s.recipients.find(address, *stamp, now);
      return verdict && *verdict == RecipientVerdict::not_local_domain;
    };
    return commit_message(s.directory, s.spool, bg, spool_, request, context_.peer_ip,
                          s.escaped_host, known_remote);
  });
  if (entry) {
    committed_ = std::move(entry);
    handover_ = Handover::committed;
  }
  core_->message_stored(committed_.has_value());
}

void Connection::deliver_committed() {
  handover_ = Handover::none;
  if (!committed_) return;
  server_->runner.submit(std::move(*committed_));
  committed_.reset();
}

}  // namespace estafeta::smtp
