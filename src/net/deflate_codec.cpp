// deflate_codec: zlib in raw mode (negative window bits: no zlib header, RFC 4978 §4).
#include "net/deflate_codec.hpp"

#include <zlib.h>

#include <algorithm>

namespace estafeta::net {
namespace {

constexpr int kCompressWindowBits = 12;  // 4 KB window: small state per session
constexpr int kCompressMemLevel = 5;
constexpr int kInflateWindowBits = 15;  // a client may compress with the full 32 KB window

}  // namespace

struct Deflater::State {
  z_stream z{};
  bool ok = false;
};

Deflater::Deflater() : state_(std::make_unique<State>()) {
  state_->ok = deflateInit2(&state_->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -kCompressWindowBits,
                            kCompressMemLevel, Z_DEFAULT_STRATEGY) == Z_OK;
}

Deflater::~Deflater() {
  if (state_->ok) deflateEnd(&state_->z);
}

void Deflater::deflate(std::string_view in, std::string& out) {
  z_stream& z = state_->z;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  unsigned char buf[16384];
  do {
    z.next_out = buf;
    z.avail_out = sizeof buf;
    ::deflate(&z, Z_SYNC_FLUSH);
    out.append(reinterpret_cast<const char*>(buf), sizeof buf - z.avail_out);
  } while (z.avail_out == 0);
}

struct Inflater::State {
  z_stream z{};
  bool ok = false;
};

Inflater::Inflater() : state_(std::make_unique<State>()) {
  state_->ok = inflateInit2(&state_->z, -kInflateWindowBits) == Z_OK;
}

Inflater::~Inflater() {
  if (state_->ok) inflateEnd(&state_->z);
}

std::size_t Inflater::inflate(std::string_view in, std::string& out, std::size_t max_out,
                              std::error_code& ec) {
  ec = {};
  if (!state_->ok) {
    ec = std::make_error_code(std::errc::not_enough_memory);
    return 0;
  }
  z_stream& z = state_->z;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  unsigned char buf[16384];
  std::size_t produced = 0;
  while (z.avail_in > 0 && produced < max_out) {
    const std::size_t room = std::min(sizeof buf, max_out - produced);
    z.next_out = buf;
    z.avail_out = static_cast<uInt>(room);
    const int rc = ::inflate(&z, Z_NO_FLUSH);
    const std::size_t n = room - z.avail_out;
    out.append(reinterpret_cast<const char*>(buf), n);
    produced += n;
    if (rc == Z_STREAM_END || rc == Z_DATA_ERROR || rc == Z_NEED_DICT || rc == Z_MEM_ERROR) {
      ec = std::make_error_code(std::errc::protocol_error);
      break;
    }
    if (rc == Z_BUF_ERROR && n == 0) break;  // no progress possible: wants more input
  }
  return in.size() - z.avail_in;
}

}  // namespace estafeta::net
