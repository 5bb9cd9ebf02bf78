// fuzz_mime_downgrade: the 8-bit to 7-bit downgrade (src/mime/mime_downgrade) on arbitrary
// messages. Checks its promises: 7-bit input is left unchanged, a converted message is 7-bit
// clean and has the same MIME structure, only 8-bit leaves were re-encoded (a 7-bit leaf's
// body is byte for byte the same) and 8-bit header fields rewritten, and an impossible one
// says why. Small MIME limits make
// deep and wide trees reachable. Input is fully untrusted.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mime/mime_downgrade.hpp"
#include "mime/mime_parser.hpp"

using namespace estafeta::mime;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 65536) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  Limits limits;
  limits.max_depth = 8;
  limits.max_parts = 64;
  limits.max_header_fields = 32;
  Downgrade d = downgrade_to_7bit(in, limits);
  if (is_7bit(in)) {
    check(d.status == Downgrade::Status::unchanged && d.message.empty());
    return 0;
  }
  check(d.status != Downgrade::Status::unchanged);
  if (d.status == Downgrade::Status::impossible) {
    check(!d.reason.empty() && d.message.empty());
    return 0;
  }
  // Converted: bodies re-encoded, or (8-bit text only in header fields) fields given RFC 2047
  // words.
  const std::size_t edits = d.parts_converted + d.fields_converted;
  check(is_7bit(d.message) && edits > 0);
  check(d.message.size() <= in.size() * 4 + 256 * (edits + 1));
  Message before = parse(in, limits), after = parse(d.message, limits);
  check(before.parts.size() == after.parts.size());
  for (std::size_t i = 0; i < before.parts.size(); ++i) {
    const Part& a = before.parts[i];
    const Part& b = after.parts[i];
    check(a.kind == b.kind && a.depth == b.depth);
    if (a.kind == PartKind::leaf && is_7bit(before.body_bytes(a)) &&
        a.encoding != TransferEncoding::binary)
      check(before.body_bytes(a) == after.body_bytes(b));
  }
  return 0;
}
