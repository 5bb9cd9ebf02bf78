// mua_autoconfig: see mua_autoconfig.hpp. The XML reader is a flat loop over the input with
// an explicit stack of open element names (no recursion); it knows elements, attributes,
// text, CDATA, comments, processing instructions and a DOCTYPE (skipped), which is all an
// autoconfig file uses.
#include "mua/proto/mua_autoconfig.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

namespace estafeta::mua {

namespace {

constexpr std::size_t kMaxDepth = 32;
constexpr std::size_t kMaxElements = 10000;
constexpr std::size_t kMaxText = 4096;
constexpr std::size_t kMaxServers = 32;
constexpr std::size_t kMaxHeader = 16 * 1024;

PeerError error(std::string text) {
  return PeerError{0, "", std::move(text)};
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Character data with the predefined entities and character references decoded.
std::string unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out.push_back(s[i]);
      continue;
    }
    std::size_t semi = s.find(';', i);
    if (semi == std::string_view::npos || semi - i > 10) {
      out.push_back('&');
      continue;
    }
    std::string_view ent = s.substr(i + 1, semi - i - 1);
    if (ent == "lt")
      out.push_back('<');
    else if (ent == "gt")
      out.push_back('>');
    else if (ent == "amp")
      out.push_back('&');
    else if (ent == "quot")
      out.push_back('"');
    else if (ent == "apos")
      out.push_back('\'');
    else if (ent.size() > 1 && ent[0] == '#') {
      std::uint32_t cp = 0;
      bool hex = ent[1] == 'x' || ent[1] == 'X';
      std::string_view digits = ent.substr(hex ? 2 : 1);
      auto [p, ec] =
          std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
      if (ec != std::errc() || p != digits.data() + digits.size() || digits.empty()) {
        out.append(s.substr(i, semi - i + 1));
      } else {
        append_utf8(out, cp);
      }
    } else {
      out.append(s.substr(i, semi - i + 1));
    }
    i = semi;
  }
  return out;
}

bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
         c == ':' || static_cast<unsigned char>(c) >= 0x80;
}

// The attribute `want` of a start tag's attribute text, unescaped; "" when absent.
std::string attribute(std::string_view attrs, std::string_view want) {
  std::size_t i = 0;
  while (i < attrs.size()) {
    while (i < attrs.size() && std::isspace(static_cast<unsigned char>(attrs[i]))) ++i;
    std::size_t b = i;
    while (i < attrs.size() && name_char(attrs[i])) ++i;
    std::string_view name = attrs.substr(b, i - b);
    while (i < attrs.size() && std::isspace(static_cast<unsigned char>(attrs[i]))) ++i;
    if (i >= attrs.size() || attrs[i] != '=') return "";
    ++i;
    while (i < attrs.size() && std::isspace(static_cast<unsigned char>(attrs[i]))) ++i;
    if (i >= attrs.size() || (attrs[i] != '"' && attrs[i] != '\'')) return "";
    char q = attrs[i++];
    std::size_t end = attrs.find(q, i);
    if (end == std::string_view::npos) return "";
    if (name == want) return unescape(attrs.substr(i, end - i));
    i = end + 1;
  }
  return "";
}

// Builds Autoconfig from the element events.
class Builder {
 public:
  void open(const std::vector<std::string>& stack, std::string_view attrs) {
    const std::string& name = stack.back();
    std::size_t depth = stack.size();
    if (depth == 2 && name == "emailProvider" && stack[0] == "clientConfig") {
      ++providers_;
      if (providers_ == 1) out_.provider_id = attribute(attrs, "id");
    }
    if (providers_ != 1 || depth != 3 || stack[1] != "emailProvider") return;
    if (name == "incomingServer" || name == "outgoingServer") {
      current_ = AutoconfigServer{};
      current_.type = lower(attribute(attrs, "type"));
      in_server_ = true;
    }
  }
  void close(const std::vector<std::string>& stack, const std::string& text) {
    const std::string& name = stack.back();
    std::size_t depth = stack.size();
    if (providers_ != 1) return;
    if (depth == 3 && stack[1] == "emailProvider") {
      if (name == "domain" && out_.domains.size() < 100) out_.domains.push_back(trim(text));
      if (in_server_ && (name == "incomingServer" || name == "outgoingServer")) {
        in_server_ = false;
        auto& list = name == "incomingServer" ? out_.incoming : out_.outgoing;
        if (out_.incoming.size() + out_.outgoing.size() < kMaxServers) list.push_back(current_);
      }
      return;
    }
    if (depth == 4 && in_server_) {
      std::string v = trim(text);
      if (name == "hostname")
        current_.hostname = v;
      else if (name == "port") {
        unsigned p = 0;
        auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), p);
        current_.port = (ec == std::errc() && ptr == v.data() + v.size() && p > 0 && p < 65536)
                            ? static_cast<std::uint16_t>(p)
                            : 0;
      } else if (name == "socketType")
        current_.socket_type = v;
      else if (name == "username")
        current_.username = v;
      else if (name == "authentication" && current_.authentication.size() < 16)
        current_.authentication.push_back(v);
    }
  }
  std::size_t providers() const { return providers_; }
  Autoconfig take() { return std::move(out_); }

 private:
  Autoconfig out_;
  AutoconfigServer current_;
  bool in_server_ = false;
  std::size_t providers_ = 0;
};

}  // namespace

Result<Autoconfig> parse_autoconfig(std::string_view xml) {
  if (xml.size() > kMaxAutoconfig) return error("autoconfig file larger than 1 MiB");
  if (xml.size() >= 3 && xml.substr(0, 3) == "\xEF\xBB\xBF") xml.remove_prefix(3);  // BOM
  std::vector<std::string> stack;
  std::string text;
  std::size_t elements = 0;
  bool root_seen = false, root_closed = false;
  Builder b;
  std::size_t i = 0;
  while (i < xml.size()) {
    if (xml[i] != '<') {
      std::size_t lt = xml.find('<', i);
      std::string_view chunk = xml.substr(i, lt == std::string_view::npos ? lt : lt - i);
      if (stack.empty()) {
        if (!trim(chunk).empty()) return error("autoconfig: text outside the root element");
      } else if (text.size() + chunk.size() <= kMaxText) {
        text += unescape(chunk);
      } else {
        return error("autoconfig: element text longer than 4 KiB");
      }
      i = lt == std::string_view::npos ? xml.size() : lt;
      continue;
    }
    std::string_view rest = xml.substr(i);
    auto skip_to = [&](std::string_view end, const char* what) -> bool {
      std::size_t e = xml.find(end, i);
      if (e == std::string_view::npos) return false;
      (void)what;
      i = e + end.size();
      return true;
    };
    if (rest.substr(0, 4) == "<!--") {
      if (!skip_to("-->", "comment")) return error("autoconfig: unterminated comment");
      continue;
    }
    if (rest.substr(0, 9) == "<![CDATA[") {
      std::size_t e = xml.find("]]>", i + 9);
      if (e == std::string_view::npos) return error("autoconfig: unterminated CDATA");
      if (!stack.empty()) {
        if (text.size() + (e - i - 9) > kMaxText)
          return error("autoconfig: element text longer than 4 KiB");
        text.append(xml.substr(i + 9, e - i - 9));
      }
      i = e + 3;
      continue;
    }
    if (rest.substr(0, 2) == "<?") {
      if (!skip_to("?>", "processing instruction"))
        return error("autoconfig: unterminated processing instruction");
      continue;
    }
    if (rest.substr(0, 2) == "<!") {  // DOCTYPE: skipped, never interpreted
      std::size_t e = xml.find('>', i);
      if (e == std::string_view::npos) return error("autoconfig: unterminated declaration");
      if (xml.substr(i, e - i).find('[') != std::string_view::npos)
        return error("autoconfig: a DOCTYPE with an internal subset is not accepted");
      i = e + 1;
      continue;
    }
    std::size_t gt = xml.find('>', i);
    if (gt == std::string_view::npos) return error("autoconfig: unterminated tag");
    std::string_view tag = xml.substr(i + 1, gt - i - 1);
    i = gt + 1;
    if (!tag.empty() && tag.front() == '/') {
      std::string name = trim(tag.substr(1));
      if (stack.empty() || stack.back() != name)
        return error("autoconfig: </" + name.substr(0, 40) + "> does not close the open element");
      b.close(stack, text);
      text.clear();
      stack.pop_back();
      if (stack.empty()) root_closed = true;
      continue;
    }
    bool self_closing = !tag.empty() && tag.back() == '/';
    if (self_closing) tag.remove_suffix(1);
    std::size_t n = 0;
    while (n < tag.size() && name_char(tag[n])) ++n;
    if (n == 0) return error("autoconfig: malformed tag");
    if (root_closed || (stack.empty() && root_seen))
      return error("autoconfig: more than one root element");
    if (stack.size() >= kMaxDepth) return error("autoconfig: nested deeper than 32 elements");
    if (++elements > kMaxElements) return error("autoconfig: more than 10000 elements");
    root_seen = true;
    text.clear();
    stack.emplace_back(tag.substr(0, n));
    b.open(stack, tag.substr(n));
    if (self_closing) {
      b.close(stack, "");
      stack.pop_back();
      if (stack.empty()) root_closed = true;
    }
  }
  if (!stack.empty())
    return error("autoconfig: <" + stack.back().substr(0, 40) + "> is not closed");
  if (!root_seen) return error("autoconfig: not an XML document");
  if (b.providers() == 0) return error("autoconfig: no clientConfig/emailProvider element");
  return b.take();
}

int choose_server(const std::vector<AutoconfigServer>& servers, std::string_view type) {
  int best = -1, best_rank = 99;
  for (std::size_t i = 0; i < servers.size(); ++i) {
    const AutoconfigServer& s = servers[i];
    if (s.type != type || s.hostname.empty() || s.port == 0) continue;
    if (s.hostname.find_first_of(" /\\%@") != std::string::npos) continue;
    bool password_ok = s.authentication.empty();
    for (const auto& a : s.authentication) {
      std::string l = lower(a);
      if (l != "oauth2" && l != "gssapi" && l != "ntlm" && l != "client-ip-address" &&
          l != "tls-client-cert")
        password_ok = true;
    }
    if (!password_ok) continue;
    std::string st = lower(s.socket_type);
    int rank = st == "ssl" || st == "tls" ? 0 : st == "starttls" ? 1 : 99;
    if (rank < best_rank) {
      best_rank = rank;
      best = static_cast<int>(i);
    }
  }
  return best;
}

std::string expand_username(std::string_view tmpl, std::string_view address) {
  std::size_t at = address.rfind('@');
  std::string_view local = at == std::string_view::npos ? address : address.substr(0, at);
  std::string_view domain = at == std::string_view::npos ? "" : address.substr(at + 1);
  std::string out;
  for (std::size_t i = 0; i < tmpl.size();) {
    auto take = [&](std::string_view key, std::string_view value) {
      if (tmpl.substr(i, key.size()) != key) return false;
      out.append(value);
      i += key.size();
      return true;
    };
    if (take("%EMAILADDRESS%", address) || take("%EMAILLOCALPART%", local) ||
        take("%EMAILDOMAIN%", domain))
      continue;
    out.push_back(tmpl[i++]);
  }
  return out;
}

std::string url_encode(std::string_view value) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (char ch : value) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

std::string http_get_request(std::string_view host, std::string_view path_and_query) {
  return "GET " + std::string(path_and_query) + " HTTP/1.1\r\nHost: " + std::string(host) +
         "\r\nUser-Agent: Estafeta\r\nAccept: application/xml, text/xml, */*\r\n"
         "Connection: close\r\n\r\n";
}

Result<std::string> http_response_body(std::string_view response, std::size_t max_body) {
  std::size_t end = response.find("\r\n\r\n");
  std::size_t sep = 4;
  if (end == std::string_view::npos) {
    end = response.find("\n\n");
    sep = 2;
  }
  if (end == std::string_view::npos || end > kMaxHeader)
    return error(response.empty() ? "HTTP: empty response" : "HTTP: no complete response header");
  std::string_view head = response.substr(0, end);
  std::string_view body = response.substr(end + sep);
  std::size_t eol = head.find('\n');
  std::string status_line = trim(head.substr(0, eol));
  if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12)
    return error("HTTP: not an HTTP/1.x response");
  std::string code = status_line.substr(9, 3);
  std::string location;
  bool chunked = false;
  std::optional<std::size_t> length;
  std::size_t pos = eol == std::string_view::npos ? head.size() : eol + 1;
  while (pos < head.size()) {
    std::size_t e = head.find('\n', pos);
    std::string_view line = head.substr(pos, e == std::string_view::npos ? e : e - pos);
    pos = e == std::string_view::npos ? head.size() : e + 1;
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name = lower(trim(line.substr(0, colon)));
    std::string value = trim(line.substr(colon + 1));
    if (name == "transfer-encoding" && lower(value).find("chunked") != std::string::npos)
      chunked = true;
    else if (name == "content-length") {
      std::size_t n = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || p != value.data() + value.size())
        return error("HTTP: bad Content-Length");
      length = n;
    } else if (name == "location") {
      location = value.substr(0, 200);
    }
  }
  if (code[0] == '3')
    return error("HTTP " + code + ": redirected to " + (location.empty() ? "?" : location) +
                 " (not followed)");
  if (code != "200") return error("HTTP: " + status_line.substr(9, 60));
  std::string out;
  if (chunked) {
    std::size_t p = 0;
    while (true) {
      std::size_t e = body.find("\r\n", p);
      if (e == std::string_view::npos) return error("HTTP: truncated chunked body");
      std::string_view size_text = body.substr(p, e - p);
      size_text = size_text.substr(0, size_text.find(';'));
      std::size_t n = 0;
      auto [q, ec] = std::from_chars(size_text.data(), size_text.data() + size_text.size(), n, 16);
      if (ec != std::errc() || size_text.empty()) return error("HTTP: bad chunk size");
      p = e + 2;
      if (n == 0) break;
      if (n > max_body || out.size() + n > max_body) return error("HTTP: body too large");
      if (body.size() < p + n) return error("HTTP: truncated chunked body");
      out.append(body.substr(p, n));
      p += n + 2;
    }
    return out;
  }
  if (length) {
    if (*length > max_body) return error("HTTP: body too large");
    if (body.size() < *length) return error("HTTP: truncated body");
    return std::string(body.substr(0, *length));
  }
  if (body.size() > max_body) return error("HTTP: body too large");
  return std::string(body);
}

}  // namespace estafeta::mua
