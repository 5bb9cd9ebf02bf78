// mua_imap_parse: typed readings of IMAP responses for the mail client (see the header).
#include "mua/proto/mua_imap_parse.hpp"

#include <algorithm>

#include "imap/proto/imap_date.hpp"
#include "imap/proto/imap_mutf7.hpp"

namespace estafeta::mua {
namespace {

char upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

std::string to_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = upper(c);
  return out;
}

std::string nstring(const ImapValue& v) {
  return v.is_text() ? v.text : std::string();
}

std::optional<std::uint32_t> to_u32(const ImapValue& v) {
  auto n = v.number();
  if (!n || *n > 0xffffffffu) return std::nullopt;
  return static_cast<std::uint32_t>(*n);
}

// ((name adl mailbox host) ...) or NIL (RFC 9051 §7.5.2 env-from and friends). Group syntax
// (mailbox without host) is kept as entries; callers show what has a host.
bool parse_addresses(const ImapValue& v, std::vector<ImapAddress>& out) {
  if (v.is(ImapValue::Kind::nil)) return true;
  if (!v.is_list()) return false;
  for (const auto& a : v.items) {
    if (!a.is_list() || a.items.size() != 4) return false;
    ImapAddress addr{nstring(a.items[0]), nstring(a.items[2]), nstring(a.items[3])};
    if (addr.host.empty()) continue;  // group start/end markers (RFC 9051 §7.5.2)
    out.push_back(std::move(addr));
  }
  return true;
}

std::optional<ImapEnvelope> parse_envelope(const ImapValue& v) {
  if (!v.is_list() || v.items.size() < 10) return std::nullopt;
  ImapEnvelope e;
  e.date = nstring(v.items[0]);
  e.subject = nstring(v.items[1]);
  if (!parse_addresses(v.items[2], e.from) || !parse_addresses(v.items[3], e.sender) ||
      !parse_addresses(v.items[4], e.reply_to) || !parse_addresses(v.items[5], e.to) ||
      !parse_addresses(v.items[6], e.cc) || !parse_addresses(v.items[7], e.bcc))
    return std::nullopt;
  e.in_reply_to = nstring(v.items[8]);
  e.message_id = nstring(v.items[9]);
  return e;
}

// "BODY[1.2]<0>" -> "BODY[1.2]": the partial's origin is dropped.
std::string section_key(std::string_view name) {
  std::string key = to_upper(name);
  const std::size_t close = key.rfind(']');
  if (close != std::string::npos && close + 1 < key.size() && key[close + 1] == '<')
    key.erase(close + 1);
  return key;
}

}  // namespace

bool imap_iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (upper(a[i]) != upper(b[i])) return false;
  return true;
}

std::vector<std::string> parse_capabilities(const std::vector<ImapValue>& values) {
  std::vector<std::string> out;
  for (const auto& v : values)
    if (v.kind == ImapValue::Kind::atom || v.kind == ImapValue::Kind::number)
      out.push_back(to_upper(v.text));
  return out;
}

bool ImapMailbox::has_attribute(std::string_view a) const {
  return std::any_of(attributes.begin(), attributes.end(),
                     [&](const std::string& x) { return imap_iequals(x, a); });
}

std::string ImapMailbox::special_use() const {
  // RFC 6154 §2, plus \Important (RFC 8457).
  for (const char* use : {"\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent",
                          "\\Trash", "\\Important"})
    if (has_attribute(use)) return use;
  return "";
}

std::optional<ImapMailbox> parse_list(const ImapResponse& r, bool utf8) {
  if (r.malformed || r.values.size() < 3 || !r.values[0].is_list()) return std::nullopt;
  ImapMailbox m;
  for (const auto& a : r.values[0].items) {
    if (a.kind != ImapValue::Kind::atom) return std::nullopt;
    m.attributes.push_back(a.text);
  }
  const ImapValue& delim = r.values[1];
  if (delim.kind == ImapValue::Kind::string && delim.text.size() == 1)
    m.delimiter = delim.text[0];
  else if (!delim.is(ImapValue::Kind::nil))
    return std::nullopt;
  const ImapValue& name = r.values[2];
  if (!name.is_text() || name.text.empty()) return std::nullopt;
  m.raw_name = name.text;
  if (imap_iequals(m.raw_name, "INBOX")) {
    m.name = "INBOX";  // RFC 9051 §5.1: case-insensitive
  } else if (utf8) {
    m.name = imap::is_valid_utf8(m.raw_name) ? m.raw_name : std::string();
  } else if (auto decoded = imap::mutf7_decode(m.raw_name)) {
    m.name = std::move(*decoded);
  }
  if (m.name.empty()) m.name = m.raw_name;  // not valid: show it as the server spelled it
  return m;
}

std::optional<ImapStatus> parse_status(const ImapResponse& r) {
  if (r.malformed || r.values.size() < 2 || !r.values[0].is_text() || !r.values[1].is_list())
    return std::nullopt;
  ImapStatus s;
  s.raw_name = r.values[0].text;
  const auto& items = r.values[1].items;
  if (items.size() % 2 != 0) return std::nullopt;
  for (std::size_t i = 0; i + 1 < items.size(); i += 2) {
    auto n = items[i + 1].number();
    if (!n) return std::nullopt;
    const ImapValue& k = items[i];
    if (k.atom_is("MESSAGES"))
      s.messages = n;
    else if (k.atom_is("UNSEEN"))
      s.unseen = n;
    else if (k.atom_is("RECENT"))
      s.recent = n;
    else if (k.atom_is("UIDNEXT"))
      s.uidnext = n;
    else if (k.atom_is("UIDVALIDITY"))
      s.uidvalidity = n;
    else if (k.atom_is("SIZE"))
      s.size = n;
  }
  return s;
}

std::optional<std::vector<std::uint32_t>> parse_sequence_set(std::string_view set,
                                                             std::uint32_t star, std::size_t max) {
  std::vector<std::uint32_t> out;
  auto number = [&](std::string_view t) -> std::optional<std::uint32_t> {
    if (t == "*") return star;
    if (t.empty() || t.size() > 10 || t.find_first_not_of("0123456789") != std::string_view::npos)
      return std::nullopt;
    std::uint64_t n = 0;
    for (char c : t) n = n * 10 + static_cast<std::uint64_t>(c - '0');
    if (n == 0 || n > 0xffffffffu) return std::nullopt;
    return static_cast<std::uint32_t>(n);
  };
  if (set.empty()) return std::nullopt;
  while (!set.empty()) {
    const std::size_t comma = set.find(',');
    std::string_view item = set.substr(0, comma);
    set = comma == std::string_view::npos ? std::string_view() : set.substr(comma + 1);
    if (comma != std::string_view::npos && set.empty()) return std::nullopt;  // trailing ','
    const std::size_t colon = item.find(':');
    auto a = number(item.substr(0, colon));
    auto b = colon == std::string_view::npos ? a : number(item.substr(colon + 1));
    if (!a || !b) return std::nullopt;
    std::uint32_t lo = std::min(*a, *b), hi = std::max(*a, *b);
    if (static_cast<std::uint64_t>(hi - lo) + 1 + out.size() > max) return std::nullopt;
    for (std::uint64_t n = lo; n <= hi; ++n) out.push_back(static_cast<std::uint32_t>(n));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::optional<std::vector<std::uint32_t>> parse_search(const ImapResponse& r, std::size_t max) {
  if (r.malformed) return std::nullopt;
  std::vector<std::uint32_t> out;
  for (const auto& v : r.values) {
    if (v.is_list()) continue;  // (MODSEQ n), RFC 7162 §3.1.5
    auto n = to_u32(v);
    if (!n || out.size() >= max) return std::nullopt;
    out.push_back(*n);
  }
  return out;
}

std::optional<ImapEsearch> parse_esearch(const ImapResponse& r, std::size_t max) {
  if (r.malformed) return std::nullopt;
  ImapEsearch e;
  std::size_t i = 0;
  const auto& v = r.values;
  if (i < v.size() && v[i].is_list()) {  // search-correlator (TAG "x")
    const auto& c = v[i].items;
    if (c.size() == 2 && c[0].atom_is("TAG") && c[1].is_text()) e.tag = c[1].text;
    ++i;
  }
  if (i < v.size() && v[i].atom_is("UID")) {
    e.uid = true;
    ++i;
  }
  for (; i + 1 < v.size(); i += 2) {
    const ImapValue& k = v[i];
    const ImapValue& val = v[i + 1];
    if (k.atom_is("MIN"))
      e.min = val.number();
    else if (k.atom_is("MAX"))
      e.max = val.number();
    else if (k.atom_is("COUNT"))
      e.count = val.number();
    else if (k.atom_is("ALL")) {
      if (!val.is_text()) return std::nullopt;
      auto set = parse_sequence_set(val.text, 0xffffffffu, max);
      if (!set) return std::nullopt;
      e.all = std::move(*set);
    }
  }
  return e;
}

const std::string* ImapFetch::section(std::string_view prefix) const {
  for (const auto& [k, v] : sections)
    if (k.size() >= prefix.size() &&
        imap_iequals(std::string_view(k).substr(0, prefix.size()), prefix))
      return &v;
  return nullptr;
}

std::optional<ImapFetch> parse_fetch(const ImapResponse& r) {
  if (r.malformed || !r.number || r.values.size() != 1 || !r.values[0].is_list())
    return std::nullopt;
  ImapFetch f;
  f.seq = *r.number;
  const auto& items = r.values[0].items;
  if (items.size() % 2 != 0) return std::nullopt;
  for (std::size_t i = 0; i + 1 < items.size(); i += 2) {
    const ImapValue& k = items[i];
    const ImapValue& v = items[i + 1];
    if (k.kind != ImapValue::Kind::atom) return std::nullopt;
    if (k.atom_is("UID")) {
      f.uid = to_u32(v);
      if (!f.uid) return std::nullopt;
    } else if (k.atom_is("FLAGS")) {
      if (!v.is_list()) return std::nullopt;
      std::vector<std::string> flags;
      for (const auto& fl : v.items)
        if (fl.kind == ImapValue::Kind::atom) flags.push_back(fl.text);
      f.flags = std::move(flags);
    } else if (k.atom_is("INTERNALDATE")) {
      f.internal_date = nstring(v);
    } else if (k.atom_is("RFC822.SIZE")) {
      f.size = v.number();
      if (!f.size) return std::nullopt;
    } else if (k.atom_is("MODSEQ")) {
      if (v.is_list() && v.items.size() == 1) f.modseq = v.items[0].number();
    } else if (k.atom_is("ENVELOPE")) {
      f.envelope = parse_envelope(v);
      if (!f.envelope) return std::nullopt;
    } else if (k.atom_is("BODYSTRUCTURE") || k.atom_is("BODY")) {
      if (!v.is_list()) return std::nullopt;
      f.bodystructure = v;
    } else {
      const std::string key = section_key(k.text);
      if (key.rfind("BODY[", 0) == 0 || key.rfind("BINARY[", 0) == 0 ||
          key.rfind("RFC822", 0) == 0) {
        if (!v.is_text() && !v.is(ImapValue::Kind::nil)) return std::nullopt;
        f.sections.emplace_back(key, nstring(v));
      }
      // Anything else (X-GM-*, EMAILID, ...) is skipped.
    }
  }
  return f;
}

std::optional<std::vector<std::uint32_t>> parse_vanished(const ImapResponse& r, std::size_t max,
                                                         bool* earlier) {
  if (r.malformed || r.values.empty()) return std::nullopt;
  std::size_t i = 0;
  bool was_earlier = false;
  if (r.values[0].is_list()) {
    was_earlier = r.values[0].items.size() == 1 && r.values[0].items[0].atom_is("EARLIER");
    ++i;
  }
  if (i + 1 != r.values.size() || !r.values[i].is_text()) return std::nullopt;
  if (earlier) *earlier = was_earlier;
  return parse_sequence_set(r.values[i].text, 0xffffffffu, max);
}

std::optional<std::int64_t> parse_internal_date(std::string_view s) {
  return imap::parse_date_time(s);
}

}  // namespace estafeta::mua
