// mime_imap_envelope: ENVELOPE rendering (see mime_imap_envelope.hpp).
#include "mime/mime_imap_envelope.hpp"

#include <algorithm>
#include <iterator>
#include <optional>
#include <string_view>

namespace estafeta::mime {
namespace {

// Dovecot's rules for repeated fields: the last Date / Subject / Message-ID / In-Reply-To
// counts; repeated address fields are merged as if comma-separated (so a second From cannot
// hide behind the first one that a filter checked).
std::optional<std::string_view> last(const Message& m, const Part& p, std::string_view name) {
  std::optional<std::string_view> v;
  for (const HeaderField& f : m.fields_of(p))
    if (iequals(f.name, name)) v = f.value;
  return v;
}

AddressList merged(const Message& m, const Part& p, std::string_view name) {
  AddressList out;
  for (const HeaderField& f : m.fields_of(p)) {
    if (!iequals(f.name, name)) continue;
    AddressList more =
        parse_address_list(f.value, kMaxAddresses - std::min(out.size(), kMaxAddresses));
    out.insert(out.end(), std::make_move_iterator(more.begin()),
               std::make_move_iterator(more.end()));
  }
  return out;
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
        if (a.broken_route)
          out += "\"INVALID_ROUTE\"";  // Dovecot's marker
        else if (a.route.empty())
          out += "NIL";
        else
          imap_append_string(out, a.route, o);
        out.push_back(' ');
        imap_append_string(
            out, a.local.empty() ? std::string_view("MISSING_MAILBOX") : std::string_view(a.local),
            o);
        out.push_back(' ');
        // Dovecot's markers: a broken angle address gets domain SYNTAX_ERROR, a missing
        // domain MISSING_DOMAIN.
        std::string_view domain = a.domain;
        if (a.broken_angle)
          domain = "SYNTAX_ERROR";
        else if (domain.empty())
          domain = "MISSING_DOMAIN";
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
  auto addresses = [&](std::string_view name) { return merged(m, p, name); };
  imap_append_nstring_nolf(out, last(m, p, "Date"), o);
  out.push_back(' ');
  auto subject = last(m, p, "Subject");
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
  imap_append_nstring_nolf(out, last(m, p, "In-Reply-To"), o);
  out.push_back(' ');
  imap_append_nstring_nolf(out, last(m, p, "Message-ID"), o);
  return out;
}

}  // namespace estafeta::mime
