// mua_imap_command: the IMAP client's command builder (see the header).
#include "mua/proto/mua_imap_command.hpp"

#include "imap/proto/imap_mutf7.hpp"
#include "mua/proto/mua_imap_parse.hpp"

namespace estafeta::mua {
namespace {

// RFC 9051 §9: ATOM-CHAR is any CHAR except atom-specials: ( ) { SP CTL % * " \ ]
bool atom_char(unsigned char c) {
  if (c <= 0x20 || c >= 0x7f) return false;
  switch (c) {
    case '(':
    case ')':
    case '{':
    case '%':
    case '*':
    case '"':
    case '\\':
    case ']':
      return false;
    default:
      return true;
  }
}

}  // namespace

bool imap_is_atom(std::string_view s) {
  if (s.empty() || imap_iequals(s, "NIL")) return false;
  for (unsigned char c : s)
    if (!atom_char(c)) return false;
  return true;
}

std::string imap_mailbox_wire_name(std::string_view utf8, bool utf8_enabled) {
  if (imap_iequals(utf8, "INBOX")) return "INBOX";
  return utf8_enabled ? std::string(utf8) : imap::mutf7_encode(utf8);
}

ImapCommand::ImapCommand(std::string_view tag, std::string_view name, ImapCommandOptions options)
    : options_(options), tag_(tag), name_(name) {
  chunks_.emplace_back(std::string(tag) + " " + std::string(name));
  summary_ = chunks_.back();
}

void ImapCommand::separate() {
  if (after_open_) {
    after_open_ = false;
    return;
  }
  chunks_.back() += ' ';
  summary_ += ' ';
}

ImapCommand& ImapCommand::space() {
  chunks_.back() += ' ';
  summary_ += ' ';
  return *this;
}

ImapCommand& ImapCommand::atom(std::string_view a) {
  separate();
  chunks_.back().append(a);
  summary_.append(a);
  return *this;
}

ImapCommand& ImapCommand::raw(std::string_view text) {
  chunks_.back().append(text);
  summary_.append(text);
  after_open_ = !text.empty() && text.back() == '(';
  return *this;
}

void ImapCommand::add_literal(std::string_view bytes) {
  const bool non_sync = options_.literal_plus || (options_.literal_minus && bytes.size() <= 4096);
  const std::string n = std::to_string(bytes.size());
  chunks_.back() += "{" + n + (non_sync ? "+}\r\n" : "}\r\n");
  if (non_sync) {
    chunks_.back().append(bytes);
  } else {
    chunks_.emplace_back(bytes);
  }
  summary_ += "<" + n + " octets>";
}

ImapCommand& ImapCommand::literal(std::string_view bytes) {
  separate();
  add_literal(bytes);
  return *this;
}

ImapCommand& ImapCommand::string(std::string_view s) {
  separate();
  bool quotable = s.size() <= 1024;
  for (unsigned char c : s) {
    if (c == 0) {
      ok_ = false;  // no IMAP string carries NUL (RFC 9051 §4.3)
      return *this;
    }
    if (c == '\r' || c == '\n' || (c >= 0x80 && !options_.utf8)) quotable = false;
  }
  if (options_.utf8 && quotable && !imap::is_valid_utf8(s)) quotable = false;
  if (!quotable) {
    add_literal(s);
    return *this;
  }
  std::string q = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  q += '"';
  chunks_.back() += q;
  summary_ += q;
  return *this;
}

ImapCommand& ImapCommand::astring(std::string_view s) {
  if (imap_is_atom(s)) return atom(s);
  return string(s);
}

ImapCommand& ImapCommand::mailbox(std::string_view utf8) {
  return astring(imap_mailbox_wire_name(utf8, options_.utf8));
}

std::vector<std::string> ImapCommand::chunks() const {
  std::vector<std::string> out = chunks_;
  out.back() += "\r\n";
  return out;
}

}  // namespace estafeta::mua
