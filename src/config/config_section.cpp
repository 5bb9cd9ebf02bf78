// config_section: the registry of protocol sections (see the header). A plain vector filled
// once at start-up; lookups are linear (a handful of sections).
#include "config/config_section.hpp"

#include <vector>

#include "config/config_keys.hpp"

namespace estafeta::config {
namespace {

std::vector<const Section*>& registry() {
  static std::vector<const Section*> sections;
  return sections;
}

}  // namespace

void register_section(const Section& section) {
  if (!find_section(section.name())) registry().push_back(&section);
}

std::span<const Section* const> sections() {
  return registry();
}

const Section* find_section(std::string_view name) {
  for (const Section* s : registry())
    if (s->name() == name) return s;
  return nullptr;
}

std::string toml_text(const Value& value) {
  if (const bool* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  if (const int64_t* i = std::get_if<int64_t>(&value)) return std::to_string(*i);
  return toml_quote(std::get<std::string>(value));
}

}  // namespace estafeta::config
