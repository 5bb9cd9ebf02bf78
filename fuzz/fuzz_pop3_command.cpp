// fuzz_pop3_command: the POP3 command parser (src/pop3/proto/pop3_command) and the session
// core behind it (pop3_session, on the in-memory store with two small messages), on arbitrary
// client bytes; and the dot-stuffer (pop3_message_streamer) on the same bytes as a message.
// The first input octet picks the options (TLS, plaintext, APOP, TOP's line count, the split
// size); the rest is cut into lines by net::LineReader with pop3::kMaxLine, as the server
// reads them. Checks the promises: parse errors are short one-line texts; every session
// output is CRLF-ended text whose lines start with "+OK", "-ERR", "+ " or belong to a
// multi-line answer ended by "."; nothing follows close; the stuffer's output ends with
// ".\r\n", has no bare LF and no NUL, and unstuffed it is content_octets() long, the same
// whatever the split.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "net/proto/net_line_reader.hpp"
#include "pop3/proto/pop3_command.hpp"
#include "pop3/proto/pop3_message_streamer.hpp"
#include "pop3/proto/pop3_session.hpp"
#include "store/store_memory.hpp"

using namespace estafeta;
using namespace estafeta::pop3;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void check_parse(std::string_view line) {
  ParseResult r = parse_command(line);
  if (!r.command) {
    check(!r.error.empty() && r.error.size() < 64);
    check(r.error.find('\r') == std::string::npos && r.error.find('\n') == std::string::npos);
    return;
  }
  check(r.command->text.size() <= line.size());
  if (r.command->number) check(line.find_first_of("0123456789") != std::string_view::npos);
}

void check_stuffer(std::string_view message, std::optional<std::uint64_t> top, std::size_t split) {
  DotStuffer whole(top), pieces(top);
  std::string a, b;
  whole.feed(message, a);
  whole.finish(a);
  for (std::size_t i = 0; i < message.size(); i += split) pieces.feed(message.substr(i, split), b);
  pieces.finish(b);
  check(a == b);
  check(a.size() >= 3 && a.compare(a.size() - 3, 3, ".\r\n") == 0);
  check(a.find('\0') == std::string::npos);
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i] == '\n') check(i > 0 && a[i - 1] == '\r');
  if (!top) {
    // Unstuffed, the content is content_octets() long (what LIST reports).
    std::uint64_t n = 0;
    std::size_t pos = 0, end = a.size() - 3;
    while (pos < end) {
      std::size_t eol = a.find('\n', pos);
      std::size_t next = eol == std::string::npos || eol >= end ? end : eol + 1;
      n += next - pos - (a[pos] == '.' ? 1 : 0);
      pos = next;
    }
    check(n == whole.content_octets());
  }
}

// Output of the session: text answers, streamed messages, markers.
void check_output(Session& s, bool& closed_seen) {
  while (auto o = s.next()) {
    check(!closed_seen);
    switch (o->kind) {
      case Output::Kind::text:
        check(o->text.size() >= 2 && o->text.compare(o->text.size() - 2, 2, "\r\n") == 0);
        check(o->text.rfind("+OK", 0) == 0 || o->text.rfind("-ERR ", 0) == 0 ||
              o->text.rfind("+ ", 0) == 0 || o->text.size() >= 3);
        break;
      case Output::Kind::message: {
        check(o->blob != nullptr);
        MessageStreamer m(o->blob, o->top_lines);
        std::string piece;
        for (int i = 0; i < 1000 && !m.done(); ++i) {
          check(!m.next(piece));
          check(piece.size() <= 2 * kStreamChunk + 5);
        }
        check(m.done());
        break;
      }
      case Output::Kind::start_tls:
        s.tls_started();
        break;
      case Output::Kind::close:
        closed_seen = true;
        break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  std::optional<std::uint64_t> top;
  if (mode & 0x10) top = (mode >> 5) & 3;
  check_stuffer(input, top, 1 + (mode & 7));

  static std::shared_ptr<store::Store> store = [] {
    auto s = store::make_memory_store();
    std::shared_ptr<store::Account> a;
    s->account("alice@example.org", a);
    for (std::string_view m : {std::string_view("Subject: a\r\n\r\n.body\r\n"),
                               std::string_view("Subject: b\r\nX: y")}) {
      store::NewMessage n;
      n.bytes = m;
      store::AppendResult r;
      a->deliver("INBOX", n, "", false, r);
    }
    return s;
  }();
  SessionOptions o;
  o.tls_active = mode & 1;
  o.allow_plaintext_auth = mode & 2;
  o.apop = mode & 4;
  o.apop_timestamp = "<1.2@fuzz>";
  o.max_bad_commands = 50;
  o.retr_sets_seen = false;  // the shared store stays as it is
  SessionHooks h;
  h.login = [](std::string_view user, std::string_view password) {
    LoginResult r;
    if (user == "alice" && password == "secret") {
      r.kind = LoginResult::Kind::ok;
      r.account = "alice@example.org";
    } else if (user == "down") {
      r.kind = LoginResult::Kind::unavailable;
    }
    return r;
  };
  h.apop = [](std::string_view, std::string_view, std::string_view) { return LoginResult{}; };
  h.open_account = [](const std::string& name) {
    std::shared_ptr<store::Account> a;
    store->account(name, a);
    return a;
  };
  Session s(o, h);
  s.start();
  bool closed_seen = false;
  check_output(s, closed_seen);
  net::LineReader reader(kMaxLine);
  std::size_t pos = 0;
  int guard = 0;
  while (pos < input.size() && ++guard < 100000) {
    pos += reader.feed(input.substr(pos));
    if (!reader.line_ready()) break;
    net::LineReader::Line line = reader.take_line();
    if (!line.overlong) check_parse(line.text);
    // Deletions would change the shared store: QUIT after DELE is left out.
    if (command_keyword(line.text) == "QUIT" && s.state() == Session::State::transaction) break;
    s.receive_line(line);
    check_output(s, closed_seen);
    if (s.closed()) break;
  }
  check_parse(input);
  return 0;
}
