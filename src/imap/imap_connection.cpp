// imap_connection: see the header. The order of things per step of next(): actions already
// made, then the core's output, then a wake-up (changes of the selected mailbox), then input.
// Input is consumed one event at a time (a line, or a run of literal octets), so the core
// never sees a command whose predecessor's answer it has not produced.
#include "imap/imap_connection.hpp"

#include <algorithm>
#include <span>

#include "auth/auth_login.hpp"
#include "base/log.hpp"
#include "imap/proto/imap_parser.hpp"
#include "net/blocking.hpp"
#include "net/net_delay.hpp"

namespace estafeta::imap {
namespace {

constexpr std::size_t kLiteralChunk = 64 * 1024;
// Changes of the account queued for a NOTIFY session before it gives up (NOTIFICATIONOVERFLOW).
constexpr std::size_t kMaxQueuedChanges = 10000;

Limits limits_of(const Settings& s) {
  Limits l;
  l.max_line = s.max_line_length;
  l.append_limit = s.append_limit;
  l.max_append_total = std::max<std::uint64_t>(l.max_append_total, s.append_limit);
  return l;
}

// A literal of the core's output, read from its store::Blob on a worker, one chunk at a time.
class BlobSource final : public net::BodySource {
 public:
  BlobSource(asio::thread_pool& pool, std::shared_ptr<store::Blob> blob, std::uint64_t offset,
             std::uint64_t length)
      : pool_(pool), blob_(std::move(blob)), offset_(offset), left_(length) {}

  asio::awaitable<std::size_t> read(std::span<char> buffer, std::error_code& ec) override {
    if (left_ == 0) co_return 0;
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(left_, buffer.size()));
    struct Got {
      std::error_code ec;
      std::string data;
    };
    Got got = co_await net::run_blocking(pool_, [this, want] {
      Got g;
      g.ec = blob_->read(offset_, want, g.data);
      return g;
    });
    if (!got.ec && got.data.empty()) got.ec = std::make_error_code(std::errc::io_error);
    if (got.ec) {
      ec = got.ec;  // the message vanished under us: the literal cannot be completed
      co_return 0;
    }
    const std::size_t n = std::min(got.data.size(), want);
    std::copy_n(got.data.data(), n, buffer.data());
    offset_ += n;
    left_ -= n;
    co_return n;
  }

 private:
  asio::thread_pool& pool_;
  std::shared_ptr<store::Blob> blob_;
  std::uint64_t offset_;
  std::uint64_t left_;
};

}  // namespace

Connection::Connection(std::shared_ptr<Server::Impl> server, const net::SessionContext& context)
    : server_(std::move(server)),
      context_(context),
      lines_(server_->options.settings.max_line_length),
      commands_(limits_of(server_->options.settings)) {}

Connection::~Connection() {
  watch_.reset();
  account_watch_.reset();
  owner_watches_.clear();
  if (!account_.empty()) server_->leave_account(account_);
}

void Connection::start(const net::TlsState& tls) {
  const Settings& s = server_->options.settings;
  SessionOptions o;
  o.hostname = server_->options.hostname;
  o.tls_active = tls.active;
  o.starttls_available = context_.tls_available && !tls.active;
  o.allow_plaintext_auth = server_->options.allow_plaintext_auth;
  o.compress_available = true;  // net::Stream compresses once the driver is told (RFC 4978)
  o.append_limit = s.append_limit;
  o.message_limit = s.message_limit;
  o.max_bad_commands = s.max_bad_commands;
  o.max_auth_failures = s.max_auth_failures;
  SessionHooks hooks;
  // Both run inside a core call, on a worker thread.
  hooks.login = [this](std::string_view user, std::string_view password) {
    auth::LoginOutcome outcome =
        auth::check_login(server_->directory, server_->options.login_throttle.get(),
                          auth::LoginAttempt{user, password, context_.peer_ip, "imap"});
    LoginResult r;
    switch (outcome.status) {
      case auth::LoginOutcome::Status::ok:
        if (!account_.empty() || !server_->enter_account(outcome.account)) {
          log::warn("imap", "c{}: {} has too many sessions open (imap.max_connections_per_user)",
                    context_.id, outcome.account);
          r.kind = LoginResult::Kind::unavailable;
          return r;
        }
        account_ = outcome.account;
        r.kind = LoginResult::Kind::ok;
        r.account = outcome.account;
        return r;
      case auth::LoginOutcome::Status::unavailable:
        r.kind = LoginResult::Kind::unavailable;
        return r;
      case auth::LoginOutcome::Status::invalid:
      case auth::LoginOutcome::Status::throttled:
        login_delay_ = outcome.delay;
        r.kind = LoginResult::Kind::invalid;
        return r;
    }
    return r;
  };
  hooks.recent = server_->recent;
  hooks.open_account = [this](const std::string& name) -> std::shared_ptr<store::Account> {
    std::shared_ptr<store::Account> account;
    if (auto ec = server_->store.account(name, account)) {
      log::error("imap", "c{}: cannot open the mailboxes of {}: {}", context_.id, name,
                 ec.message());
      return nullptr;
    }
    return account;
  };
  hooks.sharers = [this](const std::string& user) {
    std::vector<std::string> owners;
    if (auto ec = server_->store.sharers(user, owners))
      log::warn("imap", "c{}: cannot read the shared mailboxes of {}: {}", context_.id, user,
                ec.message());
    return owners;
  };
  core_ = std::make_unique<Session>(std::move(o), std::move(hooks));
  core_->start();
  collect_output();
}

void Connection::receive(std::string_view bytes) {
  input_.append(bytes);
}

void Connection::notify(net::Notice notice) {
  switch (notice) {
    case net::Notice::woken:
      woken_ = true;
      return;
    case net::Notice::timeout:
      if (core_ && !closing_) {
        core_->timed_out();
        collect_output();
      }
      return;
    case net::Notice::too_slow:
      say_goodbye("* BYE Connection too slow\r\n");
      return;
    case net::Notice::shutdown:
      // Between commands only: a command being read (an APPEND literal) finishes first, and
      // next() says goodbye once it is answered.
      draining_ = true;
      if (between_commands()) say_goodbye("* BYE [UNAVAILABLE] Server shutting down\r\n");
      return;
    case net::Notice::evicted:
      say_goodbye("* BYE [UNAVAILABLE] Server busy, try again later\r\n");
      return;
  }
}

bool Connection::between_commands() const {
  return commands_.idle() && !lines_.mid_line() && lines_.octets_remaining() == 0;
}

void Connection::say_goodbye(std::string bye) {
  if (closing_) return;
  closing_ = true;
  actions_.push_back(net::Send{std::move(bye)});
  actions_.push_back(net::CloseSession{});
}

void Connection::tls_started(const net::TlsState&) {
  // RFC 9051 §6.2.1: anything the client pipelined after STARTTLS in plain text is dropped.
  input_.clear();
  lines_.reset();
  commands_.reset();
  core_->tls_started();
  collect_output();
}

net::ProtocolStatus Connection::status() const {
  net::ProtocolStatus s;
  const bool literal = lines_.octets_remaining() > 0;
  const bool logged_in = core_ && core_->state() != Session::State::not_authenticated;
  s.phase = literal ? net::Phase::data : logged_in ? net::Phase::idle : net::Phase::command;
  s.in_transaction = literal;
  s.data_started = literal;
  s.evictable = !logged_in && !literal && commands_.idle() && !lines_.mid_line();
  return s;
}

void Connection::collect_output() {
  while (auto out = core_->next()) {
    switch (out->kind) {
      case Output::Kind::text:
        actions_.push_back(net::Send{std::move(out->text)});
        break;
      case Output::Kind::literal:
        actions_.push_back(net::SendBody{std::make_unique<BlobSource>(
            server_->workers, std::move(out->blob), out->offset, out->length)});
        break;
      case Output::Kind::start_tls:
        actions_.push_back(net::UpgradeTls{});
        break;
      case Output::Kind::start_compress:
        actions_.push_back(net::StartCompress{});
        break;
      case Output::Kind::close:
        closing_ = true;
        actions_.push_back(net::CloseSession{});
        break;
    }
  }
}

void Connection::follow_selection() {
  if (core_->selection_generation() == watched_generation_) return;
  watched_generation_ = core_->selection_generation();
  watch_.reset();
  auto mailbox = core_->selected();
  // A shared mailbox is watched in its owner's store (store::Store shares one Account per
  // name, so the owner's sessions, deliveries and other users' sessions all notify it).
  auto account = core_->selected_account();
  if (!mailbox || !account) return;
  net::Waker waker = waker_;
  auto announced = announced_;
  watch_ = account->watch(*mailbox, [waker, announced](const store::Change& c) {
    // The highest MODSEQ announced since the session last looked (a change it made itself
    // and has read already is then skipped).
    std::uint64_t seen = announced->load();
    while (seen < c.modseq && !announced->compare_exchange_weak(seen, c.modseq)) {
    }
    waker.wake();
  });
}

void Connection::follow_notify() {
  const bool want = core_->watches_account();
  if (!want) {
    if (!account_watch_) return;
    account_watch_.reset();
    owner_watches_.clear();
    std::lock_guard lock(feed_->mu);
    feed_->changes.clear();
    feed_->overflow = false;
    return;
  }
  net::Waker waker = waker_;
  auto feed = feed_;
  auto watcher = [waker, feed](std::string owner) {
    return [waker, feed, owner = std::move(owner)](const store::Change& c) {
      {
        std::lock_guard lock(feed->mu);
        if (feed->changes.size() >= kMaxQueuedChanges)
          feed->overflow = true;
        else if (!feed->overflow)
          feed->changes.emplace_back(owner, c);
      }
      waker.wake();
    };
  };
  if (!account_watch_) account_watch_ = core_->account()->watch(0, watcher({}));
  // Other users' accounts whose shared mailboxes the filter names (RFC 4314 with RFC 5465).
  if (owners_generation_ != core_->notify_generation()) {
    owners_generation_ = core_->notify_generation();
    owner_watches_.clear();
    for (auto& [owner, account] : core_->notify_owners())
      owner_watches_.push_back(account->watch(0, watcher(owner)));
  }
}

asio::awaitable<void> Connection::on_core(const CoreCall& call, bool may_login) {
  asio::thread_pool& pool = may_login ? server_->hashers : server_->workers;
  login_delay_ = std::chrono::milliseconds(0);
  co_await net::run_blocking(pool, [this, &call] {
    call(*core_);
    follow_selection();  // (un)subscribing takes the store's locks: not on the io thread
    follow_notify();
    return true;
  });
  // The throttle's delay after a wrong password: a timer, never a sleeping thread.
  if (login_delay_.count() > 0) co_await net::delay_for(login_delay_);
  collect_output();
}

void Connection::take_announced_changes() {
  // The store announces a change (another session's STORE, a delivery) before that session's
  // command is answered, but the wake-up reaches this io thread as a posted notice, which the
  // next command's bytes may overtake: the mailbox is marked to be read again now, so a NOOP
  // answered without the store still reports what another client was already told is done.
  if (core_->idling()) return;
  if (const store::ModSeq up_to = announced_->exchange(0); up_to != 0) core_->changed(up_to);
}

asio::awaitable<void> Connection::handle(const CommandReader::Step& step) {
  switch (step.kind) {
    case CommandReader::Step::Kind::need_line:
      co_return;
    case CommandReader::Step::Kind::need_literal:
      if (step.synchronizing && !step.discard)
        actions_.push_back(net::Send{"+ Ready for literal data\r\n"});
      discarding_ = step.discard;
      lines_.read_octets(step.size);
      co_return;
    case CommandReader::Step::Kind::error:
      core_->receive_error(step.error);
      collect_output();
      if (step.size > 0) {
        discarding_ = true;
        lines_.read_octets(step.size);
      }
      co_return;
    case CommandReader::Step::Kind::complete: {
      ParseResult parsed = parse_command(commands_.command(), commands_.limits());
      commands_.reset();
      if (!parsed) {
        core_->receive_error(parsed.error);
        collect_output();
        co_return;
      }
      const bool login = std::holds_alternative<Login>(parsed.command->body) ||
                         std::holds_alternative<Authenticate>(parsed.command->body);
      Command command = std::move(*parsed.command);
      take_announced_changes();
      if (!login && core_->runs_without_store(command)) {
        // Session state only (FETCH FLAGS, SEARCH UNSEEN, NOOP, IDLE): no hop to a worker.
        core_->receive(std::move(command));
        collect_output();
        co_return;
      }
      const CoreCall call = [&command](Session& s) { s.receive(std::move(command)); };
      co_await on_core(call, login);
      co_return;
    }
  }
}

asio::awaitable<bool> Connection::step_input() {
  if (input_.empty()) co_return false;
  if (lines_.octets_remaining() > 0) {
    const std::size_t n =
        lines_.feed(std::string_view(input_).substr(0, std::min(input_.size(), kLiteralChunk)));
    CommandReader::Step step = commands_.feed_literal(std::string_view(input_).substr(0, n));
    input_.erase(0, n);
    if (lines_.octets_remaining() == 0) discarding_ = false;
    co_await handle(step);
    co_return true;
  }
  const std::size_t n = lines_.feed(input_);
  input_.erase(0, n);
  if (!lines_.line_ready()) co_return n > 0;
  net::LineReader::Line line = lines_.take_line();
  if (core_->expects_line() && commands_.idle()) {
    // An AUTHENTICATE response (which may check a password: the hasher pool) or IDLE's DONE
    // (store work: the worker pool, never queued behind password hashing).
    if (core_->line_runs_without_store()) {  // DONE with nothing new to report
      core_->receive_line(line.text);
      collect_output();
      co_return true;
    }
    const CoreCall call = [&line](Session& s) { s.receive_line(line.text); };
    co_await on_core(call, !core_->idling());
    co_return true;
  }
  const bool overlong = line.overlong;
  co_await handle(commands_.feed_line(line));
  // The end of an overlong line was dropped unread, and with it any literal it announced:
  // what follows cannot be told apart from commands, so the session ends (after the BAD).
  if (overlong) say_goodbye("* BYE Command line too long\r\n");
  co_return true;
}

asio::awaitable<std::optional<net::Action>> Connection::next() {
  for (;;) {
    if (!actions_.empty()) {
      net::Action a = std::move(actions_.front());
      actions_.pop_front();
      co_return a;
    }
    if (closing_ || !core_ || core_->closed()) co_return std::nullopt;
    if (draining_ && between_commands()) {
      say_goodbye("* BYE [UNAVAILABLE] Server shutting down\r\n");
      continue;
    }
    if (woken_) {
      woken_ = false;
      push_due_ = true;
      const store::ModSeq up_to = announced_->exchange(0);
      if (up_to == 0) continue;  // the account feed only (NOTIFY): handled below
      if (!core_->idling()) {    // only marks the mailbox to be read again: no worker needed
        core_->changed(up_to);
        continue;
      }
      const CoreCall changed = [up_to](Session& s) { s.changed(up_to); };
      co_await on_core(changed, false);
      continue;
    }
    // NOTIFY (RFC 5465): between commands (or in IDLE), other mailboxes' events and the
    // selected mailbox's changes are reported without waiting for a command.
    if (account_watch_ && between_commands()) {
      std::vector<std::pair<std::string, store::Change>> batch;
      bool overflow = false;
      {
        std::lock_guard lock(feed_->mu);
        batch.swap(feed_->changes);
        overflow = feed_->overflow;
        feed_->overflow = false;
      }
      if (overflow) {
        const CoreCall over = [](Session& s) { s.notify_overflow(); };
        co_await on_core(over, false);
        continue;
      }
      if (!batch.empty()) {
        // One call per account, in the order the changes came.
        const CoreCall report = [&batch](Session& s) {
          std::vector<store::Change> run;
          for (std::size_t i = 0; i < batch.size(); ++i) {
            run.push_back(std::move(batch[i].second));
            if (i + 1 == batch.size() || batch[i + 1].first != batch[i].first) {
              s.account_changed(run, batch[i].first);
              run.clear();
            }
          }
        };
        co_await on_core(report, false);
        continue;
      }
    }
    if (push_due_ && between_commands()) {
      push_due_ = false;
      if (core_->wants_push()) {
        const CoreCall push = [](Session& s) { s.push_selected(); };
        co_await on_core(push, false);
        continue;
      }
    }
    if (!co_await step_input()) co_return std::nullopt;
  }
}

}  // namespace estafeta::imap
