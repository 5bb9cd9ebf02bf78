// smtp_mta_sts_client: the HTTPS fetch of an MTA-STS policy (see the header).
#include "smtp/smtp_mta_sts_client.hpp"

#include <asio/ip/tcp.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <memory>

#include "net/stream.hpp"
#include "smtp/proto/smtp_mta_sts_fetch.hpp"

namespace estafeta::smtp {
namespace {

constexpr std::size_t kMaxResponse = kMaxStsPolicy + 16 * 1024;

// One deadline for the whole fetch: on expiry the socket is closed, which ends the pending
// operation. `alive` is cleared when the fetch ends, so a late expiry touches nothing.
struct Guard {
  explicit Guard(asio::any_io_executor ex) : timer(std::move(ex)) {}
  asio::steady_timer timer;
  asio::ip::tcp::socket* socket = nullptr;
  bool alive = true;
  bool expired = false;
};

}  // namespace

asio::awaitable<StsFetchResult> fetch_sts_policy(std::string domain, asio::ip::address address,
                                                 std::uint16_t port, asio::ssl::context& tls,
                                                 std::chrono::milliseconds timeout) {
  StsFetchResult out;
  auto ex = co_await asio::this_coro::executor;
  const std::string host = "mta-sts." + domain;
  auto guard = std::make_shared<Guard>(ex);
  asio::ip::tcp::socket socket(ex);
  guard->socket = &socket;
  guard->timer.expires_after(timeout);
  guard->timer.async_wait([guard](const std::error_code& ec) {
    if (ec || !guard->alive) return;
    guard->expired = true;
    std::error_code ignored;
    if (guard->socket) guard->socket->close(ignored);
  });
  struct End {  // the deadline never outlives this frame's socket or stream
    std::shared_ptr<Guard> g;
    ~End() {
      g->alive = false;
      g->socket = nullptr;
      g->timer.cancel();
    }
  } end{guard};

  std::error_code ec;
  co_await socket.async_connect({address, port}, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    out.error = "connect to " + host + "[" + address.to_string() +
                "]: " + (guard->expired ? "timed out" : ec.message());
    co_return out;
  }
  net::Stream stream(std::move(socket));
  guard->socket = &stream.socket();
  co_await stream.start_tls_client(tls, host, ec);
  if (ec) {
    out.error = "TLS with " + host + ": " + (guard->expired ? "timed out" : ec.message());
    co_return out;
  }
  if (!stream.tls_peer_verified()) {  // RFC 8461 §3.3: a valid certificate for the host
    out.error = "certificate of " + host + " not verified: " + stream.tls_verify_error();
    co_return out;
  }
  out.reached = true;
  const std::string request = sts_http_request(domain);
  co_await stream.write(asio::buffer(request), ec);
  std::string response;
  std::string buffer(16 * 1024, '\0');
  while (!ec) {
    const std::size_t n = co_await stream.read_some(asio::buffer(buffer), ec);
    response.append(buffer.data(), n);
    if (response.size() > kMaxResponse) {
      out.error = "the response from " + host + " is larger than 80 KiB";
      co_return out;
    }
  }
  if (guard->expired) {
    out.error = "fetching the policy from " + host + " timed out";
    co_return out;
  }
  std::string error;
  auto body = sts_http_body(response, error);
  if (!body) {
    out.error = host + ": " + error;
    co_return out;
  }
  out.policy = parse_sts_policy(*body, error);
  if (!out.policy) {
    out.error = host + ": bad policy: " + error;
    co_return out;
  }
  out.text = std::move(*body);
  co_return out;
}

}  // namespace estafeta::smtp
