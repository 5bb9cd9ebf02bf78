// auth_password: password hashes through libcrypt (libxcrypt). New passwords are hashed with
// yescrypt ("$y$", libcrypt's default cost); existing hashes may be imported in the formats
// listed below after checking that this libcrypt can verify them. Verification recomputes
// the hash with crypt_ra and compares in constant time. Passwords are secrets: never logged.
// Input may come from an unauthenticated client (AUTH PLAIN): passwords longer than
// kMaxPasswordLength or holding NUL never verify, and cost only a length check.
#pragma once

#include <string>
#include <string_view>

namespace estafeta::auth {

inline constexpr std::size_t kMaxPasswordLength = 1024;

// A fresh yescrypt hash of `password`, or "" when libcrypt fails (no entropy, NUL in input).
std::string hash_password(std::string_view password);

// True when `password` matches `hash` (any format libcrypt supports).
bool verify_password(std::string_view password, std::string_view hash);

// Checks a hash given with --hash: it must be yescrypt ($y$), gost-yescrypt ($gy$), bcrypt
// ($2b$, $2y$, $2a$) or sha512-crypt ($6$), accepted by crypt_checksalt, and complete (the
// hash part present and of the right length). Returns "" when acceptable, else the reason.
std::string check_imported_hash(std::string_view hash);

// Constant-time equality for equal-length secrets (differing lengths return false at once).
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace estafeta::auth
