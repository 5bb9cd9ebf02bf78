// mua_autoconfig: what `mail setup` needs to find an account's servers, sans-I/O: the
// Thunderbird autoconfig file (config-v1.1.xml: clientConfig/emailProvider with its
// incomingServer (imap, pop3) and outgoingServer (smtp) entries, each with hostname, port,
// socketType SSL/STARTTLS/plain, username with %EMAILADDRESS%/%EMAILLOCALPART%/%EMAILDOMAIN%
// and authentication) read by a small XML reader; the choice of servers from it (IMAP before
// POP3, TLS before STARTTLS, never plain, never OAuth2-only); the HTTPS request for it and
// the reading of the response (200 only, Content-Length, chunked or close). Trust: the file
// and the response come from the network: at most kMaxAutoconfig octets, 32 levels of
// nesting, 10000 elements, 4 KiB of text per element, 32 servers; entities other than the
// five predefined ones and character references are left as written (no DTD is read, so
// nothing expands); anything malformed is an error naming the problem.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace estafeta::mua {

inline constexpr std::size_t kMaxAutoconfig = 1024 * 1024;

struct AutoconfigServer {
  std::string type;  // "imap", "pop3", "smtp" (lower case)
  std::string hostname;
  std::uint16_t port = 0;   // 0 = not given or invalid
  std::string socket_type;  // "SSL", "STARTTLS", "plain" (as written, case kept)
  std::string username;     // the template, e.g. "%EMAILADDRESS%"
  std::vector<std::string> authentication;
};

struct Autoconfig {
  std::string provider_id;
  std::vector<std::string> domains;
  std::vector<AutoconfigServer> incoming;  // document order
  std::vector<AutoconfigServer> outgoing;
};

// Parses config-v1.1.xml. Errors: not XML, no clientConfig/emailProvider, a bound exceeded.
Result<Autoconfig> parse_autoconfig(std::string_view xml);

// The server to use among `servers` of `type` ("imap", "pop3" or "smtp"): SSL before
// STARTTLS, plain and OAuth2-only ones never, an invalid port or host never. Index or -1.
int choose_server(const std::vector<AutoconfigServer>& servers, std::string_view type);

// The username template with the address's parts filled in.
std::string expand_username(std::string_view tmpl, std::string_view address);

// "GET <path> HTTP/1.1" to `host`, Connection: close.
std::string http_get_request(std::string_view host, std::string_view path_and_query);

// The body of a whole HTTP/1.x response (as read until the server closed), status 200 only
// (a redirect is an error naming its Location), at most `max_body` octets.
Result<std::string> http_response_body(std::string_view response, std::size_t max_body);

// RFC 3986 percent-encoding of a query value (unreserved characters kept).
std::string url_encode(std::string_view value);

}  // namespace estafeta::mua
