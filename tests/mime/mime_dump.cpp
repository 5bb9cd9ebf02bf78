// mime_dump: prints what estafeta_mime makes of a message as one JSON object, for the
// differential test against Python's email package (test_mime_differential.py): the part
// tree with media types and decoded bodies, every header field raw and decoded, and the
// parsed addresses, dates and message identifiers. Input: a file named on the command line
// (untrusted test data; read whole into memory). Raw bytes >= 0x80 in raw header values are
// written as \u00XX (one escape per byte) so the JSON stays valid; decoded text is UTF-8.
#include <cstdio>
#include <fstream>
#include <iterator>
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
#include "mime/mime_imap_section.hpp"
#include "mime/mime_parser.hpp"

using namespace estafeta;
using namespace estafeta::mime;

namespace {

void json_string(std::string& out, std::string_view s, bool bytes_as_latin1) {
  // Text that should be UTF-8 but is not (8-bit junk in addresses or parameter names) is
  // written byte by byte too, so the JSON stays valid.
  if (!bytes_as_latin1 && !is_valid_utf8(s)) bytes_as_latin1 = true;
  static const char hex[] = "0123456789abcdef";
  out.push_back('"');
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (c < 0x20 || c == 0x7f || (c >= 0x80 && bytes_as_latin1)) {
      out += "\\u00";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    } else {
      out.push_back(ch);
    }
  }
  out.push_back('"');
}

std::string lower(std::string_view s) {
  std::string o(s);
  for (char& c : o)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return o;
}

void addresses(std::string& out, std::string_view raw) {
  out.push_back('[');
  bool first = true;
  for (const Address& a : parse_address_list(raw)) {
    if (a.kind != Address::Kind::mailbox) continue;
    if (!first) out.push_back(',');
    first = false;
    out.push_back('[');
    json_string(out, decoded_name(a), false);
    out.push_back(',');
    json_string(out, a.addr_spec(), false);
    out += a.invalid ? ",true]" : ",false]";
  }
  out.push_back(']');
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: mime_dump FILE\n");
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot open %s\n", argv[1]);
    return 2;
  }
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Message m = parse(data);
  std::string out = "{\"limits_hit\":";
  out += m.limits_hit ? "true" : "false";
  out += ",\"bodystructure\":";
  json_string(out, imap_bodystructure(m), true);
  BodystructureOptions body_only;
  body_only.extended = false;
  out += ",\"body\":";
  json_string(out, imap_bodystructure(m, 0, body_only), true);
  out += ",\"envelope\":";
  json_string(out, imap_envelope(m), true);
  out += ",\"parts\":[";
  for (std::size_t i = 0; i < m.parts.size(); ++i) {
    const Part& p = m.parts[i];
    if (i > 0) out.push_back(',');
    // RFC 2045 §5.2: a missing or invalid Content-Type means text/plain (message/rfc822 in
    // a digest, set by the parser).
    std::string ct = "text/plain";
    if (!p.type.empty() && !p.subtype.empty()) ct = lower(p.type) + "/" + lower(p.subtype);
    out += "{\"content_type\":";
    json_string(out, ct, true);
    out += ",\"kind\":\"";
    out += p.kind == PartKind::multipart ? "multipart" : p.kind == PartKind::message ? "message" : "leaf";
    out += "\",\"parent\":";
    out += p.parent == kNoPart ? "null" : std::to_string(p.parent);
    out += ",\"flags\":" + std::to_string(p.flags);
    out += ",\"header_size\":" + std::to_string(p.header.size);
    out += ",\"body_size\":" + std::to_string(p.body.size);
    out += ",\"body_lines\":" + std::to_string(p.body.lines);
    std::string params_json = "{";
    bool firstp = true;
    for (const Parameter& prm : decoded_parameters(p.content_type_params)) {
      if (!firstp) params_json.push_back(',');
      firstp = false;
      json_string(params_json, prm.name, false);
      params_json.push_back(':');
      json_string(params_json, prm.value, false);
    }
    params_json.push_back('}');
    out += ",\"params\":" + params_json;
    if (const HeaderField* cd = m.find_field(p, "Content-Disposition")) {
      DispositionValue dv = parse_disposition(cd->value);
      out += ",\"disposition\":";
      json_string(out, lower(dv.type), true);
      for (const Parameter& prm : decoded_parameters(dv.params))
        if (prm.name == "filename") {
          out += ",\"filename\":";
          json_string(out, prm.value, false);
          break;
        }
    }
    out += ",\"headers\":[";
    bool firsth = true;
    for (const HeaderField& f : m.fields_of(p)) {
      if (!firsth) out.push_back(',');
      firsth = false;
      out.push_back('[');
      json_string(out, f.name, true);
      out.push_back(',');
      json_string(out, f.value, true);
      out.push_back(',');
      json_string(out, decoded_value(f.value), false);
      out.push_back(']');
    }
    out += "]";
    for (const char* name : {"From", "To", "Cc", "Bcc", "Reply-To", "Sender"}) {
      if (const HeaderField* f = m.find_field(p, name)) {
        out += ",\"addr_" + lower(name) + "\":";
        addresses(out, f->value);
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
        bool firsti = true;
        for (const std::string& id : parse_message_ids(f->value)) {
          if (!firsti) out.push_back(',');
          firsti = false;
          json_string(out, id, true);
        }
        out += "]";
      }
    }
    if (p.kind == PartKind::leaf) {
      // The decoded body, as BINARY[] would deliver it.
      std::string body;
      if (!decode_body(m, p, body)) body.assign(m.body_bytes(p));
      out += ",\"body_b64\":";
      json_string(out, base64::encode(body), false);
    }
    out.push_back('}');
  }
  out += "]}\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}
