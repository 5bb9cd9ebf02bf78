// fuzz_queue_record: the spool record and trailer parsers on arbitrary bytes (spool files are
// read back after crashes and may be damaged). A record that parses must encode and parse
// again to the same encoding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "queue/proto/queue_record.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string error;
  if (auto e = estafeta::queue::parse_record(in, error)) {
    std::string again = estafeta::queue::encode_record(*e);
    auto e2 = estafeta::queue::parse_record(again, error);
    if (!e2 || estafeta::queue::encode_record(*e2) != again) std::abort();
  }
  if (size >= estafeta::queue::kTrailerSize)
    (void)estafeta::queue::parse_trailer(in.substr(0, estafeta::queue::kTrailerSize));
  return 0;
}
