// store_sort_keys: see the header.
#include "store/store_sort_keys.hpp"

#include "mime/mime_address.hpp"
#include "mime/mime_header.hpp"
#include "mime/mime_sort_keys.hpp"

namespace estafeta::store {
namespace {

// The first address of a list as IMAP ENVELOPE shows it: a group's first entry is the
// group's name (RFC 9051 §7.5.2), which Dovecot then sorts by.
const mime::Address* first_address(const mime::AddressList& list) {
  return list.empty() || list.front().kind == mime::Address::Kind::group_end ? nullptr
                                                                             : &list.front();
}

// RFC 5256 §3 FROM/TO/CC: the addr-mailbox (local part) of the first address.
std::string mailbox_key(const mime::Address* a) {
  if (!a) return {};
  return mime::casemap_key(a->kind == mime::Address::Kind::group_start ? a->name : a->local);
}

// RFC 5957 §3 DISPLAYFROM/DISPLAYTO: the decoded display name when there is one, else
// addr-mailbox@addr-host (a group: its name).
std::string display_key(const mime::Address* a) {
  if (!a) return {};
  std::string name = mime::decoded_name(*a);
  if (a->kind == mime::Address::Kind::group_start) return mime::casemap_key(name);
  if (name.empty()) {
    name = a->local;
    if (!a->domain.empty()) name += "@" + a->domain;
  }
  return mime::casemap_key(name);
}

std::string joined(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) {
    if (id.empty()) continue;
    if (!out.empty()) out += ' ';
    for (char c : id) out += (c == ' ' || c == '\t' || c == '\r' || c == '\n') ? '_' : c;
  }
  return out;
}

}  // namespace

SortKeys compute_sort_keys(const mime::Message& m) {
  SortKeys k;
  if (m.parts.empty()) return k;
  const mime::Part& root = m.root();
  auto value = [&](std::string_view name) -> const std::string_view* {
    const mime::HeaderField* f = m.find_field(root, name);
    return f ? &f->value : nullptr;
  };
  if (const auto* v = value("Subject"))
    k.subject = mime::casemap_key(mime::base_subject(mime::decoded_value(*v), &k.reply));
  auto addresses = [&](std::string_view name) {
    const auto* v = value(name);
    return v ? mime::parse_address_list(*v, 1) : mime::AddressList{};
  };
  const mime::AddressList from = addresses("From"), to = addresses("To"), cc = addresses("Cc");
  k.from = mailbox_key(first_address(from));
  k.to = mailbox_key(first_address(to));
  k.cc = mailbox_key(first_address(cc));
  k.display_from = display_key(first_address(from));
  k.display_to = display_key(first_address(to));
  if (const auto* v = value("Message-ID")) {
    auto ids = mime::parse_message_ids(*v);
    if (!ids.empty()) k.message_id = joined({ids.front()});
  }
  // RFC 5256 §2.3 step 1: References, or when it has no valid id the first In-Reply-To id.
  if (const auto* v = value("References")) k.references = joined(mime::parse_message_ids(*v));
  if (k.references.empty()) {
    if (const auto* v = value("In-Reply-To")) {
      auto ids = mime::parse_message_ids(*v);
      if (!ids.empty()) k.references = joined({ids.front()});
    }
  }
  return k;
}

}  // namespace estafeta::store
