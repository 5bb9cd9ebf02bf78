// listener: opens the listening sockets named in the configuration, and when that fails says
// why in words an operator can act on ("ports below 1024 need root or CAP_NET_BIND_SERVICE;
// change listener.smtp.port in /etc/estafeta/estafeta.toml"). Address "" means every address:
// [::] dual-stack (IPV6_V6ONLY off), or 0.0.0.0 where IPv6 is unavailable.
// Input: the configuration (trusted). No memory beyond the sockets.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <filesystem>
#include <optional>
#include <string>

#include "config/config.hpp"

namespace estafeta::net {

// "[::]:25", "127.0.0.1:2525"
std::string describe_endpoint(const asio::ip::tcp::endpoint& endpoint);

// Binds and listens; on failure returns nullopt and sets `error` to one explanatory line.
// `config_file` names the file to edit in the explanation (empty: built-in defaults).
std::optional<asio::ip::tcp::acceptor> open_listener(asio::io_context& io,
                                                     const config::Listener& listener,
                                                     const std::filesystem::path& config_file,
                                                     std::string& error);

}  // namespace estafeta::net
