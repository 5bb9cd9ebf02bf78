// pop3_command: see pop3_command.hpp.
#include "pop3/proto/pop3_command.hpp"

#include <array>
#include <limits>
#include <utility>
#include <vector>

namespace estafeta::pop3 {
namespace {

constexpr std::array<std::pair<std::string_view, Verb>, 16> kVerbs{{
    {"USER", Verb::user},
    {"PASS", Verb::pass},
    {"APOP", Verb::apop},
    {"AUTH", Verb::auth},
    {"STLS", Verb::stls},
    {"CAPA", Verb::capa},
    {"UTF8", Verb::utf8},
    {"QUIT", Verb::quit},
    {"STAT", Verb::stat},
    {"LIST", Verb::list},
    {"RETR", Verb::retr},
    {"DELE", Verb::dele},
    {"NOOP", Verb::noop},
    {"RSET", Verb::rset},
    {"TOP", Verb::top},
    {"UIDL", Verb::uidl},
}};

char upper(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

bool is_alnum(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// Space-separated words (runs of spaces are one separator).
std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    if (i == s.size()) break;
    std::size_t j = s.find(' ', i);
    if (j == std::string_view::npos) j = s.size();
    out.push_back(s.substr(i, j - i));
    if (out.size() > 3) break;  // no command takes more than 2; enough to say "too many"
    i = j;
  }
  return out;
}

// Decimal digits; saturates at `max`. nullopt when not all digits (or empty).
std::optional<std::uint64_t> number(std::string_view s, std::uint64_t max) {
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    unsigned d = static_cast<unsigned>(c - '0');
    v = v > (max - d) / 10 ? max : v * 10 + d;
  }
  return v;
}

ParseResult fail(std::string text) {
  ParseResult r;
  r.error = std::move(text);
  return r;
}

}  // namespace

std::string command_keyword(std::string_view line) {
  std::size_t i = 0;
  while (i < line.size() && line[i] == ' ') ++i;
  std::string out;
  for (; i < line.size() && line[i] != ' ' && out.size() < 16; ++i) out += upper(line[i]);
  return out;
}

ParseResult parse_command(std::string_view line) {
  std::size_t sp = line.find(' ');
  std::string_view keyword = line.substr(0, sp);
  std::string_view rest = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
  std::optional<Verb> verb;
  if (keyword.size() >= 3 && keyword.size() <= 4) {
    std::string k;
    for (char c : keyword) k += upper(c);
    for (const auto& [name, v] : kVerbs)
      if (name == k) verb = v;
  }
  if (!verb) {
    // Echo the keyword only when it is a short word of letters and digits.
    bool echo = !keyword.empty() && keyword.size() <= 16;
    for (char c : keyword) echo = echo && is_alnum(c);
    if (!echo) return fail("Unknown command.");
    std::string k;
    for (char c : keyword) k += upper(c);
    return fail("Unknown command: " + k);
  }
  Command c;
  c.verb = *verb;
  // USER / PASS: the rest of the line is the argument (RFC 1939 §7).
  if (c.verb == Verb::user || c.verb == Verb::pass) {
    if (rest.empty()) return fail("Missing argument.");
    c.text = std::string(rest);
    ParseResult r;
    r.command = std::move(c);
    return r;
  }
  std::vector<std::string_view> args = words(rest);
  std::size_t min = 0, max = 0;
  switch (c.verb) {
    case Verb::apop:
      min = max = 2;
      break;
    case Verb::auth:
      max = 2;
      break;
    case Verb::list:
    case Verb::uidl:
      max = 1;
      break;
    case Verb::retr:
    case Verb::dele:
      min = max = 1;
      break;
    case Verb::top:
      min = max = 2;
      break;
    default:
      break;
  }
  if (args.size() > max) return fail("Too many arguments.");
  if (args.size() < min) return fail("Missing argument.");
  switch (c.verb) {
    case Verb::apop:
      c.text = std::string(args[0]);
      c.text2 = std::string(args[1]);
      break;
    case Verb::auth:
      if (!args.empty()) {
        for (char ch : args[0]) c.text += upper(ch);
        if (args.size() > 1) c.text2 = std::string(args[1]);
      }
      break;
    case Verb::list:
    case Verb::uidl:
    case Verb::retr:
    case Verb::dele:
    case Verb::top:
      if (!args.empty()) {
        auto n = number(args[0], std::numeric_limits<std::uint32_t>::max());
        if (!n) return fail("Invalid message number.");
        c.number = static_cast<std::uint32_t>(*n);
      }
      if (c.verb == Verb::top) {
        auto n = number(args[1], std::numeric_limits<std::uint64_t>::max());
        if (!n) return fail("Invalid number of lines.");
        c.lines = *n;
      }
      break;
    default:
      break;
  }
  ParseResult r;
  r.command = std::move(c);
  return r;
}

}  // namespace estafeta::pop3
