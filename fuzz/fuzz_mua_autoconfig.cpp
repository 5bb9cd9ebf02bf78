// fuzz_mua_autoconfig: arbitrary bytes as an autoconfig file (mua_autoconfig.hpp), as an
// HTTP response carrying one, and as SRV RDATA (mua_srv.hpp). Checks: no crash, bounded
// results (at most 32 servers, hostnames no longer than the element text bound), a chosen
// server index inside its list.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mua/proto/mua_autoconfig.hpp"
#include "mua/proto/mua_srv.hpp"

using namespace estafeta::mua;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto r = parse_autoconfig(in);
  if (r) {
    if (r->incoming.size() + r->outgoing.size() > 32) std::abort();
    for (const char* type : {"imap", "pop3", "smtp"}) {
      int i = choose_server(r->incoming, type);
      if (i >= static_cast<int>(r->incoming.size())) std::abort();
      int o = choose_server(r->outgoing, type);
      if (o >= static_cast<int>(r->outgoing.size())) std::abort();
      if (i >= 0) {
        if (r->incoming[static_cast<std::size_t>(i)].hostname.size() > 4096) std::abort();
        (void)expand_username(r->incoming[static_cast<std::size_t>(i)].username, "a@b.c");
      }
    }
  }
  auto body = http_response_body(in, 4096);
  if (body && body->size() > 4096) std::abort();
  if (auto s = parse_srv(in)) (void)choose_srv({*s});
  return 0;
}
