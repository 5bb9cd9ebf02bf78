// fuzz_base_qp: hostile text into the quoted-printable and RFC 2047 "Q" decoders, and any
// bytes through encode -> decode: binary mode must give the bytes back exactly, text mode
// the bytes with line ends made CRLF; encoded lines must be at most 76 characters.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/quoted_printable.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

std::string crlf_lines(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') {
      out += "\r\n";
      ++i;
    } else if (s[i] == '\n') {
      out += "\r\n";
    } else {
      out += s[i];
    }
  }
  return out;
}

void check_lines(const std::string& enc) {
  std::size_t line = 0;
  for (std::size_t i = 0; i < enc.size(); ++i) {
    if (enc[i] == '\r' && i + 1 < enc.size() && enc[i + 1] == '\n') {
      line = 0;
      ++i;
      continue;
    }
    auto c = static_cast<unsigned char>(enc[i]);
    check((c >= 0x20 && c < 0x7F) || c == '\t');
    check(++line <= 76);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace estafeta::qp;
  std::string_view in(reinterpret_cast<const char*>(data), size);

  std::string dec;
  std::size_t lfs = 0;
  for (char c : in) lfs += c == '\n';
  check(decode(in, dec) == dec.size());
  check(dec.size() <= size + lfs);

  std::string q;
  decode_q(in, q);
  check(q.size() <= size);

  std::string bin = encode(in, LineBreaks::binary);
  check_lines(bin);
  check(decode(bin) == in);

  std::string text = encode(in, LineBreaks::text);
  check_lines(text);
  check(decode(text) == crlf_lines(in));

  std::string eq = encode_q(in);
  check(eq.size() == encoded_q_size(in));
  std::string back;
  decode_q(eq, back);
  check(back == in);
  return 0;
}
