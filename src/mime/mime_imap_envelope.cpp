// mime_imap_envelope: ENVELOPE rendering (see mime_imap_envelope.hpp).
#include "mime/mime_imap_envelope.hpp"

#include <optional>
#include <string_view>

namespace estafeta::mime {
namespace {

std::optional<std::string_view> raw(const Message& m, const Part& p, std::string_view name) {
  const HeaderField* f = m.find_field(p, name);
  if (f == nullptr) return std::nullopt;
  return f->value;
}

}  // namespace

void imap_append_address_list(std::string& out, const AddressList& list, ImapQuoteOptions o) {
  if (list.empty()) {
    out += "NIL";
    return;
  }
  out.push_back('(');
  for (const Address& a : list) {
    out.push_back('(');
    switch (a.kind) {
      case Address::Kind::group_start:
        out += "NIL NIL ";
        imap_append_string(out, a.name, o);
        out += " NIL";
        break;
      case Address::Kind::group_end:
        out += "NIL NIL NIL NIL";
        break;
      case Address::Kind::mailbox: {
        if (a.has_name && !a.name.empty())
          imap_append_string_for_humans(out, a.name, o);
        else
          out += "NIL";
        out.push_back(' ');
        if (a.route.empty())
          out += "NIL";
        else
          imap_append_string(out, a.route, o);
        out.push_back(' ');
        imap_append_string(out, a.local.empty() ? std::string_view("MISSING_MAILBOX") : std::string_view(a.local), o);
        out.push_back(' ');
        std::string_view domain = a.domain;
        if (domain.empty()) domain = a.invalid && !a.local.empty() && a.has_name ? "SYNTAX_ERROR" : "MISSING_DOMAIN";
        imap_append_string(out, domain, o);
        break;
      }
    }
    out.push_back(')');
  }
  out.push_back(')');
}

std::string imap_envelope(const Message& m, std::uint32_t part, ImapQuoteOptions o) {
  std::string out;
  if (part >= m.parts.size()) return "NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL";
  const Part& p = m.parts[part];
  auto addresses = [&](std::string_view name) -> AddressList {
    auto v = raw(m, p, name);
    if (!v) return {};
    return parse_address_list(*v);
  };
  imap_append_nstring_nolf(out, raw(m, p, "Date"), o);
  out.push_back(' ');
  auto subject = raw(m, p, "Subject");
  if (subject)
    imap_append_string_for_humans(out, *subject, o);
  else
    out += "NIL";
  AddressList from = addresses("From");
  AddressList sender = addresses("Sender");
  AddressList reply_to = addresses("Reply-To");
  out.push_back(' ');
  imap_append_address_list(out, from, o);
  out.push_back(' ');
  imap_append_address_list(out, sender.empty() ? from : sender, o);  // RFC 3501 §7.4.2
  out.push_back(' ');
  imap_append_address_list(out, reply_to.empty() ? from : reply_to, o);
  for (const char* name : {"To", "Cc", "Bcc"}) {
    out.push_back(' ');
    imap_append_address_list(out, addresses(name), o);
  }
  out.push_back(' ');
  imap_append_nstring_nolf(out, raw(m, p, "In-Reply-To"), o);
  out.push_back(' ');
  imap_append_nstring_nolf(out, raw(m, p, "Message-ID"), o);
  return out;
}

}  // namespace estafeta::mime
