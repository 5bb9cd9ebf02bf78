// imap_response_strings: see the header.
#include "imap/proto/imap_response_strings.hpp"

#include <array>
#include <cstdio>

#include "mime/mime_charset.hpp"
#include "mime/mime_date.hpp"

namespace estafeta::imap {

namespace {

// Longer strings go as literals even when they could be quoted: clients and logs cope
// better, and Dovecot does the same.
constexpr std::size_t kMaxQuoted = 1024;

bool is_atom_char(unsigned char c) {
  // RFC 9051 §9: ATOM-CHAR = any CHAR except atom-specials; ASTRING-CHAR adds "]".
  if (c <= 0x20 || c >= 0x7f) return false;
  switch (c) {
    case '(':
    case ')':
    case '{':
    case '%':
    case '*':
    case '"':
    case '\\':
      return false;
    default:
      return true;
  }
}

bool can_quote(std::string_view s, StringOptions o) {
  if (s.size() > kMaxQuoted) return false;
  bool eight_bit = false;
  for (unsigned char c : s) {
    if (c == '\0' || c == '\r' || c == '\n') return false;
    if (c >= 0x80) eight_bit = true;
  }
  if (!eight_bit) return true;
  return o.utf8 && mime::is_valid_utf8(s);  // RFC 9051 §4.3 / RFC 6855 §3: UTF-8 quoted
}

}  // namespace

bool is_atom(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (!is_atom_char(c)) return false;
  return !(s.size() == 3 && (s[0] | 0x20) == 'n' && (s[1] | 0x20) == 'i' && (s[2] | 0x20) == 'l');
}

void append_quoted(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

void append_literal_header(std::string& out, std::uint64_t size, bool literal8) {
  if (literal8) out.push_back('~');
  out.push_back('{');
  out.append(std::to_string(size));
  out.append("}\r\n");
}

void append_literal(std::string& out, std::string_view s) {
  append_literal_header(out, s.size(), false);
  out.append(s);
}

void append_literal8(std::string& out, std::string_view s) {
  append_literal_header(out, s.size(), true);
  out.append(s);
}

void append_string(std::string& out, std::string_view s, StringOptions o) {
  if (can_quote(s, o))
    append_quoted(out, s);
  else
    append_literal(out, s);
}

void append_astring(std::string& out, std::string_view s, StringOptions o) {
  if (is_atom(s))
    out.append(s);
  else
    append_string(out, s, o);
}

void append_nstring(std::string& out, const std::optional<std::string_view>& s, StringOptions o) {
  if (!s)
    out.append("NIL");
  else
    append_string(out, *s, o);
}

std::string_view system_flag_name(store::Flag f) {
  switch (f) {
    case store::kSeen:
      return "\\Seen";
    case store::kAnswered:
      return "\\Answered";
    case store::kFlagged:
      return "\\Flagged";
    case store::kDeleted:
      return "\\Deleted";
    case store::kDraft:
      return "\\Draft";
  }
  return "";
}

void append_flag_list(std::string& out, const store::Flags& flags, bool recent) {
  static constexpr std::array<store::Flag, 5> kOrder = {
      store::kSeen, store::kAnswered, store::kFlagged, store::kDeleted, store::kDraft};
  out.push_back('(');
  bool first = true;
  auto sep = [&] {
    if (!first) out.push_back(' ');
    first = false;
  };
  for (store::Flag f : kOrder)
    if (flags.system & f) {
      sep();
      out.append(system_flag_name(f));
    }
  if (recent) {
    sep();
    out.append("\\Recent");
  }
  for (const std::string& k : flags.keywords) {
    sep();
    out.append(k);
  }
  out.push_back(')');
}

std::string format_internal_date(std::int64_t t, std::int32_t tz_minutes) {
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (tz_minutes <= -24 * 60 || tz_minutes >= 24 * 60) tz_minutes = 0;
  constexpr std::int64_t kMaxTime = 253402300799;  // 9999-12-31 23:59:59 UTC
  constexpr std::int64_t kMinTime = -62135596800;  // 0001-01-01 00:00:00 UTC
  // Four-digit years either way (RFC 9051 date-time); dates before 1970 are kept as given.
  if (t < kMinTime + 86400) t = kMinTime + 86400;
  if (t > kMaxTime - 86400) t = kMaxTime - 86400;
  mime::DateTime d = mime::date_from_unix(t, tz_minutes);
  int z = tz_minutes < 0 ? -tz_minutes : tz_minutes;
  char buf[64];
  int year = d.year < 0 ? 0 : (d.year > 9999 ? 9999 : d.year);
  int month = d.month >= 1 && d.month <= 12 ? d.month : 1;
  std::snprintf(buf, sizeof buf, "%02d-%s-%04d %02d:%02d:%02d %c%02d%02d", d.day,
                kMonths[static_cast<std::size_t>(month - 1)], year, d.hour, d.minute, d.second,
                tz_minutes < 0 ? '-' : '+', z / 60, z % 60);
  return buf;
}

void append_internal_date(std::string& out, std::int64_t t, std::int32_t tz_minutes) {
  out.push_back('"');
  out.append(format_internal_date(t, tz_minutes));
  out.push_back('"');
}

}  // namespace estafeta::imap
