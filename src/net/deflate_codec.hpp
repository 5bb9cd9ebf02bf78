// deflate_codec: the raw DEFLATE streams of IMAP COMPRESS=DEFLATE (RFC 4978): everything
// written is compressed with a sync flush at the end of each write, so the peer can read
// every response at once; everything read is inflated in bounded steps, so a small input
// that inflates to gigabytes (a "zip bomb") never lands in memory at once. zlib does the
// work. Trust: compressed input comes from the peer. Memory: zlib's state, about 40 KB
// for the compressor (a 4 KB window and a small hash: RFC 4978 lets the compressor choose)
// and 40 KB for the decompressor (it must accept the 32 KB window any client may use).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

namespace estafeta::net {

class Deflater {
 public:
  Deflater();
  ~Deflater();
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;
  // Appends the compressed form of `in` to `out`, ending with a sync flush.
  void deflate(std::string_view in, std::string& out);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

class Inflater {
 public:
  Inflater();
  ~Inflater();
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  // Inflates from `in`, appending at most `max_out` octets to `out`; returns the octets of
  // `in` consumed (the rest must be offered again). Corrupt input, or the end of the
  // compressed stream (the peer may not end it, RFC 4978 §4), sets `ec`.
  std::size_t inflate(std::string_view in, std::string& out, std::size_t max_out,
                      std::error_code& ec);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace estafeta::net
