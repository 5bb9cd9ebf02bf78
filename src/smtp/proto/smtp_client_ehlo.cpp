// smtp_client_ehlo: the EHLO capability parser of the SMTP client (see smtp_client_ehlo.hpp).
#include "smtp/proto/smtp_client_ehlo.hpp"

#include <algorithm>

namespace estafeta::smtp {

namespace {

char upper(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return upper(x) == upper(y); });
}

// The space-separated words of `s`.
std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    std::size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

void add_mechanisms(Capabilities& caps, const std::vector<std::string_view>& w, std::size_t from) {
  for (std::size_t i = from; i < w.size(); ++i) {
    if (w[i].size() > 20 || caps.auth.size() >= kMaxAuthMechanisms) continue;  // RFC 4422 §3.1
    std::string mech;
    for (char c : w[i]) mech += upper(c);
    if (!caps.has_auth(mech)) caps.auth.push_back(std::move(mech));
  }
}

// RFC 1870 §4: "SIZE" [SP number]; a number we cannot read counts as no fixed limit.
std::uint64_t size_value(std::string_view s) {
  if (s.empty() || s.size() > 19) return 0;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

}  // namespace

bool Capabilities::has_auth(std::string_view mechanism) const {
  return std::any_of(auth.begin(), auth.end(),
                     [&](const std::string& m) { return iequals(m, mechanism); });
}

Capabilities parse_ehlo(const ServerReply& reply) {
  Capabilities caps;
  caps.esmtp = reply.klass() == 2;
  if (!caps.esmtp) return caps;
  for (std::size_t i = 1; i < reply.lines.size(); ++i) {
    auto w = words(reply.lines[i]);
    if (w.empty()) continue;
    std::string_view key = w[0];
    if (iequals(key, "PIPELINING")) {
      caps.pipelining = true;
    } else if (iequals(key, "SIZE")) {
      caps.size = true;
      caps.size_limit = w.size() > 1 ? size_value(w[1]) : 0;
    } else if (iequals(key, "8BITMIME")) {
      caps.eightbitmime = true;
    } else if (iequals(key, "SMTPUTF8")) {
      caps.smtputf8 = true;
    } else if (iequals(key, "DSN")) {
      caps.dsn = true;
    } else if (iequals(key, "CHUNKING")) {
      caps.chunking = true;
    } else if (iequals(key, "BINARYMIME")) {
      caps.binarymime = true;
    } else if (iequals(key, "STARTTLS")) {
      caps.starttls = true;
    } else if (iequals(key, "REQUIRETLS")) {
      caps.requiretls = true;
    } else if (iequals(key, "ENHANCEDSTATUSCODES")) {
      caps.enhancedstatuscodes = true;
    } else if (iequals(key, "AUTH")) {
      add_mechanisms(caps, w, 1);
    } else if (key.size() > 5 && iequals(key.substr(0, 5), "AUTH=")) {
      // Pre-RFC 4954 servers: "AUTH=LOGIN PLAIN".
      std::vector<std::string_view> mechs = w;
      mechs[0] = key.substr(5);
      add_mechanisms(caps, mechs, 0);
    }
  }
  return caps;
}

}  // namespace estafeta::smtp
