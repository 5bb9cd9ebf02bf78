// imap_acl: RFC 4314 access rights as data: the rights letters and their bits, rights strings
// (parsing, formatting with the obsolete "c" and "d" of §2.1.1), SETACL's "+"/"-" modifiers,
// the identifiers a mailbox may grant to (addresses of the owner's domain and "anyone", each
// possibly negative "-id", §2) and the effective rights of a user (§2: the union of the
// positive rights of every identifier that names the user, less the union of the negative
// ones; the owner of a mailbox always has every right, as Dovecot's owner does).
// Pure functions, no I/O; inputs are untrusted client strings, bounded by the parser's
// limits (imap_limits.hpp); nothing here allocates more than a copy of its input.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/api/store.hpp"

namespace estafeta::imap::acl {

// One bit per right of RFC 4314 §2.1 (the server's RIGHTS=texk set).
using Rights = std::uint16_t;
enum Right : Rights {
  kLookup = 1 << 0,         // l: LIST shows it, SUBSCRIBE
  kRead = 1 << 1,           // r: SELECT, EXAMINE, STATUS, FETCH, SEARCH, COPY from
  kSeen = 1 << 2,           // s: keep \Seen
  kWrite = 1 << 3,          // w: flags other than \Seen and \Deleted
  kInsert = 1 << 4,         // i: APPEND, COPY/MOVE into
  kPost = 1 << 5,           // p: post to the mailbox's submission address (advisory)
  kCreate = 1 << 6,         // k: CREATE inferiors, RENAME into
  kDeleteMailbox = 1 << 7,  // x: DELETE, RENAME from
  kDeleteMessage = 1 << 8,  // t: \Deleted
  kExpunge = 1 << 9,        // e: EXPUNGE, CLOSE's expunge, MOVE from
  kAdmin = 1 << 10,         // a: SETACL, DELETEACL, GETACL, LISTRIGHTS
};
inline constexpr Rights kAll = 0x7ff;
// The letters in the order the server writes them.
inline constexpr std::string_view kLetters = "lrswipkxtea";

// The bit of one letter (c and d: their §2.1.1 members: c = k x, d = e t); 0 when unknown.
Rights right_of(char letter);
// Parses a rights string ("lrs", "c", ...). nullopt when a letter is not a right (RFC 4314
// §3.1: the server answers BAD... here NO, as Dovecot does, with the letter named).
std::optional<Rights> parse_rights(std::string_view s, char* bad_letter = nullptr);
// The rights as letters, with "c" when k or x is present and "d" when e or t is (§2.1.1).
std::string format_rights(Rights r);

// SETACL's mod-rights (§3.1): "+..." adds, "-..." removes, otherwise replaces.
struct RightsChange {
  enum class Mode { replace, add, remove } mode = Mode::replace;
  Rights rights = 0;
};
std::optional<RightsChange> parse_change(std::string_view s, char* bad_letter = nullptr);
Rights apply(Rights current, const RightsChange& change);

// The domain of an address ("" without '@'), lower-cased.
std::string domain_of(std::string_view address);
// An identifier the owner may grant to, canonical (lower-cased address, "anyone", with a
// leading "-" kept): an address of the owner's domain, or "anyone". nullopt otherwise.
std::optional<std::string> canonical_identifier(std::string_view id, std::string_view owner);

// RFC 4314 §2: what `user` may do in a mailbox of `owner` with these entries (identifier ->
// rights letters, as the store keeps them). The owner has kAll; a user of another domain has 0.
Rights effective_rights(const std::vector<store::AclEntry>& entries, std::string_view user,
                        std::string_view owner);

}  // namespace estafeta::imap::acl
