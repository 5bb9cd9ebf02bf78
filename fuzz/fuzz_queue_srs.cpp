// fuzz_queue_srs: the SRS reverse parser on arbitrary RCPT TO local parts (anyone may send
// to SRS0=...@our-domain). Whatever parses as ours must be an address with a domain; and a
// forward of the input under the same key must reverse to the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "queue/proto/queue_srs.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using estafeta::queue::SrsReversal;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const estafeta::queue::SrsKey key{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  const std::int64_t now = 1796212800;
  SrsReversal r = estafeta::queue::srs_reverse(key, in, now);
  if (r.status == SrsReversal::Status::ok && r.address.find('@') == std::string::npos) std::abort();
  if (in.find('@') == std::string_view::npos) {
    std::string sender = std::string(in) + "@sender.example";
    if (auto f = estafeta::queue::srs_forward(key, sender, "fwd.example", now)) {
      SrsReversal back = estafeta::queue::srs_reverse(key, f->substr(0, f->rfind('@')), now);
      if (back.status != SrsReversal::Status::ok) std::abort();
      // SRS0 gives back the sender; SRS1 the first forwarder's SRS0 address.
      if (!estafeta::queue::is_srs(in) && back.address != sender) std::abort();
    }
  }
  return 0;
}
