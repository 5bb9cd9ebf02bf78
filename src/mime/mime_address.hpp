// mime_address: address lists of From/To/Cc/Bcc/Reply-To/Sender (RFC 5322 §3.4) with the
// obsolete forms of §4.4 (routes "<@a,@b:user@c>", CFWS around dots, empty list elements),
// quoted local parts, comments, groups, and RFC 6532 UTF-8. Display names are kept as written
// (quoted strings unquoted, RFC 2047 words not decoded; decoded_name() decodes them).
// Malformed lists degrade the way Dovecot and mail clients do: a bare word is a mailbox
// without domain, words without '@' are a display name, an unterminated '<' or quote runs to
// the end, garbage up to the next ',' is skipped. Input is untrusted header text.
// Memory: at most kMaxAddresses entries per list, the rest is dropped; no recursion (groups
// do not nest, §3.4).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace estafeta::mime {

inline constexpr std::size_t kMaxAddresses = 10000;

struct Address {
  enum class Kind : unsigned char {
    mailbox,      // one mailbox
    group_start,  // "name:" — `name` is the group's display name
    group_end,    // ";"
  };
  Kind kind = Kind::mailbox;
  std::string name;           // display name as written (unquoted), "" if none
  std::string route;          // obsolete source route "@a,@b" (no ':'), "" if none
  std::string local;          // local part, unquoted ("" when missing)
  std::string domain;         // domain ("" when missing); domain literals keep their brackets
  bool has_name = false;      // a display name was present (maybe empty: "" <a@b>)
  bool invalid = false;       // repaired: something was missing or skipped
  bool quoted_local = false;  // the local part was (partly) a quoted string
  bool angle = false;         // written as an angle address; "<>" is kept (as Dovecot does)
  bool broken_angle = false;  // the angle address did not parse up to its '>'
  bool broken_route = false;  // an obsolete route without its ':'

  // "local@domain", quoting the local part when it needs it (RFC 5322 §3.4.1).
  std::string addr_spec() const;
};

using AddressList = std::vector<Address>;

// Parses a raw (possibly folded) header value. Never fails; an empty value gives {}.
AddressList parse_address_list(std::string_view raw_value, std::size_t max = kMaxAddresses);

// The display name with RFC 2047 words decoded (UTF-8).
std::string decoded_name(const Address& a);

// The mailboxes only (group markers dropped), e.g. for recipient lists.
AddressList mailboxes(const AddressList& list);

}  // namespace estafeta::mime
