// dns_static_route: the configured routing table (see dns_static_route.hpp).
#include "dns/proto/dns_static_route.hpp"

#include <charconv>

namespace estafeta::dns {

std::string RouteTarget::to_string() const {
  std::string host_text = host;
  if (literal && literal->is_v6()) host_text = "IPv6:" + host;
  std::string out = mx_lookup ? host_text : "[" + host_text + "]";
  if (port != 25) out += ":" + std::to_string(port);
  return out;
}

std::optional<IpAddress> parse_address_literal(std::string_view domain) {
  if (domain.size() < 3 || domain.front() != '[' || domain.back() != ']') return std::nullopt;
  auto inner = domain.substr(1, domain.size() - 2);
  // RFC 5321 §4.1.3: IPv6 literals carry the "IPv6:" tag (case-insensitive, RFC 5234 §2.3).
  if (inner.size() > 5 && (inner[0] == 'I' || inner[0] == 'i') &&
      (inner[1] == 'P' || inner[1] == 'p') && (inner[2] == 'v' || inner[2] == 'V') &&
      inner[3] == '6' && inner[4] == ':') {
    auto a = IpAddress::parse(inner.substr(5));
    if (a && a->is_v6()) return a;
    return std::nullopt;
  }
  auto a = IpAddress::parse(inner);
  if (a && !a->is_v6()) return a;
  return std::nullopt;
}

std::optional<RouteTarget> parse_route_target(std::string_view text, std::string& error) {
  RouteTarget t;
  std::string_view host = text, port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) {
      error = "unterminated '[' in route target '" + std::string(text) + "'";
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        error = "unexpected text after ']' in route target '" + std::string(text) + "'";
        return std::nullopt;
      }
      port = rest.substr(1);
      if (port.empty()) {
        error = "empty port in route target '" + std::string(text) + "'";
        return std::nullopt;
      }
    }
    t.mx_lookup = false;
    std::string bracketed = "[" + std::string(host) + "]";
    if (auto lit = parse_address_literal(bracketed)) {
      t.literal = lit;
    } else if (auto bare = IpAddress::parse(host)) {
      t.literal = bare;  // "[2001:db8::1]" without the RFC 5321 tag: accepted in config
    }
    if (t.literal) host = {};
  } else {
    auto colon = text.rfind(':');
    if (colon != std::string_view::npos) {
      host = text.substr(0, colon);
      port = text.substr(colon + 1);
      if (port.empty()) {
        error = "empty port in route target '" + std::string(text) + "'";
        return std::nullopt;
      }
    }
  }
  if (!port.empty()) {
    unsigned value = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || p != port.data() + port.size() || value == 0 || value > 65535) {
      error = "bad port '" + std::string(port) + "' in route target '" + std::string(text) + "'";
      return std::nullopt;
    }
    t.port = static_cast<std::uint16_t>(value);
  }
  if (t.literal) {
    t.host = t.literal->to_string();
    return t;
  }
  t.host = normalize_name(host);
  if (IpAddress::parse(t.host)) {
    error = "address '" + t.host + "' must be bracketed in route target '" + std::string(text) +
            "' (\"[" + t.host + "]\")";
    return std::nullopt;
  }
  if (!is_host_name(t.host)) {
    error = "bad host name in route target '" + std::string(text) + "'";
    return std::nullopt;
  }
  return t;
}

bool RouteTable::add(std::string_view pattern, std::string_view target, std::string& error) {
  if (size() >= kMaxStaticRoutes) {
    error = "too many routes (at most " + std::to_string(kMaxStaticRoutes) + ")";
    return false;
  }
  auto t = parse_route_target(target, error);
  if (!t) return false;
  if (pattern == "*") {
    if (any_) {
      error = "duplicate route for '*'";
      return false;
    }
    any_ = std::move(*t);
    return true;
  }
  bool suffix = !pattern.empty() && pattern.front() == '.';
  std::string name = normalize_name(suffix ? pattern.substr(1) : pattern);
  if (!is_host_name(name)) {
    error = "bad route pattern '" + std::string(pattern) +
            "' (a domain, .domain for its subdomains, or *)";
    return false;
  }
  auto& map = suffix ? suffix_ : exact_;
  if (!map.emplace(name, std::move(*t)).second) {
    error = "duplicate route for '" + std::string(pattern) + "'";
    return false;
  }
  return true;
}

const RouteTarget* RouteTable::find(std::string_view domain) const {
  std::string name = normalize_name(domain);
  if (auto it = exact_.find(name); it != exact_.end()) return &it->second;
  // Longest parent first: for a.b.example.com try b.example.com, then example.com, then com.
  for (auto dot = name.find('.'); dot != std::string::npos; dot = name.find('.', dot + 1)) {
    if (auto it = suffix_.find(name.substr(dot + 1)); it != suffix_.end()) return &it->second;
  }
  return any_ ? &*any_ : nullptr;
}

}  // namespace estafeta::dns
