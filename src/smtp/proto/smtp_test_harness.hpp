// smtp_test_harness: an in-memory driver for ServerSession used by the unit, transcript and
// grind tests (the role Stalwart's DummyIo and Beast's test::stream play). It answers the
// core's requests from a small fixed directory, so dialogues are deterministic: a fixed clock,
// ids "ID1", "ID2"..., users alice@example.org / bob@example.org (password "secret"),
// domain example.org local, everything else remote. Test-only; never linked into the server.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/proto/smtp_server_session.hpp"

namespace estafeta::smtp::testing {

inline std::chrono::system_clock::time_point fixed_time() {
  using namespace std::chrono;
  return sys_days{year{2026} / November / 28} + hours{3} + minutes{17} + seconds{28};
}

inline SessionInfo mx_info() {
  SessionInfo info;
  info.server_hostname = "mx.example.org";
  info.peer_ip = "192.0.2.1";
  return info;
}

struct Harness {
  explicit Harness(SessionInfo info = mx_info(), Limits limits = Limits{})
      : session(std::move(info), limits, hooks()) {}

  SessionHooks hooks() {
    SessionHooks h;
    h.now = [] { return fixed_time(); };
    h.new_id = [this] { return "ID" + std::to_string(++ids); };
    return h;
  }

  // What the "directory" answers.
  std::function<RecipientVerdict(const std::string&)> verdict = [](const std::string& a) {
    if (a == "temp@example.org") return RecipientVerdict::temporary_failure;
    if (a == "alice@example.org" || a == "bob@example.org" || a == "postmaster@example.org" ||
        a == "postmaster@mx.example.org" || a == "john doe@example.org")
      return RecipientVerdict::local;
    auto at = a.rfind('@');
    if (at != std::string::npos && a.substr(at + 1) == "example.org")
      return RecipientVerdict::unknown_user;
    return RecipientVerdict::not_local_domain;
  };
  std::function<std::optional<std::string>(const std::string&, const std::string&)> authenticate =
      [](const std::string& login, const std::string& password) -> std::optional<std::string> {
    if ((login == "alice@example.org" || login == "bob@example.org") && password == "secret")
      return login;
    return std::nullopt;
  };
  std::function<bool(const std::string&, const std::string&)> may_send_as =
      [](const std::string& user, const std::string& address) {
        return !address.empty() && user == address;
      };
  bool store_ok = true;
  bool answer_requests = true;  // false: requests are collected in `pending` and not answered
  TlsInfo tls{"TLSv1.3", "TLS_AES_256_GCM_SHA384"};

  void start() {
    session.start();
    drain();
  }
  void feed(std::string_view bytes) {
    session.receive(bytes);
    drain();
  }
  void drain() {
    for (int guard = 0; guard < 1000000; ++guard) {
      auto ev = session.next_event();
      if (!ev) return;
      handle(std::move(*ev));
    }
  }

  // Everything the server sent since the last call.
  std::string take() {
    std::string out = std::move(output);
    output.clear();
    return out;
  }

  void handle(Event ev) {
    if (auto* r = std::get_if<SendReply>(&ev)) {
      output += r->bytes;
      all_output += r->bytes;
      return;
    }
    if (std::holds_alternative<TraceLine>(ev)) {
      traces.push_back(std::get<TraceLine>(ev).line);
      return;
    }
    if (std::holds_alternative<Close>(ev)) {
      ++closes;
      return;
    }
    if (std::holds_alternative<MessageChunk>(ev) || std::holds_alternative<DiscardMessage>(ev)) {
      answer(ev);  // no answer expected; kept out of `log` so dialogues read as before
      return;
    }
    log.push_back(describe(ev));
    if (!answer_requests) {
      pending.push_back(std::move(ev));
      return;
    }
    answer(ev);
  }

  void answer(const Event& ev) {
    if (auto* c = std::get_if<MessageChunk>(&ev)) {
      content += c->bytes;
      ++chunks;
      return;
    }
    if (std::holds_alternative<DiscardMessage>(ev)) {
      content.clear();
      ++discards;
      return;
    }
    if (auto* c = std::get_if<CheckRecipient>(&ev)) {
      session.recipient_checked(verdict(c->address));
    } else if (auto* s = std::get_if<CheckSender>(&ev)) {
      session.sender_checked(may_send_as(s->user, s->address));
    } else if (auto* a = std::get_if<Authenticate>(&ev)) {
      session.auth_result(authenticate(a->login, a->password));
    } else if (auto* m = std::get_if<StoreMessage>(&ev)) {
      // The spool's view: Received, then every chunk in order, then the tail.
      stored.push_back(Stored{m->envelope, m->received + content + m->tail});
      content.clear();
      session.message_stored(store_ok);
    } else if (std::holds_alternative<StartTls>(ev)) {
      ++tls_handshakes;
      session.tls_started(tls);
    }
  }

  static std::string describe(const Event& ev) {
    if (auto* c = std::get_if<CheckRecipient>(&ev)) return "CheckRecipient " + c->address;
    if (auto* s = std::get_if<CheckSender>(&ev)) return "CheckSender " + s->user + " " + s->address;
    if (auto* a = std::get_if<Authenticate>(&ev))
      return "Authenticate " + a->login + " " + a->password;
    if (auto* m = std::get_if<StoreMessage>(&ev)) return "StoreMessage " + m->envelope.id;
    if (std::holds_alternative<MessageChunk>(ev)) return "MessageChunk";
    if (std::holds_alternative<DiscardMessage>(ev)) return "DiscardMessage";
    if (std::holds_alternative<StartTls>(ev)) return "StartTls";
    return "?";
  }

  int ids = 0;
  ServerSession session;
  std::string output, all_output;
  std::vector<std::string> traces;
  std::vector<std::string> log;
  struct Stored {
    Envelope envelope;
    std::string message;  // Received + content, as the spool would hold it
  };
  std::vector<Stored> stored;
  std::string content;  // MessageChunk bytes of the message being received
  int chunks = 0, discards = 0;
  std::vector<Event> pending;
  int closes = 0;
  int tls_handshakes = 0;
};

}  // namespace estafeta::smtp::testing
