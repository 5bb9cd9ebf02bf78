// pop3_session_test_harness: drives a pop3::Session the way the server does, in memory, for
// the unit tests and the transcript replay: client bytes are cut into lines by a
// net::LineReader of kMaxLine octets and handed to the session; everything it outputs is
// collected as text, messages streamed through MessageStreamer, the other outputs written as
// markers ("[start_tls]", "[close]"; the TLS handshake "succeeds" at once). Users
// alice@example.org and bob@example.org (also "alice", "bob") have the password "secret";
// "down@example.org" gets a temporary failure, "soon@example.org" (password "secret") a
// LOGIN-DELAY refusal. APOP knows RFC 1939's example: user "alice", timestamp
// "<1896.697170952@dbc.mtview.ca.us>", digest c4c9334bac560ecc979e58001b3e22fb. The maildrop
// locks of every Driver sharing one Locks object exclude each other, as the server's do.
// Test code only: no limits beyond the session's and the reader's.
#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "net/proto/net_line_reader.hpp"
#include "pop3/proto/pop3_message_streamer.hpp"
#include "pop3/proto/pop3_session.hpp"
#include "store/store_memory.hpp"

namespace estafeta::pop3::testing {

inline constexpr std::string_view kApopTimestamp = "<1896.697170952@dbc.mtview.ca.us>";

inline SessionOptions tls_options() {
  SessionOptions o;
  o.hostname = "pop.example.org";
  o.tls_active = true;
  return o;
}

// The accounts whose maildrop is taken (one set per "server").
struct Locks {
  std::mutex mutex;
  std::set<std::string> held;
};

class TestLock : public MaildropLock {
 public:
  TestLock(std::shared_ptr<Locks> locks, std::string account)
      : locks_(std::move(locks)), account_(std::move(account)) {}
  ~TestLock() override {
    std::lock_guard<std::mutex> g(locks_->mutex);
    locks_->held.erase(account_);
  }

 private:
  std::shared_ptr<Locks> locks_;
  std::string account_;
};

inline SessionHooks memory_hooks(std::shared_ptr<store::Store> store, std::shared_ptr<Locks> locks,
                                 std::shared_ptr<std::string> log) {
  SessionHooks h;
  h.login = [](std::string_view user, std::string_view password) {
    LoginResult r;
    std::string u(user);
    if (u == "alice" || u == "bob") u += "@example.org";
    if (u == "down@example.org") {
      r.kind = LoginResult::Kind::unavailable;
      return r;
    }
    if (u == "soon@example.org" && password == "secret") {
      r.kind = LoginResult::Kind::too_soon;
      return r;
    }
    if ((u == "alice@example.org" || u == "bob@example.org") && password == "secret") {
      r.kind = LoginResult::Kind::ok;
      r.account = u;
    }
    return r;
  };
  h.apop = [](std::string_view user, std::string_view timestamp, std::string_view digest) {
    LoginResult r;
    if (user == "alice" && timestamp == kApopTimestamp &&
        digest == "c4c9334bac560ecc979e58001b3e22fb") {
      r.kind = LoginResult::Kind::ok;
      r.account = "alice@example.org";
    }
    return r;
  };
  h.open_account = [store](const std::string& name) {
    std::shared_ptr<store::Account> a;
    if (store->account(name, a)) return std::shared_ptr<store::Account>();
    return a;
  };
  h.lock_maildrop = [locks](const std::string& account) -> std::unique_ptr<MaildropLock> {
    std::lock_guard<std::mutex> g(locks->mutex);
    if (!locks->held.insert(account).second) return nullptr;
    return std::make_unique<TestLock>(locks, account);
  };
  h.log = [log](std::string_view text) {
    *log += text;
    *log += "\n";
  };
  return h;
}

inline SessionOptions with_apop(SessionOptions o) {
  o.apop = true;
  o.apop_timestamp = std::string(kApopTimestamp);
  return o;
}

class Driver {
 public:
  explicit Driver(SessionOptions options = tls_options(),
                  std::shared_ptr<store::Store> store = store::make_memory_store(),
                  std::shared_ptr<Locks> locks = std::make_shared<Locks>())
      : store_(std::move(store)),
        log_(std::make_shared<std::string>()),
        reader_(kMaxLine),
        session_(std::make_unique<Session>(std::move(options),
                                           memory_hooks(store_, std::move(locks), log_))) {}

  std::string start() {
    session_->start();
    return drain();
  }

  // Sends client bytes (any split); returns everything the session answered meanwhile.
  std::string send(std::string_view bytes) {
    pending_ += bytes;
    std::string out;
    std::size_t used = 0;
    while (session_ && !session_->closed() && used < pending_.size()) {
      used += reader_.feed(std::string_view(pending_).substr(used));
      if (!reader_.line_ready()) break;
      session_->receive_line(reader_.take_line());
      out += drain();
      if (tls_pending_) {
        // RFC 2595 §4: input buffered before the handshake is dropped.
        used = pending_.size();
        tls_pending_ = false;
        session_->tls_started();
      }
    }
    pending_.erase(0, used);
    return out;
  }

  std::string timed_out() {
    session_->timed_out();
    return drain();
  }

  // The connection drops: the session is destroyed without QUIT.
  void drop() { session_.reset(); }

  Session& session() { return *session_; }
  bool alive() const { return session_ != nullptr; }
  std::shared_ptr<store::Store> store() { return store_; }
  const std::string& log() const { return *log_; }
  std::shared_ptr<store::Account> account(const std::string& name) {
    std::shared_ptr<store::Account> a;
    store_->account(name, a);
    return a;
  }

 private:
  std::string drain() {
    std::string out;
    while (auto o = session_->next()) {
      switch (o->kind) {
        case Output::Kind::text:
          out += o->text;
          break;
        case Output::Kind::message: {
          MessageStreamer s(o->blob, o->top_lines);
          std::string piece;
          for (int i = 0; i < 100000 && !s.done(); ++i) {
            if (s.next(piece)) {
              out += "[read error]\r\n";
              break;
            }
            out += piece;
          }
          break;
        }
        case Output::Kind::start_tls:
          out += "[start_tls]\r\n";
          tls_pending_ = true;
          break;
        case Output::Kind::close:
          out += "[close]\r\n";
          break;
      }
    }
    return out;
  }

  std::shared_ptr<store::Store> store_;
  std::shared_ptr<std::string> log_;
  net::LineReader reader_;
  std::unique_ptr<Session> session_;
  std::string pending_;
  bool tls_pending_ = false;
};

}  // namespace estafeta::pop3::testing
