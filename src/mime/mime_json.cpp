// mime_json: a parsed message as one JSON object (layout in mime_json.hpp). Input is a parsed
// untrusted message; every string goes through append_json_string so the output stays valid
// JSON whatever bytes the message holds. Memory: the output string only.
#include "mime/mime_json.hpp"

#include <string>

#include "base/base64.hpp"
#include "mime/mime_address.hpp"
#include "mime/mime_body.hpp"
#include "mime/mime_charset.hpp"
#include "mime/mime_content_type.hpp"
#include "mime/mime_date.hpp"
#include "mime/mime_header.hpp"
#include "mime/mime_imap_bodystructure.hpp"
#include "mime/mime_imap_envelope.hpp"

namespace estafeta::mime {

namespace {

std::string lower(std::string_view s) {
  std::string o(s);
  for (char& c : o)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return o;
}

// [[display name, addr-spec, invalid], ...] for the mailboxes of an address field (group
// markers are left out).
void append_addresses(std::string& out, std::string_view raw) {
  out.push_back('[');
  bool first = true;
  for (const Address& a : parse_address_list(raw)) {
    if (a.kind != Address::Kind::mailbox) continue;
    if (!first) out.push_back(',');
    first = false;
    out.push_back('[');
    append_json_string(out, decoded_name(a), false);
    out.push_back(',');
    append_json_string(out, a.addr_spec(), false);
    out += a.invalid ? ",true]" : ",false]";
  }
  out.push_back(']');
}

std::string_view kind_name(PartKind k) {
  switch (k) {
    case PartKind::multipart:
      return "multipart";
    case PartKind::message:
      return "message";
    case PartKind::leaf:
      break;
  }
  return "leaf";
}

void append_part(std::string& out, const Message& m, const Part& p, const JsonOptions& o) {
  // RFC 2045 §5.2: a missing or invalid Content-Type means text/plain (message/rfc822 in a
  // digest, set by the parser).
  std::string ct = "text/plain";
  if (!p.type.empty() && !p.subtype.empty()) ct = lower(p.type) + "/" + lower(p.subtype);
  out += "{\"content_type\":";
  append_json_string(out, ct, true);
  out += ",\"kind\":\"";
  out += kind_name(p.kind);
  out += "\",\"parent\":";
  out += p.parent == kNoPart ? "null" : std::to_string(p.parent);
  out += ",\"flags\":" + std::to_string(p.flags);
  out += ",\"header_size\":" + std::to_string(p.header.size);
  out += ",\"body_size\":" + std::to_string(p.body.size);
  out += ",\"body_lines\":" + std::to_string(p.body.lines);
  out += ",\"params\":{";
  bool first_param = true;
  for (const Parameter& prm : decoded_parameters(p.content_type_params)) {
    if (!first_param) out.push_back(',');
    first_param = false;
    append_json_string(out, prm.name, false);
    out.push_back(':');
    append_json_string(out, prm.value, false);
  }
  out.push_back('}');
  if (const HeaderField* cd = m.find_field(p, "Content-Disposition")) {
    DispositionValue dv = parse_disposition(cd->value);
    out += ",\"disposition\":";
    append_json_string(out, lower(dv.type), true);
    for (const Parameter& prm : decoded_parameters(dv.params))
      if (prm.name == "filename") {
        out += ",\"filename\":";
        append_json_string(out, prm.value, false);
        break;
      }
  }
  out += ",\"headers\":[";
  bool first_field = true;
  for (const HeaderField& f : m.fields_of(p)) {
    if (!first_field) out.push_back(',');
    first_field = false;
    out.push_back('[');
    append_json_string(out, f.name, true);
    out.push_back(',');
    append_json_string(out, f.value, true);
    out.push_back(',');
    append_json_string(out, decoded_value(f.value), false);
    out.push_back(']');
  }
  out += "]";
  for (const char* name : {"From", "To", "Cc", "Bcc", "Reply-To", "Sender"}) {
    if (const HeaderField* f = m.find_field(p, name)) {
      out += ",\"addr_" + lower(name) + "\":";
      append_addresses(out, f->value);
    }
  }
  if (const HeaderField* f = m.find_field(p, "Date")) {
    auto d = parse_date(f->value);
    out += ",\"date\":";
    out += d ? std::to_string(d->to_unix()) : "null";
  }
  for (const char* name : {"Message-ID", "In-Reply-To", "References"}) {
    if (const HeaderField* f = m.find_field(p, name)) {
      out += ",\"ids_" + lower(name) + "\":[";
      bool first_id = true;
      for (const std::string& id : parse_message_ids(f->value)) {
        if (!first_id) out.push_back(',');
        first_id = false;
        append_json_string(out, id, true);
      }
      out += "]";
    }
  }
  if (o.bodies && p.kind == PartKind::leaf) {
    // The decoded body, as BINARY[] would deliver it (RFC 3516); the raw bytes when the
    // transfer encoding is unknown.
    std::string body;
    if (!decode_body(m, p, body)) body.assign(m.body_bytes(p));
    out += ",\"body_b64\":";
    append_json_string(out, base64::encode(body), false);
  }
  out.push_back('}');
}

}  // namespace

void append_json_string(std::string& out, std::string_view s, bool bytes_as_latin1) {
  // Text that should be UTF-8 but is not (8-bit junk in addresses or parameter names) is
  // written byte by byte too, so the JSON stays valid.
  if (!bytes_as_latin1 && !is_valid_utf8(s)) bytes_as_latin1 = true;
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (c < 0x20 || c == 0x7f || (c >= 0x80 && bytes_as_latin1)) {
      out += "\\u00";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(ch);
    }
  }
  out.push_back('"');
}

std::string message_to_json(const Message& m, JsonOptions o) {
  std::string out = "{\"limits_hit\":";
  out += m.limits_hit ? "true" : "false";
  out += ",\"bodystructure\":";
  append_json_string(out, imap_bodystructure(m), true);
  BodystructureOptions body_only;
  body_only.extended = false;
  out += ",\"body\":";
  append_json_string(out, imap_bodystructure(m, 0, body_only), true);
  out += ",\"envelope\":";
  append_json_string(out, imap_envelope(m), true);
  out += ",\"parts\":[";
  for (std::size_t i = 0; i < m.parts.size(); ++i) {
    if (i > 0) out.push_back(',');
    append_part(out, m, m.parts[i], o);
  }
  out += "]}";
  return out;
}

}  // namespace estafeta::mime
