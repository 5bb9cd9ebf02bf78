// mime_imap_section: section specifiers to bytes (see mime_imap_section.hpp).
#include "mime/mime_imap_section.hpp"

#include <cstring>

#include <span>

#include "mime/mime_body.hpp"
#include "mime/mime_lexer.hpp"
#include "mime/mime_parser.hpp"

namespace estafeta::mime {
namespace {

constexpr std::string_view kCrlf = "\r\n";

bool starts_with_icase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// The part whose header/body HEADER and TEXT refer to: the message itself for an empty path,
// else the embedded message of a message/rfc822 part.
std::uint32_t message_of(const Message& m, const std::vector<std::uint32_t>& path) {
  if (path.empty()) return 0;
  std::uint32_t p = resolve_part(m, path);
  if (p == kNoPart || m.parts[p].kind != PartKind::message) return kNoPart;
  return m.parts[p].first_child;
}

// True when a header block ends with its empty line.
bool has_empty_line(std::string_view h) {
  return h == "\n" || h == "\r\n" || h.ends_with("\n\n") || h.ends_with("\n\r\n");
}

// The header of part `p` as MIME and HEADER serve it. When a part ends right after its
// header's empty line at a boundary, that line break precedes the boundary line and belongs
// to it (RFC 2046 §5.1.1), not to the header: it is left out, as Dovecot does (a part with
// only a line break before the boundary has an empty header).
std::string_view served_header(const Message& m, std::uint32_t p) {
  const Part& part = m.parts[p];
  std::string_view h = m.header_bytes(part);
  if (p == 0 || part.body.size != 0 || !has_empty_line(h) ||
      !m.data.substr(part.header.end()).starts_with("--"))
    return h;
  h.remove_suffix(h.ends_with("\r\n") ? 2 : 1);
  return h;
}

// HEADER.FIELDS[.NOT] (RFC 9051 §6.4.5) of `fields`, the fields of the header block
// `header`: the chosen fields, each ending in CRLF (a last field cut short gets one), then the
// empty line when anything was chosen or the header had its empty line. Nothing chosen from a
// cut header is "", as Dovecot answers.
SectionBytes select_fields(std::span<const HeaderField> fields, std::string_view header,
                           const SectionSpec& spec) {
  SectionBytes out;
  const bool want = spec.text == SectionSpec::Text::header_fields;
  const char* header_end = header.data() + header.size();
  for (HeaderField f : fields) {
    // A header cut by a boundary ends before the line break that belongs to the boundary
    // line; its last field's raw bytes may still hold it.
    if (f.raw.data() + f.raw.size() > header_end)
      f.raw = f.raw.substr(0, static_cast<std::size_t>(header_end - f.raw.data()));
    bool listed = false;
    for (const std::string& name : spec.fields)
      if (iequals(f.name, name)) {
        listed = true;
        break;
      }
    if (listed != want) continue;
    out.pieces.push_back(f.raw);
    if (!f.raw.ends_with('\n')) out.pieces.push_back(kCrlf);
  }
  if (!out.pieces.empty() || has_empty_line(header)) out.pieces.push_back(kCrlf);  // empty line
  return out;
}

}  // namespace

std::optional<SectionSpec> parse_section(std::string_view text) {
  SectionSpec spec;
  std::string_view s = text;
  // Part numbers: 1*DIGIT *("." 1*DIGIT)
  while (!s.empty() && s.front() >= '0' && s.front() <= '9') {
    std::uint64_t n = 0;
    std::size_t i = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      n = n * 10 + static_cast<std::uint64_t>(s[i] - '0');
      if (n > 0xfffffffeULL) return std::nullopt;
      ++i;
    }
    if (n == 0 || spec.path.size() >= kMaxSectionDepth) return std::nullopt;
    spec.path.push_back(static_cast<std::uint32_t>(n));
    s.remove_prefix(i);
    if (s.empty()) return spec;
    if (s.front() != '.') return std::nullopt;
    s.remove_prefix(1);
    if (s.empty()) return std::nullopt;
  }
  if (s.empty()) return spec;
  if (iequals(s, "HEADER")) {
    spec.text = SectionSpec::Text::header;
  } else if (iequals(s, "TEXT")) {
    spec.text = SectionSpec::Text::text;
  } else if (iequals(s, "MIME")) {
    if (spec.path.empty()) return std::nullopt;
    spec.text = SectionSpec::Text::mime;
  } else if (starts_with_icase(s, "HEADER.FIELDS")) {
    s.remove_prefix(13);
    spec.text = SectionSpec::Text::header_fields;
    if (starts_with_icase(s, ".NOT")) {
      s.remove_prefix(4);
      spec.text = SectionSpec::Text::header_fields_not;
    }
    // SP "(" header-fld-name *(SP header-fld-name) ")"; names are astrings.
    if (s.size() < 3 || s[0] != ' ' || s[1] != '(' || s.back() != ')') return std::nullopt;
    s = s.substr(2, s.size() - 3);
    while (!s.empty()) {
      if (spec.fields.size() >= kMaxSectionFields) return std::nullopt;
      if (s.front() == '"') {
        lex::Cursor c(s);
        std::string name;
        lex::take_quoted_string(c, name);
        spec.fields.push_back(std::move(name));
        s = c.rest();
      } else {
        std::size_t e = s.find(' ');
        spec.fields.emplace_back(s.substr(0, e));
        s = e == std::string_view::npos ? std::string_view() : s.substr(e);
      }
      if (!s.empty()) {
        if (s.front() != ' ') return std::nullopt;
        s.remove_prefix(1);
        if (s.empty()) return std::nullopt;
      }
    }
    if (spec.fields.empty()) return std::nullopt;
  } else {
    return std::nullopt;
  }
  return spec;
}

std::size_t SectionBytes::size() const {
  std::size_t n = 0;
  for (std::string_view p : pieces) n += p.size();
  return n;
}

std::string SectionBytes::str() const {
  std::string out;
  out.reserve(size());
  for (std::string_view p : pieces) out.append(p);
  return out;
}

// Both walk the pieces line end by line end (memchr), copying whole runs: message bodies are
// mostly long runs without LF, and stored messages already have CRLF.
std::string SectionBytes::crlf_str() const {
  std::string out;
  out.reserve(crlf_size());
  char prev = '\0';
  for (std::string_view p : pieces) {
    std::size_t from = 0;
    while (from < p.size()) {
      const void* hit = std::memchr(p.data() + from, '\n', p.size() - from);
      const std::size_t lf =
          hit ? static_cast<std::size_t>(static_cast<const char*>(hit) - p.data()) : p.size();
      out.append(p.data() + from, lf - from);
      if (lf == p.size()) break;
      const char before = lf > 0 ? p[lf - 1] : prev;
      if (before != '\r') out.push_back('\r');
      out.push_back('\n');
      from = lf + 1;
    }
    if (!p.empty()) prev = p.back();
  }
  return out;
}

std::size_t SectionBytes::crlf_size() const {
  std::size_t n = 0;
  char prev = '\0';
  for (std::string_view p : pieces) {
    n += p.size();
    std::size_t from = 0;
    while (from < p.size()) {
      const void* hit = std::memchr(p.data() + from, '\n', p.size() - from);
      if (!hit) break;
      const std::size_t lf = static_cast<std::size_t>(static_cast<const char*>(hit) - p.data());
      const char before = lf > 0 ? p[lf - 1] : prev;
      if (before != '\r') ++n;
      from = lf + 1;
    }
    if (!p.empty()) prev = p.back();
  }
  return n;
}

SectionBytes SectionBytes::slice(std::size_t origin, std::size_t count) const {
  SectionBytes out;
  std::size_t skip = origin;
  std::size_t left = count;
  for (std::string_view p : pieces) {
    if (left == 0) break;
    if (skip >= p.size()) {
      skip -= p.size();
      continue;
    }
    p.remove_prefix(skip);
    skip = 0;
    if (p.size() > left) p = p.substr(0, left);
    left -= p.size();
    out.pieces.push_back(p);
  }
  return out;
}

std::uint32_t resolve_part(const Message& m, const std::vector<std::uint32_t>& path) {
  if (m.parts.empty()) return kNoPart;
  std::uint32_t cur = 0;
  bool one_taken = false;  // a "1" already named the non-multipart part `cur` itself
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (m.parts[cur].kind == PartKind::multipart) {
      cur = m.child(cur, path[i]);
      if (cur == kNoPart) return kNoPart;
      one_taken = false;
    } else {
      // RFC 3501 §6.4.5: a non-multipart part has one part, itself, numbered 1; a second
      // "1" ("1.1" of a one-part message) names nothing.
      if (path[i] != 1 || one_taken) return kNoPart;
      one_taken = true;
    }
    // More numbers after a message/rfc822 part address its embedded message.
    if (i + 1 < path.size() && m.parts[cur].kind == PartKind::message) {
      cur = m.parts[cur].first_child;
      if (cur == kNoPart) return kNoPart;
      one_taken = false;
    }
  }
  return cur;
}

SectionBytes header_fields_of(std::string_view header, const SectionSpec& spec) {
  std::vector<HeaderField> fields = parse_header_fields(header);
  return select_fields(fields, header, spec);
}

std::optional<SectionBytes> fetch_section(const Message& m, const SectionSpec& spec) {
  SectionBytes out;
  using Text = SectionSpec::Text;
  switch (spec.text) {
    case Text::none: {
      if (spec.path.empty()) {
        out.pieces.push_back(m.data);
        return out;
      }
      std::uint32_t p = resolve_part(m, spec.path);
      if (p == kNoPart) return std::nullopt;
      out.pieces.push_back(m.body_bytes(m.parts[p]));
      return out;
    }
    case Text::mime: {
      std::uint32_t p = resolve_part(m, spec.path);
      if (p == kNoPart) return std::nullopt;
      out.pieces.push_back(served_header(m, p));
      return out;
    }
    case Text::header:
    case Text::text: {
      std::uint32_t p = message_of(m, spec.path);
      if (p == kNoPart) return std::nullopt;
      out.pieces.push_back(spec.text == Text::header ? served_header(m, p)
                                                     : m.body_bytes(m.parts[p]));
      return out;
    }
    case Text::header_fields:
    case Text::header_fields_not: {
      std::uint32_t p = message_of(m, spec.path);
      if (p == kNoPart) return std::nullopt;
      return select_fields(m.fields_of(m.parts[p]), served_header(m, p), spec);
    }
  }
  return std::nullopt;
}

BinaryResult fetch_binary(const Message& m, const std::vector<std::uint32_t>& path) {
  BinaryResult r;
  if (path.empty()) {  // BINARY[]: the whole message, which has no encoding of its own
    r.data.assign(m.data);
    return r;
  }
  std::uint32_t p = resolve_part(m, path);
  if (p == kNoPart) {
    r.status = BinaryResult::Status::no_such_part;
    return r;
  }
  if (!decode_body(m, m.parts[p], r.data)) {
    r.status = BinaryResult::Status::unknown_cte;  // RFC 3516 §4.3: NO [UNKNOWN-CTE]
    r.data.clear();
  }
  return r;
}

std::optional<std::size_t> binary_size(const Message& m, const std::vector<std::uint32_t>& path) {
  if (path.empty()) return m.data.size();
  std::uint32_t p = resolve_part(m, path);
  if (p == kNoPart) return std::nullopt;
  const Part& part = m.parts[p];
  bool identity = part.kind != PartKind::leaf || part.encoding == TransferEncoding::seven_bit ||
                  part.encoding == TransferEncoding::eight_bit ||
                  part.encoding == TransferEncoding::binary;
  if (identity) return part.body.size;  // no copy for the common case
  std::string decoded;
  if (!decode_body(m, part, decoded)) return std::nullopt;
  return decoded.size();
}

}  // namespace estafeta::mime
