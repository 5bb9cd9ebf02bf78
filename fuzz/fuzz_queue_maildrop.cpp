// fuzz_queue_maildrop: the maildrop file parser on arbitrary bytes (any local user can drop a
// file for the server to pick up). A header that parses must encode and parse again to the
// same fields.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "queue/proto/queue_maildrop.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string error;
  estafeta::queue::MaildropHeader h;
  if (auto msg = estafeta::queue::parse_maildrop(in, h, error)) {
    if (msg->size() > in.size()) std::abort();
    const std::string again = estafeta::queue::encode_maildrop_header(h);
    estafeta::queue::MaildropHeader h2;
    auto msg2 = estafeta::queue::parse_maildrop(again, h2, error);
    if (!msg2 || !msg2->empty() || h2.from != h.from || h2.fullname != h.fullname ||
        h2.recipients != h.recipients)
      std::abort();
  }
  return 0;
}
