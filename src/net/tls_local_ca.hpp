// tls_local_ca: the certificate material `estafeta serve` uses when [tls] certificate is
// empty. On first start it creates a private CA (data_dir/tls/ca.pem + ca.key, CA:TRUE,
// 10 years) limited by a critical nameConstraints extension (RFC 5280 §4.2.1.10) to the
// names it was made for: DNS hostname and localhost, IP 127.0.0.0/8, ::1 and each address
// the server listens on, so a stolen ca.key cannot vouch for anyone else's site. It then
// issues a server certificate signed by it (server.pem + server.key, 2 years) whose
// subjectAltName holds the hostname, localhost, 127.0.0.1, ::1 and the listener addresses
// (wildcard listeners: every non-loopback interface address, see local_tls_addresses).
// Keys are mode 0600 and stay with the user that made them (root under `serve`: the running
// server gets the PEM bytes from its privileged helper, see tls_key_helper.hpp).
// Later starts reuse the files. The server certificate alone is reissued when the hostname
// or an address is missing from it, or it expires within 30 days. The CA is remade only
// when the hostname is outside its constraints (clients must then trust the new ca.pem;
// `replaced_ca` says so). An address outside an existing CA's constraints is left out of
// the server certificate (listed in `uncovered`): a name the CA may not certify would make
// the whole chain fail verification. A CA from an older version without nameConstraints is
// kept, so clients' trust keeps working, and reported (`unconstrained_ca`).
// Input: the operator's hostname and addresses and our own files (trusted). Memory: a few
// KB of keys.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace estafeta::net {

struct LocalTlsFiles {
  std::filesystem::path ca_certificate;  // data_dir/tls/ca.pem: what clients should trust
  std::filesystem::path certificate;     // data_dir/tls/server.pem: leaf then CA (chain)
  std::filesystem::path private_key;     // data_dir/tls/server.key
  bool created_ca = false;               // a new CA was made in this call
  bool replaced_ca = false;              // ... replacing one that did not cover the hostname
  bool issued_certificate = false;       // a new server certificate was made in this call
  bool unconstrained_ca = false;         // the CA in use has no nameConstraints (older version)
  std::vector<std::string> uncovered;    // addresses the CA may not certify: not in the SAN
};

// Makes sure `tls_dir` holds a usable CA and server certificate for `hostname` and the IP
// `addresses` (numeric; 127.0.0.1 and ::1 are always added), creating the directory (0700)
// and whatever is missing. Returns false with `error` describing the failing step and file
// when a file cannot be read, written or generated.
bool ensure_local_tls(const std::filesystem::path& tls_dir, std::string_view hostname,
                      const std::vector<std::string>& addresses, LocalTlsFiles& out,
                      std::string& error);

// The IP addresses a server listening on `listener_addresses` is reached at, canonical and
// without duplicates: each numeric address as it is, and for a wildcard ("", "*", "0.0.0.0",
// "::") the machine's non-loopback, non-link-local interface addresses (getifaddrs; IPv4
// only for 0.0.0.0).
std::vector<std::string> local_tls_addresses(const std::vector<std::string>& listener_addresses);

}  // namespace estafeta::net
