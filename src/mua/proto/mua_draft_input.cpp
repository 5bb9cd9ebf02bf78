// mua_draft_input: see mua_draft_input.hpp.
#include "mua/proto/mua_draft_input.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "mime/mime_address.hpp"
#include "mime/mime_charset.hpp"

namespace estafeta::mua {

namespace {

PeerError error(std::string text) {
  return PeerError{0, "", std::move(text)};
}

std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r' || s[b] == '\n')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r' || s[e - 1] == '\n'))
    --e;
  return std::string(s.substr(b, e - b));
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::string list_line(const char* name, const std::vector<mime::DraftAddress>& list) {
  std::string out = std::string(name) + ": ";
  for (std::size_t i = 0; i < list.size(); ++i) out += (i ? ", " : "") + format_recipient(list[i]);
  return out + "\n";
}

}  // namespace

Result<std::vector<mime::DraftAddress>> parse_recipients(std::string_view text) {
  std::vector<mime::DraftAddress> out;
  for (const mime::Address& a : mime::mailboxes(mime::parse_address_list(text))) {
    if (a.invalid || a.local.empty() || a.domain.empty() || a.broken_angle || a.broken_route ||
        a.domain.front() == '[') {
      std::string shown = a.has_name ? a.name : a.addr_spec();
      if (shown.empty()) shown = trim(text);
      return error("not an address: \"" + shown + "\" (expected name@domain)");
    }
    out.push_back(mime::DraftAddress{mime::decoded_name(a), a.addr_spec()});
  }
  if (out.empty() && !trim(text).empty())
    return error("not an address: \"" + trim(text) + "\" (expected name@domain)");
  return out;
}

std::string format_recipient(const mime::DraftAddress& a) {
  if (a.name.empty()) return a.address;
  bool quote = a.name.find_first_of("()<>[]:;@\\,.\"") != std::string::npos;
  if (!quote) return a.name + " <" + a.address + ">";
  std::string q = "\"";
  for (char c : a.name) {
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  return q + "\" <" + a.address + ">";
}

std::string render_template(const mime::Draft& draft) {
  std::string out;
  out += "From: " + format_recipient(draft.from) + "\n";
  out += list_line("To", draft.to);
  out += list_line("Cc", draft.cc);
  out += list_line("Bcc", draft.bcc);
  out += list_line("Reply-To", draft.reply_to);
  out += "Subject: " + draft.subject + "\n";
  out += "\n";
  out += draft.text;
  if (!draft.text.empty() && draft.text.back() != '\n') out += "\n";
  return out;
}

Result<bool> parse_template(std::string_view text, mime::Draft& draft) {
  if (text.size() > kMaxTemplate) return error("the edited message is larger than 16 MiB");
  if (text.find('\0') != std::string_view::npos)
    return error("the edited message contains a NUL octet");
  // Header fields: "Name: value" lines, folded ones joined, up to the first empty line.
  std::vector<std::pair<std::string, std::string>> fields;
  std::size_t pos = 0;
  std::size_t line_no = 0;
  bool blank_seen = false;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      blank_seen = true;
      break;
    }
    if (line.front() == ' ' || line.front() == '\t') {
      if (fields.empty())
        return error("line " + std::to_string(line_no) + ": a continuation line before any header");
      fields.back().second += " " + trim(line);
      continue;
    }
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0)
      return error("line " + std::to_string(line_no) +
                   ": expected \"Name: value\" or an empty line before the body");
    fields.emplace_back(std::string(line.substr(0, colon)), trim(line.substr(colon + 1)));
  }
  if (!blank_seen) return error("no empty line between the headers and the body");
  mime::Draft d = draft;
  d.to.clear();
  d.cc.clear();
  d.bcc.clear();
  d.reply_to.clear();
  d.subject.clear();
  for (const auto& [name, value] : fields) {
    std::vector<mime::DraftAddress>* list = nullptr;
    if (iequals(name, "To"))
      list = &d.to;
    else if (iequals(name, "Cc"))
      list = &d.cc;
    else if (iequals(name, "Bcc"))
      list = &d.bcc;
    else if (iequals(name, "Reply-To"))
      list = &d.reply_to;
    else if (iequals(name, "Subject")) {
      d.subject = value;
      continue;
    } else if (iequals(name, "From")) {
      continue;  // the account's; shown for information
    } else {
      return error("unknown header \"" + name +
                   "\" (the template takes To, Cc, Bcc, Reply-To and Subject)");
    }
    auto parsed = parse_recipients(value);
    if (!parsed) return error(name + ": " + parsed.error().text);
    list->insert(list->end(), parsed->begin(), parsed->end());
  }
  std::string body(text.substr(pos));
  if (trim(body).empty()) return error("empty message: nothing was sent");
  d.text = std::move(body);
  draft = std::move(d);
  return true;
}

std::string detect_media_type(std::string_view filename, std::string_view content) {
  std::string by_name = mime::media_type_for_filename(filename);
  if (by_name != "application/octet-stream") return by_name;
  auto has = [&](std::string_view magic, std::size_t at = 0) {
    return content.size() >= at + magic.size() && content.substr(at, magic.size()) == magic;
  };
  using namespace std::string_view_literals;
  if (has("%PDF-")) return "application/pdf";
  if (has("\x89PNG\r\n\x1a\n"sv)) return "image/png";
  if (has("\xff\xd8\xff"sv)) return "image/jpeg";
  if (has("GIF87a") || has("GIF89a")) return "image/gif";
  if (has("RIFF") && has("WEBP", 8)) return "image/webp";
  if (has("PK\x03\x04"sv)) return "application/zip";
  if (has("\x1f\x8b"sv)) return "application/gzip";
  if (has("-----BEGIN PGP ")) return "application/pgp-keys";
  std::string_view head = content.substr(0, std::min<std::size_t>(content.size(), 64 * 1024));
  // A valid-UTF-8 check of a prefix may cut a sequence: drop up to 3 trailing octets.
  std::size_t cut = head.size();
  if (head.size() < content.size())
    while (cut > 0 && head.size() - cut < 3 &&
           (static_cast<unsigned char>(head[cut - 1]) & 0xC0) == 0x80)
      --cut;
  if (head.size() < content.size() && cut > 0 && static_cast<unsigned char>(head[cut - 1]) >= 0xC0)
    --cut;
  head = head.substr(0, cut);
  if (!content.empty() && head.find('\0') == std::string_view::npos && mime::is_valid_utf8(head))
    return "text/plain";
  return "application/octet-stream";
}

}  // namespace estafeta::mua
