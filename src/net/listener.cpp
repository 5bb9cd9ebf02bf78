// listener: bind + listen with explanations (see the header).
#include "net/listener.hpp"

#include <fmt/format.h>

#include <asio.hpp>
#include <cerrno>

namespace estafeta::net {
namespace {

std::string where_to_change(const config::Listener& l, const char* key,
                            const std::filesystem::path& config_file) {
  std::string setting = fmt::format("listener.{}.{}", l.name, key);
  if (config_file.empty())
    return fmt::format("set {} in a config file (none in use; pass -c FILE)", setting);
  return fmt::format("change {} in {}", setting, config_file.string());
}

std::string explain(const asio::error_code& ec, const config::Listener& l,
                    const asio::ip::tcp::endpoint& ep, const std::filesystem::path& config_file,
                    const char* step) {
  std::string head =
      fmt::format("cannot listen on {} (listener.{})", describe_endpoint(ep), l.name);
  if (ec == asio::error::access_denied) {
    if (l.port < 1024)
      return fmt::format(
          "{}: permission denied — ports below 1024 need root or "
          "CAP_NET_BIND_SERVICE; {}",
          head, where_to_change(l, "port", config_file));
    return fmt::format("{}: permission denied; {}", head, where_to_change(l, "port", config_file));
  }
  if (ec == asio::error::address_in_use)
    return fmt::format(
        "{}: address already in use — another program (another mail server, or "
        "a second estafeta) listens there; stop it or {}",
        head, where_to_change(l, "port", config_file));
  if (ec.value() == EADDRNOTAVAIL)
    return fmt::format("{}: address not available — no interface of this machine has it; {}", head,
                       where_to_change(l, "address", config_file));
  return fmt::format("{}: {} failed: {}", head, step, ec.message());
}

// One attempt: open, options, bind, listen. Sets `step` to the failing call.
asio::error_code try_open(asio::ip::tcp::acceptor& acceptor, const asio::ip::tcp::endpoint& ep,
                          bool dual_stack, const char*& step) {
  asio::error_code ec;
  step = "socket";
  acceptor.open(ep.protocol(), ec);
  if (ec) return ec;
  acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (ep.address().is_v6()) acceptor.set_option(asio::ip::v6_only(!dual_stack), ec);
  step = "bind";
  acceptor.bind(ep, ec);
  if (ec) {
    acceptor.close();
    return ec;
  }
  step = "listen";
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) acceptor.close();
  return ec;
}

}  // namespace

std::string describe_endpoint(const asio::ip::tcp::endpoint& endpoint) {
  if (endpoint.address().is_v6())
    return fmt::format("[{}]:{}", endpoint.address().to_string(), endpoint.port());
  return fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port());
}

std::optional<asio::ip::tcp::acceptor> open_listener(asio::io_context& io,
                                                     const config::Listener& listener,
                                                     const std::filesystem::path& config_file,
                                                     std::string& error) {
  asio::ip::tcp::acceptor acceptor(io);
  const char* step = "socket";
  if (listener.address.empty() || listener.address == "*") {
    asio::ip::tcp::endpoint v6(asio::ip::address_v6::any(), listener.port);
    asio::error_code ec = try_open(acceptor, v6, true, step);
    if (!ec) return acceptor;
    // No IPv6 on this host (kernel without it, or disabled): fall back to IPv4 only.
    if (ec == asio::error::address_family_not_supported || ec.value() == EADDRNOTAVAIL ||
        ec.value() == EPROTONOSUPPORT) {
      asio::ip::tcp::endpoint v4(asio::ip::address_v4::any(), listener.port);
      ec = try_open(acceptor, v4, false, step);
      if (!ec) return acceptor;
      error = explain(ec, listener, v4, config_file, step);
      return std::nullopt;
    }
    error = explain(ec, listener, v6, config_file, step);
    return std::nullopt;
  }
  asio::error_code ec;
  auto address = asio::ip::make_address(listener.address, ec);
  if (ec) {
    error = fmt::format("cannot listen on \"{}\" (listener.{}): not an IP address; {}",
                        listener.address, listener.name,
                        where_to_change(listener, "address", config_file));
    return std::nullopt;
  }
  asio::ip::tcp::endpoint ep(address, listener.port);
  // An explicit "::" is dual-stack too; any other IPv6 address is just itself.
  ec = try_open(acceptor, ep, address.is_v6() && address.to_v6().is_unspecified(), step);
  if (ec) {
    error = explain(ec, listener, ep, config_file, step);
    return std::nullopt;
  }
  return acceptor;
}

}  // namespace estafeta::net
