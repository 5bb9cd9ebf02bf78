// net_network_list: see the header.
#include "net/net_network_list.hpp"

#include <system_error>

namespace estafeta::net {

namespace {

// Appends the network `parse` makes of `item` to `to`: false when it is none (`error` says why
// when it is one with host bits set).
template <typename Network, typename Parse>
bool add_network(std::vector<Network>& to, const std::string& item, Parse parse,
                 std::string& error) {
  std::error_code ec;
  const Network net = parse(ec);
  if (ec) return false;
  if (net.network() != net.address()) {
    error = "'" + item + "' has host bits set (write " + net.canonical().to_string() + ")";
    return false;
  }
  to.push_back(net);
  return true;
}

}  // namespace

std::optional<NetworkList> NetworkList::parse(std::string_view text, std::string& error) {
  NetworkList list;
  error.clear();
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = text.find_first_of(", \t", pos);
    const std::string item(text.substr(pos, end == std::string_view::npos ? end : end - pos));
    pos = end == std::string_view::npos ? text.size() : end + 1;
    if (item.empty()) continue;
    const bool bits = item.find('/') != std::string::npos;
    const bool added =
        item.find(':') == std::string::npos
            ? add_network(
                  list.v4_, item,
                  [&](std::error_code& ec) {
                    return bits ? asio::ip::make_network_v4(item, ec)
                                : asio::ip::network_v4(asio::ip::make_address_v4(item, ec), 32);
                  },
                  error)
            : add_network(
                  list.v6_, item,
                  [&](std::error_code& ec) {
                    return bits ? asio::ip::make_network_v6(item, ec)
                                : asio::ip::network_v6(asio::ip::make_address_v6(item, ec), 128);
                  },
                  error);
    if (added) continue;
    if (error.empty())
      error =
          "'" + item + "' is not an IP address or network (like 192.168.1.0/24 or 2001:db8::/32)";
    return std::nullopt;
  }
  return list;
}

bool NetworkList::contains(const asio::ip::address& address) const {
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return contains(
        asio::ip::address(asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6())));
  if (address.is_v4()) {
    const asio::ip::network_v4 host(address.to_v4(), 32);
    for (const auto& net : v4_)
      if (host == net || host.is_subnet_of(net)) return true;
    return false;
  }
  const asio::ip::network_v6 host(address.to_v6(), 128);
  for (const auto& net : v6_)
    if (host == net || host.is_subnet_of(net)) return true;
  return false;
}

bool NetworkList::contains(std::string_view address) const {
  if (empty()) return false;  // the default: no parse per connection
  std::error_code ec;
  const auto parsed = asio::ip::make_address(std::string(address), ec);
  return !ec && contains(parsed);
}

std::string NetworkList::to_string() const {
  std::string out;
  auto add = [&](const std::string& s) {
    if (!out.empty()) out += ", ";
    out += s;
  };
  for (const auto& net : v4_) add(net.to_string());
  for (const auto& net : v6_) add(net.to_string());
  return out;
}

}  // namespace estafeta::net
