// imap_acl: see imap_acl.hpp.
#include "imap/proto/imap_acl.hpp"

namespace estafeta::imap::acl {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  return out;
}

}  // namespace

Rights right_of(char letter) {
  switch (letter) {
    case 'l':
      return kLookup;
    case 'r':
      return kRead;
    case 's':
      return kSeen;
    case 'w':
      return kWrite;
    case 'i':
      return kInsert;
    case 'p':
      return kPost;
    case 'k':
      return kCreate;
    case 'x':
      return kDeleteMailbox;
    case 't':
      return kDeleteMessage;
    case 'e':
      return kExpunge;
    case 'a':
      return kAdmin;
    case 'c':
      return kCreate | kDeleteMailbox;  // RFC 4314 §2.1.1 "create"
    case 'd':
      return kDeleteMessage | kExpunge;  // RFC 4314 §2.1.1 "delete"
    default:
      return 0;
  }
}

std::optional<Rights> parse_rights(std::string_view s, char* bad_letter) {
  Rights r = 0;
  for (char ch : s) {
    Rights bit = right_of(ch);
    if (!bit) {
      if (bad_letter) *bad_letter = ch;
      return std::nullopt;
    }
    r |= bit;
  }
  return r;
}

std::string format_rights(Rights r) {
  std::string out;
  for (char ch : kLetters)
    if (r & right_of(ch)) out += ch;
  // RFC 4314 §2.1.1: the obsolete rights are reported whenever one of their members is.
  if (r & (kCreate | kDeleteMailbox)) out += 'c';
  if (r & (kDeleteMessage | kExpunge)) out += 'd';
  return out;
}

std::optional<RightsChange> parse_change(std::string_view s, char* bad_letter) {
  RightsChange c;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    c.mode = s.front() == '+' ? RightsChange::Mode::add : RightsChange::Mode::remove;
    s.remove_prefix(1);
  }
  auto r = parse_rights(s, bad_letter);
  if (!r) return std::nullopt;
  c.rights = *r;
  return c;
}

Rights apply(Rights current, const RightsChange& change) {
  switch (change.mode) {
    case RightsChange::Mode::replace:
      return change.rights;
    case RightsChange::Mode::add:
      return static_cast<Rights>(current | change.rights);
    case RightsChange::Mode::remove:
      return static_cast<Rights>(current & ~change.rights);
  }
  return current;
}

std::string domain_of(std::string_view address) {
  std::size_t at = address.rfind('@');
  if (at == std::string_view::npos) return {};
  return lower(address.substr(at + 1));
}

std::optional<std::string> canonical_identifier(std::string_view id, std::string_view owner) {
  std::string sign;
  if (!id.empty() && id.front() == '-') {
    sign = "-";
    id.remove_prefix(1);
  }
  std::string l = lower(id);
  if (l == "anyone") return sign + l;
  // An address of the owner's domain: local@domain, printable, no spaces.
  std::size_t at = l.rfind('@');
  if (at == 0 || at == std::string::npos || at + 1 >= l.size() || l.size() > 254)
    return std::nullopt;
  for (unsigned char ch : l)
    if (ch <= 0x20 || ch == 0x7f || ch == '"' || ch == '\\' || ch == '/') return std::nullopt;
  if (l.find('@') != at) return std::nullopt;
  if (domain_of(l) != domain_of(owner) || domain_of(owner).empty()) return std::nullopt;
  return sign + l;
}

Rights effective_rights(const std::vector<store::AclEntry>& entries, std::string_view user,
                        std::string_view owner) {
  const std::string u = lower(user);
  if (u == lower(owner)) return kAll;
  const std::string domain = domain_of(u);
  if (domain.empty() || domain != domain_of(owner)) return 0;  // never across domains
  Rights granted = 0, denied = 0;
  for (const auto& e : entries) {
    std::string_view id = e.identifier;
    bool negative = !id.empty() && id.front() == '-';
    if (negative) id.remove_prefix(1);
    if (id != "anyone" && lower(id) != u) continue;
    Rights r = parse_rights(e.rights).value_or(0);
    (negative ? denied : granted) |= r;
  }
  return static_cast<Rights>(granted & ~denied);
}

}  // namespace estafeta::imap::acl
