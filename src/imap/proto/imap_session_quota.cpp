// imap_session_quota: QUOTA (RFC 9208): GETQUOTAROOT, GETQUOTA and SETQUOTA, with the QUOTA and
// QUOTAROOT responses (§5.1, §5.2). Each account is one quota root, named "" for the user's own
// mailboxes (the store's Account::quota: STORAGE in KiB, MESSAGE and MAILBOX over every
// mailbox of the account). A root has only the resources that have a limit (the grammar has
// no "unlimited"); an account without limits has no quota root, so GETQUOTAROOT answers with a
// QUOTAROOT response naming none, and GETQUOTA "" with NO [NONEXISTENT]. Another user's shared
// mailbox is in its owner's root, "Shared/<owner>" (readable by the users it is shared with).
// SETQUOTA is the administrator's (Dovecot answers NO to every non-admin user; so do we, with
// [NOPERM], and QUOTASET is not advertised): limits are set with `estafeta user quota`.
// Enforcement (NO [OVERQUOTA] on APPEND/COPY/CREATE) is the store's (Errc::over_quota).
// Trust: the logged-in user; names are checked by decode_name. Memory: one response line.
#include "imap/proto/imap_response_strings.hpp"
#include "imap/proto/imap_session.hpp"
#include "imap/proto/imap_session_selected.hpp"

namespace estafeta::imap {
namespace {

constexpr std::string_view kOwnRoot = "";

// quota-list (RFC 9208 §9) of the resources with a limit; "" when there is none.
std::string quota_list(const store::QuotaState& q) {
  std::string s;
  auto add = [&](std::string_view name, std::uint64_t usage, std::uint64_t limit) {
    if (limit == 0) return;
    s += s.empty() ? "(" : " ";
    s += name;
    s += ' ' + std::to_string(usage) + ' ' + std::to_string(limit);
  };
  add("STORAGE", store::storage_kib(q.usage.storage), q.limits.storage_kib);
  add("MESSAGE", q.usage.messages, q.limits.messages);
  add("MAILBOX", q.usage.mailboxes, q.limits.mailboxes);
  if (!s.empty()) s += ')';
  return s;
}

std::string root_name(std::string_view root) {
  std::string out;
  append_string(out, root, StringOptions{true});
  return out;
}

}  // namespace

// RFC 9208 §4.3: GETQUOTAROOT mailbox -> QUOTAROOT mailbox *root, then QUOTA per root. Another
// user's shared mailbox (RFC 4314) counts against its owner's quota: the root "Shared/<owner>".
void Session::cmd_getquotaroot(const Command& c, const GetQuotaRoot& g) {
  MailboxRef ref;
  if (!mailbox_for(c, g.mailbox, acl::kLookup, ref)) return;
  store::QuotaState q;
  if (auto ec = ref.account->quota(q)) {
    tagged_no(c.tag, store_error_text(ec));
    return;
  }
  const std::string root = ref.shared ? std::string(kSharedPrefix) + ref.owner : std::string();
  const std::string list = quota_list(q);
  std::string out = "* QUOTAROOT " + encode_name(ref.display);
  if (!list.empty()) out += ' ' + root_name(root);
  out += "\r\n";
  if (!list.empty()) out += "* QUOTA " + root_name(root) + ' ' + list + "\r\n";
  send(std::move(out));
  if (selected_) sync(true);
  tagged_ok(c.tag, "Getquotaroot completed.");
}

// RFC 9208 §4.2: GETQUOTA root -> QUOTA root (resources). "" is the user's own root;
// "Shared/<owner>" that of an owner who shares a mailbox with the user.
void Session::cmd_getquota(const Command& c, const GetQuota& g) {
  std::shared_ptr<store::Account> account;
  if (g.root == kOwnRoot) {
    account = account_;
  } else if (g.root.starts_with(kSharedPrefix) && hooks_.sharers && hooks_.open_account) {
    const std::string_view owner = std::string_view(g.root).substr(kSharedPrefix.size());
    for (const auto& o : hooks_.sharers(account_name_))
      if (o == owner && o != account_name_) account = hooks_.open_account(o);
  }
  store::QuotaState q;
  if (account) {
    if (auto ec = account->quota(q)) {
      tagged_no(c.tag, store_error_text(ec));
      return;
    }
  }
  const std::string list = account ? quota_list(q) : std::string();
  if (list.empty()) {
    tagged_no(c.tag, "[NONEXISTENT] Quota root doesn't exist.");
    return;
  }
  send("* QUOTA " + root_name(g.root) + ' ' + list + "\r\n");
  if (selected_) sync(true);
  tagged_ok(c.tag, "Getquota completed.");
}

// RFC 9208 §4.1.3: SETQUOTA is not offered to users (no QUOTASET capability).
void Session::cmd_setquota(const Command& c, const SetQuota&) {
  tagged_no(c.tag,
            "[NOPERM] Quota can be changed only by the administrator (estafeta user quota).");
}

// RFC 9208 §4.2.2 STATUS DELETED-STORAGE: KiB that EXPUNGE would free in the mailbox.
// `in`: the store of the mailbox (its owner's for a shared one, RFC 4314), else the user's.
std::string Session::deleted_storage(const store::MailboxInfo& info, store::Account* in) {
  std::uint64_t octets = 0;
  store::Account& account = in ? *in : *account_;
  if (info.deleted != 0 && account.deleted_size(info.id, octets)) octets = 0;
  return std::to_string(store::storage_kib(octets));
}

}  // namespace estafeta::imap
