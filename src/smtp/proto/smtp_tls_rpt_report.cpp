// smtp_tls_rpt_report: TLS report JSON and mail from the recorded events (see the header).
#include "smtp/proto/smtp_tls_rpt_report.hpp"

#include <cstdio>

#include "base/base64.hpp"

namespace estafeta::smtp {
namespace {

// ---- reading our own flat JSON lines: {"key":"string"|number|true|false,...}

struct Reader {
  std::string_view s;
  std::size_t i = 0;
  bool ok = true;

  void ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) ++i;
  }
  bool eat(char c) {
    ws();
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  }
  static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  // A JSON string (RFC 8259 §7) into UTF-8; \u escapes of surrogates become U+FFFD.
  bool string(std::string& out) {
    if (!eat('"')) return false;
    while (i < s.size()) {
      const char c = s[i++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i >= s.size()) return false;
      const char e = s[i++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          if (i + 4 > s.size()) return false;
          unsigned v = 0;
          for (int k = 0; k < 4; ++k) {
            const int h = hex(s[i++]);
            if (h < 0) return false;
            v = v * 16 + static_cast<unsigned>(h);
          }
          if (v >= 0xd800 && v <= 0xdfff) v = 0xfffd;
          if (v < 0x80) {
            out += static_cast<char>(v);
          } else if (v < 0x800) {
            out += static_cast<char>(0xc0 | (v >> 6));
            out += static_cast<char>(0x80 | (v & 0x3f));
          } else {
            out += static_cast<char>(0xe0 | (v >> 12));
            out += static_cast<char>(0x80 | ((v >> 6) & 0x3f));
            out += static_cast<char>(0x80 | (v & 0x3f));
          }
          break;
        }
        default:
          return false;
      }
    }
    return false;
  }
};

// ---- writing

std::string quoted(std::string_view s) {
  return "\"" + json_escape(s) + "\"";
}

// A header value on one line: controls (CR, LF...) become spaces.
std::string one_line(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  return out;
}

}  // namespace

std::optional<TlsReportEvent> parse_tls_report_line(std::string_view line) {
  if (line.size() > kMaxTlsReportLine) return std::nullopt;
  Reader r{line};
  if (!r.eat('{')) return std::nullopt;
  TlsReportEvent e;
  bool have_time = false, have_domain = false, have_type = false, have_success = false;
  if (!r.eat('}')) {
    do {
      std::string key;
      if (!r.string(key) || !r.eat(':')) return std::nullopt;
      r.ws();
      if (key == "time") {
        std::size_t start = r.i;
        if (r.i < line.size() && line[r.i] == '-') ++r.i;
        std::int64_t v = 0;
        std::size_t digits = 0;
        while (r.i < line.size() && line[r.i] >= '0' && line[r.i] <= '9' && digits < 18) {
          v = v * 10 + (line[r.i++] - '0');
          ++digits;
        }
        if (digits == 0 || (r.i < line.size() && line[r.i] >= '0' && line[r.i] <= '9'))
          return std::nullopt;
        e.time = line[start] == '-' ? -v : v;
        have_time = true;
      } else if (key == "success") {
        if (line.substr(r.i, 4) == "true") {
          e.success = true;
          r.i += 4;
        } else if (line.substr(r.i, 5) == "false") {
          e.success = false;
          r.i += 5;
        } else {
          return std::nullopt;
        }
        have_success = true;
      } else {
        std::string value;
        if (!r.string(value)) return std::nullopt;
        if (key == "policy-domain") {
          e.policy_domain = std::move(value);
          have_domain = true;
        } else if (key == "policy-type") {
          e.policy_type = std::move(value);
          have_type = true;
        } else if (key == "result-type") {
          e.result_type = std::move(value);
        } else if (key == "receiving-mx-hostname") {
          e.mx_host = std::move(value);
        } else if (key == "receiving-ip") {
          e.ip = std::move(value);
        } else if (key == "detail") {
          e.detail = std::move(value);
        } else if (key == "sending-mta-ip") {
          e.sending_ip = std::move(value);
        }  // unknown keys: ignored (later versions may add some)
      }
    } while (r.eat(','));
    if (!r.eat('}')) return std::nullopt;
  }
  r.ws();
  if (r.i != line.size() || !have_time || !have_domain || !have_type || !have_success ||
      e.policy_domain.empty())
    return std::nullopt;
  if (e.policy_type != "tlsa" && e.policy_type != "sts" && e.policy_type != "no-policy-found")
    return std::nullopt;
  if (!e.success && e.result_type.empty()) return std::nullopt;
  return e;
}

void TlsRptAggregate::add(const TlsReportEvent& e) {
  auto it = domains_.find(e.policy_domain);
  if (it == domains_.end()) {
    if (domains_.size() >= max_domains_) {
      ++dropped_;
      return;
    }
    it = domains_.emplace(e.policy_domain, TlsRptDomain{e.policy_domain, {}, e.time, e.time}).first;
  }
  TlsRptDomain& d = it->second;
  if (e.time < d.first) d.first = e.time;
  if (e.time > d.last) d.last = e.time;
  TlsRptPolicy* p = nullptr;
  for (auto& q : d.policies)
    if (q.type == e.policy_type) p = &q;
  if (!p) {
    d.policies.push_back(TlsRptPolicy{e.policy_type, 0, 0, {}});
    p = &d.policies.back();
  }
  if (e.success) {
    ++p->successes;
    return;
  }
  ++p->failures;
  for (auto& f : p->details) {
    if (f.result_type == e.result_type && f.mx_host == e.mx_host && f.ip == e.ip &&
        f.sending_ip == e.sending_ip) {
      ++f.count;
      return;
    }
  }
  if (p->details.size() < max_details_)
    p->details.push_back(TlsRptFailure{e.result_type, e.mx_host, e.ip, e.sending_ip,
                                       e.detail.substr(0, kMaxTlsReportDetail), 1});
}

std::string tls_rpt_datetime(std::int64_t t) {
  // The day part as tls_report_file_name() computes it ("YYYY-MM-DD.jsonl").
  std::string day = tls_report_file_name(t);
  day.resize(10);
  std::int64_t s = t % 86400;
  if (s < 0) s += 86400;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%sT%02d:%02d:%02dZ", day.c_str(), static_cast<int>(s / 3600),
                static_cast<int>(s / 60 % 60), static_cast<int>(s % 60));
  return buf;
}

std::string build_tls_rpt_json(const TlsRptDomain& d, const TlsRptInfo& info) {
  std::string out = "{\"organization-name\":" + quoted(info.organization);
  out += ",\"date-range\":{\"start-datetime\":" + quoted(tls_rpt_datetime(info.start)) +
         ",\"end-datetime\":" + quoted(tls_rpt_datetime(info.end)) + "}";
  out += ",\"contact-info\":" + quoted(info.contact);
  out += ",\"report-id\":" + quoted(info.report_id);
  out += ",\"policies\":[";
  for (std::size_t i = 0; i < d.policies.size(); ++i) {
    const TlsRptPolicy& p = d.policies[i];
    if (i) out += ',';
    out += "{\"policy\":{\"policy-type\":" + quoted(p.type) +
           ",\"policy-domain\":" + quoted(d.domain) + "}";
    out += ",\"summary\":{\"total-successful-session-count\":" + std::to_string(p.successes) +
           ",\"total-failure-session-count\":" + std::to_string(p.failures) + "}";
    if (!p.details.empty()) {
      out += ",\"failure-details\":[";
      for (std::size_t k = 0; k < p.details.size(); ++k) {
        const TlsRptFailure& f = p.details[k];
        if (k) out += ',';
        out += "{\"result-type\":" + quoted(f.result_type);
        if (!f.sending_ip.empty()) out += ",\"sending-mta-ip\":" + quoted(f.sending_ip);
        if (!f.mx_host.empty()) out += ",\"receiving-mx-hostname\":" + quoted(f.mx_host);
        if (!f.ip.empty()) out += ",\"receiving-ip\":" + quoted(f.ip);
        out += ",\"failed-session-count\":" + std::to_string(f.count);
        // §4.4: "failure-reason-code" is free text (an error message); additional-information
        // would be a URI, which we do not have.
        if (!f.detail.empty()) out += ",\"failure-reason-code\":" + quoted(f.detail);
        out += "}";
      }
      out += "]";
    }
    out += "}";
  }
  out += "]}";
  return out;
}

std::string build_tls_rpt_message(const TlsRptDomain& d, const TlsRptInfo& info,
                                  const TlsRptMail& mail, std::string_view gz) {
  const std::string domain = one_line(d.domain), submitter = one_line(info.submitter);
  const std::string b = one_line(mail.boundary);
  std::string m;
  m += "From: " + one_line(mail.from) + "\r\n";
  m += "Date: " + one_line(mail.date) + "\r\n";
  m += "To: " + one_line(mail.to) + "\r\n";
  m += "Subject: Report Domain: " + domain + "\r\n Submitter: " + submitter + "\r\n Report-ID: <" +
       one_line(info.report_id) + ">\r\n";
  m += "Message-ID: <" + one_line(mail.message_id) + ">\r\n";
  m += "TLS-Report-Domain: " + domain + "\r\n";
  m += "TLS-Report-Submitter: " + submitter + "\r\n";
  m += "Auto-Submitted: auto-generated\r\n";  // RFC 3834: no automatic replies to it
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: multipart/report; report-type=\"tlsrpt\";\r\n boundary=\"" + b + "\"\r\n";
  m += "\r\nThis is a multipart message in MIME format.\r\n";
  m += "\r\n--" + b + "\r\n";
  m += "Content-Type: text/plain; charset=\"us-ascii\"\r\nContent-Transfer-Encoding: 7bit\r\n\r\n";
  m += "This is an aggregate TLS report (RFC 8460) from " + submitter + " for " + domain +
       ",\r\ncovering " + tls_rpt_datetime(info.start) + " to " + tls_rpt_datetime(info.end) +
       ".\r\n";
  m += "\r\n--" + b + "\r\n";
  m += "Content-Type: application/tlsrpt+gzip\r\nContent-Transfer-Encoding: base64\r\n";
  m += "Content-Disposition: attachment;\r\n filename=\"" + submitter + "!" + domain + "!" +
       std::to_string(info.start) + "!" + std::to_string(info.end) + ".json.gz\"\r\n\r\n";
  m += base64::encode(gz, 76);
  if (m.size() < 2 || m.substr(m.size() - 2) != "\r\n") m += "\r\n";
  m += "--" + b + "--\r\n";
  return m;
}

}  // namespace estafeta::smtp
