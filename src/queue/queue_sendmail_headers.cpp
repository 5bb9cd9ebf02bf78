// queue_sendmail_headers: see the header.
#include "queue/queue_sendmail_headers.hpp"

#include <cctype>

#include "mime/mime_address.hpp"

namespace estafeta::queue {
namespace {

bool named(std::string_view line, std::string_view name) {
  if (line.size() <= name.size() || line[name.size()] != ':') return false;
  for (std::size_t i = 0; i < name.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return false;
  return true;
}

}  // namespace

std::vector<std::string> extract_recipients(std::string& message) {
  std::vector<std::string> out;
  std::string kept;
  kept.reserve(message.size());
  std::size_t pos = 0;
  bool in_header = true;
  while (pos < message.size() && in_header) {
    // One field: its first line and every continuation line (starting with WSP).
    std::size_t end = message.find('\n', pos);
    if (end == std::string::npos) end = message.size() - 1;
    std::string_view first(message.data() + pos, end - pos + 1);
    if (first == "\n" || first == "\r\n") {
      in_header = false;
      break;
    }
    std::size_t field_end = end + 1;
    while (field_end < message.size() &&
           (message[field_end] == ' ' || message[field_end] == '\t')) {
      std::size_t e = message.find('\n', field_end);
      field_end = e == std::string::npos ? message.size() : e + 1;
    }
    std::string_view field(message.data() + pos, field_end - pos);
    const bool to = named(field, "to"), cc = named(field, "cc"), bcc = named(field, "bcc");
    if (to || cc || bcc) {
      std::string_view value = field.substr(field.find(':') + 1);
      for (const mime::Address& a : mime::mailboxes(mime::parse_address_list(value)))
        if (!a.local.empty() && !a.invalid) out.push_back(a.addr_spec());
    }
    if (!bcc) kept.append(field);
    pos = field_end;
  }
  kept.append(message, pos, std::string::npos);
  message = std::move(kept);
  return out;
}

std::string_view up_to_lone_dot(std::string_view input) {
  std::size_t pos = 0;
  while (pos < input.size()) {
    std::size_t end = input.find('\n', pos);
    std::string_view line = input.substr(pos, end == std::string_view::npos ? end : end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line == ".") return input.substr(0, pos);
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return input;
}

}  // namespace estafeta::queue
