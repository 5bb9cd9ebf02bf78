// imap_session_test_harness: drives an imap::Session the way the server does, in memory, for
// the unit tests and the transcript replay: client bytes are cut into lines, assembled into
// commands by imap::CommandReader ("+ Ready for literal data" before a synchronizing literal),
// parsed by imap::parse_command and handed to the session (or, while it expects_line(), given
// as raw lines); everything the session outputs is collected as text, with literals streamed
// from their Blob and the other outputs written as markers ("[start_tls]", "[compress]",
// "[close]"). The store is the in-memory one; users alice@example.org and bob@example.org
// (also "alice", "bob") have the password "secret"; "down@example.org" gets UNAVAILABLE.
// Test code only: no limits beyond the session's and the reader's.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "imap/proto/imap_command_reader.hpp"
#include "imap/proto/imap_parser.hpp"
#include "imap/proto/imap_session.hpp"
#include "store/store_memory.hpp"

namespace estafeta::imap::testing {

inline SessionOptions tls_options() {
  SessionOptions o;
  o.hostname = "imap.example.org";
  o.tls_active = true;
  o.now = [] { return std::int64_t{1796000000}; };
  return o;
}

inline SessionHooks memory_hooks(std::shared_ptr<store::Store> store,
                                 std::shared_ptr<RecentClaims> recent) {
  SessionHooks h;
  h.recent = std::move(recent);
  h.login = [](std::string_view user, std::string_view password) {
    LoginResult r;
    std::string u(user);
    if (u == "alice" || u == "bob") u += "@example.org";
    if (u == "down@example.org") {
      r.kind = LoginResult::Kind::unavailable;
      return r;
    }
    if (u == "eve") u += "@example.net";  // another domain (shared mailboxes never cross)
    if ((u == "alice@example.org" || u == "bob@example.org" || u == "eve@example.net") &&
        password == "secret") {
      r.kind = LoginResult::Kind::ok;
      r.account = u;
    }
    return r;
  };
  h.open_account = [store](const std::string& name) {
    std::shared_ptr<store::Account> a;
    if (store->account(name, a)) return std::shared_ptr<store::Account>();
    return a;
  };
  h.sharers = [store](const std::string& user) {
    std::vector<std::string> owners;
    store->sharers(user, owners);
    return owners;
  };
  return h;
}

class Driver {
 public:
  // Sessions on one store should share `recent`, as the sessions of one server do.
  explicit Driver(SessionOptions options = tls_options(),
                  std::shared_ptr<store::Store> store = store::make_memory_store(),
                  Limits limits = {},
                  std::shared_ptr<RecentClaims> recent = std::make_shared<RecentClaims>())
      : store_(std::move(store)),
        reader_(limits),
        limits_(limits),
        session_(std::move(options), memory_hooks(store_, std::move(recent))) {}

  std::string start() {
    session_.start();
    return drain();
  }

  // Sends client bytes (any split); returns everything the session answered meanwhile.
  std::string send(std::string_view bytes) {
    pending_ += bytes;
    std::string out;
    while (!session_.closed()) {
      if (literal_left_ > 0) {
        if (pending_.empty()) break;
        std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(literal_left_, pending_.size()));
        CommandReader::Step s = reader_.feed_literal(std::string_view(pending_).substr(0, n));
        pending_.erase(0, n);
        literal_left_ -= n;
        out += handle(s);
        continue;
      }
      auto eol = pending_.find('\n');
      if (eol == std::string::npos) break;
      std::string line = pending_.substr(0, eol);
      pending_.erase(0, eol + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (session_.expects_line() && reader_.idle()) {
        session_.receive_line(line);
        out += drain();
        continue;
      }
      out += handle(reader_.feed_line(line));
    }
    return out;
  }

  // The store changed under the session (another session or a delivery).
  std::string changed() {
    session_.changed();
    return drain();
  }

  // NOTIFY (RFC 5465): the account's changes handed over as the server does between
  // commands, and a push of the selected mailbox's changes.
  std::string account_changed(const std::vector<store::Change>& changes,
                              const std::string& owner = {}) {
    session_.account_changed(changes, owner);
    return drain();
  }
  std::string push() {
    session_.changed();
    if (session_.wants_push()) session_.push_selected();
    return drain();
  }
  Session& session() { return session_; }
  std::shared_ptr<store::Store> store() { return store_; }
  std::shared_ptr<store::Account> account(const std::string& name) {
    std::shared_ptr<store::Account> a;
    store_->account(name, a);
    return a;
  }
  bool tls_requested() const { return tls_requested_; }

 private:
  std::string handle(CommandReader::Step s) {
    std::string out;
    switch (s.kind) {
      case CommandReader::Step::Kind::need_line:
        break;
      case CommandReader::Step::Kind::need_literal:
        if (s.synchronizing && !s.discard) out += "+ Ready for literal data\r\n";
        literal_left_ = s.size;
        break;
      case CommandReader::Step::Kind::complete: {
        ParseResult r = parse_command(reader_.command(), limits_);
        reader_.reset();
        if (r)
          session_.receive(std::move(*r.command));
        else
          session_.receive_error(r.error);
        out += drain();
        break;
      }
      case CommandReader::Step::Kind::error:
        session_.receive_error(s.error);
        out += drain();
        literal_left_ = s.size;
        break;
    }
    return out;
  }

  std::string drain() {
    std::string out;
    while (auto o = session_.next()) {
      switch (o->kind) {
        case Output::Kind::text:
          out += o->text;
          break;
        case Output::Kind::literal: {
          std::string piece;
          std::uint64_t done = 0;
          while (done < o->length) {
            o->blob->read(o->offset + done,
                          static_cast<std::size_t>(std::min<std::uint64_t>(o->length - done, 4096)),
                          piece);
            if (piece.empty()) break;
            out += piece;
            done += piece.size();
          }
          break;
        }
        case Output::Kind::start_tls:
          out += "[start_tls]\r\n";
          tls_requested_ = true;
          session_.tls_started();
          break;
        case Output::Kind::start_compress:
          out += "[compress]\r\n";
          break;
        case Output::Kind::close:
          out += "[close]\r\n";
          break;
      }
    }
    return out;
  }

  std::shared_ptr<store::Store> store_;
  CommandReader reader_;
  Limits limits_;
  Session session_;
  std::string pending_;
  std::uint64_t literal_left_ = 0;
  bool tls_requested_ = false;
};

}  // namespace estafeta::imap::testing
