// stream: plain/TLS connection with in-place upgrade (see the header).
#include "net/stream.hpp"

#include <asio.hpp>
#include <asio/ssl.hpp>

#include "net/tls_context.hpp"

namespace estafeta::net {

Stream::Stream(asio::ip::tcp::socket socket) : socket_(std::move(socket)) {
  asio::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
}

Stream::~Stream() = default;

asio::awaitable<std::size_t> Stream::read_some(asio::mutable_buffer buffer, std::error_code& ec) {
  ec = {};
  if (tls_)
    co_return co_await tls_->async_read_some(buffer, asio::redirect_error(asio::use_awaitable, ec));
  co_return co_await socket_.async_read_some(buffer, asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<void> Stream::write(asio::const_buffer buffer, std::error_code& ec) {
  ec = {};
  if (tls_) {
    co_await asio::async_write(*tls_, buffer, asio::redirect_error(asio::use_awaitable, ec));
  } else {
    co_await asio::async_write(socket_, buffer, asio::redirect_error(asio::use_awaitable, ec));
  }
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
