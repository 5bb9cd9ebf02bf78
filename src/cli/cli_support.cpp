// cli_support: what every subcommand shares: choosing and loading the configuration file,
// and reporting errors as one "estafeta: ..." line. Input: the command line and environment
// of the local administrator (trusted).
#include <cstdio>
#include <cstdlib>
#include <variant>

#include "cli/commands.hpp"

namespace estafeta::cli {

namespace fs = std::filesystem;

int fail(const std::string& message) {
  std::fprintf(stderr, "estafeta: %s\n", message.c_str());
  return 1;
}

std::optional<fs::path> choose_config_file(const std::string& option) {
  if (!option.empty()) return fs::path(option);
  if (const char* env = std::getenv("ESTAFETA_CONFIG"); env && *env) return fs::path(env);
  std::error_code ec;
  fs::path system = "/etc/estafeta/estafeta.toml";
  if (fs::exists(system, ec)) return system;
  return std::nullopt;
}

std::optional<config::Config> load_config(const std::optional<fs::path>& file) {
  if (!file) return config::defaults();
  auto r = config::load(*file);
  if (auto* e = std::get_if<config::ConfigError>(&r)) {
    fail(e->to_string());
    return std::nullopt;
  }
  return std::get<config::Config>(std::move(r));
}

}  // namespace estafeta::cli

#include "cli/cli_store.hpp"

namespace estafeta::cli {

std::unique_ptr<auth::AccountStore> open_store(const config::Config& config) {
  auto store = std::make_unique<auth::AccountStore>(config.data_dir);
  if (std::string err = store->open(); !err.empty()) {
    fail("cannot open the account database: " + err);
    return nullptr;
  }
  return store;
}

}  // namespace estafeta::cli
