// mime_dsn: the DSN builder of mime_dsn.hpp. Status fields are written by field(), which
// strips CR/LF from every value (remote diagnostic texts are peer data) and folds long ones.
// Addresses with non-ASCII characters switch the report to the RFC 6533 types
// (message/global-delivery-status, address type "utf-8").
#include "mime/mime_dsn.hpp"

#include <string>

#include "mime/mime_compose.hpp"
#include "mime/mime_encoded_word.hpp"

namespace estafeta::mime {
namespace {

using Clock = std::chrono::system_clock;

// "<" + s + ">", built by appending (gcc 12 warns falsely on the operator+ chain).
std::string angle(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '<';
  out += s;
  out += '>';
  return out;
}

std::string one_line(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\r' || c == '\n') {
      if (!out.empty() && out.back() != ' ') out += ' ';
      continue;
    }
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// Remote reply texts are peer bytes: printable ASCII only, the rest becomes '?'.
std::string diagnostic_text(std::string_view s) {
  std::string out = one_line(s);
  for (auto& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E) c = '?';
  return out;
}

bool has_8bit(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  return false;
}

bool is_zero(Clock::time_point t) {
  return t == Clock::time_point{};
}

// RFC 3461 §4 xtext: "+XX" is a byte. ORCPT arrives in this form; the DSN field carries the
// decoded address.
std::string xtext_decode(std::string_view s) {
  auto hex = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// "rfc822; addr" or, for SMTPUTF8 addresses, "utf-8; addr" (RFC 6533 §3).
std::string typed_address(std::string_view addr) {
  std::string a = one_line(addr);
  return (has_8bit(a) ? "utf-8; " : "rfc822; ") + a;
}

// ORCPT "type;address": keep the type, decode the xtext address.
std::string original_recipient(std::string_view orcpt) {
  std::string o = one_line(orcpt);
  auto semi = o.find(';');
  if (semi == std::string::npos) return "rfc822; " + xtext_decode(o);
  std::string type = o.substr(0, semi);
  std::string addr = o.substr(semi + 1);
  while (!addr.empty() && addr.front() == ' ') addr.erase(0, 1);
  while (!type.empty() && type.back() == ' ') type.pop_back();
  return type + "; " + xtext_decode(addr);
}

void field(std::string& out, std::string_view name, std::string_view value) {
  out += fold_header(name, one_line(value));
}

std::string status_body(const DsnReport& r) {
  std::string out;
  // RFC 3464 §2.2: per-message fields, in the grammar's order. ENVID arrives as xtext
  // (RFC 3461 §4.4); the report carries its decoded form.
  if (!r.original_envelope_id.empty())
    field(out, "Original-Envelope-Id", xtext_decode(r.original_envelope_id));
  field(out, "Reporting-MTA", "dns; " + r.reporting_mta);
  if (!is_zero(r.arrival_date))
    field(out, "Arrival-Date", format_date(r.arrival_date, r.utc_offset_minutes));
  // §2.3: one block per recipient, each after an empty line.
  for (const auto& rc : r.recipients) {
    out += "\r\n";
    if (!rc.original_recipient.empty())
      field(out, "Original-Recipient", original_recipient(rc.original_recipient));
    field(out, "Final-Recipient", typed_address(rc.final_recipient));
    field(out, "Action", dsn_action_name(rc.action));
    field(out, "Status",
          rc.status.empty() ? (rc.action == DsnAction::failed    ? "5.0.0"
                               : rc.action == DsnAction::delayed ? "4.0.0"
                                                                 : "2.0.0")
                            : rc.status);
    if (!rc.remote_mta.empty()) field(out, "Remote-MTA", "dns; " + rc.remote_mta);
    if (!rc.diagnostic_code.empty())
      field(out, "Diagnostic-Code",
            diagnostic_text(rc.diagnostic_type) + "; " + diagnostic_text(rc.diagnostic_code));
    if (!is_zero(rc.last_attempt))
      field(out, "Last-Attempt-Date", format_date(rc.last_attempt, r.utc_offset_minutes));
    if (rc.action == DsnAction::delayed && !is_zero(rc.will_retry_until))
      field(out, "Will-Retry-Until", format_date(rc.will_retry_until, r.utc_offset_minutes));
  }
  return out;
}

// The most significant action decides the subject and the opening sentence.
DsnAction overall_action(const DsnReport& r) {
  bool delayed = false, delivered = false;
  for (const auto& rc : r.recipients) {
    if (rc.action == DsnAction::failed) return DsnAction::failed;
    if (rc.action == DsnAction::delayed) delayed = true;
    if (rc.action == DsnAction::delivered) delivered = true;
  }
  if (delayed) return DsnAction::delayed;
  if (delivered || r.recipients.empty()) return DsnAction::delivered;
  return r.recipients.front().action;
}

std::string human_text(const DsnReport& r) {
  std::string t = "This is an automatically generated delivery report from the mail system at " +
                  one_line(r.reporting_mta) + ".\r\n\r\n";
  auto section = [&](DsnAction a, std::string_view intro) {
    bool any = false;
    for (const auto& rc : r.recipients) {
      if (rc.action != a) continue;
      if (!any) {
        t += intro;
        t += "\r\n\r\n";
        any = true;
      }
      t += "  <" + one_line(rc.final_recipient) + ">";
      if (!rc.diagnostic_code.empty() || !rc.remote_mta.empty()) {
        t += "\r\n    ";
        if (!rc.remote_mta.empty()) t += one_line(rc.remote_mta) + " said: ";
        t += rc.diagnostic_code.empty() ? "(no reply text)" : diagnostic_text(rc.diagnostic_code);
      } else if (!rc.status.empty()) {
        t += "\r\n    status " + one_line(rc.status);
      }
      t += "\r\n\r\n";
    }
  };
  section(DsnAction::failed,
          "Your message could not be delivered to the recipients below. This is a permanent\r\n"
          "error; the mail system will not try again.");
  std::string retry_note =
      "Your message has not been delivered yet to the recipients below. The mail system\r\n"
      "will keep trying; you do not need to send it again.";
  section(DsnAction::delayed, retry_note);
  section(DsnAction::delivered, "Your message was delivered to the recipients below.");
  section(DsnAction::relayed,
          "Your message was passed on to the recipients' mail systems below, which may not\r\n"
          "send further reports.");
  section(DsnAction::expanded,
          "Your message was delivered to the recipients below and forwarded from there.");
  t += r.return_full ? "The original message is attached.\r\n"
                     : "The header of the original message is attached.\r\n";
  return t;
}

}  // namespace

std::string_view dsn_action_name(DsnAction a) {
  switch (a) {
    case DsnAction::failed:
      return "failed";
    case DsnAction::delayed:
      return "delayed";
    case DsnAction::delivered:
      return "delivered";
    case DsnAction::relayed:
      return "relayed";
    case DsnAction::expanded:
      return "expanded";
  }
  return "failed";
}

std::string_view message_header_block(std::string_view message) {
  // An empty first line means an empty header.
  if (message.substr(0, 2) == "\r\n") return message.substr(0, 2);
  if (message.substr(0, 1) == "\n") return message.substr(0, 1);
  for (std::size_t i = 0; i < message.size(); ++i) {
    if (message[i] != '\n') continue;
    if (i + 1 < message.size() && message[i + 1] == '\n') return message.substr(0, i + 2);
    if (i + 2 < message.size() && message[i + 1] == '\r' && message[i + 2] == '\n')
      return message.substr(0, i + 3);
  }
  return message;
}

std::string build_dsn(const DsnReport& r) {
  const DsnAction overall = overall_action(r);
  bool utf8 = false;
  for (const auto& rc : r.recipients)
    utf8 = utf8 || has_8bit(rc.final_recipient) || has_8bit(rc.original_recipient);

  // Part 1: human-readable (RFC 6522 §3).
  std::string text = human_text(r);
  std::string p1 =
      "Content-Type: text/plain; charset=" + std::string(has_8bit(text) ? "utf-8" : "us-ascii") +
      "\r\nContent-Description: Notification\r\nContent-Transfer-Encoding: " +
      std::string(has_8bit(text) ? "8bit" : "7bit") + "\r\n\r\n" + text;
  // Part 2: machine-readable (RFC 3464 §2, RFC 6533 §6 for UTF-8 addresses).
  std::string status = status_body(r);
  std::string p2 = std::string("Content-Type: ") +
                   (utf8 ? "message/global-delivery-status" : "message/delivery-status") +
                   "\r\nContent-Description: Delivery report\r\n";
  if (has_8bit(status)) p2 += "Content-Transfer-Encoding: 8bit\r\n";
  p2 += "\r\n" + status;
  // Part 3: the original, or its header (RFC 3461 §4.3 RET, RFC 6522 §4).
  std::string p3;
  bool full = r.return_full && r.original_message.size() <= r.max_returned_size;
  std::string_view original =
      full ? std::string_view(r.original_message) : message_header_block(r.original_message);
  if (!original.empty()) {
    // message/* allows only 7bit/8bit/binary (RFC 2046 §5.2.1): never re-encode the original.
    bool eight = has_8bit(original);
    bool undelivered = overall == DsnAction::failed || overall == DsnAction::delayed;
    p3 = std::string("Content-Type: ") +
         (full ? (utf8 ? "message/global" : "message/rfc822")
               : (utf8 ? "message/global-headers" : "text/rfc822-headers")) +
         "\r\nContent-Description: " + (undelivered ? "Undelivered message" : "Delivered message") +
         (full ? "" : " header") + "\r\n";
    if (eight) p3 += "Content-Transfer-Encoding: 8bit\r\n";
    p3 += "\r\n";
    p3.append(original);
    if (p3.size() < 2 || p3.compare(p3.size() - 2, 2, "\r\n") != 0) p3 += "\r\n";
  }

  std::vector<std::string_view> parts{p1, p2};
  if (!p3.empty()) parts.push_back(p3);
  std::string boundary = generate_boundary(parts);

  std::string h;
  auto date = is_zero(r.date) ? Clock::now() : r.date;
  h += fold_header("Date", format_date(date, r.utc_offset_minutes));
  h += fold_header("From", "Mail Delivery System " + angle(one_line(r.postmaster)));
  h += fold_header("To", angle(one_line(r.recipient)));
  std::string_view subject = overall == DsnAction::failed ? "Delivery Status Notification (Failure)"
                             : overall == DsnAction::delayed
                                 ? "Delivery Status Notification (Delay)"
                                 : "Delivery Status Notification (Success)";
  h += fold_header("Subject", subject);
  std::string host = r.reporting_mta;
  std::string id = r.message_id.empty() ? generate_message_id(host) : one_line(r.message_id);
  h += fold_header("Message-ID", angle(id));
  if (std::string orig = one_line(r.original_message_id); !orig.empty()) {
    if (orig.front() != '<') orig = angle(orig);
    h += fold_header("In-Reply-To", orig);
    h += fold_header("References", orig);
  }
  h += "Auto-Submitted: auto-replied\r\n";  // RFC 3834 §5
  h += "MIME-Version: 1.0\r\n";
  h +=
      fold_header("Content-Type", "multipart/report; report-type=delivery-status;\r\n boundary=\"" +
                                      boundary + "\"");

  std::string out = h + "\r\nThis is a MIME-encapsulated delivery status notification.\r\n";
  for (auto p : parts) {
    out += "--" + boundary + "\r\n";
    out.append(p);
    if (p.size() < 2 || p.substr(p.size() - 2) != "\r\n") out += "\r\n";
  }
  out += "--" + boundary + "--\r\n";
  return out;
}

}  // namespace estafeta::mime
