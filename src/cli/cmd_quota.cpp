// cmd_quota: `estafeta user quota USER [--storage SIZE] [--messages N] [--mailboxes N]`: sets an
// account's own RFC 9208 limits (kept with its mail, store/store_maildir_quota.cpp) or, without
// options, shows the limits that apply and the usage. SIZE is "500M", "2G", "1024K" or a number
// of KiB; "none" or 0 lifts a limit; "default" returns it to the [quota] section's value.
// Input: the operator's command line (trusted, still checked). The server sees a change at its
// next check, without a restart.
#include <cstdio>
#include <string>

#include "auth/auth_address.hpp"
#include "cli/cli_mail_store.hpp"
#include "cli/commands.hpp"
#include "store/api/store_quota.hpp"

namespace estafeta::cli {
namespace {

// One option's value: "default", "none", or a number (sizes with a unit for storage).
bool parse_limit(const std::string& text, bool size, std::uint64_t& out) {
  if (text == "default") {
    out = store::kQuotaDefault;
    return true;
  }
  if (size) return store::parse_quota_size(text, out);
  if (text == "none") {
    out = 0;
    return true;
  }
  if (text.empty() || text.size() > 12) return false;
  std::uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  out = v;
  return true;
}

std::string shown(std::uint64_t limit, std::uint64_t own, bool size) {
  std::string s = limit == 0 ? std::string("none")
                  : size     ? store::format_quota_size(limit)
                             : std::to_string(limit);
  if (own == store::kQuotaDefault) s += " (default)";
  return s;
}

std::string percent(std::uint64_t used, std::uint64_t limit) {
  if (limit == 0) return "";
  return " (" + std::to_string(used * 100 / limit) + " %)";
}

}  // namespace

int run_user_quota(const config::Config& config, const std::string& address,
                   const QuotaOptions& options) {
  auto parsed = auth::parse_account(address);
  if (!parsed) return fail("invalid account address: " + address);
  store::QuotaLimits set{store::kQuotaDefault, store::kQuotaDefault, store::kQuotaDefault};
  const bool changing = options.storage || options.messages || options.mailboxes;
  auto account = open_mail_account(config, address);
  if (!account) return 1;
  store::QuotaState q;
  if (auto ec = account->quota(q))
    return fail("cannot read the quota of " + address + ": " + ec.message());
  if (changing) {
    set = q.own;
    if (options.storage && !parse_limit(*options.storage, true, set.storage_kib))
      return fail("--storage: expected a size such as 500M or 2G, none or default: " +
                  *options.storage);
    if (options.messages && !parse_limit(*options.messages, false, set.messages))
      return fail("--messages: expected a number, none or default: " + *options.messages);
    if (options.mailboxes && !parse_limit(*options.mailboxes, false, set.mailboxes))
      return fail("--mailboxes: expected a number, none or default: " + *options.mailboxes);
    if (auto ec = account->set_quota(set))
      return fail("cannot set the quota of " + address + ": " + ec.message());
    if (auto ec = account->quota(q)) return fail(ec.message());
  }
  const std::string name = parsed->full();
  std::printf("%s\n", name.c_str());
  std::printf("  storage:   %s KiB used of %s%s\n",
              std::to_string(store::storage_kib(q.usage.storage)).c_str(),
              shown(q.limits.storage_kib, q.own.storage_kib, true).c_str(),
              percent(q.usage.storage, q.limits.storage_kib * 1024).c_str());
  std::printf("  messages:  %llu of %s%s\n", static_cast<unsigned long long>(q.usage.messages),
              shown(q.limits.messages, q.own.messages, false).c_str(),
              percent(q.usage.messages, q.limits.messages).c_str());
  std::printf("  mailboxes: %llu of %s%s\n", static_cast<unsigned long long>(q.usage.mailboxes),
              shown(q.limits.mailboxes, q.own.mailboxes, false).c_str(),
              percent(q.usage.mailboxes, q.limits.mailboxes).c_str());
  return 0;
}

}  // namespace estafeta::cli
