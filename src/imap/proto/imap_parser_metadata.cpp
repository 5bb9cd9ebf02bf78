// imap_parser_metadata: RFC 5464 command grammar (see imap_parser_metadata.hpp).
//   getmetadata = "GETMETADATA" [SP getmetadata-options] SP mailbox SP entries
//   getmetadata-options = "(" getmetadata-option *(SP getmetadata-option) ")"
//   getmetadata-option = "MAXSIZE" SP number / "DEPTH" SP ("0" / "1" / "infinity")
//   entries = entry / "(" entry *(SP entry) ")"
//   setmetadata = "SETMETADATA" SP mailbox SP "(" entry-value *(SP entry-value) ")"
//   entry-value = entry SP value;  value = nstring / literal8;  entry = astring
// The options are also accepted after the mailbox, as Dovecot accepts them.
#include "imap/proto/imap_parser_metadata.hpp"

#include <cctype>

#include "store/api/store.hpp"

namespace estafeta::imap {
namespace {

bool fail(std::string& err, const char* text) {
  if (err.empty()) err = text;
  return false;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool entry(Lexer& lx, std::string& out, bool prefix_only, std::string& err) {
  auto e = lx.astring();
  if (!e) return fail(err, "Invalid metadata entry");
  if (!valid_metadata_entry(*e, prefix_only)) return fail(err, "Invalid metadata entry name");
  out = lower(*e);
  return true;
}

bool options(Lexer& lx, GetMetadata& g, std::string& err) {
  if (!lx.consume('(')) return fail(err, "Invalid GETMETADATA options");
  std::size_t n = 0;
  do {
    if (++n > 2) return fail(err, "Invalid GETMETADATA options");
    if (lx.keyword("MAXSIZE")) {
      auto v = lx.sp() ? lx.number() : std::nullopt;
      if (!v || g.max_size) return fail(err, "Invalid MAXSIZE");
      g.max_size = *v;
    } else if (lx.keyword("DEPTH")) {
      if (!lx.sp()) return fail(err, "Invalid DEPTH");
      if (lx.keyword("0"))
        g.depth = GetMetadata::Depth::zero;
      else if (lx.keyword("1"))
        g.depth = GetMetadata::Depth::one;
      else if (lx.keyword("INFINITY"))
        g.depth = GetMetadata::Depth::infinity;
      else
        return fail(err, "Invalid DEPTH");
    } else {
      return fail(err, "Unknown GETMETADATA option");
    }
  } while (lx.sp());
  return lx.consume(')') || fail(err, "Invalid GETMETADATA options");
}

}  // namespace

bool valid_metadata_entry(std::string_view name, bool prefix_only) {
  if (name.size() > store::kMaxMetadataName) return false;
  std::string l = lower(name);
  bool prefix = l == "/private" || l == "/shared";
  if (prefix) return prefix_only;
  if (!l.starts_with("/private/") && !l.starts_with("/shared/")) return false;
  if (l.back() == '/' || l.find("//") != std::string::npos) return false;
  for (char c : l)
    if (c <= ' ' || c >= 0x7f || c == '*' || c == '%') return false;
  return true;
}

bool parse_getmetadata(Lexer& lx, const Limits& limits, GetMetadata& g, std::string& err) {
  if (!lx.sp()) return fail(err, "Missing mailbox name");
  bool had_options = false;
  if (lx.peek() == '(') {
    if (!options(lx, g, err) || !lx.sp()) return fail(err, "Missing mailbox name");
    had_options = true;
  }
  auto m = lx.astring();
  if (!m) return fail(err, "Invalid mailbox name");
  g.mailbox = std::move(*m);
  if (!lx.sp()) return fail(err, "Missing metadata entries");
  if (!had_options && lx.peek() == '(') {  // "(" MAXSIZE / DEPTH after the mailbox
    std::string_view rest = lx.rest().substr(1);
    std::string word = lower(rest.substr(0, 7));
    if (word.starts_with("maxsize") || word.starts_with("depth")) {
      if (!options(lx, g, err) || !lx.sp()) return fail(err, "Missing metadata entries");
    }
  }
  bool prefix_ok = g.depth != GetMetadata::Depth::zero;
  if (lx.consume('(')) {
    do {
      if (g.entries.size() >= limits.max_list_items) return fail(err, "Too many metadata entries");
      std::string e;
      if (!entry(lx, e, prefix_ok, err)) return false;
      g.entries.push_back(std::move(e));
    } while (lx.sp());
    return lx.consume(')') || fail(err, "Invalid metadata entries");
  }
  std::string e;
  if (!entry(lx, e, prefix_ok, err)) return false;
  g.entries.push_back(std::move(e));
  return true;
}

bool parse_setmetadata(Lexer& lx, const Limits& limits, SetMetadata& s, std::string& err) {
  if (!lx.sp()) return fail(err, "Missing mailbox name");
  auto m = lx.astring();
  if (!m) return fail(err, "Invalid mailbox name");
  s.mailbox = std::move(*m);
  if (!lx.sp() || !lx.consume('(')) return fail(err, "Missing metadata entries");
  do {
    if (s.entries.size() >= limits.max_list_items) return fail(err, "Too many metadata entries");
    std::string e;
    if (!entry(lx, e, false, err)) return false;
    if (!lx.sp()) return fail(err, "Missing metadata value");
    std::optional<std::string> value;
    if (lx.peek() == '~') {  // literal8 (RFC 5464 §5: value = nstring / literal8)
      auto v = lx.literal(true);
      if (!v) return fail(err, "Invalid metadata value");
      value = std::move(*v);
    } else {
      auto v = lx.nstring();
      if (!v) return fail(err, "Invalid metadata value");
      value = std::move(*v);
    }
    s.entries.emplace_back(std::move(e), std::move(value));
  } while (lx.sp());
  return lx.consume(')') || fail(err, "Invalid metadata entries");
}

}  // namespace estafeta::imap
