// mua_setup: see mua_setup.hpp.
#include "mua/mua_setup.hpp"

#include "dns/dns_resolver.hpp"
#include "mua/mua_connection.hpp"
#include "mua/proto/mua_autoconfig.hpp"
#include "mua/proto/mua_srv.hpp"

namespace estafeta::mua {

namespace {

PeerError error(std::string text) {
  return PeerError{0, "", std::move(text)};
}

Endpoint endpoint_of(const AutoconfigServer& s) {
  Endpoint e;
  e.host = s.hostname;
  e.port = s.port;
  std::string st = s.socket_type;
  for (char& c : st) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  e.security = st == "starttls" ? Security::starttls : Security::tls;
  return e;
}

bool from_autoconfig(const std::string& address, const std::string& body, Discovered& out) {
  auto parsed = parse_autoconfig(body);
  if (!parsed) {
    out.notes.push_back(parsed.error().text);
    return false;
  }
  const Autoconfig& a = *parsed;
  int smtp = choose_server(a.outgoing, "smtp");
  int imap = choose_server(a.incoming, "imap");
  int pop3 = choose_server(a.incoming, "pop3");
  if (smtp < 0 && imap < 0 && pop3 < 0) {
    out.notes.push_back("autoconfig: no usable server (TLS with a password) in the file");
    return false;
  }
  std::string user;
  if (smtp >= 0) out.submission = endpoint_of(a.outgoing[static_cast<std::size_t>(smtp)]);
  // IMAP when offered; POP3 beside it only when there is no IMAP (issue 11: IMAP or POP3).
  if (imap >= 0) {
    out.imap = endpoint_of(a.incoming[static_cast<std::size_t>(imap)]);
    user = expand_username(a.incoming[static_cast<std::size_t>(imap)].username, address);
  } else if (pop3 >= 0) {
    out.pop3 = endpoint_of(a.incoming[static_cast<std::size_t>(pop3)]);
    user = expand_username(a.incoming[static_cast<std::size_t>(pop3)].username, address);
  }
  if (user.empty() && smtp >= 0)
    user = expand_username(a.outgoing[static_cast<std::size_t>(smtp)].username, address);
  out.user = user == address ? "" : user;
  return true;
}

}  // namespace

Result<std::string> https_get(const std::string& url, const std::string& ca_file,
                              std::chrono::seconds timeout) {
  const std::string scheme = "https://";
  if (url.rfind(scheme, 0) != 0) return error(url + ": only https:// URLs are fetched");
  std::string rest = url.substr(scheme.size());
  std::size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
  std::string host = authority;
  std::uint16_t port = 443;
  std::size_t colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']') == std::string::npos &&
      authority.find(':') == colon) {
    host = authority.substr(0, colon);
    int p = std::atoi(authority.substr(colon + 1).c_str());
    if (p <= 0 || p > 65535) return error(url + ": bad port");
    port = static_cast<std::uint16_t>(p);
  }
  if (host.empty()) return error(url + ": no host");
  ConnectOptions co;
  co.host = host;
  co.port = port;
  co.implicit_tls = true;
  co.ca_file = ca_file;
  co.connect_timeout = timeout;
  co.io_timeout = timeout;
  auto conn = Connection::open(co);
  if (!conn) return conn.error();
  std::string host_header = port == 443 ? host : host + ":" + std::to_string(port);
  auto w = (*conn)->write(http_get_request(host_header, path));
  if (!w) return w.error();
  std::string response;
  const std::size_t max = kMaxAutoconfig + 16 * 1024;
  while (response.size() <= max) {
    auto r = (*conn)->read_some();
    // Many servers close without a TLS close_notify after "Connection: close"; what came
    // is checked against Content-Length or the chunk sizes below.
    if (!r && !response.empty()) break;
    if (!r) return r.error();
    if (r->empty()) break;
    response += *r;
  }
  (*conn)->close();
  if (response.size() > max) return error(url + ": response larger than 1 MiB");
  auto body = http_response_body(response, kMaxAutoconfig);
  if (!body) return error(url + ": " + body.error().text);
  return body;
}

Discovered discover_servers(const std::string& address, const DiscoveryOptions& options) {
  Discovered out;
  std::size_t at = address.rfind('@');
  std::string domain = at == std::string::npos ? "" : address.substr(at + 1);
  for (char& c : domain) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (domain.empty()) {
    out.notes.push_back("no domain in " + address);
    return out;
  }
  if (options.autoconfig) {
    std::vector<std::string> urls = options.autoconfig_urls;
    urls.push_back("https://autoconfig." + domain +
                   "/mail/config-v1.1.xml?emailaddress=" + url_encode(address));
    urls.push_back("https://" + domain + "/.well-known/autoconfig/mail/config-v1.1.xml");
    for (const auto& url : urls) {
      auto body = https_get(url, options.ca_file, options.timeout);
      if (!body) {
        out.notes.push_back(body.error().text);
        continue;
      }
      if (from_autoconfig(address, *body, out)) {
        out.source = "autoconfig " + url;
        return out;
      }
    }
  }
  if (options.dns) {
    dns::ResolverConfig rc;
    rc.forwarders = options.dns_servers;
    rc.use_resolv_conf = options.dns_servers.empty();
    rc.dnssec = false;  // the user confirms what is found; unsigned zones are the rule
    rc.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(options.timeout);
    std::string why;
    auto resolver = dns::Resolver::create(rc, why);
    if (!resolver) {
      out.notes.push_back("DNS: " + why);
      return out;
    }
    bool any = false;
    for (const SrvService& s : srv_services()) {
      Endpoint& e = std::string(s.kind) == "submission" ? out.submission
                    : std::string(s.kind) == "imap"     ? out.imap
                                                        : out.pop3;
      if (e.configured()) continue;  // the implicit-TLS record was found first
      std::string name = std::string(s.label) + "." + domain;
      dns::Answer a = resolver->lookup(name, dns::RecordType::srv);
      if (a.status == dns::AnswerStatus::temporary) {
        out.notes.push_back("DNS: " + name + ": " + (a.error.empty() ? "no answer" : a.error));
        if (a.error.find("timeout") != std::string::npos) break;  // no resolver: stop asking
        continue;
      }
      std::vector<SrvRecord> records;
      for (const auto& rd : a.rdata)
        if (auto r = parse_srv(rd)) records.push_back(*r);
      auto chosen = choose_srv(records);
      if (!chosen) {
        out.notes.push_back("DNS: " + name + ": " +
                            (records.empty() ? "no SRV record" : "service not offered (\".\")"));
        continue;
      }
      e.host = chosen->target;
      e.port = chosen->port;
      e.security = s.implicit_tls ? Security::tls : Security::starttls;
      any = true;
    }
    if (out.imap.configured()) out.pop3 = Endpoint{};  // IMAP when both are published
    if (any) out.source = "DNS SRV records (RFC 6186)";
  }
  return out;
}

}  // namespace estafeta::mua
