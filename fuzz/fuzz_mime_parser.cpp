// fuzz_mime_parser: feeds arbitrary bytes to mime::parse() and then to everything IMAP derives
// from the result (BODYSTRUCTURE, ENVELOPE, every section of every part, BINARY), checking
// the structural invariants: every span lies inside the input and inside its parent, header
// and body are adjacent, part links are consistent. Small limits make deep and wide trees
// reachable. Also the RFC 8970 preview and the HTML-to-text conversion (mime_preview,
// mime_html_text) with their bounds. Input is fully untrusted.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "mime/mime_header.hpp"
#include "mime/mime_html_text.hpp"
#include "mime/mime_imap_bodystructure.hpp"
#include "mime/mime_imap_envelope.hpp"
#include "mime/mime_imap_section.hpp"
#include "mime/mime_parser.hpp"
#include "mime/mime_preview.hpp"

using namespace estafeta::mime;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// The IMAP part path of part `idx` (numbers as resolve_part() understands them).
std::vector<std::uint32_t> path_of(const Message& m, std::uint32_t idx) {
  std::vector<std::uint32_t> rev;
  while (idx != 0 && idx != kNoPart) {
    const Part& p = m.parts[idx];
    const Part& parent = m.parts[p.parent];
    if (parent.kind == PartKind::message) {
      // the embedded message: addressed through its parent (and ".1" when it is no multipart)
      idx = p.parent;
      continue;
    }
    std::uint32_t n = 1;
    for (std::uint32_t c = parent.first_child; c != idx && c != kNoPart;
         c = m.parts[c].next_sibling)
      ++n;
    rev.push_back(n);
    idx = p.parent;
  }
  return {rev.rbegin(), rev.rend()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  Limits lim;
  lim.max_depth = 20;
  lim.max_parts = 200;
  lim.max_header_fields = 50;
  Message m = parse(in, lim);
  check(!m.parts.empty());
  check(m.root().header.offset == 0 && m.root().body.end() == size);
  for (std::uint32_t i = 0; i < m.parts.size(); ++i) {
    const Part& p = m.parts[i];
    check(p.header.end() == p.body.offset);
    check(p.body.end() <= size);
    check(p.header.lines <= p.header.size && p.body.lines <= p.body.size);
    check(p.body.bare_lfs <= p.body.lines);
    check(p.depth < lim.max_depth);
    check(p.field_begin + p.field_count <= m.fields.size());
    if (p.parent != kNoPart) {
      const Part& par = m.parts[p.parent];
      check(p.parent < i);
      check(p.header.offset >= par.body.offset && p.body.end() <= par.body.end());
    }
    for (const HeaderField& f : m.fields_of(p)) {
      check(f.raw.data() >= in.data() && f.raw.data() + f.raw.size() <= in.data() + size);
      (void)decoded_value(f.value);
    }
  }
  check(m.parts.size() <= lim.max_parts);
  (void)imap_bodystructure(m);
  BodystructureOptions o;
  o.extended = false;
  (void)imap_bodystructure(m, 0, o);
  (void)imap_envelope(m);
  // RFC 8970 preview: at most kPreviewMaxChars characters, no leading/trailing space; and the
  // HTML-to-text conversion of the raw input, bounded.
  std::string preview = message_preview(m);
  std::size_t chars = 0;
  for (unsigned char c : preview) chars += (c & 0xC0) != 0x80;
  check(chars <= kPreviewMaxChars);
  check(preview.empty() || (preview.front() != ' ' && preview.back() != ' '));
  check(html_to_text(in, 512).size() <= 512);
  for (std::uint32_t i = 0; i < m.parts.size() && i < 64; ++i) {
    std::vector<std::uint32_t> path = path_of(m, i);
    for (auto text : {SectionSpec::Text::none, SectionSpec::Text::mime, SectionSpec::Text::header,
                      SectionSpec::Text::text, SectionSpec::Text::header_fields_not}) {
      SectionSpec spec;
      spec.path = path;
      spec.text = text;
      if (text == SectionSpec::Text::header_fields_not) spec.fields = {"Subject"};
      if (auto bytes = fetch_section(m, spec)) {
        std::size_t n = bytes->size();
        check(bytes->slice(n / 3, n).size() == n - n / 3);
      }
    }
    (void)fetch_binary(m, path);
    (void)binary_size(m, path);
  }
  // The section parser sees client text: give it the input too.
  (void)parse_section(in.substr(0, 256));
  return 0;
}
