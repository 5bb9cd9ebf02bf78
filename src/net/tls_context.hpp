// tls_context: the server-side TLS configuration shared by every listener (RFC 8314 §4,
// RFC 7525 / BCP 195): TLS 1.2 or newer as configured, forward-secret AEAD cipher suites,
// no compression (CRIME), no renegotiation, a server-side session cache and session tickets.
// Input: the operator's certificate and key, as files or as PEM bytes a privileged helper
// read (tls_key_helper.hpp) (trusted). One context per process (a new one on reload).
#pragma once

#include <asio/ssl/context.hpp>
#include <filesystem>
#include <memory>
#include <string>

namespace estafeta::net {

struct TlsSettings {
  std::filesystem::path certificate;    // PEM: the leaf first, then intermediates
  std::filesystem::path private_key;    // PEM
  std::string min_version = "TLSv1.2";  // "TLSv1.2" or "TLSv1.3"
};

// Builds the context from the files (read_tls_pem, then the PEM form below); nullptr with
// `error` naming the file or setting at fault.
std::shared_ptr<asio::ssl::context> make_server_tls_context(const TlsSettings& settings,
                                                            std::string& error);

// The certificate chain and key as PEM text, read by whoever may read them. The key may also
// sit in `certificate` (one combined file): each is searched for its own PEM blocks.
struct TlsPem {
  std::string certificate;  // leaf first, then intermediates
  std::string private_key;
  ~TlsPem();  // wipes the key bytes
};

// Reads settings.certificate and settings.private_key (at most 1 MiB each) into `out`;
// false with `error` naming the file.
bool read_tls_pem(const TlsSettings& settings, TlsPem& out, std::string& error);

// Builds the context from memory: settings.min_version applies, the paths only name the
// source in error messages.
std::shared_ptr<asio::ssl::context> make_server_tls_context(const TlsSettings& settings,
                                                            const TlsPem& pem, std::string& error);

// The client-side context of the sending MTA (RFC 3207 STARTTLS to other MTAs, RFC 8314 to a
// smarthost): TLS 1.2 or newer, the same AEAD suites, no compression or renegotiation. Peers
// are checked against the system's trust store plus `ca_file` (PEM, "" = none) and the host
// name (Stream::start_tls_client), but the handshake never fails on verification: the caller
// reads Stream::tls_peer_verified() and decides (RFC 7435 opportunistic TLS takes any
// certificate; a smarthost or a "TLS required" destination does not). nullptr with `error`.
std::shared_ptr<asio::ssl::context> make_client_tls_context(const std::string& ca_file,
                                                            std::string& error);

// "TLSv1.3" and "TLS_AES_128_GCM_SHA256" for a connected SSL object (native handle).
std::string tls_version_of(const void* ssl);
std::string tls_cipher_of(const void* ssl);

}  // namespace estafeta::net
