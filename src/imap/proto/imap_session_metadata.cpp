// imap_session_metadata: the METADATA and METADATA-SERVER commands (RFC 5464) of the session:
// GETMETADATA with MAXSIZE (values over it are left out and the tagged OK says
// [METADATA LONGENTRIES n], §4.2.1) and DEPTH 0/1/infinity (§4.2.2), SETMETADATA with NIL
// removing an entry (§4.3), [METADATA MAXSIZE n] for a value over store::kMaxMetadataValue,
// [METADATA TOOMANY] past store::kMaxMetadataEntries per mailbox. Mailbox "" is the server
// (§3.2.1): /private server entries are the user's own; the /shared ones are the server's and
// read-only: /shared/admin is "mailto:postmaster@<the user's domain>" (§3.2.1.1: a URI to
// reach the administrator), /shared/comment is absent. /private entries belong to the logged-in
// user (RFC 5464 §3.3; so NOPRIVATE is never answered), /shared ones to every user of the
// mailbox. Values are octets: sent as a quoted string, a literal, or a literal8 when they hold
// NUL. Memory: one mailbox's entries (bounded by the store limits).
#include <algorithm>

#include "imap/proto/imap_response_strings.hpp"
#include "imap/proto/imap_session.hpp"
#include "imap/proto/imap_session_selected.hpp"

namespace estafeta::imap {
namespace {

// How many levels `name` is below `base` ("/a/b/c" is 2 below "/a"); -1 when not under it.
int depth_below(std::string_view name, std::string_view base) {
  if (name == base) return 0;
  if (name.size() <= base.size() || !name.starts_with(base) || name[base.size()] != '/') return -1;
  return 1 + static_cast<int>(std::count(
                 name.begin() + static_cast<std::ptrdiff_t>(base.size()) + 1, name.end(), '/'));
}

void append_value(std::string& out, std::string_view v, bool utf8) {
  if (v.find('\0') != std::string_view::npos)
    append_literal8(out, v);  // RFC 5464 §5: value = nstring / literal8
  else
    append_string(out, v, {.utf8 = utf8});
}

}  // namespace

// The mailbox a METADATA command names ("" is the server: id 0, the user's own store), the
// store it lives in (its owner's for another user's shared mailbox) and its name as responses
// show it. RFC 5464 §3.3 with ACL (RFC 4314): reading needs "l" and "r" on the mailbox, writing
// a /private entry the same, writing a /shared one also "w". Answers NO itself.
bool Session::metadata_target(const Command& c, const std::string& wire, bool write_shared,
                              MetadataTarget& out) {
  if (wire.empty()) {
    out = MetadataTarget{account_, 0, "\"\""};
    return true;
  }
  MailboxRef ref;
  const acl::Rights need = acl::kLookup | acl::kRead | (write_shared ? acl::kWrite : 0);
  if (!mailbox_for(c, wire, need, ref)) return false;
  out = MetadataTarget{ref.account, ref.info.id, encode_name(ref.display)};
  return true;
}

void Session::cmd_getmetadata(const Command& c, const GetMetadata& g) {
  MetadataTarget t;
  if (!metadata_target(c, g.mailbox, false, t)) return;
  const store::MailboxId id = t.id;
  const std::string& shown = t.shown;
  std::vector<store::MetadataEntry> all;
  if (auto ec = t.account->metadata(id, all)) {
    tagged_no(c.tag, store_error_text(ec));
    return;
  }
  // What this user sees: their own /private entries and the /shared ones; on the server also
  // the server's read-only /shared/admin.
  std::vector<std::pair<std::string, std::string>> visible;
  for (auto& e : all) {
    bool priv = e.name.starts_with("/private/");
    if (priv ? e.user == account_name_ : e.user.empty())
      visible.emplace_back(std::move(e.name), std::move(e.value));
  }
  if (id == 0) {
    std::size_t at = account_name_.rfind('@');
    std::string domain = at == std::string::npos ? options_.hostname : account_name_.substr(at + 1);
    visible.emplace_back("/shared/admin", "mailto:postmaster@" + domain);
    std::sort(visible.begin(), visible.end());
  }
  const int max_depth = g.depth == GetMetadata::Depth::zero  ? 0
                        : g.depth == GetMetadata::Depth::one ? 1
                                                             : 1 << 30;
  std::string list;
  std::uint64_t longest = 0;  // RFC 5464 §4.2.1: the largest value left out by MAXSIZE
  std::vector<const std::string*> sent;
  auto add = [&](const std::string& name, const std::string* value) {
    if (std::find_if(sent.begin(), sent.end(), [&](const std::string* s) { return *s == name; }) !=
        sent.end())
      return;  // an entry asked for twice, or under two asked entries
    if (value && g.max_size && value->size() > *g.max_size) {
      longest = std::max<std::uint64_t>(longest, value->size());
      return;
    }
    sent.push_back(&name);
    if (!list.empty()) list += ' ';
    list += name;
    list += ' ';
    if (value)
      append_value(list, *value, utf8_names());
    else
      list += "NIL";
  };
  for (const std::string& asked : g.entries) {
    bool found = false;
    for (const auto& [name, value] : visible) {
      int d = depth_below(name, asked);
      if (d < 0 || d > max_depth) continue;
      found = true;
      add(name, &value);
    }
    // RFC 5464 §4.2: an entry without a value is answered with NIL.
    if (!found && asked != "/private" && asked != "/shared") add(asked, nullptr);
  }
  if (!list.empty()) send("* METADATA " + shown + " (" + list + ")\r\n");
  if (selected_) sync(true);
  if (longest > 0)
    tagged_ok(c.tag,
              "[METADATA LONGENTRIES " + std::to_string(longest) + "] Getmetadata completed.");
  else
    tagged_ok(c.tag, "Getmetadata completed.");
}

void Session::cmd_setmetadata(const Command& c, const SetMetadata& s) {
  bool writes_shared = false;
  for (const auto& entry : s.entries) writes_shared |= !entry.first.starts_with("/private/");
  MetadataTarget t;
  if (!metadata_target(c, s.mailbox, writes_shared, t)) return;
  const store::MailboxId id = t.id;
  std::vector<store::MetadataChange> changes;
  for (const auto& [name, value] : s.entries) {
    bool priv = name.starts_with("/private/");
    if (id == 0 && !priv) {
      // RFC 5464 §3.2.1: shared server entries are the administrator's.
      tagged_no(c.tag, "[NOPERM] Shared server metadata is read-only.");
      return;
    }
    if (value && value->size() > store::kMaxMetadataValue) {
      tagged_no(c.tag, "[METADATA MAXSIZE " + std::to_string(store::kMaxMetadataValue) +
                           "] Metadata value too large.");  // RFC 5464 §4.3
      return;
    }
    changes.push_back({priv ? account_name_ : std::string(), name, value});
  }
  if (auto ec = t.account->set_metadata(id, changes)) {
    tagged_no(c.tag, store_error_text(ec));
    return;
  }
  if (t.account == account_)  // RFC 5465 §5: not reported back to the session that made it
    for (const auto& ch : changes)
      note_own_event(store::Change::Kind::metadata, std::to_string(id) + ' ' + ch.name);
  if (selected_) sync(true);
  tagged_ok(c.tag, "Setmetadata completed.");
}

}  // namespace estafeta::imap
