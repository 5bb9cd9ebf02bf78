// cmd_index: `estafeta index check|rebuild|fulltext USER`: compares one account's mailbox index
// with its Maildir files, and rebuilds the index from the files (UIDs, UIDVALIDITY, flags and
// subscriptions are kept: they live in the file names and the per-mailbox state files; see
// docs/STORE.md). check prints a summary line and one line per problem and exits 1 when it
// found any (like fsck), changing nothing; rebuild prints what it found and did. Safe while
// the server runs (one index transaction; IMAP sessions catch up at their next rescan).
// rebuild also rebuilds the full-text index (store_fulltext.hpp); fulltext brings that one
// up to date now (the server otherwise does it in the background) and prints its state, so a
// script can wait for it: "fulltext index of U: N of M messages, S bytes (B per message)".
// Input: the operator's command line (trusted).
#include <fmt/format.h>

#include <cstdio>

#include "cli/cli_mail_store.hpp"
#include "cli/commands.hpp"

namespace estafeta::cli {

namespace {

void print_report(const store::IndexReport& r) {
  std::printf("%s\n",
              fmt::format("{} mailboxes, {} messages; {} files not in the index, {} index entries "
                          "without a file, {} entries that differ from their file",
                          r.mailboxes, r.messages, r.added, r.removed, r.repaired)
                  .c_str());
  for (const auto& p : r.problems) std::printf("  %s\n", p.c_str());
}

void print_fulltext(const std::string& name, const store::FulltextStatus& s) {
  std::printf("%s\n", fmt::format("fulltext index of {}: {} of {} messages, {} bytes ({} per "
                                  "message)",
                                  name, s.indexed, s.messages, s.file_size,
                                  s.indexed ? s.file_size / s.indexed : 0)
                          .c_str());
}

}  // namespace

int run_index_check(const config::Config& config, const std::string& user) {
  auto account = open_mail_account(config, user);
  if (!account) return 1;
  store::IndexReport report;
  if (auto ec = account->check_index(report))
    return fail("cannot check the index of " + account->name() + ": " + ec.message());
  print_report(report);
  if (!report.problems.empty())
    return fail(
        fmt::format("the index of {} has {} problem(s): estafeta index rebuild {} "
                    "repairs them",
                    account->name(), report.problems.size(), account->name()));
  std::printf("the index of %s matches its files\n", account->name().c_str());
  return 0;
}

int run_index_rebuild(const config::Config& config, const std::string& user) {
  auto account = open_mail_account(config, user);
  if (!account) return 1;
  store::IndexReport report;
  if (auto ec = account->rebuild_index(report))
    return fail("cannot rebuild the index of " + account->name() + ": " + ec.message());
  print_report(report);
  std::printf("rebuilt the index of %s: %u mailboxes, %u messages\n", account->name().c_str(),
              report.mailboxes, report.messages);
  store::FulltextStatus status;
  if (auto ec = account->fulltext_catch_up(true, status))
    return fail("cannot rebuild the full-text index of " + account->name() + ": " + ec.message());
  print_fulltext(account->name(), status);
  return 0;
}

int run_index_fulltext(const config::Config& config, const std::string& user) {
  auto account = open_mail_account(config, user);
  if (!account) return 1;
  store::FulltextStatus status;
  if (auto ec = account->fulltext_catch_up(false, status))
    return fail("cannot update the full-text index of " + account->name() + ": " + ec.message());
  print_fulltext(account->name(), status);
  return 0;
}

}  // namespace estafeta::cli
