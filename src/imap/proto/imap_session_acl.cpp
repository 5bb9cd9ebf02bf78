// imap_session_acl: access control (RFC 4314) and the shared namespace of the session core:
// SETACL, DELETEACL, GETACL, LISTRIGHTS and MYRIGHTS (§3), the names of other users'
// mailboxes ("Shared/<owner>/<mailbox>", NAMESPACE's other users' namespace, RFC 2342) and
// how a command finds a mailbox with this user's rights in it (resolve_mailbox, mailbox_for),
// and the rights a flag change needs (§4). Trust: the identifiers and rights come from the
// logged-in user; a user never reaches an account of another domain, nor an account that
// shares nothing with them (the store's registry is asked first, so no account is opened or
// created for a guessed name). Memory: one owner's ACL rows at a time.
#include <algorithm>
#include <map>

#include "imap/proto/imap_response_strings.hpp"
#include "imap/proto/imap_session.hpp"
#include "imap/proto/imap_session_selected.hpp"

namespace estafeta::imap {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  return out;
}

// The rights as the store keeps them: the letters of kLetters, no obsolete "c"/"d".
std::string stored_rights(acl::Rights r) {
  std::string out;
  for (char ch : acl::kLetters)
    if (r & acl::right_of(ch)) out += ch;
  return out;
}

const char* const kNoPerm = "[NOPERM] Permission denied.";
const char* const kNonexistent = "[NONEXISTENT] Mailbox doesn't exist.";

}  // namespace

std::error_code Session::resolve_mailbox(std::string_view name, MailboxRef& out) const {
  out = MailboxRef{};
  out.display = std::string(name);
  if (name.substr(0, kSharedPrefix.size()) != kSharedPrefix) {
    out.account = account_;
    out.owner = account_name_;
    out.name = std::string(name);
    out.rights = acl::kAll;  // the owner has every right (implicit, as in Dovecot)
    return account_->find(name, out.info);
  }
  std::string_view rest = name.substr(kSharedPrefix.size());
  std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 >= rest.size())
    return store::Errc::bad_mailbox_name;  // "Shared/<owner>": a namespace node
  const std::string owner_key = lower(rest.substr(0, slash));
  const std::string inner = store::canonical_mailbox_name(rest.substr(slash + 1));
  if (!hooks_.sharers || !hooks_.open_account || owner_key == lower(account_name_) ||
      acl::domain_of(owner_key) != acl::domain_of(account_name_))
    return store::Errc::no_such_mailbox;
  std::string owner;
  for (const auto& o : hooks_.sharers(account_name_))
    if (lower(o) == owner_key) owner = o;
  if (owner.empty()) return store::Errc::no_such_mailbox;
  auto account = hooks_.open_account(owner);
  if (!account) return store::Errc::no_such_mailbox;
  out.account = account;
  out.owner = owner;
  out.name = inner;
  out.shared = true;
  out.display = std::string(kSharedPrefix) + owner + "/" + inner;
  if (auto ec = account->find(inner, out.info)) return ec;
  std::vector<store::AclEntry> entries;
  if (auto ec = account->acl(out.info.id, entries)) return ec;
  out.rights = acl::effective_rights(entries, account_name_, owner);
  if (!out.rights) return store::Errc::no_such_mailbox;  // not even known to exist
  return {};
}

bool Session::mailbox_for(const Command& c, std::string_view wire_name, acl::Rights need,
                          MailboxRef& out, std::string_view missing_text) {
  const std::string missing = missing_text.empty() ? kNonexistent : std::string(missing_text);
  auto name = decode_name(wire_name);
  if (!name) {
    tagged_no(c.tag, missing);
    return false;
  }
  if (auto ec = resolve_mailbox(*name, out)) {
    if (ec == store::Errc::no_such_mailbox || ec == store::Errc::bad_mailbox_name)
      tagged_no(c.tag, missing);
    else
      tagged_no(c.tag, store_error_text(ec));
    return false;
  }
  if ((out.rights & need) != need) {
    // RFC 4314 §4: a user without "l" is not told that the mailbox exists.
    tagged_no(c.tag, (out.rights & acl::kLookup) ? kNoPerm : kNonexistent);
    return false;
  }
  return true;
}

void Session::shared_mailboxes(std::vector<SharedBox>& out) const {
  out.clear();
  if (!hooks_.sharers || !hooks_.open_account) return;
  const std::string domain = acl::domain_of(account_name_);
  for (const auto& owner : hooks_.sharers(account_name_)) {
    if (lower(owner) == lower(account_name_) || acl::domain_of(owner) != domain) continue;
    auto account = hooks_.open_account(owner);
    if (!account) continue;
    std::vector<std::pair<std::string, store::AclEntry>> rows;
    if (account->acl_all(rows)) continue;
    std::map<std::string, std::vector<store::AclEntry>> by_mailbox;
    for (auto& [mailbox, entry] : rows) by_mailbox[mailbox].push_back(std::move(entry));
    for (const auto& [mailbox, entries] : by_mailbox) {
      acl::Rights r = acl::effective_rights(entries, account_name_, owner);
      if (!(r & acl::kLookup)) continue;  // LIST shows it only with "l" (RFC 4314 §4)
      SharedBox b;
      if (account->find(mailbox, b.info)) continue;
      b.display = std::string(kSharedPrefix) + owner + "/" + mailbox;
      b.rights = r;
      out.push_back(std::move(b));
    }
  }
}

bool Session::is_selected(const MailboxRef& ref) const {
  return selected_ && selected_->account == ref.account && selected_->info.id == ref.info.id;
}

std::shared_ptr<store::Account> Session::selected_account() const {
  if (!selected_) return nullptr;
  return selected_->account;
}

acl::Rights Session::rights_for_flags(const store::Flags& flags) {
  acl::Rights need = 0;
  if (flags.system & store::kSeen) need |= acl::kSeen;
  if (flags.system & store::kDeleted) need |= acl::kDeleteMessage;
  if ((flags.system & ~(store::kSeen | store::kDeleted)) || !flags.keywords.empty())
    need |= acl::kWrite;
  return need;
}

void Session::drop_forbidden_flags(store::Flags& flags, acl::Rights rights) {
  if (!(rights & acl::kSeen)) flags.system &= static_cast<std::uint8_t>(~store::kSeen);
  if (!(rights & acl::kDeleteMessage)) flags.system &= static_cast<std::uint8_t>(~store::kDeleted);
  if (!(rights & acl::kWrite)) {
    flags.system &= static_cast<std::uint8_t>(store::kSeen | store::kDeleted);
    flags.keywords.clear();
  }
}

// RFC 4314 §3.1: SETACL mailbox identifier mod-rights.
void Session::cmd_setacl(const Command& c, const SetAcl& a) {
  char bad_letter = 0;
  auto change = acl::parse_change(a.rights, &bad_letter);
  if (!change) {
    // RFC 4314 §3.1: an unknown right is a BAD.
    tagged_bad(c.tag, std::string("Unknown right '") + bad_letter + "'.");
    return;
  }
  MailboxRef ref;
  if (!mailbox_for(c, a.mailbox, acl::kAdmin, ref)) return;
  auto id = acl::canonical_identifier(a.identifier, ref.owner);
  if (!id) {
    tagged_no(c.tag, "[CANNOT] Rights can be given to \"anyone\" or to users of " +
                         acl::domain_of(ref.owner) + " only.");
    return;
  }
  std::string_view bare = *id;
  if (!bare.empty() && bare.front() == '-') bare.remove_prefix(1);
  if (bare == lower(ref.owner)) {
    tagged_no(c.tag, "[CANNOT] The owner always has every right.");
    return;
  }
  std::vector<store::AclEntry> entries;
  if (auto ec = ref.account->acl(ref.info.id, entries)) {
    tagged_no(c.tag, store_error_text(ec));
    return;
  }
  acl::Rights current = 0;
  for (const auto& e : entries)
    if (e.identifier == *id) current = acl::parse_rights(e.rights).value_or(0);
  const acl::Rights next = acl::apply(current, *change);
  if (auto ec = ref.account->set_acl(ref.info.id, *id, stored_rights(next))) {
    tagged_no(c.tag, store_error_text(ec));
    return;
  }
  if (selected_) sync(true);
  tagged_ok(c.tag, "Setacl completed.");
}

// RFC 4314 §3.2: DELETEACL mailbox identifier.
void Session::cmd_deleteacl(const Command& c, const DeleteAcl& a) {
  MailboxRef ref;
  if (!mailbox_for(c, a.mailbox, acl::kAdmin, ref)) return;
  auto id = acl::canonical_identifier(a.identifier, ref.owner);
  if (!id) {
    tagged_no(c.tag, "[CANNOT] No such identifier.");
    return;
  }
  if (auto ec = ref.account->set_acl(ref.info.id, *id, "")) {
    tagged_no(c.tag, store_error_text(ec));
    return;
  }
  if (selected_) sync(true);
  tagged_ok(c.tag, "Deleteacl completed.");
}

// RFC 4314 §3.3: GETACL mailbox -> * ACL mailbox (identifier rights)*; the owner's implicit
// rights come first, as Cyrus shows them.
void Session::cmd_getacl(const Command& c, const GetAcl& a) {
  MailboxRef ref;
  if (!mailbox_for(c, a.mailbox, acl::kAdmin, ref)) return;
  std::vector<store::AclEntry> entries;
  if (auto ec = ref.account->acl(ref.info.id, entries)) {
    tagged_no(c.tag, store_error_text(ec));
    return;
  }
  std::string line = "* ACL " + encode_name(ref.display) + " ";
  StringOptions so;
  so.utf8 = utf8_names();
  append_astring(line, ref.owner, so);
  line += " " + acl::format_rights(acl::kAll);
  for (const auto& e : entries) {
    line += ' ';
    append_astring(line, e.identifier, so);
    line += ' ';
    append_astring(line, acl::format_rights(acl::parse_rights(e.rights).value_or(0)), so);
  }
  send(line + "\r\n");
  if (selected_) sync(true);
  tagged_ok(c.tag, "Getacl completed.");
}

// RFC 4314 §3.4: LISTRIGHTS mailbox identifier -> the rights always granted, then each
// right that may be granted on its own.
void Session::cmd_listrights(const Command& c, const ListRights& a) {
  MailboxRef ref;
  if (!mailbox_for(c, a.mailbox, acl::kAdmin, ref)) return;
  auto id = acl::canonical_identifier(a.identifier, ref.owner);
  std::string line = "* LISTRIGHTS " + encode_name(ref.display) + " ";
  StringOptions so;
  so.utf8 = utf8_names();
  append_astring(line, a.identifier, so);
  if (id && lower(*id) == lower(ref.owner)) {
    line += " " + stored_rights(acl::kAll);  // the owner: everything, always
  } else {
    line += " \"\"";
    for (char ch : acl::kLetters) {
      line += ' ';
      line += ch;
    }
  }
  send(line + "\r\n");
  if (selected_) sync(true);
  tagged_ok(c.tag, "Listrights completed.");
}

// RFC 4314 §3.5: MYRIGHTS mailbox, for any user with a right on it.
void Session::cmd_myrights(const Command& c, const MyRights& a) {
  MailboxRef ref;
  if (!mailbox_for(c, a.mailbox, 0, ref)) return;
  send("* MYRIGHTS " + encode_name(ref.display) + " " + acl::format_rights(ref.rights) + "\r\n");
  if (selected_) sync(true);
  tagged_ok(c.tag, "Myrights completed.");
}

}  // namespace estafeta::imap
