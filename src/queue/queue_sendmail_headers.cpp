// queue_sendmail_headers: see the header.
#include "queue/queue_sendmail_headers.hpp"

#include <algorithm>
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

// "name:" with a name of printable ASCII (obsolete WSP before the colon allowed, §4.5).
bool field_line(std::string_view line) {
  std::size_t i = 0;
  while (i < line.size() && line[i] > ' ' && line[i] < 0x7f && line[i] != ':') ++i;
  if (i == 0) return false;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  return i < line.size() && line[i] == ':';
}

}  // namespace

HeaderEnd find_header_end(std::string_view message) {
  std::size_t pos = 0;
  bool in_field = false;
  while (pos < message.size()) {
    std::size_t end = message.find('\n', pos);
    std::string_view line = message.substr(pos, end == std::string_view::npos ? end : end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) return {pos, true};
    const bool continuation = in_field && (line[0] == ' ' || line[0] == '\t');
    if (!continuation && !field_line(line)) return {pos, false};
    in_field = true;
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return {message.size(), false};
}

std::string_view without_mbox_from(std::string_view message) {
  if (message.substr(0, 5) != "From ") return message;
  const std::size_t end = message.find('\n');
  return end == std::string_view::npos ? std::string_view() : message.substr(end + 1);
}

std::vector<std::string> addresses_in(std::string_view list) {
  // A bare user name ("root", as cron and scripts write it) is a local recipient, which the
  // address parser counts as a mailbox with its domain missing.
  const std::size_t first = list.find_first_not_of(" \t\r\n");
  const std::string_view word =
      first == std::string_view::npos
          ? std::string_view()
          : list.substr(first, list.find_last_not_of(" \t\r\n") - first + 1);
  if (!word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
        return c > ' ' && c < 0x7f &&
               std::string_view("<>()[],;:@\"\\").find(c) == std::string_view::npos;
      }))
    return {std::string(word)};
  std::vector<std::string> out;
  for (const mime::Address& a : mime::mailboxes(mime::parse_address_list(list)))
    if (!a.local.empty() && !a.invalid) out.push_back(a.addr_spec());
  return out;
}

std::vector<std::string> extract_recipients(std::string& message) {
  std::vector<std::string> out;
  std::string kept;
  kept.reserve(message.size());
  const std::size_t header_end = find_header_end(message).offset;
  std::size_t pos = 0;
  bool in_header = true;
  while (pos < header_end && in_header) {
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
      for (auto& a : addresses_in(field.substr(field.find(':') + 1))) out.push_back(std::move(a));
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
