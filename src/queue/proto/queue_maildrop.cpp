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
  }
  // Unknown keys are skipped: a newer sendmail may add some.
  return true;
}

}  // namespace

std::string encode_maildrop_header(const MaildropHeader& header) {
  std::string out(kMagic);
  out += '\n';
  if (header.from) out += "from " + escape_value(*header.from) + "\n";
  if (!header.fullname.empty()) out += "fullname " + escape_value(header.fullname) + "\n";
  for (const auto& r : header.recipients) out += "rcpt " + escape_value(r) + "\n";
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
