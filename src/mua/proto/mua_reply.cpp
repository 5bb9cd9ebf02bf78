// mua_reply: see mua_reply.hpp.
#include "mua/proto/mua_reply.hpp"

#include <algorithm>
#include <cctype>

#include "mime/mime_address.hpp"
#include "mime/mime_body.hpp"
#include "mime/mime_content_type.hpp"
#include "mime/mime_date.hpp"
#include "mime/mime_downgrade.hpp"
#include "mime/mime_header.hpp"
#include "mime/mime_html_text.hpp"
#include "mime/mime_parser.hpp"

namespace estafeta::mua {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return lower(a) == lower(b);
}

std::string_view trim_left(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

// Removes one reply or forward prefix ("Re:", "Re[3]:", "Fwd:", ...) if `s` starts with one;
// true when it did.
bool strip_prefix(std::string_view& s, bool reply_only) {
  std::string_view t = trim_left(s);
  std::size_t n = 0;
  while (n < t.size() && n < 4 && std::isalpha(static_cast<unsigned char>(t[n]))) ++n;
  std::string word = lower(t.substr(0, n));
  bool is_reply = word == "re" || word == "aw" || word == "sv";
  bool is_forward = word == "fwd" || word == "fw";
  if (!is_reply && !(is_forward && !reply_only)) return false;
  std::size_t i = n;
  if (i < t.size() && t[i] == '[') {  // "Re[2]:"
    std::size_t close = t.find(']', i);
    if (close == std::string_view::npos || close - i > 4) return false;
    i = close + 1;
  }
  if (i >= t.size() || t[i] != ':') return false;
  s = trim_left(t.substr(i + 1));
  return true;
}

std::string field(const mime::Message& m, std::string_view name) {
  const mime::HeaderField* f = m.find_field(m.root(), name);
  return f ? std::string(f->value) : std::string();
}

std::vector<mime::DraftAddress> addresses(const mime::Message& m, std::string_view name) {
  std::vector<mime::DraftAddress> out;
  const mime::HeaderField* f = m.find_field(m.root(), name);
  if (!f) return out;
  for (const auto& a : mime::mailboxes(mime::parse_address_list(f->value))) {
    if (a.local.empty() || a.domain.empty()) continue;
    out.push_back({mime::decoded_name(a), a.addr_spec()});
  }
  return out;
}

bool is_attachment(const mime::Message& m, const mime::Part& p) {
  const mime::HeaderField* cd = m.find_field(p, "Content-Disposition");
  if (cd && lower(trim_left(cd->value)).rfind("attachment", 0) == 0) return true;
  if (!mime::part_filename(m, p).empty()) return true;
  return !p.has(mime::kPartText);
}

struct Body {
  std::string text;
  bool flowed = false, delsp = false;
};

// The first text/plain leaf that is not an attachment, else the first text/html one as
// text. Embedded messages are not entered.
Body text_of(const mime::Message& m) {
  const mime::Part* html = nullptr;
  for (std::size_t i = 0; i < m.parts.size(); ++i) {
    const mime::Part& p = m.parts[i];
    if (p.kind != mime::PartKind::leaf) continue;
    bool inside_message = false;
    for (std::uint32_t up = p.parent; up != mime::kNoPart; up = m.parts[up].parent)
      if (m.parts[up].kind == mime::PartKind::message) inside_message = true;
    if (inside_message || !p.has(mime::kPartText)) continue;
    if (p.type.size() && !iequals(p.type, "text")) continue;
    if (p.has(mime::kPartHasContentType) && is_attachment(m, p)) continue;
    bool plain = p.subtype.empty() || iequals(p.subtype, "plain");
    if (plain) {
      Body b;
      b.text = mime::text_body_utf8(m, p);
      std::string params = lower(p.content_type_params);
      b.flowed = params.find("format=flowed") != std::string::npos ||
                 params.find("format=\"flowed\"") != std::string::npos;
      b.delsp = params.find("delsp=yes") != std::string::npos;
      return b;
    }
    if (!html && iequals(p.subtype, "html")) html = &p;
  }
  Body b;
  if (html) b.text = mime::html_to_text(mime::text_body_utf8(m, *html));
  return b;
}

std::string name_of(const std::vector<mime::DraftAddress>& from) {
  if (from.empty()) return "someone";
  return from.front().name.empty() ? from.front().address : from.front().name;
}

std::string list_text(const std::vector<mime::DraftAddress>& l) {
  std::string out;
  for (const auto& a : l) {
    if (!out.empty()) out += ", ";
    out += a.name.empty() ? a.address : a.name + " <" + a.address + ">";
  }
  return out;
}

std::string angle(const std::string& id) {
  return "<" + id + ">";
}

// The Message-ID without its angle brackets, "" when none.
std::string message_id_of(const mime::Message& m) {
  std::string id(mime::first_message_id(field(m, "Message-ID")));
  if (id.size() >= 2 && id.front() == '<' && id.back() == '>') id = id.substr(1, id.size() - 2);
  return id;
}

// RFC 5322 §3.6.4: the parent's References (else its In-Reply-To when that is one id),
// then the parent's Message-ID. Trimmed to the first id and the last ones.
std::vector<std::string> references_of(const mime::Message& m, const std::string& message_id) {
  std::vector<std::string> ids = mime::parse_message_ids(field(m, "References"));
  if (ids.empty()) {
    auto irt = mime::parse_message_ids(field(m, "In-Reply-To"));
    if (irt.size() == 1) ids = irt;
  }
  if (!message_id.empty()) ids.push_back(message_id);
  if (ids.size() > kMaxReferences) {
    std::vector<std::string> kept{ids.front()};
    kept.insert(kept.end(), ids.end() - static_cast<std::ptrdiff_t>(kMaxReferences - 1), ids.end());
    ids = std::move(kept);
  }
  return ids;
}

std::string attribution(const mime::Message& m, const std::vector<mime::DraftAddress>& from) {
  std::string date = mime::unfolded_value(field(m, "Date"));
  if (auto d = mime::parse_date(field(m, "Date"))) date = mime::format_date(*d);
  return (date.empty() ? std::string("") : "On " + date + ", ") + name_of(from) + " wrote:\n";
}

bool same_address(const std::string& a, const std::string& b) {
  return iequals(a, b);
}

void add_unique(std::vector<mime::DraftAddress>& list, const mime::DraftAddress& a,
                const std::vector<std::string>& excluded) {
  for (const auto& e : excluded)
    if (same_address(e, a.address)) return;
  for (const auto& x : list)
    if (same_address(x.address, a.address)) return;
  list.push_back(a);
}

}  // namespace

std::string reply_subject(std::string_view subject) {
  std::string_view s = subject;
  for (int i = 0; i < 10 && strip_prefix(s, true);) ++i;
  return "Re: " + std::string(s);
}

std::string forward_subject(std::string_view subject) {
  std::string_view s = trim_left(subject);
  std::string w = lower(s.substr(0, 3));
  std::string_view t = s;
  if ((w == "fwd" || w.substr(0, 2) == "fw") && strip_prefix(t, false)) return std::string(s);
  // "Re: Re: x" is forwarded as "Fwd: Re: x".
  bool was_reply = false;
  for (int i = 0; i < 10 && strip_prefix(t, true); ++i) was_reply = true;
  return (was_reply ? "Fwd: Re: " : "Fwd: ") + std::string(t);
}

std::string quote_text(std::string_view text, bool flowed, bool delsp) {
  // Split into lines (LF or CRLF).
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.emplace_back(line);
  }
  if (flowed) {
    // RFC 3676 §4.2: a line ending in a space (not the signature separator "-- ") continues
    // on the next one with the same quote depth; space-stuffing is undone.
    std::vector<std::string> joined;
    std::string cur;
    bool open = false;
    for (std::string line : lines) {
      if (!line.empty() && line.front() == ' ') line.erase(0, 1);
      bool soft = !line.empty() && line.back() == ' ' && line != "-- ";
      if (soft && delsp) line.pop_back();
      cur += line;
      open = soft;
      if (!soft) {
        joined.push_back(cur);
        cur.clear();
      }
    }
    if (open) joined.push_back(cur);
    lines = std::move(joined);
  }
  std::string out;
  for (const auto& line : lines) {
    if (line.empty())
      out += ">\n";
    else if (line.front() == '>')
      out += ">" + line + "\n";
    else
      out += "> " + line + "\n";
  }
  return out;
}

mime::Draft build_reply(std::string_view original, const mime::DraftAddress& from,
                        const ReplyOptions& options) {
  mime::Message m = mime::parse(original);
  mime::Draft d;
  d.from = from;
  std::vector<std::string> own{options.own_address};
  own.insert(own.end(), options.own_aliases.begin(), options.own_aliases.end());
  auto orig_from = addresses(m, "From");
  auto reply_to = addresses(m, "Reply-To");
  auto orig_to = addresses(m, "To");
  auto orig_cc = addresses(m, "Cc");
  bool from_me = !orig_from.empty() && std::any_of(own.begin(), own.end(), [&](const auto& o) {
    return same_address(o, orig_from.front().address);
  });
  // RFC 5322 §3.6.3: replies go to Reply-To when present, else From. A reply to one's own
  // message (from the Sent mailbox) goes to its recipients.
  std::vector<mime::DraftAddress> primary = !reply_to.empty() ? reply_to
                                            : from_me         ? orig_to
                                                              : orig_from;
  for (const auto& a : primary) add_unique(d.to, a, own);
  if (d.to.empty())  // a message to oneself: reply to oneself
    for (const auto& a : primary) add_unique(d.to, a, {});
  if (options.all) {
    for (const auto& a : orig_to) add_unique(d.to, a, own);
    for (const auto& a : orig_cc)
      if (std::none_of(d.to.begin(), d.to.end(),
                       [&](const auto& t) { return same_address(t.address, a.address); }))
        add_unique(d.cc, a, own);
  }
  d.subject = reply_subject(mime::decoded_value(field(m, "Subject")));
  std::string id = message_id_of(m);
  if (!id.empty()) d.headers.emplace_back("In-Reply-To", angle(id));
  auto refs = references_of(m, id);
  if (!refs.empty()) {
    std::string value;
    for (const auto& r : refs) value += (value.empty() ? "" : " ") + angle(r);
    d.headers.emplace_back("References", value);
  }
  Body body = text_of(m);
  d.text = "\n" + attribution(m, orig_from) + quote_text(body.text, body.flowed, body.delsp);
  return d;
}

mime::Draft build_forward(std::string_view original, const mime::DraftAddress& from,
                          bool attach_original) {
  mime::Message m = mime::parse(original);
  mime::Draft d;
  d.from = from;
  std::string subject = mime::decoded_value(field(m, "Subject"));
  d.subject = forward_subject(subject);
  std::string id = message_id_of(m);
  // Not a reply, but the thread is the same: References keeps the forward beside it.
  auto refs = references_of(m, id);
  if (!refs.empty()) {
    std::string value;
    for (const auto& r : refs) value += (value.empty() ? "" : " ") + angle(r);
    d.headers.emplace_back("References", value);
  }
  if (attach_original) {
    mime::DraftAttachment a;
    mime::Downgrade dg = mime::downgrade_to_7bit(original);
    // RFC 2046 §5.2.1: message/rfc822 is 7bit, 8bit or binary, never base64, so an 8-bit
    // original is converted first; one with UTF-8 header fields cannot be, and goes as
    // message/global (RFC 6532 §3.7), which may be encoded.
    a.media_type = "message/rfc822";
    if (dg.status == mime::Downgrade::Status::converted)
      a.content = std::move(dg.message);
    else
      a.content = std::string(original);
    if (dg.status == mime::Downgrade::Status::impossible) a.media_type = "message/global";
    std::string name = subject.empty() ? "message" : subject;
    for (char& c : name)
      if (c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20) c = '_';
    if (name.size() > 100) name.resize(100);
    a.filename = name + ".eml";
    d.attachments.push_back(std::move(a));
    d.text = "\n";
    return d;
  }
  auto orig_from = addresses(m, "From");
  std::string block = "\n\n-------- Forwarded Message --------\n";
  block += "Subject: " + subject + "\n";
  std::string date = mime::unfolded_value(field(m, "Date"));
  if (!date.empty()) block += "Date: " + date + "\n";
  block += "From: " + list_text(orig_from) + "\n";
  auto to = addresses(m, "To");
  if (!to.empty()) block += "To: " + list_text(to) + "\n";
  auto cc = addresses(m, "Cc");
  if (!cc.empty()) block += "Cc: " + list_text(cc) + "\n";
  block += "\n";
  Body body = text_of(m);
  d.text = block + body.text;
  if (!d.text.empty() && d.text.back() != '\n') d.text += "\n";
  // The original's attachments go along (not those inside an embedded message).
  for (const auto& p : m.parts) {
    if (p.kind != mime::PartKind::leaf || &p == &m.root()) continue;
    bool inside_message = false;
    for (std::uint32_t up = p.parent; up != mime::kNoPart; up = m.parts[up].parent)
      if (m.parts[up].kind == mime::PartKind::message) inside_message = true;
    if (inside_message || !is_attachment(m, p)) continue;
    mime::DraftAttachment a;
    a.filename = mime::part_filename(m, p);
    if (!mime::decode_body(m, p, a.content)) continue;
    if (!p.type.empty()) a.media_type = lower(p.type) + "/" + lower(p.subtype);
    d.attachments.push_back(std::move(a));
  }
  return d;
}

}  // namespace estafeta::mua
