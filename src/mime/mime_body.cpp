// mime_body: transfer decoding and charset conversion of part bodies (see mime_body.hpp).
#include "mime/mime_body.hpp"

#include "base/base64.hpp"
#include "base/quoted_printable.hpp"
#include "mime/mime_charset.hpp"
#include "mime/mime_content_type.hpp"

namespace estafeta::mime {

bool decode_body(const Message& m, const Part& p, std::string& out) {
  std::string_view body = m.body_bytes(p);
  if (p.kind != PartKind::leaf) {
    out.append(body);
    return true;
  }
  switch (p.encoding) {
    case TransferEncoding::seven_bit:
    case TransferEncoding::eight_bit:
    case TransferEncoding::binary:
      out.append(body);
      return true;
    case TransferEncoding::base64:
      base64::decode(body, out);
      return true;
    case TransferEncoding::quoted_printable:
      qp::decode(body, out);
      return true;
    case TransferEncoding::unknown:
      break;
  }
  return false;
}

std::string part_charset(const Part& p) {
  for (const Parameter& prm : decoded_parameters(p.content_type_params))
    if (prm.name == "charset" && !prm.value.empty()) return prm.value;
  return p.has(kPartText) ? "us-ascii" : "";
}

std::string part_filename(const Message& m, const Part& p) {
  if (const HeaderField* cd = m.find_field(p, "Content-Disposition")) {
    for (const Parameter& prm : decoded_parameters(parse_disposition(cd->value).params))
      if (prm.name == "filename" && !prm.value.empty()) return prm.value;
  }
  for (const Parameter& prm : decoded_parameters(p.content_type_params))
    if (prm.name == "name" && !prm.value.empty()) return prm.value;
  return {};
}

std::string text_body_utf8(const Message& m, const Part& p) {
  std::string raw;
  std::string out;
  if (!decode_body(m, p, raw)) {
    append_utf8_sanitized(m.body_bytes(p), out);
    return out;
  }
  convert_to_utf8(part_charset(p), raw, out);
  return out;
}

}  // namespace estafeta::mime
