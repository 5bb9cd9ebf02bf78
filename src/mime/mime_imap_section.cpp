// mime_imap_section: section specifiers to bytes (see mime_imap_section.hpp).
#include "mime/mime_imap_section.hpp"

#include "mime/mime_body.hpp"
#include "mime/mime_lexer.hpp"

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

std::string SectionBytes::crlf_str() const {
  std::string out;
  out.reserve(crlf_size());
  char prev = '\0';
  for (std::string_view p : pieces) {
    for (char c : p) {
      if (c == '\n' && prev != '\r') out.push_back('\r');
      out.push_back(c);
      prev = c;
    }
  }
  return out;
}

std::size_t SectionBytes::crlf_size() const {
  std::size_t n = 0;
  char prev = '\0';
  for (std::string_view p : pieces) {
    for (char c : p) {
      if (c == '\n' && prev != '\r') ++n;
      prev = c;
    }
    n += p.size();
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
  bool at_message = true;  // cur is being addressed as a message (root or entered embedded)
  for (std::uint32_t n : path) {
    if (!at_message && m.parts[cur].kind == PartKind::message) cur = m.parts[cur].first_child;
    if (cur == kNoPart) return kNoPart;
    if (m.parts[cur].kind == PartKind::multipart) {
      cur = m.child(cur, n);
      if (cur == kNoPart) return kNoPart;
    } else if (n != 1) {
      return kNoPart;
    }
    at_message = false;
  }
  return cur;
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
      out.pieces.push_back(m.header_bytes(m.parts[p]));
      return out;
    }
    case Text::header:
    case Text::text: {
      std::uint32_t p = message_of(m, spec.path);
      if (p == kNoPart) return std::nullopt;
      out.pieces.push_back(spec.text == Text::header ? m.header_bytes(m.parts[p])
                                                     : m.body_bytes(m.parts[p]));
      return out;
    }
    case Text::header_fields:
    case Text::header_fields_not: {
      std::uint32_t p = message_of(m, spec.path);
      if (p == kNoPart) return std::nullopt;
      const bool want = spec.text == Text::header_fields;
      for (const HeaderField& f : m.fields_of(m.parts[p])) {
        bool listed = false;
        for (const std::string& name : spec.fields)
          if (iequals(f.name, name)) {
            listed = true;
            break;
          }
        if (listed == want) out.pieces.push_back(f.raw);
      }
      out.pieces.push_back(kCrlf);  // the empty line ending the header
      return out;
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
