// smtp_received: builds the Received field (see the header). The date is formatted by hand
// from the civil UTC time so the result does not depend on the process locale or time zone.
#include "smtp/proto/smtp_received.hpp"

#include <fmt/format.h>

#include <ctime>

namespace estafeta::smtp {
namespace {

// Keeps what may appear in a Received token or comment; anything else becomes '?'.
std::string header_safe(std::string_view s, bool allow_utf8, std::size_t max = 255) {
  std::string out;
  for (char ch : s.substr(0, max)) {
    auto u = static_cast<unsigned char>(ch);
    bool ok = (u > 32 && u < 127 && ch != '(' && ch != ')' && ch != '\\' && ch != ';') ||
              (u >= 0x80 && allow_utf8);
    out += ok ? ch : '?';
  }
  return out;
}

std::string ip_literal(std::string_view ip) {
  if (ip.empty()) return "unknown";
  std::string safe = header_safe(ip, false, 64);
  if (safe.find(':') != std::string::npos) return "[IPv6:" + safe + "]";  // RFC 5321 §4.1.3
  return "[" + safe + "]";
}

}  // namespace

std::string with_protocol(bool esmtp, bool tls, bool authenticated, bool smtputf8) {
  if (!esmtp && !tls && !authenticated && !smtputf8) return "SMTP";
  std::string p = smtputf8 ? "UTF8SMTP" : "ESMTP";  // RFC 6531 §3.7.3, RFC 3848 §2
  if (tls) p += 'S';
  if (authenticated) p += 'A';
  return p;
}

std::string format_rfc5322_date(std::chrono::system_clock::time_point when) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{}, {} {} {:04d} {:02d}:{:02d}:{:02d} +0000", kDays[tm.tm_wday % 7],
                     tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                     tm.tm_sec);
}

std::string format_received(const ReceivedFields& f) {
  bool utf8 = f.smtputf8;
  std::string out = "Received: from ";
  out += f.helo.empty() ? std::string("unknown") : header_safe(f.helo, utf8);
  out += " (";
  out += ip_literal(f.peer_ip);
  out += ")";
  if (f.tls) {
    out += fmt::format("\r\n\t(using {} with cipher {})",
                       f.tls_version.empty() ? "TLS" : header_safe(f.tls_version, false, 32),
                       f.tls_cipher.empty() ? "unknown" : header_safe(f.tls_cipher, false, 64));
  }
  if (!f.auth_user.empty())
    out += fmt::format("\r\n\t(authenticated user {})", header_safe(f.auth_user, utf8));
  out += fmt::format("\r\n\tby {} (Estafeta) with {} id {}", header_safe(f.server_hostname, utf8),
                     with_protocol(f.esmtp, f.tls, !f.auth_user.empty(), f.smtputf8),
                     header_safe(f.id, false, 64));
  if (!f.single_recipient.empty())
    out += fmt::format("\r\n\tfor <{}>", header_safe(f.single_recipient, utf8, 300));
  out += ";\r\n\t";
  out += format_rfc5322_date(f.when);
  out += "\r\n";
  return out;
}

}  // namespace estafeta::smtp
