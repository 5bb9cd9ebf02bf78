// fuzz_mime_rfc2231: hostile parameter lists into the splitter and the RFC 2231 combiner
// (bounded counts, valid UTF-8 values, no crash on any continuation pattern), and any UTF-8
// value through format_parameter -> parse_parameters, which must give it back exactly.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mime/mime_charset.hpp"
#include "mime/mime_rfc2231.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace estafeta::mime;
  std::string_view in(reinterpret_cast<const char*>(data), size);

  auto params = parse_parameters(in);
  check(params.size() <= kMaxParameters);
  for (const auto& p : params) {
    check(is_valid_utf8(p.value));
    check(!p.name.empty());
    check(find_parameter(params, p.name) != nullptr);
  }

  std::string value;
  append_utf8_sanitized(in, value);
  for (std::size_t piece : {std::size_t{0}, std::size_t{20}, std::size_t{60}}) {
    std::string f = format_parameter("filename", value, piece);
    auto back = parse_parameters(f);
    check(back.size() == 1);
    check(back[0].name == "filename");
    check(back[0].value == value);
  }
  return 0;
}
