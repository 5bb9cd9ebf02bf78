// config_section: how a protocol adds its own [section] to estafeta.toml without config/
// knowing its types, so config/ includes no protocol's headers and each protocol keeps its
// limits, their defaults and ranges beside its code (smtp/smtp_config.cpp for [smtp]).
// A protocol implements Section (its keys with docs, a check per value, the defaults) and
// registers it at start-up, before the configuration is loaded; config::load stores the
// checked values of the file's table as they were written, and the protocol turns them into
// its own struct (e.g. smtp::settings_from). render_example and docs list registered keys
// like config's own. Trusted input (the administrator's file), every value checked.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace estafeta::config {

enum class KeyType { boolean, integer, string };

// A value already checked to be of the key's type.
using Value = std::variant<bool, int64_t, std::string>;

// One key of a registered section, for the loader and the docs.
struct SectionKey {
  std::string_view name;  // the key in the table: "max_recipients"
  KeyType type;
  std::string_view doc;  // one line, shown in examples/estafeta.toml and docs/CONFIG.md
};

class Section {
 public:
  virtual ~Section() = default;
  virtual std::string_view name() const = 0;             // the table: "smtp"
  virtual std::span<const SectionKey> keys() const = 0;  // in example-file order
  // "" when `value` (already of the key's type) is acceptable for `key`, else what is wrong
  // ("expected an integer 1-100000").
  virtual std::string check(std::string_view key, const Value& value) const = 0;
  virtual Value default_value(std::string_view key) const = 0;
};

// The values a file set in one registered section: key -> checked value. Keys the file did
// not set are absent (their default applies).
using SectionValues = std::map<std::string, Value, std::less<>>;

// Adds `section` (which must outlive every later config call) to load(), defaults(),
// render_example() and same_settings(). A second section of the same name is ignored.
// Call at start-up, before any thread reads the configuration.
void register_section(const Section& section);
// The registered sections, in registration order.
std::span<const Section* const> sections();
const Section* find_section(std::string_view name);

// TOML text of a value: true, 25, "text".
std::string toml_text(const Value& value);

// Setters shared by the key tables (config_keys.cpp, the protocols' *_config.cpp): each checks
// the value's range and stores it, returning "" or what is wrong, worded for the error line.
template <class T>
std::string set_int(T& dst, const Value& v, int64_t lo, int64_t hi) {
  int64_t n = std::get<int64_t>(v);
  if (n < lo || n > hi)
    return "expected an integer " + std::to_string(lo) + "-" + std::to_string(hi);
  dst = static_cast<T>(n);
  return "";
}

inline std::string set_seconds(std::chrono::seconds& dst, const Value& v, int64_t lo, int64_t hi) {
  int64_t n = std::get<int64_t>(v);
  if (n < lo || n > hi)
    return "expected a number of seconds " + std::to_string(lo) + "-" + std::to_string(hi);
  dst = std::chrono::seconds(n);
  return "";
}

inline std::string set_bool(bool& dst, const Value& v) {
  dst = std::get<bool>(v);
  return "";
}

}  // namespace estafeta::config
