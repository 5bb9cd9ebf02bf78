// auth_address: splitting and normalising mail addresses for the account database.
// Domains and local parts are compared case-insensitively (ASCII letters folded to lower
// case; UTF-8 octets, RFC 6531, are compared as given). Input may be hostile envelope data:
// everything is length-checked (local part <= 64 octets, RFC 5321 §4.5.3.1.1; domain <= 255,
// §4.5.3.1.2) and nothing is allocated beyond the input's size.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace estafeta::auth {

struct Address {
  std::string local;           // lower-cased local part
  std::string domain;          // lower-cased domain
  std::string original_local;  // the local part as given (for +detail folder names)
  std::string full() const { return local + "@" + domain; }
};

std::string ascii_lower(std::string_view s);

// Splits at the last '@' and lower-cases. nullopt when there is no '@', either side is empty
// or too long, or it holds control characters, spaces or NUL.
std::optional<Address> parse_address(std::string_view address);

// A domain we are willing to store: labels of letters, digits, '-' (not at either end) and
// UTF-8 octets, separated by single dots, at most 253 octets. Returns the lower-cased domain,
// or nullopt.
std::optional<std::string> normalize_domain(std::string_view domain);

// An account address we are willing to store: the domain as above and a local part of RFC 5322
// atext and inner dots (no '/', which would escape the Maildir path, no leading, trailing or
// double dot), at most 64 octets. Returns the normalised address, or nullopt.
std::optional<Address> parse_account(std::string_view address);

// A Maildir++ folder name taken from a +detail tag: 1..100 octets, no '/', no leading '.',
// no "..", no control characters.
bool valid_folder_name(std::string_view name);

}  // namespace estafeta::auth
