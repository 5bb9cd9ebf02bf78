// stream: plain/TLS connection with in-place upgrade (see the header).
#include "net/stream.hpp"

#include <algorithm>
#include <asio.hpp>
#include <asio/ssl.hpp>
#include <cstring>

#include "net/tls_context.hpp"

namespace estafeta::net {

Stream::Stream(asio::ip::tcp::socket socket) : socket_(std::move(socket)) {
  asio::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
}

Stream::~Stream() = default;

asio::awaitable<std::size_t> Stream::read_raw(asio::mutable_buffer buffer, std::error_code& ec) {
  ec = {};
  if (tls_)
    co_return co_await tls_->async_read_some(buffer, asio::redirect_error(asio::use_awaitable, ec));
  co_return co_await socket_.async_read_some(buffer, asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<void> Stream::write_raw(asio::const_buffer buffer, std::error_code& ec) {
  ec = {};
  if (tls_) {
    co_await asio::async_write(*tls_, buffer, asio::redirect_error(asio::use_awaitable, ec));
  } else {
    co_await asio::async_write(socket_, buffer, asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<std::size_t> Stream::read_some(asio::mutable_buffer buffer, std::error_code& ec) {
  if (!inflater_) co_return co_await read_raw(buffer, ec);
  ec = {};
  // Inflated in steps of at most one caller buffer (twice, for slack): a few compressed
  // octets that would inflate to gigabytes are taken a little at a time.
  const std::size_t step = std::max<std::size_t>(buffer.size() * 2, 4096);
  while (inflated_.empty()) {
    if (compressed_in_.empty()) {
      char raw[16384];
      std::size_t n = co_await read_raw(asio::buffer(raw), ec);
      if (ec) co_return 0;
      compressed_in_.assign(raw, n);
    }
    std::size_t used = inflater_->inflate(compressed_in_, inflated_, step, ec);
    compressed_in_.erase(0, used);
    if (ec) co_return 0;
  }
  const std::size_t n = std::min(buffer.size(), inflated_.size());
  std::memcpy(buffer.data(), inflated_.data(), n);
  inflated_.erase(0, n);
  co_return n;
}

asio::awaitable<void> Stream::write(asio::const_buffer buffer, std::error_code& ec) {
  if (!deflater_) co_return co_await write_raw(buffer, ec);
  std::string out;
  deflater_->deflate(std::string_view(static_cast<const char*>(buffer.data()), buffer.size()), out);
  co_await write_raw(asio::buffer(out), ec);
}

void Stream::start_compression() {
  deflater_ = std::make_unique<Deflater>();
  inflater_ = std::make_unique<Inflater>();
}

asio::awaitable<void> Stream::start_tls(asio::ssl::context& context, std::error_code& ec) {
  ec = {};
  tls_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(socket_, context);
  co_await tls_->async_handshake(asio::ssl::stream_base::server,
                                 asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<void> Stream::shutdown_tls(std::error_code& ec) {
  ec = {};
  if (!tls_) co_return;
  co_await tls_->async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
}

void Stream::close() {
  asio::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

void Stream::cancel() {
  asio::error_code ignored;
  socket_.cancel(ignored);
}

std::string Stream::tls_version() const {
  return tls_ ? tls_version_of(tls_->native_handle()) : std::string();
}

std::string Stream::tls_cipher() const {
  return tls_ ? tls_cipher_of(tls_->native_handle()) : std::string();
}

}  // namespace estafeta::net
