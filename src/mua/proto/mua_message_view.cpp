// mua_message_view: the readable form of a message for `mail read` (see the header).
#include "mua/proto/mua_message_view.hpp"

#include <cstdio>

#include "mime/mime_address.hpp"
#include "mime/mime_body.hpp"
#include "mime/mime_charset.hpp"
#include "mime/mime_content_type.hpp"
#include "mime/mime_date.hpp"
#include "mime/mime_encoded_word.hpp"
#include "mime/mime_html_text.hpp"
#include "mime/mime_parser.hpp"

namespace estafeta::mua {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// A header value with its folds removed and surrounding space trimmed.
std::string unfold(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\r' || c == '\n') continue;
    out += c == '\t' ? ' ' : c;
  }
  const std::size_t b = out.find_first_not_of(' ');
  if (b == std::string::npos) return "";
  const std::size_t e = out.find_last_not_of(' ');
  return out.substr(b, e - b + 1);
}

// Strips anything a terminal would act on (ESC sequences, other C0/C1 controls but tab and
// newline): the text comes from a stranger and is printed to a terminal.
std::string printable(std::string_view text) {
  // Valid UTF-8 first: taking a control out of invalid input could join a stray 0xC2 to the
  // byte after it into a new C1 control (found by fuzz_mua_message_view).
  std::string utf8;
  mime::append_utf8_sanitized(text, utf8);
  std::string out;
  out.reserve(utf8.size());
  for (std::size_t i = 0; i < utf8.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(utf8[i]);
    if (c == '\r') continue;
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) continue;
    if (c == 0xc2 && i + 1 < utf8.size() && static_cast<unsigned char>(utf8[i + 1]) >= 0x80 &&
        static_cast<unsigned char>(utf8[i + 1]) <= 0x9f) {
      ++i;  // a C1 control (U+0080..U+009F)
      continue;
    }
    out += static_cast<char>(c);
  }
  return out;
}

std::string one_line(std::string_view s) {
  std::string out = printable(s);
  for (char& c : out)
    if (c == '\n' || c == '\t') c = ' ';
  return out;
}

std::vector<ViewAddress> addresses(const mime::Message& m, const mime::Part& p,
                                   std::string_view field) {
  std::vector<ViewAddress> out;
  const mime::HeaderField* f = m.find_field(p, field);
  if (!f) return out;
  for (const auto& a : mime::mailboxes(mime::parse_address_list(f->value, 1000))) {
    ViewAddress v;
    v.name = one_line(mime::decoded_name(a));  // decoded_name gives valid UTF-8
    std::string sanitized;
    mime::append_utf8_sanitized(a.addr_spec(), sanitized);
    v.address = one_line(sanitized);
    out.push_back(std::move(v));
  }
  return out;
}

std::string media_type(const mime::Part& p) {
  if (p.type.empty()) return "text/plain";  // RFC 2045 §5.2
  return lower(p.type) + "/" + lower(p.subtype);
}

std::string disposition(const mime::Message& m, const mime::Part& p) {
  const mime::HeaderField* f = m.find_field(p, "Content-Disposition");
  if (!f) return "";
  return lower(mime::parse_disposition(f->value).type);
}

std::string two_digits(int n) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d", n);
  return buf;
}

}  // namespace

std::string terminal_line(std::string_view text) {
  std::string valid;
  mime::append_utf8_sanitized(text, valid);
  return one_line(valid);
}

std::string ViewAddress::display() const {
  if (name.empty()) return address;
  if (address.empty()) return name;
  return name + " <" + address + ">";
}

std::string iso_date(std::int64_t unix_seconds, int zone_minutes) {
  const mime::DateTime d = mime::date_from_unix(unix_seconds, zone_minutes);
  const int z = zone_minutes < 0 ? -zone_minutes : zone_minutes;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", d.year, d.month, d.day,
                d.hour, d.minute, d.second, zone_minutes < 0 ? '-' : '+', z / 60, z % 60);
  return buf;
}

std::string safe_file_name(std::string_view wanted, std::size_t index,
                           std::string_view content_type) {
  const std::size_t slash = wanted.find_last_of("/\\");
  if (slash != std::string_view::npos) wanted.remove_prefix(slash + 1);
  std::string valid;
  mime::append_utf8_sanitized(wanted, valid);
  std::string name;
  for (char ch : printable(valid)) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == ':' || c == '*' || c == '?' || c == '"' || c == '<' || c == '>' ||
        c == '|')
      name += '_';
    else
      name += ch;
  }
  const std::size_t start = name.find_first_not_of(". ");
  name = start == std::string::npos ? "" : name.substr(start);
  while (!name.empty() && (name.back() == ' ' || name.back() == '.')) name.pop_back();
  if (name.size() > 200) {
    std::size_t cut = 200;
    while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xc0) == 0x80) --cut;
    name.resize(cut);
  }
  if (!name.empty()) return name;
  static const std::pair<const char*, const char*> kExt[] = {
      {"application/pdf", ".pdf"}, {"image/png", ".png"},      {"image/jpeg", ".jpg"},
      {"image/gif", ".gif"},       {"text/plain", ".txt"},     {"text/html", ".html"},
      {"message/rfc822", ".eml"},  {"application/zip", ".zip"}};
  std::string ext = ".bin";
  for (const auto& [type, e] : kExt)
    if (content_type == type) ext = e;
  return "attachment-" + std::to_string(index) + ext;
}

MessageView view_message(const mime::Message& m) {
  MessageView v;
  if (m.parts.empty()) return v;
  const mime::Part& root = m.root();
  v.from = addresses(m, root, "From");
  v.to = addresses(m, root, "To");
  v.cc = addresses(m, root, "Cc");
  v.reply_to = addresses(m, root, "Reply-To");
  if (const auto* f = m.find_field(root, "Subject"))
    v.subject = one_line(mime::decode_encoded_words(f->value));
  if (const auto* f = m.find_field(root, "Date")) {
    v.date = one_line(unfold(f->value));
    if (auto d = mime::parse_date(f->value)) v.date_unix = d->to_unix();
  }
  if (const auto* f = m.find_field(root, "Message-ID")) v.message_id = one_line(unfold(f->value));

  // Pre-order walk without descending into embedded messages (they are attachments).
  std::vector<std::uint32_t> leaves;
  std::vector<std::uint32_t> stack{0};
  while (!stack.empty()) {
    const std::uint32_t i = stack.back();
    stack.pop_back();
    const mime::Part& p = m.parts[i];
    if (p.kind == mime::PartKind::multipart) {
      std::vector<std::uint32_t> children;
      for (std::uint32_t c = p.first_child; c != mime::kNoPart; c = m.parts[c].next_sibling)
        children.push_back(c);
      for (auto it = children.rbegin(); it != children.rend(); ++it) stack.push_back(*it);
      continue;
    }
    if (p.kind == mime::PartKind::message && i == 0) {  // cannot happen for a root; be safe
      continue;
    }
    leaves.push_back(i);  // a leaf, or an embedded message taken whole
  }

  auto is_attachment = [&](std::uint32_t i) {
    const mime::Part& p = m.parts[i];
    if (p.kind == mime::PartKind::message) return true;
    if (disposition(m, p) == "attachment") return true;
    if (!mime::part_filename(m, p).empty()) return true;
    return !p.has(mime::kPartText);
  };
  for (const char* wanted : {"text/plain", "text/html"}) {
    for (std::uint32_t i : leaves) {
      if (is_attachment(i) || media_type(m.parts[i]) != wanted) continue;
      v.text_part = i;
      v.text_source = wanted;
      break;
    }
    if (v.text_part != mime::kNoPart) break;
  }
  if (v.text_part != mime::kNoPart) {
    const std::string body = mime::text_body_utf8(m, m.parts[v.text_part]);
    v.text = printable(v.text_source == "text/html" ? mime::html_to_text(body) : body);
    if (v.text_source == "text/html") {  // block tags leave blank lines at the edges
      const std::size_t b = v.text.find_first_not_of("\n ");
      v.text = b == std::string::npos ? std::string() : v.text.substr(b);
      while (v.text.size() > 1 && v.text.back() == '\n' && v.text[v.text.size() - 2] == '\n')
        v.text.pop_back();
    }
  }
  for (std::uint32_t i : leaves) {
    if (i == v.text_part) continue;
    const mime::Part& p = m.parts[i];
    // Alternative text bodies and inline text are not attachments.
    if (!is_attachment(i)) continue;
    ViewAttachment a;
    a.index = v.attachments.size() + 1;
    a.part = i;
    a.content_type = media_type(p);
    a.filename = one_line(mime::part_filename(m, p));
    a.safe_name = safe_file_name(a.filename, a.index, a.content_type);
    a.size = attachment_bytes(m, a).size();
    v.attachments.push_back(std::move(a));
  }
  return v;
}

std::string attachment_bytes(const mime::Message& m, const ViewAttachment& a) {
  const mime::Part& p = m.parts[a.part];
  std::string out;
  if (p.kind == mime::PartKind::message || !mime::decode_body(m, p, out)) {
    out.assign(m.body_bytes(p));
  }
  return out;
}

HeaderSummary summarize_header(std::string_view header) {
  HeaderSummary s;
  const mime::Message m = mime::parse(header);
  if (m.parts.empty()) return s;
  auto from = addresses(m, m.root(), "From");
  if (!from.empty()) s.from = from.front();
  s.from.name = one_line(s.from.name);
  s.from.address = one_line(s.from.address);
  if (const auto* f = m.find_field(m.root(), "Subject"))
    s.subject = one_line(mime::decode_encoded_words(f->value));
  if (const auto* f = m.find_field(m.root(), "Date")) {
    if (auto d = mime::parse_date(f->value)) {
      s.date_unix = d->to_unix();
      s.date = std::to_string(d->year) + "-" + two_digits(d->month) + "-" + two_digits(d->day) +
               " " + two_digits(d->hour) + ":" + two_digits(d->minute);
    }
  }
  return s;
}

}  // namespace estafeta::mua
