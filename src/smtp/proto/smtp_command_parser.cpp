// smtp_command_parser: a hand-written recursive-descent reading of the RFC 5321 §4.1.2 ABNF
// (with the RFC 6531 §3.3 UTF-8 extensions) and of the ESMTP parameters; see the header.
// Every loop advances over the caller's bounded string; nothing is allocated beyond copies of
// the accepted address and parameter values.
#include "smtp/proto/smtp_command_parser.hpp"

#include <array>
#include <cstring>

#include "smtp/proto/smtp_utf8.hpp"

namespace estafeta::smtp {
namespace {

constexpr std::size_t kMaxLocalPart = 64;  // RFC 5321 §4.5.3.1.1
constexpr std::size_t kMaxDomain = 255;    // RFC 5321 §4.5.3.1.2
constexpr std::size_t kMaxPath = 256;      // RFC 5321 §4.5.3.1.3
constexpr std::size_t kMaxLabel = 63;      // RFC 1035 §2.3.4
constexpr std::size_t kMaxEnvid = 100;     // RFC 3461 §4.4
constexpr std::size_t kMaxOrcpt = 500;     // RFC 3461 §4.2
constexpr std::size_t kMaxHelo = 255;

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alnum(char c) {
  return is_alpha(c) || is_digit(c);
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
char to_upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (to_upper(a[i]) != to_upper(b[i])) return false;
  return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = to_upper(c);
  return out;
}

// RFC 5322 §3.2.3 atext (RFC 5321 §4.1.2 Atom).
bool is_atext(char c) {
  if (is_alnum(c)) return true;
  return c != '\0' && std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A small cursor over the text being parsed.
struct Cursor {
  std::string_view s;
  std::size_t i = 0;
  bool done() const { return i >= s.size(); }
  char peek() const { return done() ? '\0' : s[i]; }
  bool eat(char c) {
    if (peek() != c || done()) return false;
    ++i;
    return true;
  }
  // Consumes one well-formed non-ASCII UTF-8 character; false if there is none.
  bool eat_utf8() {
    if (done() || static_cast<unsigned char>(s[i]) < 0x80) return false;
    std::size_t n = utf8_sequence_length(s.substr(i));
    if (n == 0) return false;
    i += n;
    return true;
  }
};

// sub-domain = Let-dig [Ldh-str], or a U-label (RFC 6531 §3.3). Returns false if none.
bool parse_subdomain(Cursor& c) {
  std::size_t start = c.i;
  char last = '\0';
  while (!c.done()) {
    char ch = c.peek();
    if (is_alnum(ch) || (ch == '-' && c.i > start)) {
      last = ch;
      ++c.i;
    } else if (static_cast<unsigned char>(ch) >= 0x80) {
      if (!c.eat_utf8()) return false;
      last = 'x';
    } else {
      break;
    }
  }
  if (c.i == start || last == '-') return false;
  return c.i - start <= kMaxLabel;
}

// Domain = sub-domain *("." sub-domain)
bool parse_domain(Cursor& c) {
  std::size_t start = c.i;
  if (!parse_subdomain(c)) return false;
  while (c.peek() == '.') {
    ++c.i;
    if (!parse_subdomain(c)) return false;
  }
  return c.i - start <= kMaxDomain;
}

bool valid_ipv4(std::string_view s) {
  int parts = 0;
  std::size_t i = 0;
  while (true) {
    std::size_t start = i;
    int value = 0;
    while (i < s.size() && is_digit(s[i]) && i - start < 3) value = value * 10 + (s[i++] - '0');
    if (i == start || value > 255) return false;
    ++parts;
    if (i == s.size()) break;
    if (s[i] != '.' || parts == 4) return false;
    ++i;
  }
  return parts == 4;
}

// RFC 5321 §4.1.3 IPv6-addr: full, compressed ("::" once), optionally ending in an IPv4
// address that takes the place of the last two groups.
bool valid_ipv6(std::string_view s) {
  if (s.empty()) return false;
  int groups = 0;
  bool compressed = false;
  std::size_t i = 0;
  if (s.substr(0, 2) == "::") {
    compressed = true;
    i = 2;
    if (i == s.size()) return true;
  } else if (s[0] == ':') {
    return false;
  }
  while (i < s.size()) {
    std::size_t start = i;
    while (i < s.size() && is_hex(s[i]) && i - start < 5) ++i;
    if (i < s.size() && s[i] == '.') {  // embedded IPv4 must be last
      if (!valid_ipv4(s.substr(start))) return false;
      groups += 2;
      i = s.size();
      break;
    }
    if (i == start || i - start > 4) return false;
    ++groups;
    if (i == s.size()) break;
    if (s[i] != ':') return false;
    ++i;
    if (i < s.size() && s[i] == ':') {
      if (compressed) return false;
      compressed = true;
      ++i;
      if (i == s.size()) break;
    } else if (i == s.size()) {
      return false;  // trailing single colon
    }
  }
  return compressed ? groups <= 7 : groups == 8;
}

// address-literal = "[" ( IPv4 / "IPv6:" IPv6 / Standardized-tag ":" 1*dcontent ) "]"
bool parse_address_literal(Cursor& c) {
  if (!c.eat('[')) return false;
  std::size_t start = c.i;
  while (!c.done() && c.peek() != ']' && c.peek() != '[' && c.peek() != '\\' &&
         static_cast<unsigned char>(c.peek()) > 32 && static_cast<unsigned char>(c.peek()) < 127)
    ++c.i;
  std::string_view inner = c.s.substr(start, c.i - start);
  if (!c.eat(']')) return false;
  if (valid_ipv4(inner)) return true;
  if (istarts_with(inner, "IPv6:")) return valid_ipv6(inner.substr(5));
  // General-address-literal: Standardized-tag ":" 1*dcontent; the tag is an Ldh-str.
  std::size_t colon = inner.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == inner.size()) return false;
  for (std::size_t k = 0; k < colon; ++k)
    if (!is_alnum(inner[k]) && inner[k] != '-') return false;
  return inner[colon - 1] != '-';
}

bool is_dot_string(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  std::size_t i = 0;
  char prev = '\0';
  while (i < s.size()) {
    char ch = s[i];
    if (ch == '.') {
      if (prev == '.') return false;
      ++i;
    } else if (is_atext(ch)) {
      ++i;
    } else if (static_cast<unsigned char>(ch) >= 0x80) {
      std::size_t n = utf8_sequence_length(s.substr(i));
      if (n == 0) return false;
      i += n;
    } else {
      return false;
    }
    prev = ch;
  }
  return true;
}

PeerError syntax(std::string_view enhanced, std::string text) {
  return PeerError{501, std::string(enhanced), std::move(text)};
}

// esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
bool is_keyword(std::string_view k) {
  if (k.empty() || !is_alnum(k[0])) return false;
  for (char ch : k)
    if (!is_alnum(ch) && ch != '-') return false;
  return true;
}

// esmtp-value = 1*(%d33-60 / %d62-126), extended with UTF-8 by RFC 6531 §3.3.
bool is_esmtp_value(std::string_view v) {
  if (v.empty()) return false;
  std::size_t i = 0;
  while (i < v.size()) {
    auto ch = static_cast<unsigned char>(v[i]);
    if (ch >= 0x80) {
      std::size_t n = utf8_sequence_length(v.substr(i));
      if (n == 0) return false;
      i += n;
      continue;
    }
    if (ch < 33 || ch > 126 || ch == '=') return false;
    ++i;
  }
  return true;
}

struct Param {
  std::string_view keyword;
  std::optional<std::string_view> value;
};

// Splits "KEY[=VALUE] KEY[=VALUE]..." (RFC 5321 §4.1.2 Mail-parameters). Returns an error
// for malformed syntax; calls `each` for every parameter until it returns an error.
template <class F>
std::optional<PeerError> for_each_param(std::string_view rest, F&& each) {
  std::size_t n = 0;
  while (true) {
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (rest.empty()) return std::nullopt;
    if (++n > 16) return syntax("5.5.4", "Too many parameters");
    std::size_t end = rest.find(' ');
    std::string_view token = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    Param p;
    std::size_t eq = token.find('=');
    p.keyword = token.substr(0, eq);
    if (eq != std::string_view::npos) p.value = token.substr(eq + 1);
    if (!is_keyword(p.keyword) || (p.value && !is_esmtp_value(*p.value)))
      return syntax("5.5.4", "Bad parameter syntax");
    if (auto err = each(p)) return err;
  }
}

PeerError unknown_param(std::string_view keyword) {
  return PeerError{555, "5.5.4", "Unsupported parameter " + upper(keyword.substr(0, 32))};
}

// Reads "FROM:" / "TO:" and the optional spaces after it; returns the rest.
std::optional<std::string_view> after_prefix(std::string_view argument, std::string_view prefix) {
  if (!istarts_with(argument, prefix)) return std::nullopt;
  argument.remove_prefix(prefix.size());
  while (!argument.empty() && argument.front() == ' ') argument.remove_prefix(1);
  return argument;
}

}  // namespace

CommandLine split_command(std::string_view line) {
  static constexpr std::array<std::pair<std::string_view, Verb>, 14> kVerbs{{
      {"EHLO", Verb::ehlo},
      {"HELO", Verb::helo},
      {"MAIL", Verb::mail},
      {"RCPT", Verb::rcpt},
      {"DATA", Verb::data},
      {"BDAT", Verb::bdat},
      {"RSET", Verb::rset},
      {"NOOP", Verb::noop},
      {"HELP", Verb::help},
      {"VRFY", Verb::vrfy},
      {"EXPN", Verb::expn},
      {"QUIT", Verb::quit},
      {"STARTTLS", Verb::starttls},
      {"AUTH", Verb::auth},
  }};
  CommandLine cmd;
  std::size_t sp = line.find(' ');
  cmd.verb_text = line.substr(0, sp);
  if (sp != std::string_view::npos) {
    cmd.argument = trim(line.substr(sp + 1));
    cmd.has_argument = !cmd.argument.empty();
  }
  for (const auto& [name, verb] : kVerbs)
    if (iequals(cmd.verb_text, name)) cmd.verb = verb;
  return cmd;
}

std::string_view verb_name(Verb verb) {
  switch (verb) {
    case Verb::ehlo:
      return "EHLO";
    case Verb::helo:
      return "HELO";
    case Verb::mail:
      return "MAIL";
    case Verb::rcpt:
      return "RCPT";
    case Verb::data:
      return "DATA";
    case Verb::bdat:
      return "BDAT";
    case Verb::rset:
      return "RSET";
    case Verb::noop:
      return "NOOP";
    case Verb::help:
      return "HELP";
    case Verb::vrfy:
      return "VRFY";
    case Verb::expn:
      return "EXPN";
    case Verb::quit:
      return "QUIT";
    case Verb::starttls:
      return "STARTTLS";
    case Verb::auth:
      return "AUTH";
    case Verb::unknown:
      return "";
  }
  return "";
}

bool is_xtext(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto ch = static_cast<unsigned char>(s[i]);
    if (ch == '+') {
      if (i + 2 >= s.size()) return false;
      auto hex_upper = [](char h) { return is_digit(h) || (h >= 'A' && h <= 'F'); };
      if (!hex_upper(s[i + 1]) || !hex_upper(s[i + 2])) return false;
      i += 2;
    } else if (ch < 33 || ch > 126 || ch == '=') {
      return false;
    }
  }
  return true;
}

Result<Address> parse_path(std::string_view text, bool allow_null, bool allow_postmaster,
                           std::string_view hostname, std::string_view bad_code,
                           std::string_view& rest) {
  auto bad = [&](std::string why) { return syntax(bad_code, std::move(why)); };
  Cursor c{text};
  if (!c.eat('<')) return bad("Address must be enclosed in <>");
  Address out;
  if (c.peek() == '>') {
    if (!allow_null) return bad("Null address not allowed here");
    ++c.i;
    rest = text.substr(c.i);
    return out;
  }
  // RFC 5321 §4.1.1.3: "<Postmaster>" without a domain, case-insensitive.
  if (allow_postmaster && istarts_with(text.substr(c.i), "postmaster>")) {
    c.i += 11;
    out.address = "postmaster@" + std::string(hostname);
    out.wire = out.address;
    rest = text.substr(c.i);
    return out;
  }
  // A-d-l ":" — a source route; RFC 5321 §3.6.1 and Appendix C: accept and ignore.
  if (c.peek() == '@') {
    do {
      if (!c.eat('@') || !parse_domain(c)) return bad("Bad source route");
    } while (c.eat(','));
    if (!c.eat(':')) return bad("Bad source route");
  }
  std::size_t mailbox_start = c.i;
  std::string local;  // unquoted local part
  bool quoted = false;
  if (c.eat('"')) {
    quoted = true;
    while (true) {
      if (c.done()) return bad("Unterminated quoted local part");
      auto ch = static_cast<unsigned char>(c.peek());
      if (ch == '"') {
        ++c.i;
        break;
      }
      if (ch == '\\') {  // quoted-pairSMTP = %d92 %d32-126
        ++c.i;
        auto q = static_cast<unsigned char>(c.peek());
        if (c.done() || q < 32 || q > 126) return bad("Bad quoted pair in local part");
        local += static_cast<char>(q);
        ++c.i;
      } else if (ch >= 0x80) {
        std::size_t start = c.i;
        if (!c.eat_utf8()) return bad("Malformed UTF-8 in local part");
        local.append(text.substr(start, c.i - start));
      } else if (ch >= 32 && ch <= 126) {  // qtextSMTP: 32-33, 35-91, 93-126
        local += static_cast<char>(ch);
        ++c.i;
      } else {
        return bad("Bad character in quoted local part");
      }
    }
  } else {
    std::size_t start = c.i;
    while (!c.done()) {
      char ch = c.peek();
      if (is_atext(ch) || ch == '.') {
        ++c.i;
      } else if (static_cast<unsigned char>(ch) >= 0x80) {
        if (!c.eat_utf8()) return bad("Malformed UTF-8 in local part");
      } else {
        break;
      }
    }
    local = std::string(text.substr(start, c.i - start));
    if (!is_dot_string(local)) return bad("Bad local part");
  }
  if (c.i - mailbox_start > kMaxLocalPart * 4) return bad("Local part too long");
  if (!c.eat('@')) return bad(c.peek() == '>' ? "Address must have a domain" : "Bad local part");
  std::size_t domain_start = c.i;
  if (c.peek() == '[') {
    if (!parse_address_literal(c)) return bad("Bad address literal");
  } else if (!parse_domain(c)) {
    return bad("Bad domain");
  }
  std::string_view domain = text.substr(domain_start, c.i - domain_start);
  if (!c.eat('>')) return bad("Bad address syntax");
  if (c.i > kMaxPath) return bad("Path too long");
  // RFC 5321 §4.1.2: a quoted string that could be a dot-string is the same local part.
  std::string wire_local = local;
  if (quoted && !is_dot_string(local)) {
    wire_local = "\"";
    for (char ch : local) {
      if (ch == '"' || ch == '\\') wire_local += '\\';
      wire_local += ch;
    }
    wire_local += '"';
  }
  if (wire_local.size() > kMaxLocalPart * 4) return bad("Local part too long");
  out.address = local + "@" + std::string(domain);
  out.wire = wire_local + "@" + std::string(domain);
  out.utf8 = !is_ascii(out.wire);
  rest = text.substr(c.i);
  return out;
}

Result<MailFrom> parse_mail_from(std::string_view argument) {
  auto path = after_prefix(argument, "FROM:");
  if (!path) return syntax("5.5.2", "Syntax: MAIL FROM:<address>");
  MailFrom mf;
  std::string_view rest;
  auto addr = parse_path(*path, true, false, "", "5.1.7", rest);
  if (!addr) return addr.error();
  mf.from = std::move(addr.value());
  if (!rest.empty() && rest.front() != ' ') return syntax("5.1.7", "Bad address syntax");
  bool seen_body = false, seen_utf8 = false;
  auto err = for_each_param(rest, [&](const Param& p) -> std::optional<PeerError> {
    auto dup = [&](std::string_view k) {
      return syntax("5.5.4", "Duplicate " + std::string(k) + " parameter");
    };
    if (iequals(p.keyword, "SIZE")) {  // RFC 1870 §6: size-value = 1*20DIGIT
      if (mf.params.size) return dup("SIZE");
      if (!p.value || p.value->size() > 20) return syntax("5.5.4", "Bad SIZE parameter");
      std::uint64_t v = 0;
      for (char ch : *p.value) {
        if (!is_digit(ch)) return syntax("5.5.4", "Bad SIZE parameter");
        std::uint64_t d = static_cast<std::uint64_t>(ch - '0');
        v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
      }
      mf.params.size = v;
    } else if (iequals(p.keyword, "BODY")) {  // RFC 6152 §3
      if (seen_body) return dup("BODY");
      seen_body = true;
      if (!p.value || !(iequals(*p.value, "7BIT") || iequals(*p.value, "8BITMIME")))
        return syntax("5.5.4", "Bad BODY parameter");
      mf.params.body = upper(*p.value);
    } else if (iequals(p.keyword, "SMTPUTF8")) {  // RFC 6531 §3.4: no value
      if (seen_utf8) return dup("SMTPUTF8");
      seen_utf8 = true;
      if (p.value) return syntax("5.5.4", "SMTPUTF8 takes no value");
      mf.params.smtputf8 = true;
    } else if (iequals(p.keyword, "REQUIRETLS")) {  // RFC 8689 §3: no value
      if (mf.params.requiretls) return dup("REQUIRETLS");
      if (p.value) return syntax("5.5.4", "REQUIRETLS takes no value");
      mf.params.requiretls = true;
    } else if (iequals(p.keyword, "RET")) {  // RFC 3461 §4.3
      if (!mf.params.ret.empty()) return dup("RET");
      if (!p.value || !(iequals(*p.value, "FULL") || iequals(*p.value, "HDRS")))
        return syntax("5.5.4", "Bad RET parameter");
      mf.params.ret = upper(*p.value);
    } else if (iequals(p.keyword, "ENVID")) {  // RFC 3461 §4.4
      if (!mf.params.envid.empty()) return dup("ENVID");
      if (!p.value || p.value->size() > kMaxEnvid || !is_xtext(*p.value))
        return syntax("5.5.4", "Bad ENVID parameter");
      mf.params.envid = std::string(*p.value);
    } else if (iequals(p.keyword, "AUTH")) {  // RFC 4954 §5
      if (mf.params.auth) return dup("AUTH");
      if (!p.value || !(*p.value == "<>" || is_xtext(*p.value)))
        return syntax("5.5.4", "Bad AUTH parameter");
      mf.params.auth = std::string(*p.value);
    } else {
      return unknown_param(p.keyword);
    }
    return std::nullopt;
  });
  if (err) return *err;
  // RFC 6531 §3.4: a UTF-8 address needs the SMTPUTF8 parameter.
  if (mf.from.utf8 && !mf.params.smtputf8)
    return PeerError{553, "5.6.7", "Non-ASCII address requires SMTPUTF8"};
  return mf;
}

Result<RcptTo> parse_rcpt_to(std::string_view argument, bool smtputf8, std::string_view hostname) {
  auto path = after_prefix(argument, "TO:");
  if (!path) return syntax("5.5.2", "Syntax: RCPT TO:<address>");
  RcptTo rt;
  std::string_view rest;
  auto addr = parse_path(*path, false, true, hostname, "5.1.3", rest);
  if (!addr) return addr.error();
  rt.to = std::move(addr.value());
  rt.postmaster = istarts_with(*path, "<postmaster>");
  if (!rest.empty() && rest.front() != ' ') return syntax("5.1.3", "Bad address syntax");
  std::size_t at = rt.to.wire.rfind('@');
  // A bounce to one of our SRS addresses (forwarded mail, queue/proto/queue_srs.hpp) carries
  // the original sender inside the local part, which may pass the 64 octets of RFC 5321
  // §4.5.3.1.1; up to the parser's bound of four times that is taken for those.
  const bool srs = at != std::string::npos && at > 5 &&
                   (istarts_with(rt.to.wire, "SRS0=") || istarts_with(rt.to.wire, "SRS1="));
  if (at > (srs ? kMaxLocalPart * 4 : kMaxLocalPart)) return syntax("5.1.3", "Local part too long");
  auto err = for_each_param(rest, [&](const Param& p) -> std::optional<PeerError> {
    if (iequals(p.keyword, "NOTIFY")) {  // RFC 3461 §4.1
      if (!rt.params.notify.empty()) return syntax("5.5.4", "Duplicate NOTIFY parameter");
      if (!p.value) return syntax("5.5.4", "Bad NOTIFY parameter");
      std::string v = upper(*p.value);
      if (v != "NEVER") {
        std::string_view list = v;
        unsigned seen = 0;
        while (true) {
          std::size_t comma = list.find(',');
          std::string_view item = list.substr(0, comma);
          unsigned bit = item == "SUCCESS"   ? 1u
                         : item == "FAILURE" ? 2u
                         : item == "DELAY"   ? 4u
                                             : 0u;
          if (bit == 0 || (seen & bit)) return syntax("5.5.4", "Bad NOTIFY parameter");
          seen |= bit;
          if (comma == std::string_view::npos) break;
          list.remove_prefix(comma + 1);
        }
      }
      rt.params.notify = std::move(v);
    } else if (iequals(p.keyword, "ORCPT")) {  // RFC 3461 §4.2: addr-type ";" xtext
      if (!rt.params.orcpt.empty()) return syntax("5.5.4", "Duplicate ORCPT parameter");
      if (!p.value || p.value->size() > kMaxOrcpt) return syntax("5.5.4", "Bad ORCPT parameter");
      std::size_t semi = p.value->find(';');
      if (semi == std::string_view::npos || semi == 0 || semi + 1 == p.value->size())
        return syntax("5.5.4", "Bad ORCPT parameter");
      for (char ch : p.value->substr(0, semi))
        if (!is_atext(ch)) return syntax("5.5.4", "Bad ORCPT parameter");
      std::string_view addr = p.value->substr(semi + 1);
      // RFC 6533 §3: with SMTPUTF8, a "utf-8" address may carry raw UTF-8 (utf-8-addr-unitext).
      bool unitext = smtputf8 && iequals(p.value->substr(0, semi), "utf-8") && is_utf8(addr);
      std::string ascii;
      for (char ch : addr)
        if (static_cast<unsigned char>(ch) < 0x80) ascii += ch;
      if (!is_xtext(unitext ? std::string_view(ascii) : addr))
        return syntax("5.5.4", "Bad ORCPT parameter");
      rt.params.orcpt = std::string(*p.value);
    } else {
      return unknown_param(p.keyword);
    }
    return std::nullopt;
  });
  if (err) return *err;
  if (rt.to.utf8 && !smtputf8)
    return PeerError{553, "5.6.7", "Non-ASCII address requires SMTPUTF8"};
  return rt;
}

Result<std::string> parse_helo(std::string_view argument, bool ehlo) {
  auto bad = [&] {
    return syntax("5.5.4", ehlo ? "Syntax: EHLO hostname" : "Syntax: HELO hostname");
  };
  if (argument.empty() || argument.size() > kMaxHelo) return bad();
  for (char ch : argument) {
    auto u = static_cast<unsigned char>(ch);
    if (u <= 32 || u == 127) return bad();
  }
  if (!is_utf8(argument)) return bad();
  return std::string(argument);
}

Result<BdatArgs> parse_bdat(std::string_view argument, std::optional<std::uint64_t>& size_known) {
  size_known.reset();
  auto bad = [] { return syntax("5.5.4", "Syntax: BDAT chunk-size [LAST]"); };
  std::size_t sp = argument.find(' ');
  std::string_view digits = argument.substr(0, sp);
  if (digits.empty() || digits.size() > 20) return bad();
  std::uint64_t v = 0;
  for (char ch : digits) {
    if (!is_digit(ch)) return bad();
    std::uint64_t d = static_cast<std::uint64_t>(ch - '0');
    if (v > (UINT64_MAX - d) / 10) return bad();
    v = v * 10 + d;
  }
  size_known = v;
  BdatArgs args{v, false};
  if (sp != std::string_view::npos) {
    std::string_view tail = trim(argument.substr(sp + 1));
    if (!iequals(tail, "LAST")) return bad();
    args.last = true;
  }
  return args;
}

Result<AuthArgs> parse_auth(std::string_view argument) {
  auto bad = [] { return syntax("5.5.4", "Syntax: AUTH mechanism [initial-response]"); };
  std::size_t sp = argument.find(' ');
  std::string_view mech = argument.substr(0, sp);
  // RFC 4422 §3.1: sasl-mech = 1*20mech-char (upper-case letters, digits, "-" and "_").
  if (mech.empty() || mech.size() > 20) return bad();
  for (char ch : mech)
    if (!is_alnum(ch) && ch != '-' && ch != '_') return bad();
  AuthArgs args{upper(mech), std::nullopt};
  if (sp != std::string_view::npos) {
    std::string_view ir = trim(argument.substr(sp + 1));
    if (ir.empty() || ir.find(' ') != std::string_view::npos) return bad();
    args.initial_response = std::string(ir);
  }
  return args;
}

}  // namespace estafeta::smtp
