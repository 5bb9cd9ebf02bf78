// stream: one client connection, plain TCP or TLS, upgraded in place by STARTTLS (RFC 3207)
// or wrapped from the first byte (implicit TLS, RFC 8314), and optionally compressed from a
// point on (IMAP COMPRESS=DEFLATE, RFC 4978: inside TLS when both are on). The TLS layer is created
// only when needed, over the same socket, so a plain session pays nothing for it. Operations report
// errors by value (std::error_code), never by exception, and at most one read and one write may be
// outstanding at a time (the Asio stream rules). Input: bytes from the network (untrusted); buffers
// are the caller's. Memory: the socket, plus one SSL object after the upgrade (OpenSSL reads
// and writes the socket directly; its record buffers are released while the connection is
// idle).
#pragma once

#include <asio/awaitable.hpp>
#include <asio/buffer.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "net/deflate_codec.hpp"

namespace estafeta::net {

// One TLSA record to authenticate a TLS server with (RFC 6698 §2.1; DANE for SMTP, RFC 7672):
// certificate usage, selector, matching type and the association data (binary).
struct DaneRecord {
  std::uint8_t usage = 0;
  std::uint8_t selector = 0;
  std::uint8_t matching_type = 0;
  std::string data;
};

class Stream {
 public:
  explicit Stream(asio::ip::tcp::socket socket);
  ~Stream();

  // Reads at least one byte (0 with ec set at end of stream or error).
  asio::awaitable<std::size_t> read_some(asio::mutable_buffer buffer, std::error_code& ec);
  // Writes all of `buffer`.
  asio::awaitable<void> write(asio::const_buffer buffer, std::error_code& ec);
  // Server-side TLS handshake over the current socket; afterwards reads and writes are
  // encrypted. Plain bytes already read by the caller stay the caller's business (STARTTLS:
  // the core discards them, RFC 3207 §5).
  asio::awaitable<void> start_tls(asio::ssl::context& context, std::error_code& ec);
  // Client-side TLS handshake (the sending MTA after STARTTLS, or at once for port 465):
  // SNI and the name checked against the certificate are `server_name` (RFC 6066 §3,
  // RFC 6125), none for an IP address. Whether the peer verified is tls_peer_verified().
  asio::awaitable<void> start_tls_client(asio::ssl::context& context,
                                         const std::string& server_name, std::error_code& ec);
  // The same with DANE (RFC 7672 §3): the peer is authenticated by `tlsa` (OpenSSL's DANE
  // verifier: SSL_dane_enable with `server_name` as the reference name, one
  // SSL_dane_tlsa_add per record) instead of the trust store; DANE-EE(3) matches skip the
  // name check (RFC 7672 §3.1.1). tls_peer_verified() then says whether a record matched.
  // An empty `tlsa` is the plain call. The context must come from make_client_tls_context.
  asio::awaitable<void> start_tls_client(asio::ssl::context& context,
                                         const std::string& server_name,
                                         const std::vector<DaneRecord>& tlsa, std::error_code& ec);
  // After start_tls_client: the certificate chain verified against the context's trust store
  // and matched `server_name`; else tls_verify_error() says why.
  bool tls_peer_verified() const;
  std::string tls_verify_error() const;
  // TLS only: sends close_notify (RFC 8446 §6.1: required before closing the write side)
  // and waits for the peer's answer or its FIN; bound it with cancel(). No-op when plain.
  asio::awaitable<void> shutdown_tls(std::error_code& ec);
  // From now on every write is deflated and every read inflated (RFC 4978). Bytes the
  // caller already read stay plain.
  void start_compression();
  bool compression_active() const { return deflater_ != nullptr; }
  // Closes at once: TCP FIN.
  void close();
  // Cancels the outstanding read/write; they complete with operation_aborted.
  void cancel();

  bool tls_active() const { return tls_ != nullptr; }
  std::string tls_version() const;
  std::string tls_cipher() const;
  asio::ip::tcp::socket& socket() { return socket_; }

 private:
  asio::awaitable<void> handshake(asio::ssl::context& context, const std::string* server_name,
                                  const std::vector<DaneRecord>* tlsa, std::error_code& ec);
  asio::awaitable<std::size_t> read_raw(asio::mutable_buffer buffer, std::error_code& ec);
  asio::awaitable<void> write_raw(asio::const_buffer buffer, std::error_code& ec);
  asio::awaitable<std::size_t> read_inflated(asio::mutable_buffer buffer, std::error_code& ec);
  // Until the socket is readable (for_read) or writable: what OpenSSL asked for.
  asio::awaitable<void> wait(bool for_read, std::error_code& ec);

  struct Tls;  // the SSL object over the socket
  asio::ip::tcp::socket socket_;
  std::unique_ptr<Tls> tls_;
  std::unique_ptr<Deflater> deflater_;
  std::unique_ptr<Inflater> inflater_;
  std::string compressed_in_;  // read from the wire, not yet inflated
  std::string inflated_;       // inflated, not yet handed to the caller
};

}  // namespace estafeta::net
