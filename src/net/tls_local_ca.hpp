// tls_local_ca: the certificate material `estafeta serve` uses when [tls] certificate is
// empty. On first start it creates a private CA (data_dir/tls/ca.pem + ca.key, CA:TRUE,
// 10 years) and a server certificate for the configured hostname signed by it
// (server.pem + server.key: SAN DNS:hostname, DNS:localhost, IP:127.0.0.1, IP:::1; 2 years),
// keys mode 0600. Later starts reuse them; the server certificate alone is reissued when the
// hostname changed or it expires within 30 days. Clients trust ca.pem.
// Input: the operator's hostname and our own files (trusted). Memory: a few KB of keys.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace estafeta::net {

struct LocalTlsFiles {
  std::filesystem::path ca_certificate;  // data_dir/tls/ca.pem: what clients should trust
  std::filesystem::path certificate;     // data_dir/tls/server.pem: leaf then CA (chain)
  std::filesystem::path private_key;     // data_dir/tls/server.key
  bool created_ca = false;               // a new CA was made in this call
  bool issued_certificate = false;       // a new server certificate was made in this call
};

// Makes sure `tls_dir` holds a usable CA and server certificate for `hostname`, creating
// the directory (0700) and whatever is missing. Returns false with `error` describing the
// failing step and file when a file cannot be read, written or generated.
bool ensure_local_tls(const std::filesystem::path& tls_dir, std::string_view hostname,
                      LocalTlsFiles& out, std::string& error);

}  // namespace estafeta::net
