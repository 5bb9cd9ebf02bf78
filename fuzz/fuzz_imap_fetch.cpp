// fuzz_imap_fetch: FETCH rendering and SEARCH evaluation (imap_fetch, imap_search_eval) on
// arbitrary messages. The input is a first line of FETCH sections and search words separated
// by ';' ("1.2.MIME;TEXT<3.9>;HEADER.FIELDS (To)"), then the message. Each section is
// rendered alone (BODY.PEEK, BINARY.PEEK, BINARY.SIZE), with the cache as the store fills it
// and without it; checks: the two agree, every literal holds the octets its size announces,
// the streaming plan equals the rendered text (messages without NUL), and a search key and
// its NOT disagree. Input is fully untrusted.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "imap/proto/imap_fetch.hpp"
#include "imap/proto/imap_search_eval.hpp"
#include "mime/mime_imap_bodystructure.hpp"
#include "mime/mime_imap_envelope.hpp"
#include "mime/mime_imap_section.hpp"
#include "mime/mime_parser.hpp"

using namespace estafeta;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// Every literal "{n}\r\n" / "~{n}\r\n" is followed by n octets inside the response.
void check_literals(std::string_view t) {
  check(t.starts_with("* 1 FETCH (") && t.ends_with(")\r\n"));
  std::size_t pos = 0;
  while ((pos = t.find("}\r\n", pos)) != std::string_view::npos) {
    std::size_t open = t.rfind('{', pos);
    check(open != std::string_view::npos);
    std::size_t n =
        std::strtoull(std::string(t.substr(open + 1, pos - open - 1)).c_str(), nullptr, 10);
    pos += 3 + n;
    check(pos + 3 <= t.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::size_t eol = in.find('\n');
  if (eol == std::string_view::npos || eol > 1000) return 0;
  std::string_view specs = in.substr(0, eol);
  std::string bytes(in.substr(eol + 1));

  mime::Limits limits;
  limits.max_depth = 8;
  limits.max_parts = 64;
  mime::Message m = mime::parse(bytes, limits);
  mime::SectionBytes all;
  all.pieces.push_back(bytes);
  store::MessageInfo info;
  info.uid = 7;
  info.size = all.crlf_size();
  store::CachedFields cached;
  cached.envelope = mime::imap_envelope(m);
  cached.body_structure = mime::imap_bodystructure(m);
  cached.body = mime::imap_bodystructure(m, 0, {.extended = false});
  cached.header = std::string(m.header_bytes(m.root()));
  store::CachedFields empty;

  auto message = [&](const store::CachedFields& c) {
    imap::FetchMessage f;
    f.seq = 1;
    f.info = &info;
    f.cached = &c;
    f.load = [&](std::string& out) {
      out = bytes;
      return std::error_code();
    };
    return f;
  };

  std::size_t start = 0;
  int n = 0;
  while (start <= specs.size() && n++ < 16) {
    std::size_t end = specs.find(';', start);
    if (end == std::string_view::npos) end = specs.size();
    std::string_view spec = specs.substr(start, end - start);
    start = end + 1;

    // SEARCH: the words as BODY / TEXT / SUBJECT / HEADER keys.
    for (imap::SearchKey::Kind k :
         {imap::SearchKey::Kind::body, imap::SearchKey::Kind::text, imap::SearchKey::Kind::subject,
          imap::SearchKey::Kind::header}) {
      imap::SearchKey key;
      key.kind = k;
      key.text = std::string(spec);
      key.field = "X-Fuzz";
      imap::SearchMessage sm;
      sm.seq = 1;
      sm.info = &info;
      sm.cached = &cached;
      sm.parsed = [&]() { return &m; };
      imap::SearchKey no;
      no.kind = imap::SearchKey::Kind::not_;
      no.children.push_back(key);
      imap::SearchContext ctx;
      check(imap::search_matches(key, sm, ctx) != imap::search_matches(no, sm, ctx));
    }

    // FETCH: "section" or "section<origin.count>".
    imap::FetchItem item;
    std::string_view sec = spec;
    std::size_t lt = spec.find('<');
    if (lt != std::string_view::npos) {
      sec = spec.substr(0, lt);
      std::string rest(spec.substr(lt + 1));
      char* dot = nullptr;
      item.partial_origin = static_cast<std::uint32_t>(std::strtoul(rest.c_str(), &dot, 10));
      item.partial_count =
          dot && *dot == '.' ? static_cast<std::uint32_t>(std::strtoul(dot + 1, nullptr, 10)) : 0;
    }
    auto parsed = mime::parse_section(sec);
    if (!parsed) continue;
    item.section = *parsed;
    item.section_text = std::string(sec);
    item.peek = true;
    for (imap::FetchItem::Kind kind :
         {imap::FetchItem::Kind::body_section, imap::FetchItem::Kind::binary,
          imap::FetchItem::Kind::binary_size}) {
      if (kind != imap::FetchItem::Kind::body_section &&
          item.section.text != mime::SectionSpec::Text::none)
        continue;
      item.kind = kind;
      std::vector<imap::FetchItem> items = {item, imap::FetchItem{}};  // + FLAGS
      imap::FetchResult a = imap::render_fetch(message(cached), items);
      imap::FetchResult b = imap::render_fetch(message(empty), items);
      check(a.status == b.status && a.text == b.text);
      if (a.status != imap::FetchResult::Status::ok) continue;
      check_literals(a.text);
      if (bytes.find('\0') == std::string::npos && kind == imap::FetchItem::Kind::body_section) {
        if (auto plan = imap::plan_fetch_stream(message(cached), items, bytes.size())) {
          check(plan->offset + plan->length <= bytes.size());
          check(plan->before + bytes.substr(plan->offset, plan->length) + plan->after == a.text);
        }
      }
    }
  }
  return 0;
}
