// mime_content_type: Content-Type / Content-Disposition / Content-Transfer-Encoding values.
// See mime_content_type.hpp. Linear in the input; allocation only for parameter lists.
#include "mime/mime_content_type.hpp"

#include <algorithm>
#include <cstdlib>

#include "mime/mime_lexer.hpp"

namespace estafeta::mime {

MediaType parse_media_type(std::string_view value) {
  MediaType mt;
  lex::Cursor c(value);
  lex::skip_cfws(c);
  mt.type = lex::take_token(c);
  lex::skip_cfws(c);
  if (!mt.type.empty() && c.at('/')) {
    ++c.p;
    lex::skip_cfws(c);
    mt.subtype = lex::take_token(c);
    lex::skip_cfws(c);
  }
  mt.params = c.rest();
  auto ascii = [](std::string_view t) {
    for (char ch : t)
      if (static_cast<unsigned char>(ch) >= 0x80) return false;
    return !t.empty();
  };
  mt.valid = ascii(mt.type) && ascii(mt.subtype) && (c.done() || c.at(';'));
  return mt;
}

DispositionValue parse_disposition(std::string_view value) {
  DispositionValue d;
  lex::Cursor c(value);
  lex::skip_cfws(c);
  d.type = lex::take_token(c);
  lex::skip_cfws(c);
  d.params = c.rest();
  return d;
}

TransferEncoding parse_transfer_encoding(std::string_view value, std::string_view* token) {
  lex::Cursor c(value);
  lex::skip_cfws(c);
  std::string_view t = lex::take_token(c);
  if (token != nullptr) *token = t;
  if (t.empty()) return TransferEncoding::seven_bit;  // absent or unparsable: RFC 2045 §6.1 default
  if (iequals(t, "7bit")) return TransferEncoding::seven_bit;
  if (iequals(t, "8bit")) return TransferEncoding::eight_bit;
  if (iequals(t, "binary")) return TransferEncoding::binary;
  if (iequals(t, "base64")) return TransferEncoding::base64;
  if (iequals(t, "quoted-printable")) return TransferEncoding::quoted_printable;
  return TransferEncoding::unknown;
}

std::string_view transfer_encoding_name(TransferEncoding e) {
  switch (e) {
    case TransferEncoding::seven_bit:
      return "7bit";
    case TransferEncoding::eight_bit:
      return "8bit";
    case TransferEncoding::binary:
      return "binary";
    case TransferEncoding::base64:
      return "base64";
    case TransferEncoding::quoted_printable:
      return "quoted-printable";
    case TransferEncoding::unknown:
      break;
  }
  return "unknown";
}

namespace {

// RFC 2231 §4 attribute-char: what may stay unencoded in an extended value.
bool is_attribute_char(char c) {
  return lex::is_token_char(c) && c != '*' && c != '\'' && c != '%' &&
         static_cast<unsigned char>(c) < 0x80;
}

void percent_encode(std::string_view in, std::string& out) {
  static const char hex[] = "0123456789ABCDEF";
  for (char ch : in) {
    if (is_attribute_char(ch)) {
      out.push_back(ch);
    } else {
      auto b = static_cast<unsigned char>(ch);
      out.push_back('%');
      out.push_back(hex[b >> 4]);
      out.push_back(hex[b & 15]);
    }
  }
}

struct Piece {
  std::string base;  // lower-cased name without the "*N*" suffix
  long index = -1;   // -1: no continuation number
  bool extended = false;
  std::size_t order = 0;
  const RawParameter* raw = nullptr;
};

Piece classify(const RawParameter& r, std::size_t order) {
  Piece p;
  p.order = order;
  p.raw = &r;
  std::string_view n = r.name;
  if (!n.empty() && n.back() == '*') {
    p.extended = true;
    n.remove_suffix(1);
  }
  auto star = n.rfind('*');
  if (star != std::string_view::npos && star + 1 < n.size() &&
      std::all_of(n.begin() + static_cast<long>(star) + 1, n.end(),
                  [](char c) { return c >= '0' && c <= '9'; }) &&
      n.size() - star - 1 <= 6) {
    p.index = std::strtol(std::string(n.substr(star + 1)).c_str(), nullptr, 10);
    n = n.substr(0, star);
  }
  p.base.reserve(n.size());
  for (char c : n) p.base.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
  return p;
}

}  // namespace

std::vector<ImapParameter> imap_parameters(std::string_view params) {
  std::vector<ImapParameter> out;
  if (lex::trim(params).empty()) return out;
  std::vector<RawParameter> raw = split_parameters(params);
  std::vector<Piece> pieces;
  pieces.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) pieces.push_back(classify(raw[i], i));
  std::vector<bool> used(pieces.size(), false);
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (used[i]) continue;
    const Piece& first = pieces[i];
    if (first.index < 0) {
      used[i] = true;
      // A plain or single extended parameter: name as written (lower-cased like Dovecot
      // does not do; it keeps the case), value as given.
      out.push_back({first.raw->name, first.raw->value});
      continue;
    }
    // RFC 2231 §3 continuations: gather base*0, base*1, ... in index order.
    std::vector<const Piece*> group;
    for (std::size_t j = i; j < pieces.size(); ++j) {
      if (!used[j] && pieces[j].index >= 0 && pieces[j].base == first.base) {
        group.push_back(&pieces[j]);
        used[j] = true;
      }
    }
    std::stable_sort(group.begin(), group.end(),
                     [](const Piece* a, const Piece* b) { return a->index < b->index; });
    bool any_extended =
        std::any_of(group.begin(), group.end(), [](const Piece* p) { return p->extended; });
    ImapParameter merged;
    std::string_view written = first.raw->name;
    merged.name = std::string(written.substr(0, first.base.size()));
    long expect = 0;
    for (const Piece* p : group) {
      if (p->index != expect) break;  // a gap ends the value (RFC 2231 §3)
      ++expect;
      if (any_extended && !p->extended) {
        percent_encode(p->raw->value, merged.value);
      } else {
        merged.value += p->raw->value;
      }
    }
    if (any_extended) {
      merged.name.push_back('*');
      // The first piece must carry charset'lang'; if it was not extended, add an empty one.
      if (!group.front()->extended) merged.value.insert(0, "''");
    }
    out.push_back(std::move(merged));
  }
  return out;
}

std::vector<Parameter> decoded_parameters(std::string_view params) {
  if (lex::trim(params).empty()) return {};
  return parse_parameters(params);
}

}  // namespace estafeta::mime
