// store_names: the mailbox-name rules of store.hpp: which names are valid (RFC 9051 §5.1
// leaves them to the server; ours are UTF-8 with '/' as the hierarchy delimiter) and the
// canonical spelling of INBOX (case-insensitive, RFC 9051 §5.1). Input is untrusted client
// text; no allocation beyond the returned string.
#include <string>

#include "store/api/store.hpp"

namespace estafeta::store {
namespace {

bool is_inbox(std::string_view name) {
  if (name.size() != 5) return false;
  static constexpr std::string_view kInbox = "INBOX";
  for (std::size_t i = 0; i < 5; ++i) {
    char c = name[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != kInbox[i]) return false;
  }
  return true;
}

// True when `s` is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if ((c & 0xe0) == 0xc0) {
      n = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)) return false;
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    // C1 controls (U+0080..U+009F) are control characters too.
    if (cp >= 0x80 && cp <= 0x9f) return false;
    i += n + 1;
  }
  return true;
}

}  // namespace

bool valid_mailbox_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxMailboxName) return false;
  if (is_inbox(name)) return true;
  if (name.front() == '/' || name.back() == '/') return false;
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f) return false;
  if (!valid_utf8(name)) return false;
  // Components: none empty ("//"), none "." or "..".
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    std::string_view comp = name.substr(start, end - start);
    if (comp.empty() || comp == "." || comp == "..") return false;
    start = end + 1;
  }
  return true;
}

std::string canonical_mailbox_name(std::string_view name) {
  if (is_inbox(name)) return "INBOX";
  return std::string(name);
}

namespace {

struct SpecialUseName {
  SpecialUse use;
  std::string_view attribute;
};
constexpr SpecialUseName kSpecialUses[] = {
    {SpecialUse::all, "\\All"},       {SpecialUse::archive, "\\Archive"},
    {SpecialUse::drafts, "\\Drafts"}, {SpecialUse::flagged, "\\Flagged"},
    {SpecialUse::junk, "\\Junk"},     {SpecialUse::sent, "\\Sent"},
    {SpecialUse::trash, "\\Trash"},
};

bool same_ignoring_ascii_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

}  // namespace

std::string_view special_use_attribute(SpecialUse use) {
  for (const auto& s : kSpecialUses)
    if (s.use == use) return s.attribute;
  return {};
}

std::optional<SpecialUse> special_use_from_attribute(std::string_view attribute) {
  for (const auto& s : kSpecialUses)
    if (same_ignoring_ascii_case(s.attribute, attribute)) return s.use;
  return std::nullopt;
}

}  // namespace estafeta::store
