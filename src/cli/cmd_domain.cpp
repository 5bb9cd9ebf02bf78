// cmd_domain: `estafeta domain add|del|list`. Mail for a domain is accepted only when it is
// listed here; deleting one with users or aliases left is refused.
#include <cstdio>

#include "auth/auth_address.hpp"
#include "cli/cli_store.hpp"
#include "cli/commands.hpp"

namespace estafeta::cli {

namespace {
std::string shown(const std::string& domain) {
  auto d = auth::normalize_domain(domain);
  return d ? *d : domain;
}
}  // namespace

int run_domain_add(const config::Config& config, const std::string& domain) {
  auto store = open_store(config);
  if (!store) return 1;
  if (std::string e = store->add_domain(domain); !e.empty()) return fail(e);
  std::printf("added domain %s\n", shown(domain).c_str());
  return 0;
}

int run_domain_del(const config::Config& config, const std::string& domain) {
  auto store = open_store(config);
  if (!store) return 1;
  if (std::string e = store->del_domain(domain); !e.empty()) return fail(e);
  std::printf("deleted domain %s\n", shown(domain).c_str());
  return 0;
}

int run_domain_list(const config::Config& config) {
  auto store = open_store(config);
  if (!store) return 1;
  std::vector<std::string> domains;
  if (std::string e = store->list_domains(domains); !e.empty()) return fail(e);
  for (const auto& d : domains) std::printf("%s\n", d.c_str());
  return 0;
}

}  // namespace estafeta::cli
