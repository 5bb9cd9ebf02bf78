// cmd_mailbox: `estafeta mailbox list|create|delete|rename USER ...`: the operator's view of
// one account's mailboxes in the store. list prints one line per mailbox: its name (UTF-8,
// '/' between levels), its special-use attribute, then messages, unseen, size in octets,
// UIDVALIDITY and UIDNEXT, after a rescan that picks up files other programs put into the
// Maildirs. create makes the missing parents too (--special-use gives the RFC 6154
// attribute); delete removes the mailbox and its messages (not INBOX); rename moves its
// inferiors along (INBOX: its messages move, INBOX stays). Safe while the server runs: the
// store's index serializes writers. Input: the operator's command line (trusted; names are
// still checked by the store).
#include <fmt/format.h>

#include <cstdio>

#include "cli/cli_mail_store.hpp"
#include "cli/commands.hpp"

namespace estafeta::cli {

namespace {

std::string shown(std::string_view s) {
  std::string out;
  for (unsigned char c : s) out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  return out;
}

// "sent", "\\Sent", "SENT" ...; "" is none.
bool parse_special_use(const std::string& text, store::SpecialUse& out) {
  if (text.empty()) {
    out = store::SpecialUse::none;
    return true;
  }
  auto use = store::special_use_from_attribute(text[0] == '\\' ? text : "\\" + text);
  if (use) out = *use;
  return use.has_value();
}

}  // namespace

int run_mailbox_list(const config::Config& config, const std::string& user) {
  auto account = open_mail_account(config, user);
  if (!account) return 1;
  std::vector<store::MailboxInfo> list;
  if (auto ec = account->list(list)) return fail("cannot list mailboxes: " + ec.message());
  // What other programs put into the Maildirs counts too (rescan is cheap when nothing did).
  for (const auto& m : list)
    if (auto ec = account->rescan(m.id))
      return fail("cannot rescan mailbox " + shown(m.name) + ": " + ec.message());
  if (auto ec = account->list(list)) return fail("cannot list mailboxes: " + ec.message());
  for (const auto& m : list) {
    std::string name = shown(m.name);
    std::string use(store::special_use_attribute(m.special_use));
    std::printf("%s\n", fmt::format("{}{}{}  messages={} unseen={} size={} uidvalidity={} "
                                    "uidnext={}",
                                    name, use.empty() ? "" : " ", use, m.messages, m.unseen, m.size,
                                    m.uid_validity, m.uid_next)
                            .c_str());
  }
  return 0;
}

int run_mailbox_create(const config::Config& config, const std::string& user,
                       const std::string& name, const std::string& special_use) {
  store::SpecialUse use = store::SpecialUse::none;
  if (!parse_special_use(special_use, use))
    return fail("--special-use: not one of all, archive, drafts, flagged, junk, sent, trash: " +
                shown(special_use));
  auto account = open_mail_account(config, user);
  if (!account) return 1;
  store::MailboxInfo info;
  if (auto ec = account->create(name, use, info))
    return fail(fmt::format("cannot create mailbox {}: {}", shown(name), ec.message()));
  std::printf("created mailbox %s\n", shown(info.name).c_str());
  return 0;
}

int run_mailbox_delete(const config::Config& config, const std::string& user,
                       const std::string& name) {
  auto account = open_mail_account(config, user);
  if (!account) return 1;
  if (auto ec = account->remove(name))
    return fail(fmt::format("cannot delete mailbox {}: {}", shown(name), ec.message()));
  std::printf("deleted mailbox %s\n", shown(store::canonical_mailbox_name(name)).c_str());
  return 0;
}

int run_mailbox_rename(const config::Config& config, const std::string& user,
                       const std::string& from, const std::string& to) {
  auto account = open_mail_account(config, user);
  if (!account) return 1;
  if (auto ec = account->rename(from, to))
    return fail(
        fmt::format("cannot rename mailbox {} to {}: {}", shown(from), shown(to), ec.message()));
  std::printf("renamed mailbox %s to %s\n", shown(store::canonical_mailbox_name(from)).c_str(),
              shown(to).c_str());
  return 0;
}

}  // namespace estafeta::cli
