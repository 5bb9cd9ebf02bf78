// fuzz_imap_session: a whole IMAP server session (src/imap/proto/imap_session) behind the command
// reader and parser, with the in-memory store, driven by the input. The first byte chooses the
// set-up: bit 0 TLS active, bit 1 (TLS and) logged in as alice with INBOX selected (three messages
// in it), bit 2 IMAP4rev2 + QRESYNC + UTF8=ACCEPT enabled. The rest is a stream of operations: an
// op byte b feeds the next (b >> 3) + 1 bytes as client input (b % 8 >= 2), lets another writer
// deliver a message and tells the session (b % 8 == 0), or tells it of a change (b % 8 == 1:
// also the account's changes since the last time, as the server hands them to a NOTIFY
// session, and a NOTIFY push of the selected mailbox).
// Checks: nothing is output after close, output ends in CRLF, and the session never crashes or
// trips a sanitizer (streamed literals are read back from their blob by the harness).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "imap/proto/imap_session_test_harness.hpp"

using namespace estafeta;
using namespace estafeta::imap;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void deliver(testing::Driver& d, int n) {
  std::string msg = "From: a@example.org\r\nSubject: fuzz " + std::to_string(n) +
                    "\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
                    "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: "
                    "base64\r\n\r\naMOpbGxv\r\n--b--\r\n";
  store::NewMessage m;
  m.bytes = msg;
  store::AppendResult r;
  d.account("alice@example.org")->deliver("INBOX", m, "", false, r);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (in.empty()) return 0;
  const auto setup = static_cast<uint8_t>(in[0]);
  in.remove_prefix(1);
  SessionOptions o = testing::tls_options();
  o.tls_active = (setup & 1) || (setup & 2);  // logging in needs TLS
  Limits limits;
  limits.max_literal = 4096;
  limits.append_limit = 64 * 1024;
  testing::Driver d(o, store::make_memory_store(), limits);
  d.start();
  if (setup & 2) {
    for (int i = 0; i < 3; ++i) deliver(d, i);
    d.send("l LOGIN alice secret\r\n");
    if (setup & 4) d.send("e ENABLE IMAP4rev2 QRESYNC UTF8=ACCEPT\r\n");
    d.send("s SELECT INBOX\r\n");
  }
  std::vector<store::Change> feed;  // the account's changes (watch(0)), for NOTIFY
  auto watch = d.account("alice@example.org")->watch(0, [&feed](const store::Change& c) {
    if (feed.size() < 1000) feed.push_back(c);
  });
  int delivered = 3;
  std::size_t pos = 0;
  while (pos < in.size() && !d.session().closed()) {
    const auto b = static_cast<uint8_t>(in[pos++]);
    std::string o2;
    if (b % 8 == 0) {
      if (delivered < 50) deliver(d, delivered++);
      o2 = d.changed();
    } else if (b % 8 == 1) {
      o2 = d.changed();
      o2 += d.account_changed(std::exchange(feed, {}));
      o2 += d.push();
    } else {
      std::size_t n = std::min<std::size_t>((b >> 3) + 1, in.size() - pos);
      o2 = d.send(in.substr(pos, n));
      pos += n;
    }
    if (!o2.empty()) check(o2.size() >= 2 && o2.substr(o2.size() - 2) == "\r\n");
  }
  // After close, nothing more.
  if (d.session().closed()) {
    check(!d.session().next());
    check(d.send("x NOOP\r\n").empty());
  }
  return 0;
}
