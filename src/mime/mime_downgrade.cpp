// mime_downgrade: 8-bit to 7-bit conversion of a message (see mime_downgrade.hpp).
#include "mime/mime_downgrade.hpp"

#include <algorithm>

#include "base/base64.hpp"
#include "base/quoted_printable.hpp"
#include "mime/mime_parser.hpp"

namespace estafeta::mime {

namespace {

struct Edit {
  std::size_t offset;
  std::size_t size;  // octets replaced (0: an insertion)
  std::string text;
};

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80           ? 1
                    : (c >> 5) == 0x6  ? 2
                    : (c >> 4) == 0xe  ? 3
                    : (c >> 3) == 0x1e ? 4
                                       : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    i += n;
  }
  return true;
}

// Where a new field goes: before the empty line that ends the header.
std::size_t header_insert_point(const Message& m, const Part& p) {
  std::size_t end = p.header.end();
  if (p.has(kPartNoBlankLine)) return end;
  std::string_view h = m.header_bytes(p);
  if (h.size() >= 2 && h.substr(h.size() - 2) == "\r\n") return end - 2;
  if (!h.empty() && h.back() == '\n') return end - 1;
  return end;
}

}  // namespace

bool is_7bit(std::string_view data) {
  return std::none_of(data.begin(), data.end(),
                      [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

Downgrade downgrade_to_7bit(std::string_view data, const Limits& limits) {
  Downgrade out;
  Message m = parse(data, limits);
  out.dkim_signed = m.find_field(m.root(), "DKIM-Signature") != nullptr;
  if (is_7bit(data)) return out;
  auto impossible = [&](std::string why) {
    out.status = Downgrade::Status::impossible;
    out.reason = std::move(why);
    return out;
  };

  std::vector<Edit> edits;
  for (const Part& p : m.parts) {
    if (!is_7bit(m.header_bytes(p)))
      return impossible("8-bit octets in a header field (the message needs SMTPUTF8)");
    if (p.kind != PartKind::leaf) continue;
    std::string_view body = m.body_bytes(p);
    bool eight = !is_7bit(body);
    if (p.encoding == TransferEncoding::base64 ||
        p.encoding == TransferEncoding::quoted_printable) {
      if (eight) return impossible("8-bit octets in a part labelled base64 or quoted-printable");
      continue;
    }
    if (!eight && p.encoding != TransferEncoding::binary) continue;
    bool text = p.has(kPartText);
    // The header: the encoding field replaced, or added (with MIME-Version and a
    // Content-Type when the message was not MIME at all, RFC 2045 §4).
    std::string field = text ? "Content-Transfer-Encoding: quoted-printable\r\n"
                             : "Content-Transfer-Encoding: base64\r\n";
    std::string add;
    if (p.has(kPartNotMime)) {
      add += "MIME-Version: 1.0\r\n";
      add += valid_utf8(body) ? "Content-Type: text/plain; charset=utf-8\r\n"
                              : "Content-Type: text/plain; charset=unknown-8bit\r\n";
    }
    add += field;
    if (const HeaderField* cte = m.find_field(p, "Content-Transfer-Encoding"))
      edits.push_back(
          {static_cast<std::size_t>(cte->raw.data() - data.data()), cte->raw.size(), add});
    else
      edits.push_back({header_insert_point(m, p), 0, std::move(add)});
    edits.push_back({p.body.offset, p.body.size,
                     text ? qp::encode(body, qp::LineBreaks::text) : base64::encode(body, 76)});
    ++out.parts_converted;
  }

  std::stable_sort(edits.begin(), edits.end(),
                   [](const Edit& a, const Edit& b) { return a.offset < b.offset; });
  std::string result;
  result.reserve(data.size() + data.size() / 4 + 64);
  std::size_t pos = 0;
  for (const Edit& e : edits) {
    if (e.offset < pos) return impossible("overlapping parts");  // cannot happen: a bug guard
    result.append(data.substr(pos, e.offset - pos));
    result += e.text;
    pos = e.offset + e.size;
  }
  result.append(data.substr(pos));
  if (!is_7bit(result))
    return impossible(
        "8-bit octets outside any body part (preamble, epilogue or a part not "
        "split because of the MIME limits)");
  // The new bodies must not have changed the structure (a re-encoded line that happened to
  // look like a boundary would): parse again and compare.
  Message after = parse(result, limits);
  bool same = after.parts.size() == m.parts.size();
  for (std::size_t i = 0; same && i < m.parts.size(); ++i)
    same = after.parts[i].kind == m.parts[i].kind && after.parts[i].depth == m.parts[i].depth;
  if (!same) return impossible("re-encoding would change the MIME structure");
  out.status = Downgrade::Status::converted;
  out.message = std::move(result);
  return out;
}

}  // namespace estafeta::mime
