// queue_maildrop: see the header.
#include "queue/proto/queue_maildrop.hpp"

#include "queue/proto/queue_record.hpp"

namespace estafeta::queue {
namespace {

constexpr std::string_view kMagic = "ESTAFETA-MAILDROP 1";
constexpr std::size_t kMaxAddress = 1000;

bool fail(std::string& error, std::string what) {
  error = std::move(what);
  return false;
}

// One "key value" line; false with `error` on a malformed one.
bool take_line(std::string_view line, MaildropHeader& out, std::string& error) {
  const std::size_t sp = line.find(' ');
  if (sp == std::string_view::npos) return fail(error, "a header line without a value");
  const std::string_view key = line.substr(0, sp);
  auto value = unescape_value(line.substr(sp + 1));
  if (!value) return fail(error, "a badly escaped value in the " + std::string(key) + " line");
  if (key == "from") {
    if (out.from) return fail(error, "two from lines");
    if (value->size() > kMaxAddress) return fail(error, "the sender address is too long");
    out.from = *value;
  } else if (key == "fullname") {
    if (value->size() > kMaxAddress) return fail(error, "the full name is too long");
    out.fullname = *value;
  } else if (key == "rcpt") {
    if (value->empty() || value->size() > kMaxAddress)
      return fail(error, "an empty or too long recipient address");
    if (out.recipients.size() >= kMaxMaildropRecipients) return fail(error, "too many recipients");
    out.recipients.push_back(*value);
    out.notify.emplace_back();
    out.orcpt.emplace_back();
  } else if (key == "notify" || key == "orcpt") {
    if (out.recipients.empty())
      return fail(error, "a " + std::string(key) + " line before any rcpt");
    if (value->size() > kMaxAddress)
      return fail(error, "the " + std::string(key) + " value is too long");
    if (key == "notify") {
      auto v = normalize_notify(*value);
      if (!v) return fail(error, "a bad NOTIFY value (RFC 3461: NEVER or SUCCESS,FAILURE,DELAY)");
      out.notify.back() = *v;
    } else {
      if (!valid_orcpt(*value)) return fail(error, "a bad ORCPT value (RFC 3461: type;xtext)");
      out.orcpt.back() = *value;
    }
  } else if (key == "ret" || key == "envid") {
    if (value->size() > kMaxAddress)
      return fail(error, "the " + std::string(key) + " value is too long");
    if (key == "ret") {
      auto v = normalize_ret(*value);
      if (!v) return fail(error, "a bad RET value (FULL or HDRS)");
      out.ret = *v;
    } else {
      if (!valid_xtext(*value)) return fail(error, "a bad ENVID value (RFC 3461 xtext)");
      out.envid = *value;
    }
  }
  // Unknown keys are skipped: a newer sendmail may add some.
  return true;
}

std::string upper(std::string_view v) {
  std::string out(v);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

bool is_hex_upper(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

}  // namespace

std::optional<std::string> normalize_notify(std::string_view value) {
  std::string v = upper(value);
  if (v == "NEVER") return v;
  unsigned seen = 0;
  std::string_view list = v;
  for (;;) {
    const std::size_t comma = list.find(',');
    const std::string_view item = list.substr(0, comma);
    const unsigned bit = item == "SUCCESS"   ? 1u
                         : item == "FAILURE" ? 2u
                         : item == "DELAY"   ? 4u
                                             : 0u;
    if (bit == 0 || (seen & bit)) return std::nullopt;
    seen |= bit;
    if (comma == std::string_view::npos) return v;
    list.remove_prefix(comma + 1);
  }
}

std::optional<std::string> normalize_ret(std::string_view value) {
  std::string v = upper(value);
  if (v == "FULL" || v == "HDRS") return v;
  return std::nullopt;
}

bool valid_xtext(std::string_view value) {  // RFC 3461 §4: xchar or "+" 2 upper hex digits
  if (value.empty() || value.size() > kMaxAddress) return false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    if (c == '+') {
      if (i + 2 >= value.size() || !is_hex_upper(value[i + 1]) || !is_hex_upper(value[i + 2]))
        return false;
      i += 2;
    } else if (c < 33 || c > 126 || c == '=') {
      return false;
    }
  }
  return true;
}

bool valid_orcpt(std::string_view value) {
  const std::size_t semi = value.find(';');
  if (semi == std::string_view::npos || semi == 0) return false;
  for (char c : value.substr(0, semi))
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
      return false;
  return valid_xtext(value.substr(semi + 1));
}

std::string encode_maildrop_header(const MaildropHeader& header) {
  std::string out(kMagic);
  out += '\n';
  if (header.from) out += "from " + escape_value(*header.from) + "\n";
  if (!header.fullname.empty()) out += "fullname " + escape_value(header.fullname) + "\n";
  for (std::size_t i = 0; i < header.recipients.size(); ++i) {
    out += "rcpt " + escape_value(header.recipients[i]) + "\n";
    if (i < header.notify.size() && !header.notify[i].empty())
      out += "notify " + escape_value(header.notify[i]) + "\n";
    if (i < header.orcpt.size() && !header.orcpt[i].empty())
      out += "orcpt " + escape_value(header.orcpt[i]) + "\n";
  }
  if (!header.ret.empty()) out += "ret " + escape_value(header.ret) + "\n";
  if (!header.envid.empty()) out += "envid " + escape_value(header.envid) + "\n";
  out += '\n';
  return out;
}

std::optional<std::string_view> parse_maildrop(std::string_view file, MaildropHeader& out,
                                               std::string& error) {
  out = MaildropHeader{};
  const std::size_t end = file.substr(0, kMaxMaildropHeader).find("\n\n");
  if (end == std::string_view::npos) {
    fail(error, file.size() >= kMaxMaildropHeader ? "the header is too long"
                                                  : "the header does not end with a blank line");
    return std::nullopt;
  }
  std::string_view head = file.substr(0, end + 1);
  bool first = true;
  while (!head.empty()) {
    const std::size_t nl = head.find('\n');
    const std::string_view line = head.substr(0, nl);
    head.remove_prefix(nl + 1);
    if (first) {
      first = false;
      if (line != kMagic) {
        fail(error, "not a maildrop file (no \"ESTAFETA-MAILDROP 1\" line)");
        return std::nullopt;
      }
      continue;
    }
    if (!take_line(line, out, error)) return std::nullopt;
  }
  if (out.recipients.empty()) {
    fail(error, "no recipients");
    return std::nullopt;
  }
  return file.substr(end + 2);
}

}  // namespace estafeta::queue
