// tls_key_helper: a small process that keeps root after `serve` drops privileges, so that a
// certificate and key only root may read (certbot's privkey.pem is 0600 root; the local
// CA's files stay root's too) can be read again on SIGHUP. Forked before privileges are
// dropped, it does nothing but, for each one-byte request on its end of a socketpair, run
// the loader it was given (read the configured files, or renew the local certificate) and
// send the PEM bytes back; it exits when the socket closes. The serving process never holds
// a key file descriptor or the CA key, only the server key bytes it needs for TLS.
// Why a process and not a retained capability: CAP_DAC_READ_SEARCH would let a compromised
// server read every file on the machine; the helper can read only what its loader names,
// and takes no input but "again" (OpenSMTPD keeps its keys in a separate privileged process
// the same way).
// Trust: the helper trusts its parent (same program) and the configuration; replies are
// bounded (1 MiB per PEM text, kReplyTimeout). Memory: one reply at a time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <string>

#include "net/tls_context.hpp"

namespace estafeta::net {

class TlsKeyHelper {
 public:
  // Runs in the helper for every request: fills `out`, or returns false with `error`.
  using Loader = std::function<bool(TlsPem& out, std::string& error)>;

  TlsKeyHelper() = default;
  ~TlsKeyHelper();  // closes the socket (the helper exits) and reaps it
  TlsKeyHelper(const TlsKeyHelper&) = delete;
  TlsKeyHelper& operator=(const TlsKeyHelper&) = delete;

  // Forks the helper. Call before any thread is started (fork copies only the calling
  // thread) and before dropping privileges. False with `error` when socketpair/fork fail.
  bool start(Loader loader, std::string& error);
  bool started() const { return pid_ > 0; }

  // Asks the helper to run its loader and returns what it read. Thread-safe (requests are
  // serialised). False with `error` when the loader failed or the helper is gone.
  bool fetch(TlsPem& out, std::string& error);

  // Waits this long for a reply (the loader may generate a key).
  static constexpr std::chrono::seconds kReplyTimeout{30};

 private:
  void stop();

  std::mutex mutex_;
  int fd_ = -1;
  pid_t pid_ = -1;
};

}  // namespace estafeta::net
