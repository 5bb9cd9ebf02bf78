// stream: plain/TLS connection with in-place upgrade (see the header). TLS is OpenSSL
// driven straight over the non-blocking socket: SSL_read/SSL_write/SSL_accept run until
// OpenSSL wants the socket readable or writable, then the coroutine waits for that with
// async_wait. No copy of the records sits between OpenSSL and the socket, so an idle TLS
// connection holds only the SSL object (its buffers are released while idle,
// SSL_MODE_RELEASE_BUFFERS), where a BIO pair would keep ~70 KiB of buffers per connection.
#include "net/stream.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <sys/socket.h>

#include <algorithm>
#include <asio.hpp>
#include <asio/ssl.hpp>
#include <cerrno>
#include <climits>
#include <cstring>

#include "net/tls_context.hpp"

namespace estafeta::net {

namespace {

// A socket BIO whose writes never raise SIGPIPE (send with MSG_NOSIGNAL): a peer that goes
// away mid-write is an EPIPE error, whatever the process does with the signal.
int bio_write(BIO* b, const char* data, int n) {
  BIO_clear_retry_flags(b);
  ssize_t r =
      ::send(static_cast<int>(BIO_get_fd(b, nullptr)), data, static_cast<size_t>(n), MSG_NOSIGNAL);
  if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) BIO_set_retry_write(b);
  return static_cast<int>(r);
}

int bio_read(BIO* b, char* data, int n) {
  BIO_clear_retry_flags(b);
  ssize_t r = ::recv(static_cast<int>(BIO_get_fd(b, nullptr)), data, static_cast<size_t>(n), 0);
  if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) BIO_set_retry_read(b);
  return static_cast<int>(r);
}

int bio_puts(BIO* b, const char* s) {
  return bio_write(b, s, static_cast<int>(std::strlen(s)));
}

// The rest (fd, flush, ...) as OpenSSL's own socket BIO answers it.
long bio_ctrl(BIO* b, int cmd, long num, void* ptr) {
  const BIO_METHOD* plain = BIO_s_socket();
  using Ctrl = long (*)(BIO*, int, long, void*);
  Ctrl c = BIO_meth_get_ctrl(const_cast<BIO_METHOD*>(plain));
  return c ? c(b, cmd, num, ptr) : 0;
}

const BIO_METHOD* nosignal_socket_method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_TYPE_SOCKET | BIO_get_new_index(), "estafeta socket");
    const BIO_METHOD* plain = BIO_s_socket();
    BIO_meth_set_write(m, bio_write);
    BIO_meth_set_read(m, bio_read);
    BIO_meth_set_puts(m, bio_puts);
    BIO_meth_set_ctrl(m, bio_ctrl);
    BIO_meth_set_create(m, BIO_meth_get_create(plain));
    BIO_meth_set_destroy(m, BIO_meth_get_destroy(plain));
    return m;
  }();
  return method;
}

// What an OpenSSL call that returned `r` <= 0 means (ERR queue cleared before the call).
enum class Next { read, write, error };

Next next_of(SSL* ssl, int r, std::error_code& ec) {
  const int err = SSL_get_error(ssl, r);
  switch (err) {
    case SSL_ERROR_WANT_READ:
      return Next::read;
    case SSL_ERROR_WANT_WRITE:
      return Next::write;
    case SSL_ERROR_ZERO_RETURN:  // close_notify received
      ec = asio::error::eof;
      return Next::error;
    case SSL_ERROR_SYSCALL: {
      const unsigned long e = ERR_get_error();
      if (e != 0)
        ec = std::error_code(static_cast<int>(e), asio::error::get_ssl_category());
      else if (errno != 0 && r < 0)
        ec = std::error_code(errno, std::system_category());
      else  // the peer closed without close_notify (most clients after LOGOUT/QUIT)
        ec = asio::ssl::error::stream_truncated;
      return Next::error;
    }
    default: {
      const unsigned long e = ERR_get_error();
      ec = std::error_code(static_cast<int>(e != 0 ? e : static_cast<unsigned long>(err)),
                           asio::error::get_ssl_category());
      return Next::error;
    }
  }
}

}  // namespace

struct Stream::Tls {
  SSL* ssl = nullptr;
  ~Tls() {
    if (ssl) SSL_free(ssl);
  }
};

Stream::Stream(asio::ip::tcp::socket socket) : socket_(std::move(socket)) {
  asio::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
}

Stream::~Stream() = default;

asio::awaitable<void> Stream::wait(bool for_read, std::error_code& ec) {
  co_await socket_.async_wait(
      for_read ? asio::ip::tcp::socket::wait_read : asio::ip::tcp::socket::wait_write,
      asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<std::size_t> Stream::read_raw(asio::mutable_buffer buffer, std::error_code& ec) {
  ec = {};
  if (!tls_)
    co_return co_await socket_.async_read_some(buffer,
                                               asio::redirect_error(asio::use_awaitable, ec));
  const int want = static_cast<int>(std::min<std::size_t>(buffer.size(), INT_MAX));
  // Nothing buffered in OpenSSL: wait until the socket is readable before SSL_read, which
  // would otherwise set up its 16 KiB record buffer and may keep it while waiting (an idle
  // TLS connection then costs ~15 KiB more).
  if (SSL_has_pending(tls_->ssl) == 0) {
    co_await wait(true, ec);
    if (ec) co_return 0;
  }
  for (;;) {
    ERR_clear_error();
    errno = 0;
    const int r = SSL_read(tls_->ssl, buffer.data(), want);
    if (r > 0) co_return static_cast<std::size_t>(r);
    const Next next = next_of(tls_->ssl, r, ec);
    if (next == Next::error) co_return 0;
    co_await wait(next == Next::read, ec);
    if (ec) co_return 0;
  }
}

asio::awaitable<void> Stream::write_raw(asio::const_buffer buffer, std::error_code& ec) {
  ec = {};
  if (!tls_) {
    co_await asio::async_write(socket_, buffer, asio::redirect_error(asio::use_awaitable, ec));
    co_return;
  }
  const char* p = static_cast<const char*>(buffer.data());
  std::size_t left = buffer.size();
  while (left > 0) {
    ERR_clear_error();
    errno = 0;
    const int r = SSL_write(tls_->ssl, p, static_cast<int>(std::min<std::size_t>(left, 1 << 20)));
    if (r > 0) {  // SSL_MODE_ENABLE_PARTIAL_WRITE: a record or more at a time
      p += r;
      left -= static_cast<std::size_t>(r);
      continue;
    }
    const Next next = next_of(tls_->ssl, r, ec);
    if (next == Next::error) co_return;
    co_await wait(next == Next::read, ec);
    if (ec) co_return;
  }
}

asio::awaitable<std::size_t> Stream::read_some(asio::mutable_buffer buffer, std::error_code& ec) {
  // Two coroutines, not one: this frame stays allocated while an idle connection waits, so it
  // must not hold the inflating path's buffer.
  if (!inflater_) co_return co_await read_raw(buffer, ec);
  co_return co_await read_inflated(buffer, ec);
}

asio::awaitable<std::size_t> Stream::read_inflated(asio::mutable_buffer buffer,
                                                   std::error_code& ec) {
  ec = {};
  // Inflated in steps of at most one caller buffer (twice, for slack): a few compressed
  // octets that would inflate to gigabytes are taken a little at a time.
  const std::size_t step = std::max<std::size_t>(buffer.size() * 2, 4096);
  while (inflated_.empty()) {
    if (compressed_in_.empty()) {
      compressed_in_.resize(16384);  // on the heap, not in this coroutine's frame
      std::size_t n = co_await read_raw(asio::buffer(compressed_in_), ec);
      compressed_in_.resize(ec ? 0 : n);
      if (ec) co_return 0;
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
  co_await handshake(context, nullptr, nullptr, ec);
}

asio::awaitable<void> Stream::start_tls_client(asio::ssl::context& context,
                                               const std::string& server_name,
                                               std::error_code& ec) {
  co_await handshake(context, &server_name, nullptr, ec);
}

asio::awaitable<void> Stream::start_tls_client(asio::ssl::context& context,
                                               const std::string& server_name,
                                               const std::vector<DaneRecord>& tlsa,
                                               std::error_code& ec) {
  co_await handshake(context, &server_name, tlsa.empty() ? nullptr : &tlsa, ec);
}

bool Stream::tls_peer_verified() const {
  if (!tls_) return false;
  X509* cert = SSL_get0_peer_certificate(tls_->ssl);
  return cert != nullptr && SSL_get_verify_result(tls_->ssl) == X509_V_OK;
}

std::string Stream::tls_verify_error() const {
  if (!tls_) return "no TLS";
  if (SSL_get0_peer_certificate(tls_->ssl) == nullptr) return "no certificate";
  const long r = SSL_get_verify_result(tls_->ssl);
  return r == X509_V_OK ? std::string() : X509_verify_cert_error_string(r);
}

asio::awaitable<void> Stream::handshake(asio::ssl::context& context, const std::string* server_name,
                                        const std::vector<DaneRecord>* tlsa, std::error_code& ec) {
  ec = {};
  auto tls = std::make_unique<Tls>();
  tls->ssl = SSL_new(context.native_handle());
  BIO* bio = tls->ssl ? BIO_new(nosignal_socket_method()) : nullptr;
  if (!bio) {
    ec = std::make_error_code(std::errc::not_enough_memory);
    co_return;
  }
  asio::error_code nb;
  socket_.non_blocking(true, nb);  // OpenSSL reads and writes the socket itself
  if (nb) {
    BIO_free(bio);
    ec = nb;
    co_return;
  }
  BIO_set_fd(bio, socket_.native_handle(), BIO_NOCLOSE);
  SSL_set_bio(tls->ssl, bio, bio);
  SSL_set_mode(tls->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE);
  if (server_name) {
    SSL_set_connect_state(tls->ssl);
    asio::error_code bad;
    asio::ip::make_address(*server_name, bad);
    if (tlsa) {
      // RFC 7672 §3: DANE. SNI is the MX host name (§8.1); SSL_dane_enable makes it the
      // reference name for DANE-TA(2) and the verifier consult the TLSA records, not the
      // trust store. DANE-EE(3) matches need no name (§3.1.1).
      if (!server_name->empty()) SSL_set_tlsext_host_name(tls->ssl, server_name->c_str());
      int usable = 0;
      if (SSL_dane_enable(tls->ssl, server_name->empty() ? nullptr : server_name->c_str()) > 0) {
        SSL_dane_set_flags(tls->ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
        for (const DaneRecord& r : *tlsa) {
          const auto* data = reinterpret_cast<const unsigned char*>(r.data.data());
          if (SSL_dane_tlsa_add(tls->ssl, r.usage, r.selector, r.matching_type, data,
                                r.data.size()) > 0)
            ++usable;
        }
      }
      if (usable == 0) {  // nothing to authenticate with: never fall back to the store
        ERR_clear_error();
        ec = std::make_error_code(std::errc::invalid_argument);
        co_return;
      }
    } else if (!server_name->empty() && bad) {  // a name: SNI and the host name check
      SSL_set_tlsext_host_name(tls->ssl, server_name->c_str());
      SSL_set1_host(tls->ssl, server_name->c_str());
    } else if (!server_name->empty()) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(tls->ssl), server_name->c_str());
    }
  } else {
    SSL_set_accept_state(tls->ssl);
  }
  for (;;) {
    ERR_clear_error();
    errno = 0;
    const int r = SSL_do_handshake(tls->ssl);
    if (r == 1) break;
    const Next next = next_of(tls->ssl, r, ec);
    if (next == Next::error) co_return;
    co_await wait(next == Next::read, ec);
    if (ec) co_return;
  }
  tls_ = std::move(tls);
}

asio::awaitable<void> Stream::shutdown_tls(std::error_code& ec) {
  ec = {};
  if (!tls_) co_return;
  // close_notify out, then the peer's close_notify (or its FIN, or an error) in.
  for (int round = 0; round < 64; ++round) {
    ERR_clear_error();
    errno = 0;
    const int r = SSL_shutdown(tls_->ssl);
    if (r == 1) co_return;
    Next next = Next::read;  // r == 0: ours is out, wait for theirs
    if (r < 0) next = next_of(tls_->ssl, r, ec);
    if (next == Next::error) {
      if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) ec = {};
      co_return;
    }
    co_await wait(next == Next::read, ec);
    if (ec) co_return;
  }
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
  return tls_ ? tls_version_of(tls_->ssl) : std::string();
}

std::string Stream::tls_cipher() const {
  return tls_ ? tls_cipher_of(tls_->ssl) : std::string();
}

}  // namespace estafeta::net
