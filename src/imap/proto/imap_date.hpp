// imap_date: the date forms of IMAP (RFC 9051 §9 date and date-time): SEARCH dates
// ("1-Feb-1994", quoted or not) as days since 1970-01-01, APPEND's date-time
// ("17-Jul-1996 02:44:25 -0700") as seconds since the epoch (UTC), and the date-time form the
// server writes for INTERNALDATE. Month names are case-insensitive; values are range-checked
// (day within the month, leap years). Trust: text from the peer. Pure, no exceptions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace estafeta::imap {

// "d-Mon-yyyy" or "dd-Mon-yyyy" (no quotes): days since 1970-01-01.
std::optional<std::int64_t> parse_date(std::string_view text);

// "dd-Mon-yyyy hh:mm:ss +zzzz" (day may be space-padded, " 7-Jul-1996 ..."; no quotes):
// seconds since the epoch in UTC. The zone is returned in *zone_minutes when not null.
std::optional<std::int64_t> parse_date_time(std::string_view text, int* zone_minutes = nullptr);

// The INTERNALDATE form, "17-Jul-1996 09:44:25 +0000" style, for `seconds` shown in a zone
// `zone_minutes` east of UTC (day space-padded as RFC 9051 §9 date-day-fixed asks).
std::string format_date_time(std::int64_t seconds, int zone_minutes = 0);

// Days since 1970-01-01 for a civil date (proleptic Gregorian); month 1..12.
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day);

}  // namespace estafeta::imap
