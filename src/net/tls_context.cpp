// tls_context: builds the server TLS context from files named in the configuration (see the
// header). Cipher choice: ECDHE/DHE with AES-GCM or ChaCha20-Poly1305 for TLS 1.2 (every
// TLS 1.3 suite is AEAD already); the client's order is honoured, as recommended when all
// offered suites are strong.
#include "net/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <asio/ssl.hpp>

namespace estafeta::net {
namespace {

constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384";

std::string last_openssl_error() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

}  // namespace

std::shared_ptr<asio::ssl::context> make_server_tls_context(const TlsSettings& settings,
                                                            std::string& error) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  int min_version = 0;
  if (settings.min_version == "TLSv1.2") {
    min_version = TLS1_2_VERSION;
  } else if (settings.min_version == "TLSv1.3") {
    min_version = TLS1_3_VERSION;
  } else {
    error = "tls.min_version: expected \"TLSv1.2\" or \"TLSv1.3\", got \"" + settings.min_version +
            "\"";
    return nullptr;
  }
  SSL_CTX_set_min_proto_version(native, min_version);
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                  SSL_OP_SINGLE_DH_USE | SSL_OP_SINGLE_ECDH_USE);
  if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    error = "cannot set the TLS cipher list: " + last_openssl_error();
    return nullptr;
  }
  SSL_CTX_set_dh_auto(native, 1);
  // Session resumption: a server-side cache plus RFC 5077 tickets (OpenSSL rotates keys).
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_SERVER);
  static const unsigned char kSessionContext[] = "estafeta";
  SSL_CTX_set_session_id_context(native, kSessionContext, sizeof kSessionContext - 1);
  SSL_CTX_sess_set_cache_size(native, 20000);
  // Writes of a reply may be retried with a different buffer address after WANT_WRITE.
  SSL_CTX_set_mode(native, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);

  if (SSL_CTX_use_certificate_chain_file(native, settings.certificate.c_str()) != 1) {
    error = "tls.certificate: cannot load " + settings.certificate.string() + ": " +
            last_openssl_error();
    return nullptr;
  }
  if (SSL_CTX_use_PrivateKey_file(native, settings.private_key.c_str(), SSL_FILETYPE_PEM) != 1) {
    error = "tls.private_key: cannot load " + settings.private_key.string() + ": " +
            last_openssl_error();
    return nullptr;
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    error = "tls.private_key: " + settings.private_key.string() +
            " does not belong to the certificate " + settings.certificate.string();
    ERR_clear_error();
    return nullptr;
  }
  return ctx;
}

std::string tls_version_of(const void* ssl) {
  const char* v = SSL_get_version(static_cast<const SSL*>(ssl));
  return v ? v : "";
}

std::string tls_cipher_of(const void* ssl) {
  const char* c = SSL_get_cipher_name(static_cast<const SSL*>(ssl));
  return c ? c : "";
}

}  // namespace estafeta::net
