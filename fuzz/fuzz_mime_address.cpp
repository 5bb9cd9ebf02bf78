// fuzz_mime_address: feeds arbitrary bytes to the structured header parsers — address lists,
// dates, message identifiers — and to their IMAP rendering. Checks only that they terminate
// without memory errors and respect their documented bounds. Input is fully untrusted.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mime/mime_address.hpp"
#include "mime/mime_date.hpp"
#include "mime/mime_header.hpp"
#include "mime/mime_imap_envelope.hpp"

using namespace estafeta::mime;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  AddressList list = parse_address_list(in, 500);
  if (list.size() > 501) std::abort();  // 500 + a closing group marker
  for (const Address& a : list) {
    (void)a.addr_spec();
    (void)decoded_name(a);
  }
  std::string out;
  imap_append_address_list(out, list);
  if (auto d = parse_date(in)) {
    if (d->month < 1 || d->month > 12 || d->day < 1 || d->day > 31) std::abort();
    auto back = parse_date(format_date(*d));
    if (!back || back->to_unix() != d->to_unix()) std::abort();
  }
  if (parse_message_ids(in).size() > kMaxMessageIds) std::abort();
  return 0;
}
