// imap_date: see imap_date.hpp. Civil-date arithmetic after the well-known days-from-civil
// algorithm (proleptic Gregorian calendar, any year).
#include "imap/proto/imap_date.hpp"

#include <cstdio>

namespace estafeta::imap {
namespace {

constexpr const char* kMonths[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

// "Jan".."Dec", case-insensitive: 1..12, 0 if none.
unsigned month_of(std::string_view s) {
  if (s.size() != 3) return 0;
  for (unsigned m = 0; m < 12; ++m) {
    const char* n = kMonths[m];
    if (lower(s[0]) == lower(n[0]) && lower(s[1]) == lower(n[1]) && lower(s[2]) == lower(n[2]))
      return m + 1;
  }
  return 0;
}

bool digits(std::string_view s, unsigned& out) {
  if (s.empty() || s.size() > 4) return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<unsigned>(c - '0');
  }
  return true;
}

bool leap(unsigned y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(unsigned y, unsigned m) {
  static constexpr unsigned kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

// date-day "-" date-month "-" date-year, day 1 or 2 digits (a leading space allowed when
// `fixed`, RFC 9051 §9 date-day-fixed).
std::optional<std::int64_t> parse_days(std::string_view text, bool fixed) {
  if (fixed && !text.empty() && text[0] == ' ') text.remove_prefix(1);
  std::size_t d1 = text.find('-');
  if (d1 == std::string_view::npos || d1 < 1 || d1 > 2) return std::nullopt;
  std::size_t d2 = text.find('-', d1 + 1);
  if (d2 != d1 + 4) return std::nullopt;
  unsigned day = 0, year = 0;
  unsigned month = month_of(text.substr(d1 + 1, 3));
  std::string_view y = text.substr(d2 + 1);
  if (!digits(text.substr(0, d1), day) || month == 0 || y.size() != 4 || !digits(y, year))
    return std::nullopt;
  if (day < 1 || day > days_in_month(year, month)) return std::nullopt;
  return days_from_civil(year, month, day);
}

}  // namespace

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::optional<std::int64_t> parse_date(std::string_view text) {
  return parse_days(text, false);
}

std::optional<std::int64_t> parse_date_time(std::string_view text, int* zone_minutes) {
  // date-day-fixed "-" date-month "-" date-year SP time SP zone: 26 octets.
  if (text.size() != 26 || text[11] != ' ' || text[20] != ' ') return std::nullopt;
  auto days = parse_days(text.substr(0, 11), true);
  if (!days || text[0] == '-') return std::nullopt;
  std::string_view t = text.substr(12, 8), z = text.substr(21);
  unsigned hh = 0, mm = 0, ss = 0, zh = 0, zm = 0;
  if (t[2] != ':' || t[5] != ':' || !digits(t.substr(0, 2), hh) || !digits(t.substr(3, 2), mm) ||
      !digits(t.substr(6, 2), ss) || hh > 23 || mm > 59 || ss > 60)
    return std::nullopt;
  if ((z[0] != '+' && z[0] != '-') || !digits(z.substr(1, 2), zh) || !digits(z.substr(3, 2), zm) ||
      zm > 59)
    return std::nullopt;
  int zone = static_cast<int>(zh * 60 + zm) * (z[0] == '-' ? -1 : 1);
  if (zone_minutes) *zone_minutes = zone;
  const std::int64_t seconds_of_day = std::int64_t{hh} * 3600 + std::int64_t{mm} * 60 + ss;
  return *days * 86400 + seconds_of_day - static_cast<std::int64_t>(zone) * 60;
}

std::string format_date_time(std::int64_t seconds, int zone_minutes) {
  std::int64_t local = seconds + static_cast<std::int64_t>(zone_minutes) * 60;
  std::int64_t days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
  std::int64_t sod = local - days * 86400;
  // civil_from_days
  std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
  int zone = zone_minutes < 0 ? -zone_minutes : zone_minutes;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%2u-%s-%04lld %02d:%02d:%02d %c%02d%02d", d, kMonths[m - 1],
                static_cast<long long>(y), static_cast<int>(sod / 3600),
                static_cast<int>(sod / 60 % 60), static_cast<int>(sod % 60),
                zone_minutes < 0 ? '-' : '+', zone / 60, zone % 60);
  return buf;
}

}  // namespace estafeta::imap
