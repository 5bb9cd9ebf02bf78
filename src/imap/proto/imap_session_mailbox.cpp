// imap_session_mailbox: the commands on mailboxes as names (RFC 9051 §6.3): CREATE (with USE,
// RFC 6154 §5), DELETE, RENAME, SUBSCRIBE/UNSUBSCRIBE, LIST (LIST-EXTENDED RFC 5258,
// SPECIAL-USE RFC 6154, LIST-STATUS RFC 5819, CHILDREN RFC 3348), LSUB (rev1), NAMESPACE
// (RFC 2342), STATUS (STATUS=SIZE RFC 8438, CONDSTORE HIGHESTMODSEQ, APPENDLIMIT RFC 7889).
// Names are decoded from modified UTF-7 (or UTF-8 after ENABLE IMAP4rev2/UTF8=ACCEPT) and
// encoded back the same way; special-use attributes go on every LIST and LSUB answer, as
// Apple Mail and iOS expect. LIST patterns are matched in O(pattern x name), never by
// backtracking, so a hostile "*a*a*a*..." costs no more than its length.
#include <algorithm>
#include <map>
#include <set>

#include "imap/proto/imap_mutf7.hpp"
#include "imap/proto/imap_objectid.hpp"
#include "imap/proto/imap_response_strings.hpp"
#include "imap/proto/imap_session.hpp"
#include "imap/proto/imap_session_selected.hpp"

namespace estafeta::imap {
namespace {

// RFC 9051 §6.3.9: '*' matches anything, '%' anything but the delimiter '/'.
bool match(std::string_view pattern, std::string_view name) {
  std::vector<char> row(name.size() + 1, 0), next(name.size() + 1, 0);
  row[0] = 1;
  for (char p : pattern) {
    std::fill(next.begin(), next.end(), 0);
    if (p == '*' || p == '%') {
      bool on = false;
      for (std::size_t j = 0; j <= name.size(); ++j) {
        on = on || row[j];
        next[j] = on;
        if (p == '%' && j < name.size() && name[j] == '/') on = false;
      }
    } else {
      for (std::size_t j = 0; j < name.size(); ++j)
        if (row[j] && name[j] == p) next[j + 1] = 1;
    }
    row.swap(next);
  }
  return row[name.size()] != 0;
}

// INBOX matches case-insensitively (RFC 9051 §5.1): "inbox", "Inbox*" and "INB%" all find it.
bool match_name(std::string_view pattern, std::string_view name) {
  if (match(pattern, name)) return true;
  if (name.size() >= 5 && name.substr(0, 5) == "INBOX" && (name.size() == 5 || name[5] == '/')) {
    std::string upper(pattern);
    for (std::size_t i = 0; i < upper.size() && i < 5; ++i)
      if (upper[i] >= 'a' && upper[i] <= 'z') upper[i] = static_cast<char>(upper[i] - 32);
    return match(upper, name);
  }
  return false;
}

// A name a new mailbox may take: the store's rules, and no LIST wildcard (a mailbox called
// "%" could never be listed by itself, RFC 9051 §6.3.9; Dovecot refuses them too).
bool creatable(const std::string& name) {
  return store::valid_mailbox_name(name) && name.find_first_of("%*") == std::string::npos;
}

}  // namespace

std::optional<std::string> Session::decode_name(std::string_view wire) const {
  std::string name;
  if (utf8_names()) {
    if (!is_valid_utf8(wire)) return std::nullopt;
    name = std::string(wire);
  } else if (auto d = mutf7_decode(wire)) {
    name = std::move(*d);
  } else if (is_valid_utf8(wire) &&
             std::any_of(wire.begin(), wire.end(), [](char ch) { return ch & 0x80; })) {
    name = std::string(wire);  // 8-bit UTF-8 from a rev1 client: accepted, as Dovecot does
  } else {
    return std::nullopt;
  }
  return store::canonical_mailbox_name(name);
}

std::string Session::encode_name(std::string_view utf8) const {
  std::string out;
  StringOptions o;
  o.utf8 = utf8_names();
  append_astring(out, utf8_names() ? std::string(utf8) : mutf7_encode(utf8), o);
  return out;
}

void Session::cmd_create(const Command& c, const Create& cr) {
  auto name = decode_name(cr.mailbox);
  if (!name) {
    tagged_no(c.tag, "[CANNOT] Invalid mailbox name.");
    return;
  }
  // RFC 9051 §6.3.4: a trailing delimiter declares the intent to create inferiors.
  while (name->size() > 1 && name->back() == '/') name->pop_back();
  store::SpecialUse use = store::SpecialUse::none;
  if (cr.special_use.size() > 1) {
    tagged_no(c.tag, "[USEATTR] Only one special-use attribute per mailbox.");
    return;
  }
  if (!cr.special_use.empty()) {
    auto u = store::special_use_from_attribute(cr.special_use.front());
    if (!u) {
      tagged_no(c.tag, "[USEATTR] Unsupported special-use attribute.");
      return;
    }
    use = *u;
  }
  if (*name == "INBOX") {
    tagged_no(c.tag, "[ALREADYEXISTS] Mailbox already exists.");
    return;
  }
  if (!creatable(*name)) {
    tagged_no(c.tag, "[CANNOT] Invalid mailbox name.");
    return;
  }
  if (*name + "/" == kSharedPrefix) {
    tagged_no(c.tag, "[CANNOT] Reserved for other users' mailboxes.");
    return;
  }
  store::MailboxInfo info;
  if (name->starts_with(kSharedPrefix)) {
    // RFC 4314 §4: CREATE in another user's mailbox needs "k" on the parent; the new
    // mailbox starts with its parent's ACL (as in Dovecot), so its creator keeps access.
    MailboxRef parent;
    std::size_t slash = name->rfind('/');
    std::error_code ec = resolve_mailbox(name->substr(0, slash), parent);
    if (ec || !(parent.rights & acl::kCreate)) {
      tagged_no(c.tag, !ec && (parent.rights & acl::kLookup)
                           ? "[NOPERM] Permission denied."
                           : "[CANNOT] Mailboxes can only be created inside a shared mailbox "
                             "with the right to.");
      return;
    }
    std::string inner = parent.name + name->substr(slash);
    if ((ec = parent.account->create(inner, use, info))) {
      tagged_no(c.tag, store_error_text(ec));
      return;
    }
    std::vector<store::AclEntry> entries;
    if (!parent.account->acl(parent.info.id, entries))
      for (const auto& e : entries) parent.account->set_acl(info.id, e.identifier, e.rights);
    tagged_ok(c.tag, "Create completed.");
    return;
  }
  if (auto ec = account_->create(*name, use, info)) {
    tagged_no(c.tag, store_error_text(ec));
    return;
  }
  note_own_event(store::Change::Kind::created, info.name);
  // RFC 8474 §4.1: the new mailbox's MAILBOXID in the tagged OK.
  tagged_ok(c.tag, "[MAILBOXID (" + mailbox_object_id(info) + ")] Create completed.");
}

void Session::cmd_delete(const Command& c, const Delete& d) {
  auto name = decode_name(d.mailbox);
  if (!name) {
    tagged_no(c.tag, "[NONEXISTENT] Mailbox doesn't exist.");
    return;
  }
  if (*name == "INBOX") {
    tagged_no(c.tag, "[CANNOT] INBOX can't be deleted.");
    return;
  }
  MailboxRef ref;  // RFC 4314 §4: DELETE needs "x"
  if (!mailbox_for(c, d.mailbox, acl::kDeleteMailbox, ref)) return;
  const bool was_selected = is_selected(ref);
  if (auto ec = ref.account->remove(ref.name)) {
    tagged_no(c.tag, store_error_text(ec));
    return;
  }
  note_own_event(store::Change::Kind::deleted, store::canonical_mailbox_name(*name));
  if (was_selected) {
    // The selected mailbox is gone: leave the selected state (RFC 7162 §3.2.11's CLOSED).
    unselect();
    send("* OK [CLOSED] Mailbox deleted.\r\n");
  }
  tagged_ok(c.tag, "Delete completed.");
}

void Session::cmd_rename(const Command& c, const Rename& r) {
  auto from = decode_name(r.from);
  auto to = decode_name(r.to);
  if (!from) {
    tagged_no(c.tag, "[NONEXISTENT] Mailbox doesn't exist.");
    return;
  }
  if (!to || !creatable(*to)) {
    tagged_no(c.tag, "[CANNOT] Invalid mailbox name.");
    return;
  }
  if (*to == "INBOX" || *from == *to) {
    tagged_no(c.tag, "[ALREADYEXISTS] Mailbox already exists.");
    return;
  }
  if (from->starts_with(kSharedPrefix) || to->starts_with(kSharedPrefix) ||
      *to + "/" == kSharedPrefix) {
    // RFC 4314 §4: RENAME needs "x" on the old name and "k" on the new parent, within one
    // owner's mailboxes.
    MailboxRef src, parent;
    if (!mailbox_for(c, r.from, acl::kDeleteMailbox, src)) return;
    std::size_t slash = to->rfind('/');
    std::error_code ec = slash == std::string::npos ? std::error_code(store::Errc::bad_mailbox_name)
                                                    : resolve_mailbox(to->substr(0, slash), parent);
    if (ec || parent.account != src.account || !(parent.rights & acl::kCreate)) {
      tagged_no(c.tag, ec || parent.account != src.account
                           ? "[CANNOT] Mailboxes cannot move between users."
                           : "[NOPERM] Permission denied.");
      return;
    }
    if ((ec = src.account->rename(src.name, parent.name + to->substr(slash)))) {
      tagged_no(c.tag, store_error_text(ec));
      return;
    }
  } else if (auto ec = account_->rename(*from, *to)) {
    tagged_no(c.tag, store_error_text(ec));
    return;
  }
  note_own_event(store::Change::Kind::renamed, store::canonical_mailbox_name(*to));
  note_own_event(store::Change::Kind::created, store::canonical_mailbox_name(*to));
  if (selected_) selected_->dirty = true;  // renaming INBOX empties it
  if (selected_) sync(true);
  tagged_ok(c.tag, "Rename completed.");
}

void Session::cmd_subscribe(const Command& c, const Subscribe& s) {
  auto name = decode_name(s.mailbox);
  if (!name || !store::valid_mailbox_name(*name)) {
    tagged_no(c.tag, "[CANNOT] Invalid mailbox name.");
    return;
  }
  if (s.on) {
    // RFC 9051 §6.3.7 lets the server refuse a name that does not exist; Dovecot does.
    MailboxRef ref;
    if (!mailbox_for(c, s.mailbox, 0, ref)) return;
  }
  if (auto ec = account_->subscribe(*name, s.on)) {
    tagged_no(c.tag, store_error_text(ec));
    return;
  }
  note_own_event(store::Change::Kind::subscription, store::canonical_mailbox_name(*name));
  tagged_ok(c.tag, s.on ? "Subscribe completed." : "Unsubscribe completed.");
}

void Session::cmd_list(const Command& c, const List& l) {
  const char* verb = l.lsub ? "LSUB" : "LIST";
  // RFC 9051 §6.3.9: an empty pattern asks for the delimiter and the root.
  if (l.patterns.size() == 1 && l.patterns[0].empty() && !l.extended) {
    send(std::string("* ") + verb + " (\\Noselect) \"/\" \"\"\r\n");
    tagged_ok(c.tag, std::string(l.lsub ? "Lsub" : "List") + " completed.");
    return;
  }
  std::vector<store::MailboxInfo> boxes;
  std::vector<std::string> subs;
  if (auto ec = account_->list(boxes)) {
    tagged_no(c.tag, store_error_text(ec));
    return;
  }
  if (auto ec = account_->subscriptions(subs)) {
    tagged_no(c.tag, store_error_text(ec));
    return;
  }
  std::set<std::string> subscribed(subs.begin(), subs.end());
  // Other users' mailboxes this user may see (RFC 4314 "l"), under "Shared/<owner>/", and
  // the levels above them that are not mailbox of their own (\Noselect).
  std::vector<SharedBox> shared;
  shared_mailboxes(shared);
  std::map<std::string, acl::Rights> shared_rights;
  for (auto& sb : shared) {
    sb.info.name = sb.display;
    boxes.push_back(sb.info);
    shared_rights[sb.display] = sb.rights;
  }
  std::map<std::string, const store::MailboxInfo*> by_name;
  for (const auto& b : boxes) by_name[b.name] = &b;
  std::set<std::string> nodes;
  for (const auto& sb : shared)
    for (std::size_t slash = sb.display.find('/'); slash != std::string::npos;
         slash = sb.display.find('/', slash + 1))
      if (!by_name.count(sb.display.substr(0, slash))) nodes.insert(sb.display.substr(0, slash));

  // Patterns, decoded like names, with the reference prefixed (RFC 9051 §6.3.9).
  std::vector<std::string> patterns;
  for (const auto& p : l.patterns) {
    std::string full = l.reference + p;
    auto decoded = decode_name(full);
    patterns.push_back(decoded ? *decoded : full);
  }
  auto matches = [&](const std::string& name) {
    for (const auto& p : patterns)
      if (match_name(p, name)) return true;
    return false;
  };
  auto has_children = [&](const std::string& name) {
    // The names are sorted: an inferior, if any, is the first name at or after "name/".
    std::string prefix = name + "/";
    auto it = by_name.lower_bound(prefix);
    if (it != by_name.end() && it->first.compare(0, prefix.size(), prefix) == 0) return true;
    auto n = nodes.lower_bound(prefix);
    return n != nodes.end() && n->compare(0, prefix.size(), prefix) == 0;
  };

  bool only_subscribed = l.lsub || l.select_subscribed;
  std::vector<std::string> names;  // what to answer, INBOX first
  if (only_subscribed) {
    for (const auto& s : subscribed)
      if (matches(s)) names.push_back(s);
  } else {
    for (const auto& b : boxes)
      if (matches(b.name)) names.push_back(b.name);
    for (const auto& n : nodes)
      if (matches(n)) names.push_back(n);
    std::sort(names.begin(), names.end());
  }
  std::stable_partition(names.begin(), names.end(),
                        [](const std::string& n) { return n == "INBOX"; });

  std::string out;
  StringOptions so;
  so.utf8 = utf8_names();
  for (const auto& name : names) {
    auto it = by_name.find(name);
    const store::MailboxInfo* info = it == by_name.end() ? nullptr : it->second;
    if (l.select_special_use && (!info || info->special_use == store::SpecialUse::none)) continue;
    std::string attrs;
    auto add = [&](std::string_view a) {
      if (!attrs.empty()) attrs += ' ';
      attrs += a;
    };
    if (!info && nodes.count(name)) {
      add("\\Noselect");
      add("\\HasChildren");
    } else if (!info) {
      add(l.lsub ? "\\Noselect" : "\\NonExistent");
    } else {
      if (has_children(name))
        add("\\HasChildren");
      else
        add("\\HasNoChildren");
    }
    if (!l.lsub && (l.return_subscribed || l.select_subscribed) && subscribed.count(name))
      add("\\Subscribed");
    if (info && info->special_use != store::SpecialUse::none)
      add(store::special_use_attribute(
          info->special_use));  // on every answer (CLIENTS.md: Apple Mail)
    out += std::string("* ") + verb + " (" + attrs + ") \"/\" " + encode_name(name) + "\r\n";
    auto rights_it = shared_rights.find(name);
    const acl::Rights rights = rights_it == shared_rights.end() ? acl::kAll : rights_it->second;
    if (l.return_status && info && (rights & acl::kRead)) {
      // RFC 5819: a STATUS answer after each selectable mailbox's LIST.
      MailboxRef ref;
      if (!resolve_mailbox(name, ref))
        out += "* STATUS " + encode_name(name) + " (" +
               status_items(ref.info, *l.return_status, &ref) + ")\r\n";
    }
    // RFC 8440 LIST-MYRIGHTS: the user's rights after each mailbox's LIST.
    if (l.return_myrights && info && !l.lsub)
      out += "* MYRIGHTS " + encode_name(name) + " " + acl::format_rights(rights) + "\r\n";
  }
  // RFC 3501 §6.3.9: LSUB "%" shows the parent of a subscribed mailbox it cannot show, as
  // \Noselect when the parent itself is not subscribed.
  if (l.lsub) {
    std::set<std::string> shown(names.begin(), names.end());
    for (const auto& sub : subscribed)
      for (std::size_t slash = matches(sub) ? std::string::npos : sub.find('/');
           slash != std::string::npos; slash = sub.find('/', slash + 1)) {
        std::string parent = sub.substr(0, slash);
        if (shown.count(parent) || !matches(parent)) continue;
        shown.insert(parent);
        out += "* LSUB (\\Noselect) \"/\" " + encode_name(parent) + "\r\n";
      }
  }
  // RFC 5258 §3.5 and §4 RECURSIVEMATCH: a mailbox that matches the patterns but is not
  // subscribed itself gets CHILDINFO when it has a subscribed inferior that the answer does
  // not show because the inferior does not match the patterns; an inferior that is listed
  // itself tells the client enough (Dovecot answers so, and imaptest's listext checks it).
  if (l.select_subscribed && l.select_recursive_match) {
    std::set<std::string> shown(names.begin(), names.end());
    std::set<std::string> parents;
    for (const auto& s : subscribed) {
      if (matches(s)) continue;
      for (std::size_t slash = s.find('/'); slash != std::string::npos;
           slash = s.find('/', slash + 1)) {
        std::string parent = s.substr(0, slash);
        if (!shown.count(parent) && matches(parent)) parents.insert(parent);
      }
    }
    for (const auto& p : parents) {
      std::string attrs = by_name.count(p) ? "\\HasChildren" : "\\NonExistent";
      out += "* LIST (" + attrs + ") \"/\" " + encode_name(p) +
             " (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n";
    }
  }
  send(std::move(out));
  tagged_ok(c.tag, std::string(l.lsub ? "Lsub" : "List") + " completed.");
}

void Session::cmd_namespace(const Command& c) {
  // RFC 2342: one personal namespace, no prefix, delimiter "/"; other users' mailboxes
  // under "Shared/<owner>/" (RFC 4314 shared mailboxes); no shared namespace of its own.
  send("* NAMESPACE ((\"\" \"/\")) ((\"Shared/\" \"/\")) NIL\r\n");
  tagged_ok(c.tag, "Namespace completed.");
}

std::string Session::status_items(const store::MailboxInfo& info, const StatusItems& items,
                                  const MailboxRef* ref) {
  store::Account& account = ref ? *ref->account : *account_;
  const std::string& owner = ref ? ref->owner : account_name_;
  std::string s;
  auto add = [&](std::string_view name, std::string value) {
    if (!s.empty()) s += ' ';
    s += name;
    s += ' ';
    s += value;
  };
  if (items.messages) add("MESSAGES", std::to_string(info.messages));
  if (items.recent) {
    // RFC 3501 §6.3.10: the messages with \Recent, looked at without claiming them (a
    // snapshot only when the mailbox has unclaimed mail or was never looked at); for the
    // selected mailbox, those \Recent in this session.
    std::uint32_t recent = 0;
    if (selected_ && selected_->info.id == info.id && selected_->account.get() == &account) {
      recent = enabled_rev2_ ? 0 : selected_->recent_count();  // this session's own view
    } else if (hooks_.recent && !enabled_rev2_ && info.messages != 0) {
      RecentClaims& r = *hooks_.recent;
      std::vector<store::MessageInfo> messages;
      store::MailboxInfo now = info;
      bool have = false;  // `messages` and `now` are a snapshot
      if (!r.known(owner, info.id, info.uid_validity))
        have = !account.snapshot(info.id, now, messages);
      if (have || r.known(owner, info.id, info.uid_validity)) {
        const store::Uid first =
            r.peek(owner, now.id, now.uid_validity, now.uid_next,
                   have ? r.first_saved_since_start(messages, now.uid_next) : now.uid_next);
        if (first < now.uid_next && !have) have = !account.snapshot(info.id, now, messages);
        if (have)
          for (const auto& m : messages) recent += m.uid >= first ? 1 : 0;
      }
    }
    add("RECENT", std::to_string(recent));
  }
  if (items.uid_next) add("UIDNEXT", std::to_string(info.uid_next));
  if (items.uid_validity) add("UIDVALIDITY", std::to_string(info.uid_validity));
  if (items.unseen) add("UNSEEN", std::to_string(info.unseen));
  if (items.deleted) add("DELETED", std::to_string(info.deleted));
  if (items.size) add("SIZE", std::to_string(info.size));
  if (items.highest_modseq) add("HIGHESTMODSEQ", std::to_string(info.highest_modseq));
  if (items.append_limit) add("APPENDLIMIT", std::to_string(options_.append_limit));
  if (items.mailbox_id) add("MAILBOXID", "(" + mailbox_object_id(info) + ")");
  if (items.deleted_storage) add("DELETED-STORAGE", deleted_storage(info, &account));
  return s;
}

void Session::cmd_status(const Command& c, const Status& st) {
  MailboxRef ref;  // RFC 4314 §4: STATUS needs "r"
  if (!mailbox_for(c, st.mailbox, acl::kRead, ref)) return;
  const store::MailboxInfo& info = ref.info;
  // RFC 7162 §3.1: STATUS HIGHESTMODSEQ is a CONDSTORE-enabling command.
  if (st.items.highest_modseq) enabled_condstore_ = true;
  send("* STATUS " + encode_name(ref.display) + " (" + status_items(info, st.items, &ref) +
       ")\r\n");
  if (selected_) sync(true);
  tagged_ok(c.tag, "Status completed.");
}

}  // namespace estafeta::imap
