// mua_search_query: `mail search` queries to IMAP SEARCH keys (see the header).
#include "mua/proto/mua_search_query.hpp"

#include <cstdint>

#include "mua/proto/mua_imap_parse.hpp"

namespace estafeta::mua {
namespace {

bool leap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

// Splits on whitespace; "double quotes" group words (the quotes are dropped, also inside a
// term: subject:"two words"). False on an unterminated quote.
bool split_terms(std::string_view q, std::vector<std::string>& out) {
  std::string cur;
  bool in_quotes = false, have = false;
  for (char c : q) {
    if (c == '"') {
      in_quotes = !in_quotes;
      have = true;
      continue;
    }
    if (!in_quotes && (c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
      if (have) out.push_back(std::move(cur));
      cur.clear();
      have = false;
      continue;
    }
    cur += c;
    have = true;
  }
  if (in_quotes) return false;
  if (have) out.push_back(std::move(cur));
  return true;
}

bool parse_size(std::string_view v, std::uint64_t& out) {
  std::uint64_t mult = 1;
  if (!v.empty() && (v.back() == 'k' || v.back() == 'K')) mult = 1024;
  if (!v.empty() && (v.back() == 'm' || v.back() == 'M')) mult = 1024 * 1024;
  if (mult != 1) v.remove_suffix(1);
  if (v.empty() || v.size() > 12 || v.find_first_not_of("0123456789") != std::string_view::npos)
    return false;
  std::uint64_t n = 0;
  for (char c : v) n = n * 10 + static_cast<std::uint64_t>(c - '0');
  out = n * mult;
  return out <= 0xffffffffu;
}

}  // namespace

std::string imap_search_date(std::string_view iso) {
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (iso.size() != 10 || iso[4] != '-' || iso[7] != '-') return "";
  int y = 0, m = 0, d = 0;
  for (std::size_t i = 0; i < 10; ++i) {
    if (i == 4 || i == 7) continue;
    if (iso[i] < '0' || iso[i] > '9') return "";
    const int digit = iso[i] - '0';
    if (i < 4)
      y = y * 10 + digit;
    else if (i < 7)
      m = m * 10 + digit;
    else
      d = d * 10 + digit;
  }
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1900 || m < 1 || m > 12 || d < 1) return "";
  if (d > kDays[m - 1] + (m == 2 && leap(y) ? 1 : 0)) return "";
  return std::to_string(d) + "-" + kMonths[m - 1] + "-" + std::to_string(y);
}

bool parse_search_query(std::string_view query, SearchQuery& out, std::string& error) {
  out = SearchQuery{};
  if (query.size() > kMaxSearchQuery) {
    error = "the query is longer than " + std::to_string(kMaxSearchQuery) + " octets";
    return false;
  }
  std::vector<std::string> terms;
  if (!split_terms(query, terms)) {
    error = "the query has an unterminated \"";
    return false;
  }
  if (terms.empty()) {
    error = "the query is empty (give words, or from:, to:, subject:, since:, before:, unseen)";
    return false;
  }
  if (terms.size() > kMaxSearchTerms) {
    error = "the query has more than " + std::to_string(kMaxSearchTerms) + " terms";
    return false;
  }
  auto add_string = [&](const char* key, const std::string& value) {
    out.keys.push_back({false, key});
    out.keys.push_back({true, value});
    for (unsigned char c : value)
      if (c >= 0x80) out.non_ascii = true;
  };
  for (const std::string& term : terms) {
    const std::size_t colon = term.find(':');
    std::string field = colon == std::string::npos ? std::string() : term.substr(0, colon);
    for (char& c : field) c = static_cast<char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
    const std::string value = colon == std::string::npos ? std::string() : term.substr(colon + 1);
    std::string flag = colon == std::string::npos ? term : (field == "is" ? value : "");
    for (char& c : flag) c = static_cast<char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
    static const std::pair<const char*, const char*> kFlags[] = {
        {"unseen", "UNSEEN"},       {"seen", "SEEN"},         {"flagged", "FLAGGED"},
        {"unflagged", "UNFLAGGED"}, {"answered", "ANSWERED"}, {"unanswered", "UNANSWERED"},
        {"deleted", "DELETED"}};
    bool matched_flag = false;
    for (const auto& [word, key] : kFlags) {
      if (flag == word) {
        out.keys.push_back({false, key});
        matched_flag = true;
        break;
      }
    }
    if (matched_flag) continue;
    if (field == "is") {
      error = "is:" + value +
              " is not one of unseen, seen, flagged, unflagged, answered, "
              "unanswered, deleted";
      return false;
    }
    static const std::pair<const char*, const char*> kFields[] = {
        {"from", "FROM"}, {"to", "TO"}, {"cc", "CC"}, {"subject", "SUBJECT"}, {"body", "BODY"}};
    bool matched_field = false;
    for (const auto& [name, key] : kFields) {
      if (field == name) {
        if (value.empty()) {
          error = std::string(name) + ": needs a value (" + name + ":WORD or " + name +
                  ":\"some words\")";
          return false;
        }
        add_string(key, value);
        matched_field = true;
        break;
      }
    }
    if (matched_field) continue;
    if (field == "since" || field == "before" || field == "on") {
      const std::string date = imap_search_date(value);
      if (date.empty()) {
        error = field + ":" + value + " is not a date (write " + field + ":YYYY-MM-DD)";
        return false;
      }
      out.keys.push_back({false, field == "since" ? "SINCE" : field == "before" ? "BEFORE" : "ON"});
      out.keys.push_back({false, date});
      continue;
    }
    if (field == "larger" || field == "smaller") {
      std::uint64_t n = 0;
      if (!parse_size(value, n)) {
        error = field + ":" + value + " is not a size (octets, or with k or M)";
        return false;
      }
      out.keys.push_back({false, field == "larger" ? "LARGER" : "SMALLER"});
      out.keys.push_back({false, std::to_string(n)});
      continue;
    }
    add_string("TEXT", term);  // a word, a phrase, or an unknown "x:y"
  }
  return true;
}

}  // namespace estafeta::mua
