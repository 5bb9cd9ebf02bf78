// mua_search_query: the query language of `estafeta mail search` turned into IMAP SEARCH
// keys (RFC 9051 §6.4.4). All terms must match (AND):
//   word, "a phrase"         TEXT (header or body contains it)
//   from:X to:X cc:X         FROM / TO / CC (X may be "quoted with spaces")
//   subject:X body:X         SUBJECT / BODY
//   since:YYYY-MM-DD         SINCE (internal date on or after)
//   before:YYYY-MM-DD        BEFORE (internal date before)
//   on:YYYY-MM-DD            ON
//   unseen, seen, flagged, unflagged, answered, unanswered, deleted (also as is:NAME)
//   larger:N smaller:N       LARGER / SMALLER (octets; k and M suffixes)
// A field name is case-insensitive; a word with an unknown "name:" prefix is searched as
// text. Trust: the query is the user's; its size is bounded (kMaxSearchQuery octets, at most
// kMaxSearchTerms terms). Errors name the term at fault.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace estafeta::mua {

inline constexpr std::size_t kMaxSearchQuery = 4096;
inline constexpr std::size_t kMaxSearchTerms = 64;

struct SearchKey {
  bool is_string = false;  // an argument to send as an IMAP string; else a keyword/atom
  std::string text;
};

struct SearchQuery {
  std::vector<SearchKey> keys;  // in order, e.g. FROM "bob" SINCE 1-Dec-2026 TEXT "x"
  bool non_ascii = false;       // some string has 8-bit bytes: send CHARSET UTF-8
};

// False with `error` naming the term when the query is empty, too long or has a bad value.
bool parse_search_query(std::string_view query, SearchQuery& out, std::string& error);

// "2026-12-02" -> "2-Dec-2026" (RFC 9051 §9 date); "" when not a valid date.
std::string imap_search_date(std::string_view iso);

}  // namespace estafeta::mua
