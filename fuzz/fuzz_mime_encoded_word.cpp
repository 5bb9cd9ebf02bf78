// fuzz_mime_encoded_word: hostile header values into the RFC 2047 decoder (output must be
// valid UTF-8, size bounded) and any UTF-8 text through encode -> decode, which must give
// the text back exactly; encoded output must be plain ASCII with words of at most 75 chars.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mime/mime_charset.hpp"
#include "mime/mime_encoded_word.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace estafeta::mime;
  std::string_view in(reinterpret_cast<const char*>(data), size);

  std::string dec = decode_encoded_words(in);
  check(is_valid_utf8(dec));
  // Worst cases: a raw byte becomes 3 (U+FFFD / Windows-1252), a Q escape byte up to 3.
  check(dec.size() <= 4 * size + 16);

  std::string word;
  if (decode_encoded_word(in, word)) check(is_valid_utf8(word));

  // Round trip: header text cannot hold CR or LF (they are folds), and must be UTF-8.
  std::string text;
  append_utf8_sanitized(in, text);
  std::string clean;
  for (char c : text)
    if (c != '\r' && c != '\n') clean += c;
  std::string enc = encode_header_text(clean, EncodeContext::text);
  check(decode_encoded_words(enc) == clean);
  bool plain = header_text_is_plain(enc);
  check(plain);
  for (std::size_t pos = enc.find("=?UTF-8?"); pos != std::string::npos;
       pos = enc.find("=?UTF-8?", pos + 1)) {
    std::size_t end = enc.find("?=", pos + 10);
    check(end != std::string::npos && end + 2 - pos <= 75);
  }
  std::string phrase = encode_header_text(clean, EncodeContext::phrase);
  check(header_text_is_plain(phrase));
  std::string comment = encode_header_text(clean, EncodeContext::comment);
  check(decode_encoded_words(comment) == clean);
  return 0;
}
