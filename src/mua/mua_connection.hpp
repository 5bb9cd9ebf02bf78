// mua_connection: one blocking client connection of the mail client to a server (IMAP, POP3
// or SMTP submission): TCP to every address of the host in turn (IPv6 and IPv4), implicit TLS
// or a later upgrade (STARTTLS/STLS, called by the protocol client when the server agreed),
// certificate verification against the system store plus the account's CA file, with the
// host name checked (never skipped), and reads and writes with a deadline. The protocol
// clients (IMAP, POP3, SMTP) run their sans-I/O cores over it. The mail client is a command
// run by a person, so blocking I/O is right here; no server thread ever uses this.
// Trust: the server's bytes are untrusted; read_some() never returns more than asked.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "mua/mua_account.hpp"

namespace estafeta::mua {

struct ConnectOptions {
  std::string host;
  std::uint16_t port = 0;
  bool implicit_tls = false;  // TLS from the first byte (465, 993, 995)
  std::string ca_file;        // trusted besides the system store; "" = system store only
  std::chrono::seconds connect_timeout{30};  // per address tried, and for the TLS handshake
  std::chrono::seconds io_timeout{120};      // each read or write
};

class Connection {
 public:
  // Connects (and for implicit TLS, handshakes and verifies). The error names the host and
  // port and says what failed: resolution, refusal, timeout, or the certificate's problem.
  static Result<std::unique_ptr<Connection>> open(const ConnectOptions& options);
  virtual ~Connection() = default;

  // STARTTLS/STLS: handshake and verify now (the protocol client has had the server's yes).
  virtual Result<bool> start_tls() = 0;
  virtual bool secure() const = 0;
  // The address connected to lies on this machine (127.0.0.0/8, ::1): the only place a
  // password may go in cleartext (Security::none).
  virtual bool peer_is_loopback() const = 0;
  // The numeric address connected to ("192.0.2.1", "2001:db8::1"), for messages.
  virtual const std::string& peer() const = 0;

  // Writes everything or fails (timeout, reset).
  virtual Result<bool> write(std::string_view bytes) = 0;
  // Up to `max` bytes, waiting at most io_timeout; "" = the server closed the connection.
  virtual Result<std::string> read_some(std::size_t max = 64 * 1024) = 0;
  // Like read_some but waiting at most `wait` (IMAP IDLE): "" with timed_out() true when
  // nothing came in time (not an error), "" with timed_out() false when the server closed.
  virtual Result<std::string> read_for(std::chrono::milliseconds wait,
                                       std::size_t max = 64 * 1024) = 0;
  virtual bool timed_out() const = 0;  // the last read_for ended by its wait

  virtual void close() = 0;
};

// ConnectOptions for an account's endpoint (implicit TLS when Security::tls).
ConnectOptions connect_options(const Account& account, const Endpoint& endpoint);

}  // namespace estafeta::mua
