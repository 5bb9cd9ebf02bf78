// fuzz_smtp_session: a whole SMTP server session (src/smtp/proto/smtp_server_session) driven
// by the input: the first bytes choose the listener mode, TLS and small limits; the rest is a
// stream of operations: an op byte b feeds the next b>>2 bytes to receive() (b%16 >= 3) or
// calls timeout()/too_slow()/shutdown() (b%16 = 0/1/2). Bytes taken from the end of the input
// answer every request (recipient verdict, sender check, AUTH result, store result, TLS). Checks:
// every reply is well-formed and CRLF-ended, enhanced codes agree with the basic code, nothing is
// produced after Close, requests come one at a time, stored messages respect max_message_size,
// and feeding every receive() one octet at a time observes exactly the same dialogue.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "smtp/proto/smtp_server_session.hpp"

using namespace estafeta::smtp;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// Operations are read from the front of the input, answers to requests from the back, so a
// seed can be a plain dialogue followed by a few answer bytes (0 = success / local).
struct Input {
  std::string_view s;
  std::size_t pos = 0;
  std::size_t end = s.size();
  bool empty() const { return pos >= end; }
  uint8_t byte() { return empty() ? 0 : static_cast<uint8_t>(s[pos++]); }
  uint8_t answer() { return empty() ? 0 : static_cast<uint8_t>(s[--end]); }
  std::string_view take(std::size_t n) {
    n = std::min(n, end - pos);
    std::string_view out = s.substr(pos, n);
    pos += n;
    return out;
  }
};

void check_reply(std::string_view bytes) {
  check(bytes.size() >= 5 && bytes.substr(bytes.size() - 2) == "\r\n");
  while (!bytes.empty()) {
    std::size_t eol = bytes.find("\r\n");
    check(eol != std::string_view::npos && eol >= 4);
    std::string_view line = bytes.substr(0, eol);
    check(line.find('\r') == std::string_view::npos && line.find('\n') == std::string_view::npos);
    for (int i = 0; i < 3; ++i) check(line[i] >= '0' && line[i] <= '9');
    check(line[0] >= '2' && line[0] <= '5');
    check(line[3] == ' ' || line[3] == '-');
    // An enhanced code, when present, has the same class as the basic code (RFC 3463).
    if (line.size() > 6 && line[5] == '.' && line[4] >= '2' && line[4] <= '5' && line[0] != '3')
      check(line[4] == line[0]);
    bool last = line[3] == ' ';
    bytes.remove_prefix(eol + 2);
    check(last == bytes.empty());
  }
}

// Runs the whole input once; with `bytewise`, every receive() is split into one-octet calls
// (stopping at a StartTls, as a TLS layer would). Returns everything observable.
std::string run(std::string_view bytes, bool bytewise) {
  Input in{bytes, 0, bytes.size()};
  uint8_t setup = in.byte();
  SessionInfo info;
  info.server_hostname = "mx.example.org";
  info.peer_ip = (setup & 0x80) ? "2001:db8::1" : "192.0.2.1";
  info.mode = static_cast<ListenerMode>(setup % 3);
  info.tls_active = (setup & 0x04) != 0;
  info.starttls_available = (setup & 0x08) != 0;
  info.peer_is_loopback = (setup & 0x10) != 0;
  info.allow_plain_auth_on_loopback = (setup & 0x20) != 0;
  Limits limits;
  uint8_t l = in.byte();
  if (l & 1) limits.max_command_line = 64 + in.byte();
  if (l & 2) limits.max_line_length = 16 + in.byte();
  if (l & 4) limits.max_message_size = 64 + in.byte() * 4u;
  if (l & 8) limits.max_recipients = 1 + in.byte() % 4;
  if (l & 16) limits.max_errors = 1 + in.byte() % 8;
  if (l & 32) limits.max_received_headers = in.byte() % 4;
  if (l & 64) limits.max_auth_failures = 1 + in.byte() % 3;
  SessionHooks hooks;
  int ids = 0;
  hooks.now = [] { return std::chrono::system_clock::time_point{}; };
  hooks.new_id = [&ids] { return "F" + std::to_string(++ids); };
  ServerSession session(info, limits, hooks);
  session.start();
  std::string seen;
  std::string content;  // MessageChunk bytes of the message being received
  bool closed = false;
  int tls_starts = 0;
  int guard = 0;
  auto drain = [&] {
    while (auto ev = session.next_event()) {
      check(++guard < 1000000);
      check(!closed);
      if (auto* r = std::get_if<SendReply>(&*ev)) {
#ifdef ESTAFETA_FUZZ_DEBUG
        std::fwrite(r->bytes.data(), 1, r->bytes.size(), stderr);
#endif
        check_reply(r->bytes);
        seen += r->bytes;
      } else if (auto* t = std::get_if<TraceLine>(&*ev)) {
        seen += "T:" + t->line + "\n";
      } else if (std::holds_alternative<Close>(*ev)) {
        closed = true;
        seen += "<close>";
      } else if (auto* c = std::get_if<CheckRecipient>(&*ev)) {
        check(!c->address.empty());
        seen += "R:" + c->address + "\n";
        session.recipient_checked(static_cast<RecipientVerdict>(in.answer() % 4));
      } else if (std::holds_alternative<CheckSender>(*ev)) {
        session.sender_checked((in.answer() & 1) == 0);
      } else if (auto* a = std::get_if<Authenticate>(&*ev)) {
        check(!a->login.empty() && !a->password.empty());
        seen += "A:" + a->login + "\n";
        if ((in.answer() & 1) == 0)
          session.auth_result(a->login);
        else
          session.auth_result(std::nullopt);
      } else if (auto* c = std::get_if<MessageChunk>(&*ev)) {
        check(c->bytes.size() >= estafeta::smtp::kMessageChunk);
        content += c->bytes;
      } else if (std::holds_alternative<DiscardMessage>(*ev)) {
        check(!content.empty());
        content.clear();
      } else if (auto* m = std::get_if<StoreMessage>(&*ev)) {
        check(!m->envelope.recipients.empty());
        check(m->envelope.recipients.size() <= limits.max_recipients);
        check(m->received.rfind("Received: ", 0) == 0);
        check(m->tail.size() < estafeta::smtp::kMessageChunk);
        content += m->tail;
        check(content.size() <= limits.max_message_size);
        seen += "M:" + m->received + content + "\n";
        content.clear();
        session.message_stored((in.answer() & 1) == 0);
      } else if (std::holds_alternative<StartTls>(*ev)) {
        ++tls_starts;
        if ((in.answer() & 1) == 0)
          session.tls_started(TlsInfo{"TLSv1.3", "TLS_AES_128_GCM_SHA256"});
        else
          session.timeout();  // the handshake failed; the driver gives up
      }
    }
    check(closed == session.closed());
  };
  drain();
  while (!in.empty() && !closed) {
    uint8_t op = in.byte();
    switch (op % 16) {
      case 0:
        session.timeout();
        break;
      case 1:
        session.too_slow();
        break;
      case 2:
        session.shutdown();
        break;
      default: {
        std::string_view chunk = in.take(op >> 2);
        if (!bytewise) {
          session.receive(chunk);
          break;
        }
        int tls_before = tls_starts;
        for (char c : chunk) {
          if (closed || tls_starts != tls_before) break;
          session.receive(std::string_view(&c, 1));
          drain();
        }
        break;
      }
    }
    drain();
  }
  return seen;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // The core must not care how its input is split (Beast parsegrind, as a property).
  check(run(bytes, false) == run(bytes, true));
  return 0;
}
