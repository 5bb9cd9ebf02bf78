// mua_render: text and JSON output of the reading commands (see the header).
#include "mua/proto/mua_render.hpp"

#include <algorithm>
#include <cstdio>

#include "mime/mime_json.hpp"
#include "mua/proto/mua_imap_parse.hpp"

namespace estafeta::mua {
namespace {

bool has_flag(const std::vector<std::string>& flags, const char* f) {
  return std::any_of(flags.begin(), flags.end(),
                     [&](const std::string& x) { return imap_iequals(x, f); });
}

std::string flag_letters(const std::vector<std::string>& flags) {
  std::string s;
  if (!has_flag(flags, "\\Seen")) s += 'N';
  if (has_flag(flags, "\\Flagged")) s += 'F';
  if (has_flag(flags, "\\Answered")) s += 'A';
  if (has_flag(flags, "\\Deleted")) s += 'D';
  return s;
}

std::string json_opt(const std::optional<std::uint64_t>& n) {
  return n ? std::to_string(*n) : "null";
}

std::string json_addresses(const std::vector<ViewAddress>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += ',';
    out +=
        "{\"name\":" + json_string(v[i].name) + ",\"address\":" + json_string(v[i].address) + "}";
  }
  return out + "]";
}

std::string join_addresses(const std::vector<ViewAddress>& v) {
  std::string out;
  for (const auto& a : v) {
    if (!out.empty()) out += ", ";
    out += a.display();
  }
  return out;
}

}  // namespace

std::string json_string(const std::string& s) {
  std::string out;
  mime::append_json_string(out, s, false);
  return out;
}

std::string json_strings(const std::vector<std::string>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += ',';
    out += json_string(v[i]);
  }
  return out + "]";
}

std::string human_size(std::uint64_t n) {
  char buf[32];
  if (n < 1000) return std::to_string(n);
  if (n < 1000 * 1024) {
    std::snprintf(buf, sizeof buf, "%.1fK", static_cast<double>(n) / 1024.0);
    return buf;
  }
  if (n < std::uint64_t{1000} * 1024 * 1024) {
    std::snprintf(buf, sizeof buf, "%.1fM", static_cast<double>(n) / (1024.0 * 1024.0));
    return buf;
  }
  std::snprintf(buf, sizeof buf, "%.1fG", static_cast<double>(n) / (1024.0 * 1024.0 * 1024.0));
  return buf;
}

std::string fit_columns(const std::string& utf8, std::size_t width) {
  std::string out;
  std::size_t chars = 0;
  for (std::size_t i = 0; i < utf8.size();) {
    std::size_t len = 1;
    const unsigned char c = static_cast<unsigned char>(utf8[i]);
    if (c >= 0xf0)
      len = 4;
    else if (c >= 0xe0)
      len = 3;
    else if (c >= 0xc0)
      len = 2;
    if (chars + 1 > width) break;
    out.append(utf8, i, len);
    i += len;
    ++chars;
  }
  if (chars < width) out.append(width - chars, ' ');
  return out;
}

std::size_t page_count(std::size_t total, std::size_t page_size) {
  if (page_size == 0) return 0;
  return (total + page_size - 1) / page_size;
}

std::string render_mailboxes_text(const std::vector<MailboxRow>& rows) {
  std::size_t width = 7;
  for (const auto& r : rows)
    width = std::max(width, std::min<std::size_t>(terminal_line(r.name).size(), 40));
  std::string out = fit_columns("MAILBOX", width) + "  ROLE      MESSAGES  UNSEEN\n";
  for (const auto& row : rows) {
    MailboxRow r = row;
    r.name = terminal_line(r.name);  // the server's words
    char counts[64];
    std::snprintf(counts, sizeof counts, "%8s  %6s",
                  r.messages ? std::to_string(*r.messages).c_str() : "-",
                  r.unseen ? std::to_string(*r.unseen).c_str() : "-");
    std::string line = fit_columns(r.name, width) + "  " + fit_columns(r.role, 8) + "  " +
                       (r.selectable ? std::string(counts) : std::string("(not selectable)"));
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string render_mailboxes_json(const std::vector<MailboxRow>& rows) {
  std::string out = "{\"mailboxes\":[";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    if (i) out += ',';
    out += "{\"name\":" + json_string(r.name) +
           ",\"role\":" + (r.role.empty() ? std::string("null") : json_string(r.role)) +
           ",\"attributes\":" + json_strings(r.attributes) + ",\"delimiter\":" +
           (r.delimiter ? json_string(std::string(1, r.delimiter)) : std::string("null")) +
           ",\"selectable\":" + (r.selectable ? "true" : "false") +
           ",\"messages\":" + json_opt(r.messages) + ",\"unseen\":" + json_opt(r.unseen) + "}";
  }
  return out + "]}\n";
}

std::string render_row_text(const MessageRow& r) {
  std::string date = r.header.date;
  if (date.empty()) date = terminal_line(r.internal_date.substr(0, 17));
  std::string from = r.header.from.name.empty() ? r.header.from.address : r.header.from.name;
  char uid[16];
  std::snprintf(uid, sizeof uid, "%6u", r.uid);
  char size[16];
  std::snprintf(size, sizeof size, "%6s", human_size(r.size).c_str());
  std::string line = std::string(uid) + "  " + fit_columns(date, 16) + "  " +
                     fit_columns(from, 22) + "  " +
                     fit_columns(r.header.subject.empty() ? "(no subject)" : r.header.subject, 40) +
                     "  " + fit_columns(flag_letters(r.flags), 4) + "  " + size;
  return line;
}

std::string render_page_text(const PageInfo& page, const std::vector<MessageRow>& rows) {
  const std::string name = terminal_line(page.mailbox);
  if (page.total == 0)
    return page.query.empty()
               ? "no messages in " + name + "\n"
               : "no messages in " + name + " match " + terminal_line(page.query) + "\n";
  const std::size_t pages = page_count(page.total, page.page_size);
  if (rows.empty())
    return name + ": page " + std::to_string(page.page) + " is past the last page (" +
           std::to_string(pages) + ", " + std::to_string(page.total) + " messages" +
           (page.query.empty() ? "" : " matching") + ")\n";
  std::string out = "   UID  " + fit_columns("DATE", 16) + "  " + fit_columns("FROM", 22) + "  " +
                    fit_columns("SUBJECT", 40) + "  FLAGS   SIZE\n";
  for (const auto& r : rows) out += render_row_text(r) + "\n";
  const std::size_t first = (page.page - 1) * page.page_size + 1;
  const std::size_t last = first + rows.size() - 1;
  out += name + ": page " + std::to_string(page.page) + " of " + std::to_string(pages) +
         ", messages " + std::to_string(first) + "-" + std::to_string(last) + " of " +
         std::to_string(page.total) + (page.query.empty() ? "" : " matching") + " (newest first)\n";
  return out;
}

std::string render_row_json(const MessageRow& r) {
  std::string date = "null";
  if (r.header.date_unix) date = json_string(iso_date(*r.header.date_unix, 0));
  return "{\"uid\":" + std::to_string(r.uid) + ",\"date\":" + date +
         ",\"internal_date\":" + json_string(r.internal_date) +
         ",\"from\":" + json_string(r.header.from.display()) +
         ",\"from_name\":" + json_string(r.header.from.name) +
         ",\"from_address\":" + json_string(r.header.from.address) +
         ",\"subject\":" + json_string(r.header.subject) + ",\"flags\":" + json_strings(r.flags) +
         ",\"seen\":" + (has_flag(r.flags, "\\Seen") ? "true" : "false") +
         ",\"flagged\":" + (has_flag(r.flags, "\\Flagged") ? "true" : "false") +
         ",\"answered\":" + (has_flag(r.flags, "\\Answered") ? "true" : "false") +
         ",\"size\":" + std::to_string(r.size) + "}";
}

std::string render_page_json(const PageInfo& page, const std::vector<MessageRow>& rows) {
  std::string out =
      "{\"mailbox\":" + json_string(page.mailbox) +
      ",\"uidvalidity\":" + std::to_string(page.uidvalidity) +
      (page.query.empty() ? "" : ",\"query\":" + json_string(page.query)) +
      ",\"total\":" + std::to_string(page.total) + ",\"page\":" + std::to_string(page.page) +
      ",\"page_size\":" + std::to_string(page.page_size) +
      ",\"pages\":" + std::to_string(page_count(page.total, page.page_size)) + ",\"messages\":[";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (i) out += ',';
    out += render_row_json(rows[i]);
  }
  return out + "]}\n";
}

std::string render_message_text(const ReadInfo& info, const MessageView& v) {
  std::string out;
  out += "From: " + join_addresses(v.from) + "\n";
  if (!v.to.empty()) out += "To: " + join_addresses(v.to) + "\n";
  if (!v.cc.empty()) out += "Cc: " + join_addresses(v.cc) + "\n";
  if (!v.reply_to.empty()) out += "Reply-To: " + join_addresses(v.reply_to) + "\n";
  if (!v.date.empty()) out += "Date: " + v.date + "\n";
  out += "Subject: " + v.subject + "\n";
  for (const auto& line : info.security_lines) out += line + "\n";
  out += "\n";
  if (v.text_source.empty()) {
    out += "(no text part)\n";
  } else {
    if (v.text_source == "text/html") out += "[HTML message shown as text]\n\n";
    out += v.text;
    if (!v.text.empty() && v.text.back() != '\n') out += "\n";
  }
  if (!v.attachments.empty()) {
    out += "\nAttachments:\n";
    for (const auto& a : v.attachments)
      out += "  " + std::to_string(a.index) + ". " +
             (a.filename.empty() ? "(no name) -> " + a.safe_name : a.filename) + " (" +
             a.content_type + ", " + human_size(a.size) + ")\n";
  }
  return out;
}

std::string render_message_json(const ReadInfo& info, const MessageView& v) {
  std::string out =
      "{\"mailbox\":" + json_string(info.mailbox) + ",\"uid\":" + std::to_string(info.uid) +
      ",\"flags\":" + json_strings(info.flags) + ",\"size\":" + std::to_string(info.size) +
      ",\"from\":" + json_addresses(v.from) + ",\"to\":" + json_addresses(v.to) +
      ",\"cc\":" + json_addresses(v.cc) + ",\"reply_to\":" + json_addresses(v.reply_to) +
      ",\"date\":" + json_string(v.date) + ",\"date_iso\":" +
      (v.date_unix ? json_string(iso_date(*v.date_unix, 0)) : std::string("null")) +
      ",\"subject\":" + json_string(v.subject) + ",\"message_id\":" + json_string(v.message_id) +
      ",\"text\":" + json_string(v.text) + ",\"text_type\":" +
      (v.text_source.empty() ? std::string("null") : json_string(v.text_source)) +
      ",\"attachments\":[";
  for (std::size_t i = 0; i < v.attachments.size(); ++i) {
    const auto& a = v.attachments[i];
    if (i) out += ',';
    out += "{\"index\":" + std::to_string(a.index) + ",\"filename\":" + json_string(a.filename) +
           ",\"safe_name\":" + json_string(a.safe_name) +
           ",\"content_type\":" + json_string(a.content_type) +
           ",\"size\":" + std::to_string(a.size) + "}";
  }
  out += "]";
  if (!info.security_json.empty()) out += ",\"smime\":" + info.security_json;
  return out + "}\n";
}

}  // namespace estafeta::mua
