// pop3_connection: see the header. The order of things per step of next(): actions already
// made, then (draining) the goodbye, then input, one line at a time, so the core never sees a
// command whose predecessor's answer it has not produced. A RETR/TOP answer leaves as one
// body: its "+OK" line, then the message's wire form piece by piece (MessageStreamer on a
// worker: dot-stuffing, the terminating "."); the first piece is read in the same worker hop
// as the command, so a small message costs no extra hop.
#include "pop3/pop3_connection.hpp"

#include <algorithm>
#include <cctype>
#include <span>
#include <string_view>

#include "auth/auth_login.hpp"
#include "base/log.hpp"
#include "net/blocking.hpp"
#include "net/net_delay.hpp"
#include "pop3/proto/pop3_message_streamer.hpp"

namespace estafeta::pop3 {
namespace {

// Commands that may check a password (RFC 1939 §7 PASS, APOP; RFC 5034 AUTH): run on the
// hasher pool, so that hashing never queues store work behind it, nor the other way round.
bool may_check_password(std::string_view line) {
  const std::string_view verb = line.substr(0, line.find(' '));
  if (verb.size() != 4) return false;
  std::string upper(verb);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return upper == "PASS" || upper == "AUTH" || upper == "APOP";
}

// A RETR or TOP answer: the "+OK" line before it, then the message's wire form from its
// store::Blob, read a piece at a time on the worker pool.
class MessageSource final : public net::BodySource {
 public:
  MessageSource(asio::thread_pool& pool, std::string prefix, std::shared_ptr<store::Blob> blob,
                std::optional<std::uint64_t> top_lines)
      : pool_(pool), streamer_(std::move(blob), top_lines), pending_(std::move(prefix)) {}

  // Reads the first piece now; the caller is on a worker already.
  void prefetch() { error_ = fill(); }

  asio::awaitable<std::size_t> read(std::span<char> buffer, std::error_code& ec) override {
    if (pos_ == pending_.size()) {
      if (!error_ && !streamer_.done()) {
        // Wrapped: a bare error_code result would be taken by asio for a failed operation.
        struct Filled {
          std::error_code ec;
        };
        Filled filled = co_await net::run_blocking(pool_, [this] { return Filled{fill()}; });
        error_ = filled.ec;
      }
      if (pos_ == pending_.size()) {
        // The end (the terminating "." was sent), or the message vanished or could not be
        // read: then the answer cannot be completed (the client sees no terminating "."), and
        // the driver closes the session on `ec`.
        ec = error_;
        co_return 0;
      }
    }
    const std::size_t n = std::min(buffer.size(), pending_.size() - pos_);
    std::copy_n(pending_.data() + pos_, n, buffer.data());
    pos_ += n;
    co_return n;
  }

 private:
  // Appends the next piece of wire output (at least one octet unless the message is done) to
  // what is left unsent (the "+OK" line when prefetching, else nothing).
  std::error_code fill() {
    pending_.erase(0, pos_);
    pos_ = 0;
    std::string piece;
    while (!streamer_.done()) {
      if (std::error_code ec = streamer_.next(piece)) return ec;
      pending_ += piece;
      if (!piece.empty()) break;
    }
    return {};
  }

  asio::thread_pool& pool_;
  MessageStreamer streamer_;
  std::string pending_;  // output not yet handed to the driver, from pos_
  std::size_t pos_ = 0;
  std::error_code error_;
};

}  // namespace

Connection::Connection(std::shared_ptr<Server::Impl> server, const net::SessionContext& context)
    : server_(std::move(server)), context_(context), lines_(kMaxLine) {}

Connection::~Connection() = default;  // the core releases the maildrop lock, deleting nothing

void Connection::start(const net::TlsState& tls) {
  const ServerOptions& so = server_->options;
  SessionOptions o;
  o.hostname = so.hostname;
  o.tls_active = tls.active;
  o.starttls_available = context_.tls_available && !tls.active;
  o.allow_plaintext_auth = so.allow_plaintext_auth;
  o.retr_sets_seen = so.settings.retr_sets_seen;
  o.max_listed_messages = static_cast<std::uint32_t>(
      std::min<std::size_t>(so.settings.max_listed_messages, UINT32_MAX));
  o.max_bad_commands = so.settings.max_bad_commands;
  o.max_auth_failures = so.settings.max_auth_failures;
  o.apop = false;  // passwords are stored hashed: APOP's shared secret does not exist
  SessionHooks hooks;
  // These run inside a core call, on a worker thread.
  hooks.login = [this](std::string_view user, std::string_view password) {
    auth::LoginOutcome outcome =
        auth::check_login(server_->directory, server_->options.login_throttle.get(),
                          auth::LoginAttempt{user, password, context_.peer_ip, "pop3"});
    LoginResult r;
    switch (outcome.status) {
      case auth::LoginOutcome::Status::ok:
        r.kind = LoginResult::Kind::ok;
        r.account = std::move(outcome.account);
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
  hooks.open_account = [this](const std::string& name) -> std::shared_ptr<store::Account> {
    std::shared_ptr<store::Account> account;
    if (auto ec = server_->store.account(name, account)) {
      log::error("pop3", "c{}: cannot open the mailboxes of {}: {}", context_.id, name,
                 ec.message());
      return nullptr;
    }
    return account;
  };
  hooks.lock_maildrop = [this](const std::string& account) -> std::unique_ptr<MaildropLock> {
    auto lock = server_->lock_maildrop(account);
    if (!lock)
      log::info("pop3", "c{} {}: {} already has a POP3 session: -ERR [IN-USE]", context_.id,
                context_.peer_ip, account);
    return lock;
  };
  hooks.log = [this](std::string_view text) {
    log::info("pop3", "c{} {}: {}", context_.id, context_.peer_ip, text);
  };
  core_ = std::make_unique<Session>(std::move(o), std::move(hooks));
  core_->start();
  collect_output(false);
}

void Connection::receive(std::string_view bytes) {
  input_.append(bytes);
}

void Connection::notify(net::Notice notice) {
  switch (notice) {
    case net::Notice::woken:
      return;  // POP3 sessions follow no mailbox: the maildrop is fixed at login
    case net::Notice::timeout:
      // RFC 1939 §3: the autologout timer; the session closes without UPDATE.
      if (core_ && !closing_) {
        core_->timed_out();
        collect_output(false);
      }
      if (!closing_) {  // the core had closed already: just end the connection
        closing_ = true;
        actions_.push_back(net::CloseSession{});
      }
      return;
    case net::Notice::too_slow:
      say_goodbye("-ERR Connection too slow.\r\n");
      return;
    case net::Notice::shutdown:
      // Between commands only: a message being sent finishes first, and next() says goodbye
      // once the command at hand is answered.
      draining_ = true;
      if (between_commands()) say_goodbye("-ERR [SYS/TEMP] Server shutting down.\r\n");
      return;
    case net::Notice::evicted:
      say_goodbye("-ERR [SYS/TEMP] Server busy, try again later.\r\n");
      return;
  }
}

bool Connection::between_commands() const {
  return !lines_.mid_line() && !lines_.line_ready();
}

void Connection::say_goodbye(std::string text) {
  if (closing_) return;
  closing_ = true;
  actions_.push_back(net::Send{std::move(text)});
  actions_.push_back(net::CloseSession{});
}

void Connection::tls_started(const net::TlsState&) {
  // RFC 2595 §4: anything the client pipelined after STLS in plain text is dropped.
  input_.clear();
  lines_.reset();
  core_->tls_started();
  collect_output(false);
}

net::ProtocolStatus Connection::status() const {
  net::ProtocolStatus s;
  const bool logged_in = core_ && core_->state() != Session::State::authorization;
  s.phase = logged_in ? net::Phase::idle : net::Phase::command;
  s.evictable = !logged_in && !lines_.mid_line();
  return s;
}

void Connection::collect_output(bool on_worker) {
  while (auto out = core_->next()) {
    switch (out->kind) {
      case Output::Kind::text:
        actions_.push_back(net::Send{std::move(out->text)});
        break;
      case Output::Kind::message: {
        // The "+OK" line just queued travels with the message's first piece (one write for
        // a small message), unless tracing, which shows the lines it sends.
        std::string prefix;
        if (!server_->options.trace && !actions_.empty() &&
            std::holds_alternative<net::Send>(actions_.back())) {
          prefix = std::move(std::get<net::Send>(actions_.back()).bytes);
          actions_.pop_back();
        }
        auto source = std::make_unique<MessageSource>(server_->workers, std::move(prefix),
                                                      std::move(out->blob), out->top_lines);
        if (on_worker) source->prefetch();
        actions_.push_back(net::SendBody{std::move(source)});
        break;
      }
      case Output::Kind::start_tls:
        actions_.push_back(net::UpgradeTls{});
        break;
      case Output::Kind::close:
        closing_ = true;
        actions_.push_back(net::CloseSession{});
        break;
    }
  }
}

asio::awaitable<void> Connection::on_core(net::LineReader::Line line, bool may_login) {
  asio::thread_pool& pool = may_login ? server_->hashers : server_->workers;
  login_delay_ = std::chrono::milliseconds(0);
  co_await net::run_blocking(pool, [this, &line] {
    core_->receive_line(line);
    collect_output(true);
    return true;
  });
  // The throttle's delay after a wrong password: a timer, never a sleeping thread.
  if (login_delay_.count() > 0) co_await net::delay_for(login_delay_);
}

asio::awaitable<bool> Connection::step_input() {
  if (!lines_.line_ready()) {
    if (input_.empty()) co_return false;
    const std::size_t n = lines_.feed(input_);
    input_.erase(0, n);
    if (!lines_.line_ready()) co_return false;  // all of input_ was taken: wait for more
  }
  net::LineReader::Line line = lines_.take_line();
  if (core_->runs_without_io(line.text)) {
    // CAPA, USER, NOOP, UIDL, DELE, RSET, STLS ...: the snapshot in memory answers, no store
    // call and no hook, so the io thread runs it without the hop to a worker.
    core_->receive_line(line);
    collect_output(false);
    co_return true;
  }
  const bool login = core_->expects_line() || may_check_password(line.text);
  co_await on_core(std::move(line), login);
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
      say_goodbye("-ERR [SYS/TEMP] Server shutting down.\r\n");
      continue;
    }
    if (!co_await step_input()) co_return std::nullopt;
  }
}

}  // namespace estafeta::pop3
