// smime_entity: see smime_entity.hpp.
#include "smime/smime_entity.hpp"

#include "base/base64.hpp"
#include "base/quoted_printable.hpp"
#include "mime/mime_downgrade.hpp"
#include "mime/mime_parser.hpp"

namespace estafeta::smime {

namespace {

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && mime::iequals(s.substr(0, prefix.size()), prefix);
}

}  // namespace

std::string to_crlf(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 32);
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) out += '\r';
    out += s[i];
  }
  return out;
}

Result<SplitMessage> split_message(std::string_view message, bool make_7bit) {
  std::string converted;
  if (make_7bit) {
    auto d = mime::downgrade_to_7bit(message);
    if (d.status == mime::Downgrade::Status::impossible)
      return PeerError{554, "5.6.3", "cannot make the message 7-bit for signing: " + d.reason};
    if (d.status == mime::Downgrade::Status::converted) {
      converted = std::move(d.message);
      message = converted;
    }
  }
  auto m = mime::parse(message);
  const auto& root = m.root();
  if (root.has(mime::kPartHeaderTruncated))
    return PeerError{554, "5.6.0", "the message header is too large to sign or encrypt"};
  SplitMessage out;
  std::string content_fields;
  for (const auto& f : m.fields_of(root)) {
    if (mime::iequals(f.name, "MIME-Version")) continue;
    if (starts_with_ci(f.name, "Content-") && !root.has(mime::kPartNotMime))
      content_fields += f.raw;
    else
      out.outer += f.raw;
  }
  if (!root.has(mime::kPartHasContentType))
    content_fields = "Content-Type: text/plain; charset=us-ascii\r\n" + content_fields;
  out.outer = to_crlf(out.outer);
  if (!out.outer.empty() && out.outer.back() != '\n') out.outer += "\r\n";
  out.entity = to_crlf(content_fields);
  if (!out.entity.empty() && out.entity.back() != '\n') out.entity += "\r\n";
  out.entity += "\r\n";
  out.entity += to_crlf(m.body_bytes(root));
  return out;
}

namespace {

// A line a transport may change: "From " at its start, white space at its end, or just ".".
bool fragile(std::string_view body) {
  std::size_t pos = 0;
  while (pos <= body.size()) {
    std::size_t nl = body.find('\n', pos);
    std::string_view line = body.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.substr(0, 5) == "From " || line == ".") return true;
    if (!line.empty() && (line.back() == ' ' || line.back() == '\t')) return true;
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return false;
}

}  // namespace

std::string protect_for_signing(std::string_view entity) {
  // Parsed with a MIME-Version in front, so that the entity's Content-* fields count.
  static constexpr std::string_view kPrefix = "MIME-Version: 1.0\r\n";
  std::string data(kPrefix);
  data += entity;
  auto m = mime::parse(data);
  std::string out = data;
  // Back to front, so the offsets of the parts still to do stay right.
  for (std::size_t k = m.parts.size(); k-- > 0;) {
    const auto& p = m.parts[k];
    if (p.kind != mime::PartKind::leaf || p.encoding != mime::TransferEncoding::seven_bit) continue;
    std::string_view body = m.body_bytes(p);
    if (!fragile(body)) continue;
    std::string header;
    for (const auto& f : m.fields_of(p))
      if (!mime::iequals(f.name, "Content-Transfer-Encoding")) header += f.raw;
    if (!header.empty() && header.back() != '\n') header += "\r\n";
    header += "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
    std::string encoded = qp::encode(body, qp::LineBreaks::text);
    out.replace(p.header.offset, p.body.end() - p.header.offset, header + encoded);
  }
  return out.substr(kPrefix.size());
}

std::string pkcs7_mime_message(std::string_view outer, std::string_view smime_type,
                               std::string_view der) {
  std::string out(outer);
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: application/pkcs7-mime; smime-type=";
  out += smime_type;
  out += ";\r\n name=\"smime.p7m\"\r\n";
  out += "Content-Transfer-Encoding: base64\r\n";
  out += "Content-Disposition: attachment; filename=\"smime.p7m\"\r\n";
  out += "\r\n";
  out += base64::encode(der, 76);
  out += "\r\n";
  return out;
}

std::string join_outer(std::string_view outer, std::string_view entity) {
  std::string out(outer);
  if (!out.empty() && out.back() != '\n') out += "\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += entity;
  return out;
}

}  // namespace estafeta::smime
