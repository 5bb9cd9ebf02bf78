// cmd_alias: `estafeta alias add|del|list`. An alias maps a source address in a local domain
// (or "@domain", the catch-all) to one or more targets: accounts or further aliases. The
// resolution rules are in auth/auth_sqlite_directory.hpp.
#include <cstdio>

#include "auth/auth_sqlite_directory.hpp"
#include "cli/cli_store.hpp"
#include "cli/commands.hpp"

namespace estafeta::cli {

int run_alias_add(const config::Config& config, const std::string& source,
                  const std::vector<std::string>& targets) {
  auto store = open_store(config);
  if (!store) return 1;
  if (std::string e = store->add_alias(source, targets); !e.empty()) return fail(e);
  std::printf("added alias %s -> %zu target(s)\n", source.c_str(), targets.size());
  // A typo in a target is silent at delivery time (the branch is dropped): say so now.
  auth::SqliteDirectory directory(auth::DirectoryOptions{config.data_dir, config.hostname,
                                                         config.delivery.detail_separator,
                                                         config.delivery.detail_to_folder});
  for (const auto& t : targets) {
    auto r = directory.resolve(t);
    if (r.status == auth::Resolution::Status::not_local_domain) {
      std::fprintf(stderr,
                   "estafeta: note: target %s is in another domain: mail for it is forwarded "
                   "(envelope sender rewritten with SRS) when the server has an outbound queue, "
                   "else dropped from this alias\n",
                   t.c_str());
    } else if (r.status != auth::Resolution::Status::local) {
      std::fprintf(stderr,
                   "estafeta: warning: target %s does not lead to a local mailbox (yet); "
                   "mail for it will be dropped from this alias\n",
                   t.c_str());
    }
  }
  return 0;
}

int run_alias_del(const config::Config& config, const std::string& source,
                  const std::string& target) {
  auto store = open_store(config);
  if (!store) return 1;
  if (std::string e = store->del_alias(source, target); !e.empty()) return fail(e);
  if (target.empty())
    std::printf("deleted alias %s\n", source.c_str());
  else
    std::printf("deleted alias %s -> %s\n", source.c_str(), target.c_str());
  return 0;
}

int run_alias_list(const config::Config& config) {
  auto store = open_store(config);
  if (!store) return 1;
  std::vector<auth::AliasInfo> aliases;
  if (std::string e = store->list_aliases(aliases); !e.empty()) return fail(e);
  for (const auto& a : aliases) std::printf("%s -> %s\n", a.source.c_str(), a.target.c_str());
  return 0;
}

}  // namespace estafeta::cli
