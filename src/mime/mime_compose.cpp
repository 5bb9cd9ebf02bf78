// mime_compose: the message builder of mime_compose.hpp. Entities are built bottom-up as
// (header block, body) pairs; a multipart is serialised only after its children, so its
// boundary can be checked against their final bytes. Every header value passes through
// one_line() first: CR and LF from the draft become spaces, so no draft field can inject a
// header line.
#include "mime/mime_compose.hpp"

#include <array>
#include <atomic>
#include <ctime>
#include <random>
#include <string>

#include "base/base64.hpp"
#include "base/quoted_printable.hpp"
#include "mime/mime_charset.hpp"
#include "mime/mime_encoded_word.hpp"
#include "mime/mime_rfc2231.hpp"

namespace estafeta::mime {
namespace {

constexpr std::size_t kFoldAt = 78;    // RFC 5322 §2.1.1 SHOULD
constexpr std::size_t kMaxLine = 998;  // RFC 5322 §2.1.1 MUST (without CRLF)

struct Entity {
  std::string headers;  // folded fields, each ending in CRLF
  std::string body;     // ends in CRLF unless empty
};

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
  std::string out(s);
  for (auto& c : out)
    if (c == '\r' || c == '\n') c = ' ';
  return out;
}

bool all_ascii(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return out;
}

// RFC 5322 §3.6.8 field name: printable ASCII except ':'.
bool valid_field_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name)
    if (c < 33 || c > 126 || c == ':') return false;
  return true;
}

std::string to_crlf(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 32);
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) out += '\r';
    out += s[i];
  }
  return out;
}

uint64_t random64() {
  thread_local std::mt19937_64 rng = [] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }();
  return rng();
}

std::string base36(uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[v % 36]);
    v /= 36;
  } while (v != 0);
  return out;
}

struct MediaEntry {
  std::string_view ext;
  std::string_view type;
};

// The common types by extension (IANA media types; the usual mappings of mail clients).
constexpr MediaEntry kMediaTypes[] = {
    {"txt", "text/plain"},
    {"text", "text/plain"},
    {"log", "text/plain"},
    {"csv", "text/csv"},
    {"htm", "text/html"},
    {"html", "text/html"},
    {"css", "text/css"},
    {"md", "text/markdown"},
    {"ics", "text/calendar"},
    {"vcf", "text/vcard"},
    {"xml", "application/xml"},
    {"json", "application/json"},
    {"js", "text/javascript"},
    {"eml", "message/rfc822"},
    {"pdf", "application/pdf"},
    {"rtf", "application/rtf"},
    {"zip", "application/zip"},
    {"gz", "application/gzip"},
    {"tgz", "application/gzip"},
    {"tar", "application/x-tar"},
    {"bz2", "application/x-bzip2"},
    {"xz", "application/x-xz"},
    {"7z", "application/x-7z-compressed"},
    {"doc", "application/msword"},
    {"dot", "application/msword"},
    {"xls", "application/vnd.ms-excel"},
    {"ppt", "application/vnd.ms-powerpoint"},
    {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    {"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
    {"odt", "application/vnd.oasis.opendocument.text"},
    {"ods", "application/vnd.oasis.opendocument.spreadsheet"},
    {"odp", "application/vnd.oasis.opendocument.presentation"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"jpe", "image/jpeg"},
    {"gif", "image/gif"},
    {"bmp", "image/bmp"},
    {"webp", "image/webp"},
    {"svg", "image/svg+xml"},
    {"tif", "image/tiff"},
    {"tiff", "image/tiff"},
    {"ico", "image/vnd.microsoft.icon"},
    {"heic", "image/heic"},
    {"avif", "image/avif"},
    {"mp3", "audio/mpeg"},
    {"ogg", "audio/ogg"},
    {"oga", "audio/ogg"},
    {"wav", "audio/wav"},
    {"flac", "audio/flac"},
    {"m4a", "audio/mp4"},
    {"mp4", "video/mp4"},
    {"m4v", "video/mp4"},
    {"webm", "video/webm"},
    {"mov", "video/quicktime"},
    {"avi", "video/x-msvideo"},
    {"mkv", "video/x-matroska"},
    {"p7s", "application/pkcs7-signature"},
    {"p7m", "application/pkcs7-mime"},
    {"asc", "application/pgp-signature"},
    {"sig", "application/pgp-signature"},
    {"pem", "application/x-pem-file"},
    {"wasm", "application/wasm"},
    {"exe", "application/octet-stream"},
    {"bin", "application/octet-stream"},
};

bool is_text_type(std::string_view media_type) {
  return media_type.size() >= 5 && lower(media_type.substr(0, 5)) == "text/";
}

// One header field: "Name: value" folded, CRLF.
void add_header(std::string& block, std::string_view name, std::string_view value) {
  block += fold_header(name, value);
}

// Content-Type / Content-Transfer-Encoding for a leaf and its encoded body.
Entity make_leaf(std::string_view content_type, std::string_view body, bool body_is_text) {
  Entity e;
  TransferEncoding te = choose_transfer_encoding(body, body_is_text);
  add_header(e.headers, "Content-Type", content_type);
  add_header(e.headers, "Content-Transfer-Encoding", transfer_encoding_name(te));
  e.body = encode_body(body, te);
  return e;
}

Entity text_part(std::string_view subtype, std::string_view utf8) {
  std::string body = to_crlf(utf8);
  std::string charset = all_ascii(body) ? "us-ascii" : "utf-8";
  // Invalid UTF-8 from the user is repaired rather than sent mislabelled.
  if (charset == "utf-8" && !is_valid_utf8(body)) {
    std::string fixed;
    append_utf8_sanitized(body, fixed);
    body = std::move(fixed);
  }
  std::string ct = "text/";
  ct += subtype;
  ct += "; charset=" + charset;
  return make_leaf(ct, body, true);
}

Entity attachment_part(const DraftAttachment& a) {
  std::string filename = one_line(a.filename);
  std::string type =
      a.media_type.empty() ? media_type_for_filename(filename) : lower(one_line(a.media_type));
  if (type.find('/') == std::string::npos) type = "application/octet-stream";
  std::string ct = type;
  if (is_text_type(type)) {
    if (!a.charset.empty()) {
      ct += format_parameter("charset", one_line(a.charset));
    } else if (is_valid_utf8(a.content)) {
      ct += all_ascii(a.content) ? "; charset=us-ascii" : "; charset=utf-8";
    }
  }
  if (!filename.empty()) {
    // name= for clients that predate RFC 2183/2231; RFC 2047 words inside the quotes are
    // what they understand.
    std::string legacy = encode_header_text(filename, EncodeContext::text);
    ct += "; name=\"";
    for (char c : legacy) {
      if (c == '"' || c == '\\') ct += '\\';
      ct += c;
    }
    ct += '"';
  }
  // Attachments keep their exact bytes: no line-end conversion, so only CRLF-clean ASCII
  // goes as 7bit and everything else as base64.
  Entity e = make_leaf(ct, a.content, false);
  std::string disposition = a.content_id.empty() ? "attachment" : "inline";
  if (!filename.empty()) disposition += format_parameter("filename", filename);
  add_header(e.headers, "Content-Disposition", disposition);
  if (!a.content_id.empty()) add_header(e.headers, "Content-ID", angle(one_line(a.content_id)));
  return e;
}

std::string serialize(const Entity& e) {
  return e.headers + "\r\n" + e.body;
}

Entity multipart(std::string_view subtype, const std::vector<Entity>& children,
                 std::string_view extra_params = {}) {
  std::vector<std::string> parts;
  parts.reserve(children.size());
  for (const auto& c : children) parts.push_back(serialize(c));
  std::vector<std::string_view> views(parts.begin(), parts.end());
  std::string boundary = generate_boundary(views);
  Entity e;
  std::string ct = "multipart/";
  ct += subtype;
  ct += extra_params;
  ct += ";\r\n boundary=\"" + boundary + "\"";
  add_header(e.headers, "Content-Type", ct);
  for (const auto& p : parts) {
    e.body += "--" + boundary + "\r\n";
    e.body += p;
    // RFC 2046 §5.1.1: the CRLF before a delimiter belongs to the delimiter.
    if (p.size() < 2 || p.compare(p.size() - 2, 2, "\r\n") != 0) e.body += "\r\n";
  }
  e.body += "--" + boundary + "--\r\n";
  return e;
}

}  // namespace

std::string format_date(std::chrono::system_clock::time_point t, int utc_offset_minutes) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (utc_offset_minutes < -1439 || utc_offset_minutes > 1439) utc_offset_minutes = 0;
  std::time_t secs =
      std::chrono::system_clock::to_time_t(t) + static_cast<std::time_t>(utc_offset_minutes) * 60;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  int off = utc_offset_minutes < 0 ? -utc_offset_minutes : utc_offset_minutes;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %d %s %04d %02d:%02d:%02d %c%02d%02d", kDays[tm.tm_wday % 7],
                tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec, utc_offset_minutes < 0 ? '-' : '+', off / 60, off % 60);
  return buf;
}

std::string generate_message_id(std::string_view hostname) {
  static std::atomic<uint64_t> counter{0};
  auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  std::string host = one_line(hostname);
  // An id-right must be a dot-atom or domain literal (RFC 5322 §3.6.4).
  std::string clean;
  for (char c : host)
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.')
      clean += c;
  if (clean.empty()) clean = "localhost";
  return base36(static_cast<uint64_t>(now)) + "." + base36(random64()) +
         base36(counter.fetch_add(1)) + "@" + clean;
}

std::string generate_boundary(const std::vector<std::string_view>& parts) {
  static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  // "=_" cannot occur in quoted-printable or base64 output; the random tail makes a clash
  // with 7bit parts vanishingly unlikely, and the check below makes it impossible.
  for (std::size_t length = 24;; length += 8) {
    for (int attempt = 0; attempt < 8; ++attempt) {
      std::string b = "=_";
      for (std::size_t i = 0; i < length && b.size() < 70; ++i)
        b += kChars[random64() % (sizeof kChars - 1)];
      bool clash = false;
      for (auto p : parts)
        if (p.find(b) != std::string_view::npos) clash = true;
      if (!clash) return b;
    }
    if (length >= 60) {
      // Adversarial parts that contain every candidate cannot exist in practice; still
      // terminate: the longest candidates are 70 random characters.
      std::string b = "=_";
      while (b.size() < 70) b += kChars[random64() % (sizeof kChars - 1)];
      return b;
    }
  }
}

std::string media_type_for_filename(std::string_view filename) {
  auto dot = filename.rfind('.');
  if (dot == std::string_view::npos || dot + 1 >= filename.size())
    return "application/octet-stream";
  std::string ext = lower(filename.substr(dot + 1));
  for (const auto& m : kMediaTypes)
    if (m.ext == ext) return std::string(m.type);
  return "application/octet-stream";
}

TransferEncoding choose_transfer_encoding(std::string_view body, bool is_text) {
  bool eight_bit = false, nul = false, bare = false;
  std::size_t line = 0, longest = 0, escapes = 0;
  for (std::size_t i = 0; i < body.size(); ++i) {
    auto c = static_cast<unsigned char>(body[i]);
    if (c == '\n') {
      if (i == 0 || body[i - 1] != '\r') bare = true;
      if (line > longest) longest = line;
      line = 0;
      continue;
    }
    if (c == '\r') {
      if (i + 1 >= body.size() || body[i + 1] != '\n') bare = true;
      continue;
    }
    ++line;
    if (c == 0) nul = true;
    if (c >= 0x80) eight_bit = true;
    if (c >= 0x80 || (c < 0x20 && c != '\t') || c == 0x7F || c == '=') ++escapes;
  }
  if (line > longest) longest = line;
  // Text bodies have their line ends made CRLF by encode_body, so bare LF is no obstacle.
  if (!eight_bit && !nul && longest <= kMaxLine && (is_text || !bare)) {
    // RFC 2045 §2.7 7bit: no NUL, CR and LF only as CRLF, lines up to 998.
    bool bare_cr = false;
    for (std::size_t i = 0; i < body.size(); ++i)
      if (body[i] == '\r' && (i + 1 >= body.size() || body[i + 1] != '\n')) bare_cr = true;
    if (!bare_cr) {
      bool controls = false;
      for (char ch : body) {
        auto c = static_cast<unsigned char>(ch);
        if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7F) controls = true;
      }
      if (!controls || is_text) return TransferEncoding::seven_bit;
    }
  }
  if (is_text && escapes * 6 <= body.size()) return TransferEncoding::quoted_printable;
  return TransferEncoding::base64;
}

std::string encode_body(std::string_view body, TransferEncoding e) {
  std::string out;
  switch (e) {
    case TransferEncoding::seven_bit:
      out = to_crlf(body);
      break;
    case TransferEncoding::quoted_printable:
      out = qp::encode(body, qp::LineBreaks::text);
      break;
    default:
      out = base64::encode(body, 76);
      break;
  }
  if (!out.empty() && (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0))
    out += "\r\n";
  return out;
}

std::string fold_header(std::string_view name, std::string_view value) {
  std::string out;
  std::string line(name);
  line += ':';
  // The value may already hold folds ("\r\n "); each pre-folded line is folded further.
  std::size_t pos = 0;
  bool first_segment = true;
  while (pos <= value.size()) {
    std::size_t nl = value.find("\r\n", pos);
    std::string_view seg =
        value.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    if (first_segment) {
      if (!seg.empty() && seg.front() != ' ' && seg.front() != '\t') line += ' ';
    } else {
      out += line;
      out += "\r\n";
      line.clear();
      if (seg.empty() || (seg.front() != ' ' && seg.front() != '\t')) line += ' ';
    }
    first_segment = false;
    // Add words (split before each whitespace run) and break before one that overflows,
    // but never before the first word of a line (a long word just makes a long line).
    bool has_word = false;
    std::size_t i = 0;
    while (i < seg.size()) {
      std::size_t j = i;
      while (j < seg.size() && (seg[j] == ' ' || seg[j] == '\t')) ++j;
      while (j < seg.size() && seg[j] != ' ' && seg[j] != '\t') ++j;
      std::string_view word = seg.substr(i, j - i);
      bool starts_with_space = word.front() == ' ' || word.front() == '\t';
      if (has_word && starts_with_space && line.size() + word.size() > kFoldAt) {
        out += line;
        out += "\r\n";
        line.clear();
      }
      line += word;
      has_word = true;
      i = j;
    }
    if (nl == std::string_view::npos) break;
    pos = nl + 2;
  }
  out += line;
  out += "\r\n";
  return out;
}

std::string format_address_list(const std::vector<DraftAddress>& list) {
  std::string out;
  for (const auto& a : list) {
    std::string addr = one_line(a.address);
    if (addr.empty()) continue;
    if (!out.empty()) out += ", ";
    std::string name = one_line(a.name);
    if (name.empty()) {
      out += addr;
    } else {
      out += encode_header_text(name, EncodeContext::phrase);
      out += " <" + addr + ">";
    }
  }
  return out;
}

std::string compose(const Draft& draft, const ComposeOptions& options) {
  // Body tree: text [+ html] -> alternative; + inline parts -> related; + attachments -> mixed.
  Entity body = text_part("plain", draft.text);
  if (!draft.html.empty()) body = multipart("alternative", {body, text_part("html", draft.html)});
  std::vector<Entity> inlines, attachments;
  for (const auto& a : draft.attachments)
    (a.content_id.empty() ? attachments : inlines).push_back(attachment_part(a));
  if (!inlines.empty()) {
    std::vector<Entity> related{body};
    related.insert(related.end(), inlines.begin(), inlines.end());
    std::string type_param =
        draft.html.empty() ? "; type=\"text/plain\"" : "; type=\"multipart/alternative\"";
    body = multipart("related", related, type_param);
  }
  if (!attachments.empty()) {
    std::vector<Entity> mixed{body};
    mixed.insert(mixed.end(), attachments.begin(), attachments.end());
    body = multipart("mixed", mixed);
  }

  std::string h;
  auto date = draft.date == std::chrono::system_clock::time_point{}
                  ? std::chrono::system_clock::now()
                  : draft.date;
  add_header(h, "Date", format_date(date, options.utc_offset_minutes));
  auto add_list = [&](std::string_view name, const std::vector<DraftAddress>& list) {
    std::string v = format_address_list(list);
    if (!v.empty()) add_header(h, name, v);
  };
  add_list("From", {draft.from});  // omitted when the draft has no address (caller's bug)
  add_list("To", draft.to);
  add_list("Cc", draft.cc);
  if (options.include_bcc) add_list("Bcc", draft.bcc);
  add_list("Reply-To", draft.reply_to);
  add_header(h, "Subject", encode_header_text(one_line(draft.subject), EncodeContext::text));
  std::string id =
      draft.message_id.empty() ? generate_message_id(options.hostname) : one_line(draft.message_id);
  add_header(h, "Message-ID", angle(id));
  for (const auto& [name, value] : draft.headers) {
    if (!valid_field_name(name)) continue;
    std::string lname = lower(name);
    // Fields the composer owns are not duplicated.
    if (lname == "mime-version" || lname == "content-type" ||
        lname == "content-transfer-encoding" || lname == "date" || lname == "message-id" ||
        lname == "from" || lname == "subject")
      continue;
    add_header(h, name, encode_header_text(one_line(value), EncodeContext::text));
  }
  add_header(h, "MIME-Version", "1.0");
  std::string out = h + body.headers + "\r\n";
  if (!attachments.empty() || !inlines.empty() || !draft.html.empty())
    out += "This is a multi-part message in MIME format.\r\n";
  out += body.body;
  return out;
}

}  // namespace estafeta::mime
