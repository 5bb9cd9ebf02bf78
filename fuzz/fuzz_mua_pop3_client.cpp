// fuzz_mua_pop3_client: arbitrary bytes as a POP3 server's side of `mail fetch`
// (mua_pop3_client.hpp), fed in pieces whose sizes come from the input, with STLS accepted,
// every message stored (or, by the input's first octet, refused) and known UIDLs. Checks: no
// crash, exactly one Pop3Done, a message never over its bound, no DELE before its message
// was stored, no password before TLS.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "mua/proto/mua_pop3_client.hpp"

using namespace estafeta::mua;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t mode = data[0];
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  Pop3ClientConfig c;
  c.user = "u";
  c.password = "SECRETPW";
  c.starttls = mode & 1;
  c.tls_active = mode & 2;
  c.delete_after = mode & 4;
  if (mode & 8) c.known = {"aaa", "1"};
  c.limits.max_message = 4096;
  c.limits.max_line = 1024;
  c.limits.max_messages = 100;
  Pop3ClientSession s(c);
  int done = 0;
  bool tls = c.tls_active;
  std::set<std::string> stored_numbers;  // not tracked by number; count stores vs deles
  std::size_t stores = 0, deles = 0, known_deles_allowed = (mode & 8) ? 100 : 0;
  auto drain = [&] {
    while (auto ev = s.next_event()) {
      if (auto* send = std::get_if<Pop3Send>(&*ev)) {
        if (send->bytes.find("SECRETPW") != std::string::npos && !tls) std::abort();
        if (send->bytes.find("U0VDUkVUUFc") != std::string::npos && !tls) std::abort();
        if (send->bytes.rfind("DELE", 0) == 0) {
          ++deles;
          if (!c.delete_after) std::abort();
          if (deles > stores + known_deles_allowed) std::abort();
        }
      } else if (std::holds_alternative<Pop3StartTls>(*ev)) {
        tls = true;
        s.tls_started();
      } else if (auto* m = std::get_if<Pop3Message>(&*ev)) {
        if (m->bytes.size() > c.limits.max_message) std::abort();
        bool ok = !(mode & 16);
        if (ok) ++stores;
        s.stored(ok, "refused by the fuzzer");
      } else if (std::holds_alternative<Pop3Done>(*ev)) {
        ++done;
      }
    }
  };
  std::size_t pos = 0;
  std::size_t step = 1 + (mode >> 5);
  while (pos < in.size()) {
    s.receive(in.substr(pos, step));
    drain();
    pos += step;
    step = step * 3 % 17 + 1;
  }
  s.connection_lost("end of input");
  drain();
  if (done != 1) std::abort();
  return 0;
}
