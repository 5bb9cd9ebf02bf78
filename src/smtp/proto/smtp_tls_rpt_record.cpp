// smtp_tls_rpt_record: the _smtp._tls TXT record (see the header).
#include "smtp/proto/smtp_tls_rpt_record.hpp"

namespace estafeta::smtp {
namespace {

bool is_wsp(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_wsp(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_wsp(s.back())) s.remove_suffix(1);
  return s;
}

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// §3 tlsrpt-ext-name: (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".").
bool valid_field_name(std::string_view n) {
  if (n.empty() || n.size() > 32 || !is_alnum(n.front())) return false;
  for (char c : n)
    if (!is_alnum(c) && c != '_' && c != '-' && c != '.') return false;
  return true;
}

// The case-insensitive scheme prefix of a URI ("mailto:", "https:").
bool has_scheme(std::string_view uri, std::string_view scheme) {
  if (uri.size() < scheme.size()) return false;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    char c = uri[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != scheme[i]) return false;
  }
  return true;
}

// A mailto: URI's address (RFC 6068 §2: to = addr-spec *("," addr-spec), percent-encoded;
// the hfields after '?' are dropped). One address per URI here: a ',' would have had to be
// percent-encoded in the record (RFC 8460 §3), and a decoded one is refused. nullopt when
// malformed: a bad escape, no or several '@', an empty side, characters that cannot be in
// an address we send to (controls, spaces, <>, quotes), over 254 octets.
std::optional<std::string> mailto_address(std::string_view uri) {
  std::string_view rest = uri.substr(7);
  rest = rest.substr(0, rest.find('?'));
  std::string out;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    char c = rest[i];
    if (c == '%') {
      if (i + 2 >= rest.size()) return std::nullopt;
      const int hi = hex_value(rest[i + 1]), lo = hex_value(rest[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '<' || c == '>' || c == '"' || c == ',' || c == ';' ||
        c == '\\')
      return std::nullopt;
    out += c;
    if (out.size() > 254) return std::nullopt;
  }
  const std::size_t at = out.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == out.size() ||
      out.find('@', at + 1) != std::string::npos)
    return std::nullopt;
  return out;
}

}  // namespace

std::optional<TlsRptRecord> parse_tls_rpt_record(std::string_view txt) {
  if (txt.size() > kMaxTlsRptRecord || txt.substr(0, 10) != "v=TLSRPTv1") return std::nullopt;
  TlsRptRecord r;
  bool first = true, have_rua = false;
  while (true) {
    const std::size_t semi = txt.find(';');
    const std::string_view field = trim(txt.substr(0, semi));
    if (first) {
      if (field != "v=TLSRPTv1") return std::nullopt;
      first = false;
    } else if (!field.empty()) {
      const std::size_t eq = field.find('=');
      if (eq == std::string_view::npos) return std::nullopt;
      const std::string_view key = field.substr(0, eq), value = field.substr(eq + 1);
      if (!valid_field_name(key) || value.empty()) return std::nullopt;
      for (char c : value) {  // §3 tlsrpt-ext-value and URIs: VCHAR but ';' (WSP around ',')
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x21 || u > 0x7e) && !is_wsp(c)) return std::nullopt;
      }
      if (key == "rua") {
        if (have_rua) return std::nullopt;  // one rua field
        have_rua = true;
        std::string_view uris = value;
        while (true) {
          const std::size_t comma = uris.find(',');
          const std::string_view uri = trim(uris.substr(0, comma));
          if (uri.empty()) return std::nullopt;
          for (char c : uri)
            if (is_wsp(c)) return std::nullopt;
          if (r.mailto.size() + r.https.size() < kMaxTlsRptUris) {
            if (has_scheme(uri, "mailto:")) {
              auto a = mailto_address(uri);
              if (!a) return std::nullopt;
              r.mailto.push_back(std::move(*a));
            } else if (has_scheme(uri, "https:")) {
              if (uri.size() < 9 || uri.substr(6, 2) != "//") return std::nullopt;
              r.https.emplace_back(uri);
            }  // other schemes: skipped
          }
          if (comma == std::string_view::npos) break;
          uris.remove_prefix(comma + 1);
        }
      }  // other fields: ignored (§3 tlsrpt-extension)
    }
    if (semi == std::string_view::npos) break;
    txt.remove_prefix(semi + 1);
  }
  if (!have_rua || (r.mailto.empty() && r.https.empty())) return std::nullopt;
  return r;
}

std::optional<TlsRptRecord> select_tls_rpt_record(const std::vector<std::string>& txts) {
  std::optional<TlsRptRecord> found;
  std::size_t candidates = 0;
  for (const auto& t : txts) {
    std::string_view v = t;
    // "v=TLSRPTv1" then optional WSP and ';' (field-delim): the start of every record kept.
    if (v.substr(0, 10) != "v=TLSRPTv1") continue;
    if (trim(v.substr(10)).substr(0, 1) != ";") continue;
    ++candidates;
    found = parse_tls_rpt_record(t);
  }
  if (candidates != 1) return std::nullopt;
  return found;
}

std::string tls_rpt_record_name(std::string_view domain) {
  return "_smtp._tls." + std::string(domain);
}

}  // namespace estafeta::smtp
