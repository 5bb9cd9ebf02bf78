// mua_setup: finding an account's servers for `mail setup`: Thunderbird-style autoconfig
// over HTTPS (https://autoconfig.DOMAIN/mail/config-v1.1.xml?emailaddress=ADDRESS, then
// https://DOMAIN/.well-known/autoconfig/mail/config-v1.1.xml; the file read by
// proto/mua_autoconfig), then RFC 6186 SRV records through the DNS library (proto/mua_srv).
// The HTTPS fetch uses mua::Connection (certificate and host name verified; no redirects),
// bounded to 1 MiB and the timeout. Nothing found is not an error: the caller asks the user.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "mua/mua_account.hpp"

namespace estafeta::mua {

struct DiscoveryOptions {
  std::vector<std::string> autoconfig_urls;  // tried before the two standard ones
  bool autoconfig = true;
  bool dns = true;
  std::vector<std::string> dns_servers;  // "127.0.0.1@5353"; empty = /etc/resolv.conf
  std::string ca_file;                   // trusted for HTTPS besides the system store
  std::chrono::seconds timeout{10};
};

struct Discovered {
  Endpoint submission, imap, pop3;
  std::string user;                // "" = the address
  std::string source;              // "autoconfig https://...", "DNS SRV records", ""
  std::vector<std::string> notes;  // what was tried and why it gave nothing
  bool found() const { return submission.configured() || imap.configured() || pop3.configured(); }
};

Discovered discover_servers(const std::string& address, const DiscoveryOptions& options);

// GET of an https:// URL (host[:port]/path); the body of a 200 answer.
Result<std::string> https_get(const std::string& url, const std::string& ca_file,
                              std::chrono::seconds timeout);

}  // namespace estafeta::mua
