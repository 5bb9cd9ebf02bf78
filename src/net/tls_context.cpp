// tls_context: builds the server TLS context from files named in the configuration (see the
// header). Cipher choice: ECDHE/DHE with AES-GCM or ChaCha20-Poly1305 for TLS 1.2 (every
// TLS 1.3 suite is AEAD already); the client's order is honoured, as recommended when all
// offered suites are strong.
#include "net/tls_context.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <asio/ssl.hpp>
#include <fstream>
#include <memory>

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

constexpr std::size_t kMaxPemSize = std::size_t{1} << 20;

// Every setting but the certificate and key.
std::shared_ptr<asio::ssl::context> make_base_context(const TlsSettings& settings,
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
  return ctx;
}

bool read_bounded(const std::filesystem::path& path, const char* key, std::string& out,
                  std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::string(key) + ": cannot open " + path.string();
    return false;
  }
  out.resize(kMaxPemSize + 1);
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  out.resize(static_cast<std::size_t>(in.gcount()));
  if (in.bad() || out.size() > kMaxPemSize) {
    error = std::string(key) + ": cannot read " + path.string() +
            (in.bad() ? "" : " (larger than 1 MiB)");
    return false;
  }
  return true;
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

std::unique_ptr<BIO, BioFree> memory_bio(const std::string& s) {
  return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(s.data(), static_cast<int>(s.size())));
}

}  // namespace

TlsPem::~TlsPem() {
  if (!private_key.empty()) OPENSSL_cleanse(private_key.data(), private_key.size());
}

bool read_tls_pem(const TlsSettings& settings, TlsPem& out, std::string& error) {
  return read_bounded(settings.certificate, "tls.certificate", out.certificate, error) &&
         read_bounded(settings.private_key, "tls.private_key", out.private_key, error);
}

std::shared_ptr<asio::ssl::context> make_server_tls_context(const TlsSettings& settings,
                                                            const TlsPem& pem, std::string& error) {
  auto ctx = make_base_context(settings, error);
  if (!ctx) return nullptr;
  SSL_CTX* native = ctx->native_handle();
  auto cert_bio = memory_bio(pem.certificate);
  std::unique_ptr<X509, X509Free> leaf(
      cert_bio ? PEM_read_bio_X509_AUX(cert_bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!leaf || SSL_CTX_use_certificate(native, leaf.get()) != 1) {
    error = "tls.certificate: cannot load " + settings.certificate.string() + ": " +
            last_openssl_error();
    return nullptr;
  }
  SSL_CTX_clear_chain_certs(native);
  while (X509* next = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr)) {
    if (SSL_CTX_add0_chain_cert(native, next) != 1) {
      X509_free(next);
      error = "tls.certificate: cannot load the chain in " + settings.certificate.string() + ": " +
              last_openssl_error();
      return nullptr;
    }
  }
  ERR_clear_error();  // the end of the PEM text
  auto key_bio = memory_bio(pem.private_key);
  std::unique_ptr<EVP_PKEY, KeyFree> key(
      key_bio ? PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key || SSL_CTX_use_PrivateKey(native, key.get()) != 1) {
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

std::shared_ptr<asio::ssl::context> make_server_tls_context(const TlsSettings& settings,
                                                            std::string& error) {
  TlsPem pem;
  if (!read_tls_pem(settings, pem, error)) return nullptr;
  return make_server_tls_context(settings, pem, error);
}

std::shared_ptr<asio::ssl::context> make_client_tls_context(const std::string& ca_file,
                                                            std::string& error) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    error = "cannot set the TLS cipher list: " + last_openssl_error();
    return nullptr;
  }
  if (SSL_CTX_set_default_verify_paths(native) != 1) ERR_clear_error();  // no system store
  if (!ca_file.empty() && SSL_CTX_load_verify_locations(native, ca_file.c_str(), nullptr) != 1) {
    error = "cannot load the CA file " + ca_file + ": " + last_openssl_error();
    return nullptr;
  }
  // Verification is recorded (SSL_get_verify_result), never enforced in the handshake.
  SSL_CTX_set_verify(native, SSL_VERIFY_NONE, nullptr);
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  // DANE (RFC 7672) is switched on per connection (Stream::start_tls_client with TLSA
  // records); the context only makes the digests ready. Connections without it are unchanged.
  if (SSL_CTX_dane_enable(native) <= 0) ERR_clear_error();
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
