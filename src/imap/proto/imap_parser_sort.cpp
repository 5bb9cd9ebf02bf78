// imap_parser_sort: see imap_parser_sort.hpp.
#include "imap/proto/imap_parser_sort.hpp"

#include "imap/proto/imap_search_parser.hpp"

namespace estafeta::imap {
namespace {

bool fail(std::string* error, const char* text) {
  if (error && error->empty()) *error = text;
  return false;
}

// SP charset SP search-key *(SP search-key)
bool charset_and_keys(Lexer& lx, const Limits& limits, std::string& charset, SearchKey& key,
                      std::string* error) {
  if (!lx.sp()) return fail(error, "Missing charset");
  auto cs = lx.astring();
  if (!cs || cs->empty()) return fail(error, "Invalid charset");
  charset = std::move(*cs);
  if (!lx.sp()) return fail(error, "Missing search keys");
  return parse_search_keys(lx, limits, key, error) || fail(error, "Invalid search keys");
}

}  // namespace

bool parse_sort_arguments(Lexer& lx, const Limits& limits, Sort& out, std::string* error) {
  if (!lx.sp()) return fail(error, "Missing sort criteria");
  if (lx.keyword("RETURN")) {  // RFC 5267 §3 sort-return-opts
    if (!parse_search_return(lx, limits, out.ret, error)) return fail(error, "Invalid RETURN");
    if (!lx.sp()) return fail(error, "Missing sort criteria");
  }
  if (!lx.consume('(')) return fail(error, "Missing sort criteria");
  using Key = SortCriterion::Key;
  static constexpr struct {
    const char* name;
    Key key;
  } kKeys[] = {{"ARRIVAL", Key::arrival},
               {"CC", Key::cc},
               {"DATE", Key::date},
               {"FROM", Key::from},
               {"SIZE", Key::size},
               {"SUBJECT", Key::subject},
               {"TO", Key::to},
               {"DISPLAYFROM", Key::display_from},
               {"DISPLAYTO", Key::display_to}};
  do {
    SortCriterion c;
    if (lx.keyword("REVERSE")) {
      c.reverse = true;
      if (!lx.sp()) return fail(error, "Invalid sort criteria");
    }
    bool known = false;
    for (const auto& k : kKeys) {
      if (lx.keyword(k.name)) {
        c.key = k.key;
        known = true;
        break;
      }
    }
    if (!known) return fail(error, "Unknown sort criterion");
    if (out.criteria.size() >= limits.max_list_items) return fail(error, "Too many sort criteria");
    out.criteria.push_back(c);
  } while (lx.sp());
  if (!lx.consume(')')) return fail(error, "Invalid sort criteria");
  return charset_and_keys(lx, limits, out.charset, out.key, error);
}

bool parse_thread_arguments(Lexer& lx, const Limits& limits, Thread& out, std::string* error) {
  if (!lx.sp()) return fail(error, "Missing threading algorithm");
  if (lx.keyword("ORDEREDSUBJECT")) {
    out.algorithm = Thread::Algorithm::ordered_subject;
  } else if (lx.keyword("REFERENCES")) {
    out.algorithm = Thread::Algorithm::references;
  } else {
    return fail(error, "Unknown threading algorithm");
  }
  return charset_and_keys(lx, limits, out.charset, out.key, error);
}

}  // namespace estafeta::imap
