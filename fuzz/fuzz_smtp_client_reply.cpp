// fuzz_smtp_client_reply: the SMTP client's reply reader (src/smtp/proto/smtp_client_reply),
// the EHLO capability parser and the client session, on arbitrary server bytes.
// The first input byte picks a split point and the session's configuration; the rest is what
// the server sends. Checks the reader's promises (the same replies for any split, codes in
// 200..599, sanitized one-line summaries, every bound held) and that the session, answering
// every request as a driver would (with the connection cache's RSET probe before the second
// transaction for some inputs), never crashes, never sends a line without CRLF, and ends every
// transaction it starts with one result per recipient, except the one a failed probe held back.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/proto/smtp_client_ehlo.hpp"
#include "smtp/proto/smtp_client_reply.hpp"
#include "smtp/proto/smtp_client_session.hpp"

using namespace estafeta::smtp;

namespace {

void check_at(bool ok, int line) {
  if (!ok) {
    std::fprintf(stderr, "check failed at line %d\n", line);
    std::abort();
  }
}
#define check(x) check_at((x), __LINE__)

std::vector<ServerReply> read(std::string_view in, std::size_t cut, bool& failed) {
  ClientReplyLimits limits;
  limits.max_line = 200;
  limits.max_lines = 20;
  limits.max_reply = 1000;
  ReplyReader r(limits);
  std::vector<ServerReply> out;
  for (std::string_view part : {in.substr(0, cut), in.substr(cut)}) {
    r.receive(part);
    while (auto rep = r.next()) {
      check(rep->code >= 200 && rep->code <= 599);
      check(!rep->lines.empty() && rep->lines.size() <= limits.max_lines);
      if (!rep->enhanced.empty()) check(rep->enhanced[0] - '0' == rep->klass());
      std::string s = rep->summary();
      check(s.find('\r') == std::string::npos && s.find('\n') == std::string::npos);
      check(s.size() <= limits.max_reply + 16);
      auto caps = parse_ehlo(*rep);
      check(caps.auth.size() <= kMaxAuthMechanisms);
      out.push_back(std::move(*rep));
    }
    check(r.buffered() <= in.size());
  }
  failed = r.failed();
  return out;
}

void session(std::string_view in, std::uint8_t flags) {
  ClientConfig config;
  config.ehlo_name = "out.example.net";
  config.starttls = static_cast<StartTlsPolicy>(flags % 3);
  config.tls_active = (flags & 0x08) != 0;
  if (flags & 0x10) config.credentials = ClientCredentials{"user", "pass"};
  ClientSession s(config);
  std::size_t started = 0, done = 0, lost = 0, step = (flags >> 5) + 1, pieces = 0;
  bool closed = false, probed = false;
  auto pump = [&] {
    while (auto e = s.next_event()) {
      if (auto* send = std::get_if<ClientSend>(&*e)) {
        check(send->bytes.size() >= 2);
      } else if (std::holds_alternative<ClientStartTls>(*e)) {
        s.tls_started(flags & 0x04);
      } else if (std::holds_alternative<ClientNeedBody>(*e)) {
        // Content in one piece or two, depending on the flags and the transaction.
        bool last = (flags & 0x40) != 0 || started % 2 == 0 || pieces++ > 0;
        // False only after a refused BDAT chunk while more were pipelined.
        if (!s.body(".line\r\n", last)) last = true;
        if (last) pieces = 0;
      } else if (std::holds_alternative<ClientReady>(*e)) {
        if (started == 1 && !probed && (flags & 0x20)) {
          // The connection cache's probe before the next transaction (pipelined with it
          // when the server offers PIPELINING).
          probed = true;
          check(s.reset());
        } else if (started < 3) {
          ClientTransaction tx;
          tx.mail_from = "a@example.net";
          tx.recipients = {{"b@example.org", "SUCCESS", ""}, {"c@example.org", "", ""}};
          tx.size = 7;
          tx.eight_bit = started == 1;
          tx.smtputf8 = started == 2 && (flags & 1);
          StartResult r = s.start_transaction(tx);
          ++started;
          if (r == StartResult::needs_downgrade) {
            tx.eight_bit = false;
            r = s.start_transaction(tx);
          }
          check(r == StartResult::started || r == StartResult::refused);
        } else {
          s.quit();
        }
      } else if (auto* d = std::get_if<ClientTransactionDone>(&*e)) {
        ++done;
        check(d->result.recipients.size() == 2);
        for (const auto& r : d->result.recipients) check(r.outcome != RecipientOutcome::pending);
      } else if (auto* c = std::get_if<ClientClose>(&*e)) {
        check(!closed);
        closed = true;
        // A failed probe: the one transaction sent behind it never began and has no result.
        if (c->probe_failed) {
          check(probed);
          lost = started - done;
          check(lost <= 1);
        }
      }
    }
  };
  while (!in.empty()) {
    std::string_view part = in.substr(0, step);
    in.remove_prefix(part.size());
    s.receive(part);
    pump();
    (void)s.timeout();
  }
  if (!closed) {
    s.connection_lost();
    pump();
  }
  check(closed && s.state() == ClientState::closed);
  check(done + lost == started);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 16384) return 0;
  std::uint8_t flags = data[0];
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  bool failed_whole = false, failed_split = false;
  auto whole = read(in, in.size(), failed_whole);
  auto split = read(in, flags % (in.size() + 1), failed_split);
  check(failed_whole == failed_split && whole.size() == split.size());
  for (std::size_t i = 0; i < whole.size(); ++i)
    check(whole[i].code == split[i].code && whole[i].enhanced == split[i].enhanced &&
          whole[i].lines == split[i].lines);
  session(in, flags);
  return 0;
}
