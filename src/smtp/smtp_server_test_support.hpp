// smtp_server_test_support: fixtures for the server tests (test-only header): a temporary
// directory, an in-memory auth::Directory for example.org, and a small blocking SMTP client
// over a raw socket (plain, STARTTLS or implicit TLS) whose every wait is bounded by
// SO_RCVTIMEO/SO_SNDTIMEO, so a broken server fails a test instead of hanging it.
#pragma once

#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "auth/directory.hpp"
#include "base/test_temp_dir.hpp"

namespace estafeta::smtp::testing {

namespace fs = std::filesystem;

using estafeta::testing::TempDir;

// Users alice@ and bob@example.org (password "secret"), alias team@ -> both, and
// "flaky@example.org", which resolves until `flaky_gone` is set.
class FakeDirectory : public auth::Directory {
 public:
  explicit FakeDirectory(fs::path mail_root) : root_(std::move(mail_root)) {}

  auth::Resolution resolve(std::string_view address) override {
    ++resolves;
    auth::Resolution r;
    auto at = address.rfind('@');
    if (at == std::string_view::npos || address.substr(at + 1) != "example.org") return r;
    std::string local(address.substr(0, at));
    r.status = auth::Resolution::Status::local;
    if (local == "alice" || local == "bob") {
      r.targets.push_back(target(local));
    } else if (local == "team") {
      r.targets.push_back(target("alice"));
      r.targets.push_back(target("bob"));
    } else if (local == "flaky" && !flaky_gone) {
      r.targets.push_back(target("flaky"));
    } else if (local == "broken") {
      r.status = auth::Resolution::Status::temporary_failure;
    } else {
      r.status = auth::Resolution::Status::unknown_user;
    }
    return r;
  }
  std::optional<std::string> authenticate(std::string_view login,
                                          std::string_view password) override {
    if ((login == "alice@example.org" || login == "bob@example.org") && password == "secret")
      return std::string(login);
    return std::nullopt;
  }
  bool may_send_as(std::string_view user, std::string_view address) override {
    return !address.empty() && user == address;
  }

  fs::path maildir(const std::string& local) const { return root_ / "example.org" / local; }
  std::atomic<bool> flaky_gone{false};
  std::atomic<int> resolves{0};

 private:
  auth::MailboxTarget target(const std::string& local) const {
    return auth::MailboxTarget{local + "@example.org", maildir(local), "", local + "@example.org"};
  }
  fs::path root_;
};

// Files in dir/new (delivered messages).
inline std::vector<fs::path> delivered(const fs::path& maildir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it(maildir / "new", ec), end; !ec && it != end; it.increment(ec))
    out.push_back(it->path());
  return out;
}

class Client {
 public:
  Client() = default;
  ~Client() { close(); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connect(unsigned short port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return false;
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return ::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  }

  // TLS client handshake verifying the server against `ca_file` for "localhost".
  bool start_tls(const fs::path& ca_file) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (!ctx_ || SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr) != 1) return false;
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    SSL_set1_host(ssl_, "localhost");
    bool ok = SSL_connect(ssl_) == 1;
    if (!ok) ERR_clear_error();
    return ok;
  }

  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      long n = ssl_ ? SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()))
                    : ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // One complete reply (all lines of a multiline one), "" on timeout or end of stream.
  std::string reply() {
    std::string out;
    for (;;) {
      auto eol = buffer_.find("\r\n");
      if (eol == std::string::npos) {
        if (!fill()) return "";
        continue;
      }
      std::string line = buffer_.substr(0, eol + 2);
      buffer_.erase(0, eol + 2);
      out += line;
      if (line.size() < 4 || line[3] != '-') return out;
    }
  }

  // True when the server closed the connection (end of stream within the timeout).
  bool closed_by_server() {
    if (!buffer_.empty()) return false;
    char c;
    long n = ssl_ ? SSL_read(ssl_, &c, 1) : ::recv(fd_, &c, 1, 0);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  }

  void close() {
    if (ssl_) SSL_free(ssl_);
    if (ctx_) SSL_CTX_free(ctx_);
    ssl_ = nullptr;
    ctx_ = nullptr;
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  bool fill() {
    char buf[4096];
    long n = ssl_ ? SSL_read(ssl_, buf, sizeof buf) : ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    buffer_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string buffer_;
};

}  // namespace estafeta::smtp::testing
