// bench_tls_client: the TLS client context the load generators (bench/imap/imap_load.cpp,
// bench/pop3/pop3_load.cpp) connect with, so that both benchmarks make servers pay the same
// TLS work per connection: a full handshake every time (no session cache, as a new client
// would), buffers released while a connection is idle, and the server's certificate checked
// against --ca when one is given (not checked otherwise: loopback servers we started).
// Header-only, OpenSSL only; no project libraries. Trust: a benchmark tool, not hardened.
// Memory: one SSL_CTX, shared by every connection of a run.
#pragma once

#include <openssl/ssl.h>

#include <string>

namespace estafeta::bench {

// A new client context; on failure calls `die` (which does not return) with what went wrong.
template <class Die>
SSL_CTX* make_client_ctx(const std::string& ca_file, Die&& die) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx) die("SSL_CTX_new");
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  // No session cache: every connection pays a full handshake, as a new client would.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  if (!ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) != 1)
      die("cannot load CA file " + ca_file);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  return ctx;
}

}  // namespace estafeta::bench
