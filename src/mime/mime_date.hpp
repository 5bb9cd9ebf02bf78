// mime_date: the Date / Resent-Date field (RFC 5322 §3.3) with the obsolete syntax of §4.3:
// two- and three-digit years, alphabetic zones (UT, GMT, EST..PDT, military letters), missing
// seconds, comments and folding anywhere; also what clients send in the wild (missing zone,
// zone "+0000 (UTC)", month before day, dots in the time). Input is untrusted header text.
// No allocation; constant memory.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace estafeta::mime {

struct DateTime {
  int year = 1970;  // four digits after §4.3 conversion
  int month = 1;    // 1..12
  int day = 1;      // 1..31
  int hour = 0, minute = 0, second = 0;
  int zone_minutes = 0;    // offset east of UTC
  bool zone_known = true;  // false for "-0000", military zones and a missing zone (§3.3)

  // Seconds since 1970-01-01T00:00:00Z.
  std::int64_t to_unix() const;
};

// Parses a raw (possibly folded) Date value; nullopt when no day, month, year and time can be
// found or a component is out of range.
std::optional<DateTime> parse_date(std::string_view raw_value);

// RFC 5322 §3.3 form: "Sat, 28 Nov 2026 03:17:28 +0000".
std::string format_date(const DateTime& d);

// The civil date-time for a Unix time at the given zone offset.
DateTime date_from_unix(std::int64_t t, int zone_minutes = 0);

}  // namespace estafeta::mime
