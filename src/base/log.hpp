// log: the process-wide logger. One line per event on stderr, prefixed with a UTC timestamp,
// the level and the component ("2026-11-28T03:10:41.123Z info smtp: ..."). Thread-safe: each
// line is written with one call under a mutex. Never logs secrets; callers redact.
// Every message is escaped here, once: CR, LF, the other C0 controls and DEL become \xNN, so
// text that came from a peer (a user name, a command line) can neither end a line early nor
// forge one; everything else, UTF-8 included, is written as given.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace estafeta::log {

enum class Level { trace = 0, debug = 1, info = 2, warn = 3, error = 4 };

void set_level(Level level);
Level level();
bool enabled(Level level);
// Parses "trace|debug|info|warn|error"; returns false for anything else.
bool parse_level(std::string_view text, Level& out);
void write(Level level, std::string_view component, std::string_view message);
// The escaping write() applies to a message (see above).
std::string escape_controls(std::string_view message);

template <class... A>
void trace(std::string_view component, fmt::format_string<A...> f, A&&... a) {
  if (enabled(Level::trace)) write(Level::trace, component, fmt::format(f, std::forward<A>(a)...));
}
template <class... A>
void debug(std::string_view component, fmt::format_string<A...> f, A&&... a) {
  if (enabled(Level::debug)) write(Level::debug, component, fmt::format(f, std::forward<A>(a)...));
}
template <class... A>
void info(std::string_view component, fmt::format_string<A...> f, A&&... a) {
  if (enabled(Level::info)) write(Level::info, component, fmt::format(f, std::forward<A>(a)...));
}
template <class... A>
void warn(std::string_view component, fmt::format_string<A...> f, A&&... a) {
  if (enabled(Level::warn)) write(Level::warn, component, fmt::format(f, std::forward<A>(a)...));
}
template <class... A>
void error(std::string_view component, fmt::format_string<A...> f, A&&... a) {
  if (enabled(Level::error)) write(Level::error, component, fmt::format(f, std::forward<A>(a)...));
}

}  // namespace estafeta::log
