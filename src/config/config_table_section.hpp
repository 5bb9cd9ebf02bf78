// config_table_section: a protocol's [section] as a table of rows, one per key: its name,
// type and doc, how to check and store a value into the protocol's settings struct, and how
// to read the default back. SMTP, IMAP and POP3 each keep such a table beside their code
// (smtp/smtp_config.cpp, imap/imap_config.cpp) and share this one implementation of
// config::Section plus settings_from(); the connection keys [imap] and [pop3] share are in
// config_connection_keys.hpp. Header-only: a template over the settings struct.
// Input: values config::load already type-checked (trusted file); every range is the row's.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "config/config_section.hpp"

namespace estafeta::config {

// An integer setting (a count, a size, seconds) as a config value, for a row's get.
template <class T>
Value int_value(T n) {
  return Value(static_cast<int64_t>(n));
}

template <class Settings>
struct TableRow {
  SectionKey key;
  std::string (*set)(Settings& settings, const Value& v);  // "" or what is wrong
  Value (*get)(const Settings& settings);
};

template <class Settings>
class TableSection final : public Section {
 public:
  TableSection(std::string_view name, std::span<const TableRow<Settings>> rows)
      : name_(name), rows_(rows) {
    for (const auto& r : rows_) keys_.push_back(r.key);
  }
  std::string_view name() const override { return name_; }
  std::span<const SectionKey> keys() const override { return keys_; }
  std::string check(std::string_view key, const Value& value) const override {
    const TableRow<Settings>* row = find(key);
    if (!row) return "unknown key";
    Settings scratch;
    return row->set(scratch, value);
  }
  Value default_value(std::string_view key) const override {
    const TableRow<Settings>* row = find(key);
    return row ? row->get(Settings{}) : Value(false);
  }
  // The section's settings in `config`: defaults, overridden by what its file set.
  Settings settings_from(const Config& config) const {
    Settings out;
    auto it = config.sections.find(name_);
    if (it == config.sections.end()) return out;
    for (const auto& [key, value] : it->second)
      if (const TableRow<Settings>* row = find(key)) row->set(out, value);  // checked at load
    return out;
  }

 private:
  const TableRow<Settings>* find(std::string_view key) const {
    for (const auto& r : rows_)
      if (r.key.name == key) return &r;
    return nullptr;
  }
  std::string_view name_;
  std::span<const TableRow<Settings>> rows_;
  std::vector<SectionKey> keys_;
};

}  // namespace estafeta::config
