// mime_date: RFC 5322 §3.3 / §4.3 date parsing and formatting (see mime_date.hpp).
#include "mime/mime_date.hpp"

#include <cstdio>

#include "mime/mime_lexer.hpp"
#include "mime/mime_message.hpp"

namespace estafeta::mime {
namespace {

const char* const kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                               "jul", "aug", "sep", "oct", "nov", "dec"};
const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

int month_of(std::string_view w) {
  if (w.size() < 3) return 0;
  for (int i = 0; i < 12; ++i)
    if (lower(w[0]) == kMonths[i][0] && lower(w[1]) == kMonths[i][1] &&
        lower(w[2]) == kMonths[i][2])
      return i + 1;
  return 0;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// RFC 5322 §4.3 obs-zone. Returns false if `w` is no zone name.
bool alpha_zone(std::string_view w, int& minutes, bool& known) {
  struct Z {
    const char* n;
    int h;
  };
  static const Z zones[] = {{"ut", 0},   {"utc", 0},  {"gmt", 0},  {"z", 0},
                            {"est", -5}, {"edt", -4}, {"cst", -6}, {"cdt", -5},
                            {"mst", -7}, {"mdt", -6}, {"pst", -8}, {"pdt", -7}};
  for (const Z& z : zones) {
    if (iequals(w, z.n)) {
      minutes = z.h * 60;
      known = true;
      return true;
    }
  }
  if (w.size() == 1 && is_alpha(w[0])) {  // military zones: "SHOULD be considered -0000"
    minutes = 0;
    known = false;
    return true;
  }
  return false;
}

int days_in_month(int y, int m) {
  static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return d[m - 1];
}

// Days since 1970-01-01 of a civil date (proleptic Gregorian).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

}  // namespace

std::int64_t DateTime::to_unix() const {
  return days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
         hour * 3600 + minute * 60 + second - zone_minutes * 60;
}

std::optional<DateTime> parse_date(std::string_view raw_value) {
  // Tokenise: numbers, words, time (digits with ':' or '.'), signed zones; skip the rest.
  DateTime d;
  int day = -1, month = 0, year = -1;
  int year_digits = 0;
  bool have_time = false, have_zone = false;
  lex::Cursor c(raw_value);
  int tokens = 0;
  while (tokens++ < 64) {
    lex::skip_cfws(c);
    if (c.done()) break;
    char ch = *c.p;
    if (is_digit(ch)) {
      const char* b = c.p;
      while (!c.done() && is_digit(*c.p)) ++c.p;
      std::string_view num(b, static_cast<std::size_t>(c.p - b));
      if ((c.at(':') || (c.at('.') && !have_time && day >= 0 && month > 0 && year >= 0)) &&
          !have_time && num.size() <= 2) {
        // time = hour ":" minute [ ":" second ]
        int parts[3] = {0, 0, 0};
        int n = 0;
        parts[n++] = std::stoi(std::string(num));
        while (n < 3 && (c.at(':') || c.at('.'))) {
          ++c.p;
          lex::skip_cfws(c);  // obsolete: CFWS around ':'
          const char* nb = c.p;
          while (!c.done() && is_digit(*c.p) && c.p - nb < 2) ++c.p;
          if (c.p == nb) break;
          parts[n++] = std::stoi(std::string(nb, static_cast<std::size_t>(c.p - nb)));
        }
        if (n < 2) return std::nullopt;
        d.hour = parts[0];
        d.minute = parts[1];
        d.second = parts[2];
        have_time = true;
        continue;
      }
      if (num.size() > 4) continue;  // garbage number
      int v = std::stoi(std::string(num));
      if (day < 0 && num.size() <= 2 && (month == 0 || year < 0)) {
        day = v;
      } else if (year < 0) {
        year = v;
        year_digits = static_cast<int>(num.size());
      }
      continue;
    }
    if ((ch == '+' || ch == '-') && have_time && !have_zone) {
      ++c.p;
      const char* b = c.p;
      while (!c.done() && is_digit(*c.p) && c.p - b < 4) ++c.p;
      if (c.p - b == 4) {
        int hh = (b[0] - '0') * 10 + (b[1] - '0');
        int mm = (b[2] - '0') * 10 + (b[3] - '0');
        int off = hh * 60 + mm;
        d.zone_minutes = ch == '-' ? -off : off;
        d.zone_known = !(ch == '-' && off == 0);  // §3.3: -0000 means "no information"
        have_zone = true;
      }
      continue;
    }
    if (is_alpha(ch)) {
      const char* b = c.p;
      while (!c.done() && is_alpha(*c.p)) ++c.p;
      std::string_view w(b, static_cast<std::size_t>(c.p - b));
      if (month == 0 && month_of(w) != 0 && w.size() <= 9) {
        month = month_of(w);
      } else if (have_time && !have_zone && alpha_zone(w, d.zone_minutes, d.zone_known)) {
        have_zone = true;
      }
      continue;
    }
    ++c.p;  // ',' or other punctuation
  }
  if (day < 0 || month == 0 || year < 0) return std::nullopt;
  // RFC 5322 §4.3: two-digit years 00-49 are 2000-2049, 50-99 are 1950-1999; three-digit
  // years have 1900 added.
  if (year_digits <= 2)
    year += year < 50 ? 2000 : 1900;
  else if (year_digits == 3)
    year += 1900;
  if (!have_zone) {
    d.zone_minutes = 0;
    d.zone_known = false;
  }
  if (day < 1 || day > days_in_month(year, month) || d.hour > 23 || d.minute > 59 ||
      d.second > 60 || d.zone_minutes < -24 * 60 || d.zone_minutes > 24 * 60)
    return std::nullopt;
  d.year = year;
  d.month = month;
  d.day = day;
  return d;
}

DateTime date_from_unix(std::int64_t t, int zone_minutes) {
  t += static_cast<std::int64_t>(zone_minutes) * 60;
  std::int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  std::int64_t secs = t - days * 86400;
  // civil_from_days
  std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned dd = doy - (153 * mp + 2) / 5 + 1;
  const unsigned mm = mp < 10 ? mp + 3 : mp - 9;
  DateTime d;
  d.year = static_cast<int>(y + (mm <= 2));
  d.month = static_cast<int>(mm);
  d.day = static_cast<int>(dd);
  d.hour = static_cast<int>(secs / 3600);
  d.minute = static_cast<int>(secs / 60 % 60);
  d.second = static_cast<int>(secs % 60);
  d.zone_minutes = zone_minutes;
  return d;
}

std::string format_date(const DateTime& d) {
  std::int64_t days =
      days_from_civil(d.year, static_cast<unsigned>(d.month), static_cast<unsigned>(d.day));
  int wd = static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday
  int z = d.zone_minutes < 0 ? -d.zone_minutes : d.zone_minutes;
  char sign = (d.zone_minutes < 0 || !d.zone_known) ? '-' : '+';
  char buf[64];
  static const char* const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::snprintf(buf, sizeof buf, "%s, %d %s %04d %02d:%02d:%02d %c%02d%02d", kDays[wd], d.day,
                months[d.month - 1], d.year, d.hour, d.minute, d.second, sign, z / 60, z % 60);
  return buf;
}

}  // namespace estafeta::mime
