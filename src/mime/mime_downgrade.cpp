// mime_downgrade: 8-bit to 7-bit conversion of a message (see mime_downgrade.hpp).
#include "mime/mime_downgrade.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <optional>

#include "base/base64.hpp"
#include "base/quoted_printable.hpp"
#include "mime/mime_address.hpp"
#include "mime/mime_compose.hpp"
#include "mime/mime_encoded_word.hpp"
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

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool named_one_of(std::string_view name, std::initializer_list<std::string_view> names) {
  return std::any_of(names.begin(), names.end(), [&](auto n) { return iequals(name, n); });
}

// The value without its folds, trimmed.
std::string unfolded(std::string_view value) {
  std::string out;
  for (char c : value)
    if (c != '\r' && c != '\n') out += c;
  const auto first = out.find_first_not_of(" \t");
  if (first == std::string::npos) return {};
  return out.substr(first, out.find_last_not_of(" \t") - first + 1);
}

// An address field whose 8-bit octets are all in display names, with the names as RFC 2047
// words; nullopt when an address itself is 8-bit or the list needed repairs.
std::optional<std::string> encoded_address_list(std::string_view value) {
  std::string out;
  bool after_group_start = false;
  for (const Address& a : parse_address_list(value)) {
    if (a.invalid || a.broken_angle || a.broken_route || !a.route.empty()) return std::nullopt;
    if (a.kind == Address::Kind::group_end) {
      out += ";";
      after_group_start = false;
      continue;
    }
    if (!out.empty() && !after_group_start) out += ", ";
    std::string name = decoded_name(a);
    if (!valid_utf8(a.name)) return std::nullopt;
    if (!name.empty()) out += encode_header_text(name, EncodeContext::phrase);
    after_group_start = a.kind == Address::Kind::group_start;
    if (after_group_start) {
      out += ": ";
      continue;
    }
    const std::string spec = a.addr_spec();
    if (!is_7bit(spec)) return std::nullopt;
    out += name.empty() && !a.angle ? spec : (name.empty() ? "<" : " <") + spec + ">";
  }
  return out;
}

// A header field with 8-bit octets made 7-bit the way RFC 6857 §3.1 does it for the fields
// it can: unstructured text and display names become RFC 2047 encoded words, when they are
// valid UTF-8. nullopt for any other field (the message needs SMTPUTF8).
std::optional<std::string> encoded_field(const HeaderField& f) {
  if (named_one_of(f.name, {"Subject", "Comments", "Content-Description", "Thread-Topic"})) {
    const std::string text = unfolded(f.value);
    if (!valid_utf8(text)) return std::nullopt;
    return fold_header(f.name, encode_header_text(text, EncodeContext::text));
  }
  if (named_one_of(f.name, {"From", "To", "Cc", "Bcc", "Reply-To", "Sender", "Resent-From",
                            "Resent-To", "Resent-Cc", "Resent-Bcc", "Resent-Sender"})) {
    auto list = encoded_address_list(f.value);
    if (!list) return std::nullopt;
    return fold_header(f.name, *list);
  }
  return std::nullopt;
}

}  // namespace

bool is_7bit(std::string_view data) {
  // Eight octets at a time, without an early exit, so the compiler can vectorize it: the
  // spool runs every received message through this.
  std::uint64_t seen = 0;
  std::size_t i = 0;
  for (; i + 8 <= data.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, data.data() + i, 8);
    seen |= word;
  }
  for (; i < data.size(); ++i) seen |= static_cast<unsigned char>(data[i]);
  return (seen & 0x8080808080808080ULL) == 0;
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
    if (!is_7bit(m.header_bytes(p))) {
      for (const HeaderField& f : m.fields_of(p)) {
        if (is_7bit(f.raw)) continue;
        auto field = encoded_field(f);
        if (!field)
          return impossible("8-bit octets in the " + std::string(f.name) +
                            " header field (the message needs SMTPUTF8)");
        edits.push_back({static_cast<std::size_t>(f.raw.data() - data.data()), f.raw.size(),
                         std::move(*field)});
        ++out.fields_converted;
      }
    }
    if (p.kind != PartKind::leaf) {
      // A multipart or message/rfc822 labelled 8bit or binary (a bounce returning an 8-bit
      // message) is 7bit once its leaves are: the label says so (RFC 2046 §5.2.1).
      const HeaderField* cte = m.find_field(p, "Content-Transfer-Encoding");
      if (cte &&
          (p.encoding == TransferEncoding::eight_bit || p.encoding == TransferEncoding::binary))
        edits.push_back({static_cast<std::size_t>(cte->raw.data() - data.data()), cte->raw.size(),
                         "Content-Transfer-Encoding: 7bit\r\n"});
      continue;
    }
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
